"""`vivier train` and `vivier evaluate` (issue 6)."""

from __future__ import annotations

import typer


def train() -> None:
    """Train the GNN and write embeddings back into Neo4j (not yet implemented)."""
    raise typer.Exit(1)


def evaluate() -> None:
    """Evaluate the GNN against baselines (not yet implemented)."""
    raise typer.Exit(1)
