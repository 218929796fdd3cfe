"""The web app's browser tests: the API tests' app (`tests.support.api.api`: the tiny graph in the test Neo4j, a
real model trained on it, one key per role) served by uvicorn on a free port, the test ontology (mini.ttl) as the
curated repository, and Debian's Chromium driven by Playwright (`executable_path`, never `playwright install`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from graph.db import Database
from graph.server import free_port
from ontology.repository import OntologyRepository
from ontology.vocab import new_graph
from tests.support.api import api
from vivier.knowledge_base import import_graph, release
from vivier.settings import get_settings

__all__ = ["api"]

CHROMIUM = "/usr/bin/chromium"
MINI = Path(__file__).parents[1] / "ontology_fixtures" / "mini.ttl"
NS = "https://id.vivier.fr/test/"  # the namespace of mini.ttl's concepts


def _mini_repository(database: Database) -> OntologyRepository:
    """mini.ttl as the current ontology of the app's data directory (in place of the shared catalogue cache, which
    the model training used), loaded in Neo4j, with a release `v1` for the comparison page."""
    from ontology.catalogue import load_catalogue

    load_catalogue()  # the text analyzer's catalogue, read (or built) from the shared cache before the swap
    ontology = get_settings().data_dir / "ontology"
    if ontology.is_symlink():
        ontology.unlink()
    graph = new_graph()
    graph.parse(MINI, format="turtle")
    repository = OntologyRepository(ontology)
    repository.save(graph)
    import_graph(database, graph)
    release(database, "v1", "web tests", repository)
    return repository


@pytest.fixture(scope="package")
def live(api: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The API's app served over real HTTP (its lifespan already runs under the API fixture's TestClient)."""
    from loaders.nlp import default_analyzer

    database: Database = api["database"]
    _mini_repository(database)
    default_analyzer()  # spaCy and the catalogue's patterns, built once here rather than while a browser waits
    port = free_port()
    config = uvicorn.Config(api["app"], host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="vivier-web-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield dict(api, url=f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        database.execute_query("MATCH (n:Concept) WHERE n.uri STARTS WITH $ns DETACH DELETE n", ns=NS)
        database.execute_query("MATCH (a:AuditEntry) DETACH DELETE a")
        database.execute_query("MATCH (r:OntologyRelease {version: 'v1'}) DETACH DELETE r")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(60_000)  # creating an offer embeds it and ranks its candidates: slow on 2 busy cores
    yield opened
    context.close()
