"""`vivier serve` (the FastAPI service, issue 7) and `vivier api-key …` (create, list, revoke keys).

Mount the keys with `app.add_typer(api_key_app, name="api-key")` in `vivier/cli.py`.
"""

from __future__ import annotations

import socket

import typer
from rich.console import Console
from rich.table import Table

from graph.access import AccessError, create_api_key, list_api_keys, revoke_api_key
from vivier.runtime import command_database
from vivier.settings import get_settings

console = Console()
api_key_app = typer.Typer(help="API keys of the query API (stored hashed; shown once).", no_args_is_help=True)


def serve(
    host: str = typer.Option("127.0.0.1", help="interface to listen on (loopback by default)"),
    port: int = typer.Option(8000, help="TCP port"),
    workers: int = typer.Option(1, help="uvicorn worker processes"),
) -> None:
    """Serve the query API (OpenAPI at /docs). Needs Neo4j; the model is loaded on first use."""
    import uvicorn

    from api.app import create_app

    console.print(f"API at http://{host}:{port} (OpenAPI: /docs); web app at http://{host}:{port}/ui/")
    if workers > 1:
        serve_workers(host, port, workers)
    else:
        uvicorn.run(create_app(get_settings()), host=host, port=port, log_level="info")


def serve_workers(host: str, port: int, workers: int, log_level: str = "info") -> None:
    """Several worker processes on one listening socket, each with its own model copy. The socket is made here:
    uvicorn's own (`uvicorn.run(workers=…)`) is created without `IPPROTO_TCP`, so asyncio leaves Nagle's algorithm
    on for its connections and every keep-alive request after the first waits ~40 ms for a delayed ACK
    (Kludex/uvicorn#3149; measured here: 0.6 ms with one worker, 44 ms with two)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=log_level == "info",
    )
    Multiprocess(config, sockets=[listening_socket(host, port)]).run()


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket its accepted connections inherit `IPPROTO_TCP` from (so asyncio sets TCP_NODELAY)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise typer.BadParameter(f"cannot listen on {host}:{port}: {error}") from error
    sock.set_inheritable(True)
    return sock


@api_key_app.command("create")
def create(
    role: str = typer.Option(..., help="recruiter, hr_expert or admin"),
    employer_id: str | None = typer.Option(None, help="the employer a recruiter key is bound to"),
    label: str = typer.Option("", help="who or what uses the key"),
) -> None:
    """Create a key and print it once: only its SHA-256 hash is kept."""
    with command_database() as db:
        try:
            caller, key = create_api_key(db, role, employer_id, label)
        except AccessError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(2) from error
    console.print(f"key_id {caller.key_id} ({caller.role}{', ' + employer_id if employer_id else ''})")
    typer.echo(key)


@api_key_app.command("list")
def list_keys() -> None:
    """Every key's id, role, employer and state (never the key)."""
    with command_database() as db:
        rows = list_api_keys(db)
    columns = ("key_id", "role", "employer_id", "label", "created_at", "revoked")
    table = Table(title="API keys")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in columns))
    console.print(table)


@api_key_app.command("revoke")
def revoke(key_id: str) -> None:
    """Revoke a key (effective within seconds on running servers)."""
    with command_database() as db:
        found = revoke_api_key(db, key_id)
    if not found:
        console.print(f"[red]no API key {key_id!r}[/red]")
        raise typer.Exit(1)
    console.print(f"revoked {key_id}")


if __name__ == "__main__":  # `python -m api.cli create --role admin` until `vivier api-key` is mounted
    api_key_app()
