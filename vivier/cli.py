"""The `vivier` command: one entry point for the database, the ontology, loading, simulation, training,
evaluation, serving and the demo. The sub-commands live in `vivier.commands`; this module only assembles them."""

from __future__ import annotations

import typer

from vivier.commands.audit import app as audit_app
from vivier.commands.db import db_app, schema
from vivier.commands.load import app as load_app
from vivier.commands.model import evaluate, train
from vivier.commands.ontology import app as ontology_app
from vivier.commands.serve import api_key_app, serve
from vivier.commands.simulate import simulate
from vivier.demo import demo

app = typer.Typer(
    help="Vivier: a knowledge-graph headhunter for French public-sector recruitment.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db_app, name="db")
app.command("schema")(schema)
app.add_typer(ontology_app, name="ontology")
app.add_typer(load_app, name="load")
app.command("simulate")(simulate)
app.command("train")(train)
app.command("evaluate")(evaluate)
app.command("serve")(serve)
app.add_typer(api_key_app, name="api-key")
app.command("demo")(demo)
app.add_typer(audit_app, name="audit")


if __name__ == "__main__":
    app()
