"""The Neo4j driver, created from settings. Every query goes through `execute_query` with parameters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from neo4j import Driver, GraphDatabase

from vivier.settings import Settings, get_settings


def connect(uri: str | None = None, settings: Settings | None = None) -> Driver:
    settings = settings or get_settings()
    # Notifications such as "label does not exist yet" are expected on an empty store: keep the log quiet.
    return GraphDatabase.driver(uri or settings.effective_uri, auth=settings.auth(), notifications_min_severity="OFF")


@contextmanager
def driver_session(uri: str | None = None) -> Iterator[Driver]:
    """A verified driver for the configured database, closed on exit."""
    driver = connect(uri)
    try:
        driver.verify_connectivity()
        yield driver
    finally:
        driver.close()


def database() -> str:
    return get_settings().neo4j_database
