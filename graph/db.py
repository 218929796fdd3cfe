"""The database handle: one Neo4j driver and the name of the database it works on, built once per process and
passed explicitly to every function that reads or writes the graph.

Every query goes through `Database.execute_query` with parameters (the driver manual's `execute_query`), or a
session of the same database for the few that stream or run `CALL … IN TRANSACTIONS`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from neo4j import Driver, EagerResult, GraphDatabase, Query, Session
from neo4j.exceptions import ServiceUnavailable, SessionExpired

from vivier.settings import Settings, get_settings

# The driver's errors that mean "the server cannot be reached now": callers answer "retry later" (the API's 503).
UNAVAILABLE: tuple[type[Exception], ...] = (ServiceUnavailable, SessionExpired)


@dataclass(frozen=True)
class Database:
    """A driver and its database name. Closing the handle closes the driver."""

    driver: Driver
    name: str = "neo4j"

    @classmethod
    def connect(cls, settings: Settings | None = None, uri: str | None = None, **driver_config: Any) -> Database:
        """A handle on the configured Neo4j (`NEO4J_URI`, else the embedded server), or on `uri`; `driver_config`
        goes to the driver (timeouts)."""
        settings = settings or get_settings()
        # Notifications such as "label does not exist yet" are expected on an empty store: keep the log quiet.
        driver = GraphDatabase.driver(
            uri or settings.effective_uri, auth=settings.auth(), notifications_min_severity="OFF", **driver_config
        )
        return cls(driver, settings.neo4j_database)

    def execute_query(
        self, query: str | Query, parameters_: dict[str, Any] | None = None, **kwargs: Any
    ) -> EagerResult:
        """`Driver.execute_query` on this database; keyword arguments are query parameters, as in the driver."""
        return self.driver.execute_query(query, parameters_, database_=self.name, **kwargs)

    def session(self, **config: Any) -> Session:
        return self.driver.session(database=self.name, **config)

    def verify(self) -> None:
        """Raise the driver's error if the server does not answer."""
        self.driver.verify_connectivity()

    def close(self) -> None:
        self.driver.close()


@contextmanager
def open_database(settings: Settings | None = None, uri: str | None = None) -> Iterator[Database]:
    """A verified handle for a command's lifetime, closed on exit."""
    db = Database.connect(settings, uri)
    try:
        db.verify()
        yield db
    finally:
        db.close()
