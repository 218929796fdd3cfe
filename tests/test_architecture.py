"""`graph` owns every Cypher statement (docs/architecture.md): the packages above it (`gnn`, `api`, the application
`vivier`) ask `graph` for what they need. import-linter keeps the database out of them; this test keeps Cypher out
of them: no query run through the handle, no session opened, no Cypher clause written."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("gnn", "audit", "api", "vivier")

FORBIDDEN = re.compile(
    r"execute_query\("  # a query run through the database handle (or the database)
    r"|\.session\("  # a session opened on it
    # Cypher clauses, in code, strings, f-strings and comments alike
    r"|\b(?:MATCH|MERGE|CREATE)\s*\("
    r"|\bUNWIND\s+\$"
    r"|\bDETACH\s+DELETE\b"
    r"|\bCALL\s*(?:\{|\([\w, ]*\)\s*\{)"
)


def violations(package: str) -> list[str]:
    """`path:line: text` for every line of the package's sources that runs or spells Cypher."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if FORBIDDEN.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_the_scan_finds_cypher_where_it_belongs() -> None:
    """The scan works: the graph package, which owns the Cypher, is full of it."""
    found = violations("graph")
    assert len(found) > 50
    assert any("execute_query(" in line for line in found)
    assert any("UNWIND $" in line for line in found)
    assert FORBIDDEN.search('"CALL (o) { OPTIONAL MATCH (o)-[r:OF_OCCUPATION]->(occ:Occupation)"')
    assert not FORBIDDEN.search("A match (an exact one) of the offer; we create (in memory) a call {to the API}.")


def test_only_graph_holds_cypher() -> None:
    found = [line for package in CHECKED for line in violations(package)]
    assert not found, "Cypher outside the graph package (move it into graph/):\n" + "\n".join(found)
