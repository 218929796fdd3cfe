"""`vivier demo`: the main job, end to end, on a fresh machine."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from graph.cli import ensure_database
from graph.db import connect
from graph.schema import LATEST_VERSION, apply_schema
from vivier.settings import get_settings

console = Console()


def demo() -> None:
    """Start the database if needed, apply the schema, and run the whole pipeline on demo data."""
    settings = get_settings()
    uri = ensure_database()
    driver = connect()
    try:
        applied = apply_schema(driver, settings.neo4j_database)
        records, _, _ = driver.execute_query(
            "CALL dbms.components() YIELD name, versions, edition "
            "RETURN name, versions[0] AS version, edition, apoc.version() AS apoc, gds.version() AS gds",
            database_=settings.neo4j_database,
        )
    finally:
        driver.close()
    table = Table(title=f"Neo4j at {uri}")
    for column in ("name", "version", "edition", "apoc", "gds"):
        table.add_column(column)
    for record in records:
        table.add_row(*(str(record[c]) for c in ("name", "version", "edition", "apoc", "gds")))
    console.print(table)
    console.print(f"Schema version {LATEST_VERSION} (steps applied now: {applied or 'none'}).")
