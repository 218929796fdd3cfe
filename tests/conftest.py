"""Test fixtures: one real Neo4j for the whole run, and isolation between tests.

When NEO4J_URI is set (Docker, CI service) the tests use that database; otherwise they start the embedded
Neo4j 5.26 in a temporary directory on a free port. A missing or broken database fails the run loudly:
nothing is skipped and nothing is mocked.

Isolation: `empty_db` wipes everything; `clean_data` wipes recruitment data but keeps the ontology, which is
slow to load and shared by most tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from vivier.settings import REPO_ROOT, Settings, get_settings

# Tests keep their state (ontology build cache, rejects, models, audit log) apart from the user's `var/`:
# a run never writes into the demo's data, and the ontology built by a first run is reused by the next.
os.environ.setdefault("VIVIER_DATA_DIR", str(REPO_ROOT / "var" / "test-data"))
# One test process builds many apps: freezing the heap at each model load would keep their garbage for good.
# tests/api/test_freshness.py checks the freeze itself.
os.environ.setdefault("VIVIER_GC_FREEZE", "0")
get_settings.cache_clear()

from graph.db import Database  # noqa: E402  (after the data directory is set)
from graph.ontology_store import loaded_marker  # noqa: E402
from graph.schema import apply_schema  # noqa: E402
from graph.server import EmbeddedServer, free_port  # noqa: E402

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
def database(neo4j_uri: str) -> Iterator[Database]:
    database = Database.connect(uri=neo4j_uri)
    database.verify()
    apply_schema(database)
    yield database
    database.close()


def wipe(database: Database, keep_labels: tuple[str, ...] = ()) -> None:
    with database.session() as session:
        session.run(
            "MATCH (n) WHERE none(label IN labels(n) WHERE label IN $keep) "
            "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS",
            keep=list(keep_labels),
        ).consume()


@pytest.fixture
def empty_db(database: Database) -> Database:
    """A database with the schema and no data at all."""
    wipe(database, keep_labels=("SchemaMigration",))
    return database


@pytest.fixture
def clean_data(database: Database) -> Database:
    """A database whose recruitment data is wiped; the ontology, if loaded, stays."""
    wipe(database, keep_labels=ONTOLOGY_LABELS)
    return database


# --- test lanes: `unit`, `neo4j`, `slow` (markers in pyproject.toml, `make test-fast`) -----------------------------
# Fixtures that take long to build, with what they cost on the 2-core CI machine: a test using one is `slow`.
SLOW_FIXTURES = {
    "api": "tests/api: the tiny graph loaded and a small GNN trained on it, ~30 s",
    "trained": "tests/test_gnn.py: the synthetic graph and a GNN trained on it, ~90 s",
    "ontology_db": "the whole ontology loaded into Neo4j, 20 s to 2 min",
    "ontology_repository": "the whole ontology parsed from its Turtle file (built first if missing), ~11 s",
    # The catalogue's concepts written as stubs, ~4 s; the ingestion tests that use them also build the text
    # analyzer the first time they read a CV or an offer (spaCy and the catalogue's patterns), ~10 s more.
    "stubs": "the ontology stubs for ingestion, then the text analyzer, ~15 s",
    "analyzer": "tests/test_text_understanding.py: the text analyzer, ~10 s",
}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by these markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test gets `neo4j` when it depends, directly or through fixtures, on the session's database, `unit`
    otherwise (unless it says `neo4j` itself: it starts a Neo4j of its own); and `slow` with a slow fixture."""
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        if uses & {"database", "neo4j_uri"}:
            item.add_marker(pytest.mark.neo4j)
        elif item.get_closest_marker("neo4j") is None:
            item.add_marker(pytest.mark.unit)
        if uses & SLOW_FIXTURES.keys():
            item.add_marker(pytest.mark.slow)


# --- the ontology (issue 3) --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def ontology_repository() -> Any:
    """The current ontology on disk (`<data_dir>/ontology/ontology.ttl`, built from data/sources/ if missing);
    parsed once per session and shared (read-only: curation tests work on a copy)."""
    from ontology.repository import default_repository

    return default_repository()


@pytest.fixture(scope="session")
def ontology_db(database: Database, ontology_repository: Any) -> Database:
    """The full ontology loaded in Neo4j, once per session (a marker node records which file is loaded)."""
    return _load_ontology(database, ontology_repository)


@pytest.fixture
def ontology(ontology_db: Database, ontology_repository: Any) -> Database:
    """Like `ontology_db`, and reloads the ontology if an earlier test wiped it (`empty_db`); a marker check
    when it is there."""
    return _load_ontology(ontology_db, ontology_repository)


def _load_ontology(database: Database, repository: Any) -> Database:
    """Load the ontology unless Neo4j holds it. Without the marker, an earlier test wiped the database and may
    have left synthetic concepts behind: start from an empty database so the counts are the repertories' own."""
    from vivier.knowledge_base import build_and_load

    if not loaded_marker(database):
        wipe(database, keep_labels=("SchemaMigration",))
    build_and_load(database, repository, counts=False)
    return database


# --- ingestion (issue 4) -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stubs(database: Database) -> None:
    from tests.support.ingestion import write_ontology_stubs

    write_ontology_stubs(database)


@pytest.fixture
def db(clean_data: Database, stubs: None) -> Iterator[Database]:
    """Recruitment data wiped, the ontology concepts the ingestion fixtures link to present (as stubs)."""
    from tests.support.ingestion import write_ontology_stubs

    write_ontology_stubs(clean_data)  # cheap MERGE: survives other modules' wipes
    yield clean_data


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Settings]]:
    """`env(NAME=value, OTHER=None)`: settings read from these environment variables (None unsets one) for the rest
    of the test; the session's settings come back after it."""

    def set_variables(**variables: str | None) -> Settings:
        for name, value in variables.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        return get_settings()

    yield set_variables
    monkeypatch.undo()
    get_settings.cache_clear()
