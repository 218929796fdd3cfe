"""`vivier db …` and `vivier schema`: run the embedded Neo4j and apply the schema."""

from __future__ import annotations

import typer
from rich.console import Console

from graph import revision
from graph.db import connect
from graph.schema import LATEST_VERSION, apply_schema
from graph.server import EmbeddedServer, ServerError
from vivier.settings import get_settings

console = Console()
db_app = typer.Typer(help="Run the embedded Neo4j 5.26 (JVM) used when NEO4J_URI is not set.", no_args_is_help=True)


def embedded_server() -> EmbeddedServer:
    settings = get_settings()
    return EmbeddedServer(
        home=settings.data_dir / "neo4j",
        port=settings.embedded_bolt_port,
        heap=settings.embedded_heap,
        pagecache=settings.embedded_pagecache,
    )


def ensure_database() -> str:
    """Make sure a database answers: start the embedded one when NEO4J_URI is unset. Returns the URI."""
    settings = get_settings()
    if settings.uses_embedded:
        server = embedded_server()
        if not server.is_running():
            with console.status("Starting the embedded Neo4j…"):
                server.start()
    driver = connect()
    try:
        driver.verify_connectivity()
    finally:
        driver.close()
    return settings.effective_uri


@db_app.command("start")
def start() -> None:
    """Start Neo4j in the background and wait until Bolt answers."""
    server = embedded_server()
    try:
        with console.status("Starting Neo4j (first run builds it with Maven)…"):
            pid = server.start()
    except ServerError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    console.print(f"Neo4j is up on {server.uri} (pid {pid}); store in {server.home}")


@db_app.command("stop")
def stop() -> None:
    """Stop Neo4j cleanly; nothing is left running."""
    if embedded_server().stop():
        console.print("Neo4j stopped.")
    else:
        console.print("Neo4j was not running.")


@db_app.command("status")
def status() -> None:
    """Say whether the embedded Neo4j runs, and where."""
    server = embedded_server()
    pid = server.pid()
    if pid is None:
        console.print("Neo4j is not running.")
        raise typer.Exit(3)
    console.print(f"Neo4j is running (pid {pid}) on {server.uri}; store in {server.home}")


@db_app.command("logs")
def logs(lines: int = typer.Option(50, "--lines", "-n", help="How many lines to show.")) -> None:
    """Show the end of the server's console log."""
    console.print(embedded_server().tail_log(lines), markup=False, highlight=False)


def schema() -> None:
    """Apply the graph schema (constraints and indexes); running it twice changes nothing."""
    ensure_database()
    driver = connect()
    try:
        applied = apply_schema(driver, get_settings().neo4j_database)
    finally:
        driver.close()
    if applied:
        console.print(f"Applied schema steps {applied}; now at version {LATEST_VERSION}.")
    else:
        console.print(f"Schema already at version {LATEST_VERSION}.")


@db_app.command("touch")
def touch() -> None:
    """Tell the running APIs that candidates or offers changed outside Vivier (Cypher typed by hand): their caches
    of statutory facts and requirements are read again. Vivier's own writes do this by themselves."""
    ensure_database()
    driver = connect()
    try:
        versions = revision.bump_all(driver, get_settings().neo4j_database)
    finally:
        driver.close()
    console.print("Revisions now: " + ", ".join(f"{name} {version}" for name, version in versions.items()) + ".")
