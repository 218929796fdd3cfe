"""The schema is written down once (`graph/schema.py`): every node label and relationship type that a query of the
library names must be declared there. Queries spell labels literally, as the Neo4j database manual does, so that
they read as Cypher; this test is what keeps them and the schema from drifting apart."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from graph.schema import EXTRA_LABELS, NODE_KEYS, RELATIONSHIP_TYPES
from vivier.settings import REPO_ROOT

PACKAGES = ("ontology", "loaders", "graph", "gnn", "audit", "api", "vivier", "simulator")
# A clause, a relationship pattern, or a bare node pattern such as the GNN export's "n:Candidate".
CYPHER = re.compile(r"\b(MATCH|MERGE|CREATE|UNWIND|RETURN|DETACH DELETE|SET)\b|\)-\[|\]-[>(]|^\(?n:[A-Z]")
# `(n:Offer)`, `(:Concept:Occupation {…})`, `WHERE n:Grade OR n:CadreEmplois`: a label follows a colon glued to a
# variable or an opening parenthesis (map entries `{uri: $uri}` have a blank after the colon).
NODE_LABELS = re.compile(r"(?:\(|(?<![\[\w])[a-z_]\w*)((?::[A-Z]\w*)+)")
# `[:POSTED_BY]`, `[r:OF_OCCUPATION {…}]`, `[:BROADER|EXACT_MATCH*1..2]`
RELATIONSHIP = re.compile(r"\[\w*:([A-Z_|]+)")


def query_strings() -> list[tuple[Path, str]]:
    """Every string constant of the library that reads as Cypher (f-string parts included; docstrings left out)."""
    found = []
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docstrings = {id(_docstring(node)) for node in ast.walk(tree) if _docstring(node) is not None}
            for node in ast.walk(tree):
                text = node.value if isinstance(node, ast.Constant) and id(node) not in docstrings else None
                if isinstance(text, str) and CYPHER.search(text):
                    found.append((path.relative_to(REPO_ROOT), text))
    return found


def _docstring(node: ast.AST) -> ast.Constant | None:
    """The docstring node of a module, class or function, if it has one."""
    if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) or not node.body:
        return None
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first.value
    return None


def names_in(query: str) -> tuple[set[str], set[str]]:
    labels = {label for match in NODE_LABELS.findall(query) for label in match.split(":") if label}
    types = {t for match in RELATIONSHIP.findall(query) for t in match.split("|") if t}
    return labels, types


def test_the_scan_finds_the_library_queries() -> None:
    queries = query_strings()
    assert len(queries) > 150  # the scan itself works: the library holds a few hundred query strings
    assert names_in("MATCH (o:Offer)-[:POSTED_BY]->(:Employer {employer_id: $id}) WHERE n:Grade OR n:CadreEmplois") == (
        {"Offer", "Employer", "Grade", "CadreEmplois"},
        {"POSTED_BY"},
    )
    assert names_in("MATCH (a)-[r:BROADER|EXACT_MATCH*1..2]-(b:Concept:Occupation {uri: $uri})") == (
        {"Concept", "Occupation"},
        {"BROADER", "EXACT_MATCH"},
    )


def test_every_label_and_relationship_type_a_query_names_is_declared_in_the_schema() -> None:
    declared_labels = set(NODE_KEYS) | set(EXTRA_LABELS)
    undeclared = []
    for path, query in query_strings():
        labels, types = names_in(query)
        for name in sorted(labels - declared_labels):
            undeclared.append(f"{path}: label :{name} in {query[:80]!r}")
        for name in sorted(types - set(RELATIONSHIP_TYPES)):
            undeclared.append(f"{path}: relationship type :{name} in {query[:80]!r}")
    assert not undeclared, "declare these in graph/schema.py (and docs/schema.md) first:\n" + "\n".join(undeclared)
