"""Test fixtures: one real Neo4j for the whole run, and isolation between tests.

When NEO4J_URI is set (Docker, CI service) the tests use that database; otherwise they start the embedded
Neo4j 5.26 in a temporary directory on a free port. A missing or broken database fails the run loudly:
nothing is skipped and nothing is mocked.

Isolation: `empty_db` wipes everything; `clean_data` wipes recruitment data but keeps the ontology, which is
slow to load and shared by most tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from neo4j import Driver

from graph.db import connect
from graph.schema import apply_schema
from graph.server import EmbeddedServer, free_port
from vivier.settings import get_settings

# Labels that survive `clean_data`: the ontology and the schema bookkeeping.
ONTOLOGY_LABELS = ("Concept", "Repertory", "OntologyRelease", "AuditEntry", "SchemaMigration")


@pytest.fixture(scope="session")
def neo4j_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("NEO4J_URI")
    if external:
        yield external
        return
    server = EmbeddedServer(home=tmp_path_factory.mktemp("neo4j"), port=free_port(), heap="1g", pagecache="512m")
    server.start()
    os.environ["NEO4J_URI"] = server.uri
    get_settings.cache_clear()
    try:
        yield server.uri
    finally:
        server.stop()
        os.environ.pop("NEO4J_URI", None)
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def driver(neo4j_uri: str) -> Iterator[Driver]:
    driver = connect(neo4j_uri)
    driver.verify_connectivity()
    apply_schema(driver)
    yield driver
    driver.close()


def wipe(driver: Driver, keep_labels: tuple[str, ...] = ()) -> None:
    with driver.session() as session:
        session.run(
            "MATCH (n) WHERE none(label IN labels(n) WHERE label IN $keep) "
            "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS",
            keep=list(keep_labels),
        ).consume()


@pytest.fixture
def empty_db(driver: Driver) -> Driver:
    """A database with the schema and no data at all."""
    wipe(driver, keep_labels=("SchemaMigration",))
    return driver


@pytest.fixture
def clean_data(driver: Driver) -> Driver:
    """A database whose recruitment data is wiped; the ontology, if loaded, stays."""
    wipe(driver, keep_labels=ONTOLOGY_LABELS)
    return driver


# --- the ontology (issue 3) --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def ontology_repository() -> Any:
    """The current ontology on disk (`<data_dir>/ontology/ontology.ttl`, built from data/sources/ if missing);
    parsed once per session and shared (read-only: curation tests work on a copy)."""
    from ontology.repository import default_repository

    return default_repository()


@pytest.fixture(scope="session")
def ontology_db(driver: Driver, ontology_repository: Any) -> Driver:
    """The full ontology loaded in Neo4j, once per session (a marker node records which file is loaded)."""
    from graph.curation import build_and_load

    build_and_load(driver, ontology_repository, counts=False)
    return driver


@pytest.fixture
def ontology(ontology_db: Driver, ontology_repository: Any) -> Driver:
    """Like `ontology_db`, and reloads the ontology if an earlier test wiped it (`empty_db`); a marker check
    when it is there."""
    from graph.curation import build_and_load

    build_and_load(ontology_db, ontology_repository, counts=False)
    return ontology_db
