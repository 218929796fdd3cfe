"""Ontology benchmark (issue 3): load into Neo4j, reload, SHACL, one curation change — on the full knowledge base.

    .venv/bin/python bench/bench_ontology.py

Runs a private embedded Neo4j in a temporary directory (nothing shared is touched) and the current ontology
(`<data_dir>/ontology/ontology.ttl`, built first if missing). Targets and baselines, measured in the same run:
1. Full load (`load_ontology`: MERGE on keys, UNWIND batches): target < 60 s; baseline = the same rows written with
   plain `UNWIND … CREATE` into an unconstrained label (the cost of idempotence is the ratio).
2. Reload: identical counts; time against the first load.
3. SHACL: the whole graph (what `vivier ontology build` runs) against a focused validation of one concept (what a
   curation change runs).
4. One curation change (add a label) end to end, on a copy of the ontology.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from rdflib import Graph, URIRef
from rich.console import Console
from rich.table import Table

from graph.curation import apply_change
from graph.db import Database
from graph.ontology_store import BATCH, load_ontology, ontology_counts, rows_from_graph
from graph.schema import apply_schema
from graph.server import EmbeddedServer, free_port
from ontology import uris
from ontology.curation import AddLabel
from ontology.repository import OntologyRepository
from ontology.validate import validate_graph

console = Console()
T = TypeVar("T")


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def baseline_create(database: Database, graph: Graph) -> float:
    rows = rows_from_graph(graph)
    start = time.perf_counter()
    for node_rows in rows.nodes.values():
        for i in range(0, len(node_rows), BATCH):
            database.execute_query(
                "UNWIND $rows AS row CREATE (n:BenchConcept) SET n = row", rows=node_rows[i : i + BATCH]
            )
    database.execute_query("CREATE INDEX bench_uri IF NOT EXISTS FOR (n:BenchConcept) ON (n.uri)")
    database.execute_query("CALL db.awaitIndexes(300)")
    for rel_type, rel_rows in rows.relationships.items():
        query = (
            "UNWIND $rows AS row MATCH (a:BenchConcept {uri: row.from}) MATCH (b:BenchConcept {uri: row.to}) "
            f"CREATE (a)-[r:BENCH_{rel_type}]->(b) SET r = row.props"
        )
        for i in range(0, len(rel_rows), BATCH):
            database.execute_query(query, rows=rel_rows[i : i + BATCH])
    return time.perf_counter() - start


def main() -> None:
    repository = OntologyRepository()
    graph, parse_s = timed(repository.graph)
    home = Path(tempfile.mkdtemp(prefix="vivier-bench-ontology-"))
    server = EmbeddedServer(home=home / "neo4j", port=free_port(), heap="1g", pagecache="512m")
    server.start()
    database = Database.connect(uri=server.uri)
    try:
        apply_schema(database)
        first, load_s = timed(lambda: load_ontology(database, graph, mark_file=repository.current_file))
        again, reload_s = timed(lambda: load_ontology(database, graph, force=True))
        _, rows_s = timed(lambda: rows_from_graph(graph))  # part of both loads above, not of the baseline
        base_s = baseline_create(database, graph)
        full_report, full_s = timed(lambda: validate_graph(graph))
        fiche = URIRef(uris.rome_fiche("K1401"))
        _, focused_s = timed(lambda: validate_graph(graph, [fiche]))
        copy = OntologyRepository(home / "ontology")
        copy.root.mkdir(parents=True)
        shutil.copy(repository.current_file, copy.current_file)
        copy._graph, copy._stamp = graph, copy._file_stamp()  # reuse the parsed graph: the change is what we time
        _, change_s = timed(lambda: apply_change(AddLabel(str(fiche), "Bench label"), "bench", database, copy))
        counts_equal = first.counts == again.counts == ontology_counts(database)
    finally:
        database.close()
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
    table = Table(title=f"Ontology benchmark ({len(graph):,} triples, parsed in {parse_s:.1f} s)")
    for column in ("measure", "seconds", "baseline / target", "ratio"):
        table.add_column(column)
    table.add_row(
        "full load (MERGE, UNWIND)", f"{load_s:.1f}", f"CREATE baseline {base_s:.1f} s", f"{load_s / base_s:.2f}×"
    )
    table.add_row("  of which RDF → rows (Python)", f"{rows_s:.1f}", "", "")
    table.add_row(
        "  writes only (MERGE)",
        f"{load_s - rows_s:.1f}",
        f"CREATE baseline {base_s:.1f} s",
        f"{(load_s - rows_s) / base_s:.2f}×",
    )
    table.add_row("full load vs target", f"{load_s:.1f}", "target 60 s", f"{load_s / 60:.2f}")
    reload_label = f"reload (identical counts: {counts_equal})"
    table.add_row(reload_label, f"{reload_s:.1f}", f"first load {load_s:.1f} s", f"{reload_s / load_s:.2f}×")
    table.add_row(f"SHACL whole graph (conforms: {full_report.conforms})", f"{full_s:.1f}", "", "")
    table.add_row(
        "SHACL focused on one concept", f"{focused_s:.2f}", f"whole graph {full_s:.1f} s", f"{focused_s / full_s:.4f}×"
    )
    table.add_row("one curation change end to end", f"{change_s:.2f}", "", "")
    console.print(table)


if __name__ == "__main__":
    main()
