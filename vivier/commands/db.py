"""`vivier db …` and `vivier schema`: run the embedded Neo4j and apply the schema."""

from __future__ import annotations

import typer
from rich.console import Console

from graph import revision
from graph.schema import LATEST_VERSION, apply_schema
from graph.server import ServerError
from vivier.runtime import command_database, embedded_server

console = Console()
db_app = typer.Typer(help="Run the embedded Neo4j 5.26 (JVM) used when NEO4J_URI is not set.", no_args_is_help=True)


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
    with command_database() as db:
        applied = apply_schema(db)
    if applied:
        console.print(f"Applied schema steps {applied}; now at version {LATEST_VERSION}.")
    else:
        console.print(f"Schema already at version {LATEST_VERSION}.")


@db_app.command("touch")
def touch() -> None:
    """Tell the running APIs that candidates or offers changed outside Vivier (Cypher typed by hand): their caches
    of statutory facts and requirements are read again. Vivier's own writes do this by themselves."""
    with command_database() as db:
        versions = revision.bump_all(db)
    console.print("Revisions now: " + ", ".join(f"{name} {version}" for name, version in versions.items()) + ".")
