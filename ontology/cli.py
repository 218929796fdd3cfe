"""`vivier ontology …`: build, validate, load, search and curate the knowledge base (issue 3)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Build, validate, load and curate the ontology.", no_args_is_help=True)
