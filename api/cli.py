"""`vivier serve`: the FastAPI service (issue 7)."""

from __future__ import annotations

import typer


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the API (not yet implemented)."""
    raise typer.Exit(1)
