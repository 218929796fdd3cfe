"""`vivier load …`: offers, CVs and recruitment histories into Neo4j (issue 4)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Load offers, CVs and recruitment histories.", no_args_is_help=True)
