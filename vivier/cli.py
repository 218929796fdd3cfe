"""The `vivier` command: one entry point for the database, the ontology, loading, simulation, training,
evaluation, serving and the demo. Each package owns its sub-commands; this module only assembles them."""

from __future__ import annotations

import typer

from graph.cli import db_app, schema
from vivier.demo import demo

app = typer.Typer(
    help="Vivier: a knowledge-graph headhunter for French public-sector recruitment.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db_app, name="db")
app.command("schema")(schema)
app.command("demo")(demo)


if __name__ == "__main__":
    app()
