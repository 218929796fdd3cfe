"""`vivier simulate`: a simulated recruitment history in the loaders' formats (issue 5)."""

from __future__ import annotations

import typer


def simulate() -> None:
    """Write a simulated recruitment history (not yet implemented)."""
    raise typer.Exit(1)
