"""The process's database: start the embedded Neo4j when `NEO4J_URI` is unset, then open the one `Database`
handle a command passes to every function it calls, and close it when the command ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from graph.db import Database, open_database
from graph.server import EmbeddedServer
from vivier.settings import get_settings

console = Console(stderr=True)


def embedded_server() -> EmbeddedServer:
    settings = get_settings()
    return EmbeddedServer(
        home=settings.data_dir / "neo4j",
        port=settings.embedded_bolt_port,
        heap=settings.embedded_heap,
        pagecache=settings.embedded_pagecache,
    )


def ensure_server() -> str:
    """Make sure a database answers: start the embedded one when NEO4J_URI is unset. Returns the URI."""
    settings = get_settings()
    if settings.uses_embedded:
        server = embedded_server()
        if not server.is_running():
            with console.status("Starting the embedded Neo4j…"):
                server.start()
    return settings.effective_uri


@contextmanager
def command_database() -> Iterator[Database]:
    """The command's database handle, the server started first if it is the embedded one; closed on exit."""
    ensure_server()
    with open_database() as db:
        yield db
