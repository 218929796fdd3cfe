"""SHACL validation of the ontology (pyshacl + ontology/shapes.ttl), whole or focused on a few concepts.

A report lists, for each violation, the concept (focus node), the rule (the shape's message, whose first word is
the rule's name: `missing-label`, `broader-cycle`, `unknown-categorie`, `dangling-reference`, …), the property and
the offending value. Focused validation (curation) checks a small sub-graph: the focus concepts' own triples, the
types of what they point to and their `skos:broader` ancestry, so it takes a fraction of a second.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyshacl import validate as shacl_validate
from rdflib import RDF, SKOS, Graph, Namespace, URIRef
from rich.table import Table

from ontology.vocab import shapes

SH = Namespace("http://www.w3.org/ns/shacl#")
CYCLE_SHAPE = URIRef("https://id.vivier.fr/shapes#NoBroaderCycle")
CYCLE_MESSAGE = "broader-cycle: a concept cannot be (transitively) broader than itself"


@dataclass(frozen=True)
class ValidationIssue:
    focus: str  # the concept's URI
    rule: str  # e.g. "missing-label"
    message: str
    path: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = f" [{self.path}]" if self.path else ""
        value = f" (value {self.value})" if self.value else ""
        return f"{self.focus}{where}: {self.message}{value}"


@dataclass
class ValidationReport:
    conforms: bool
    issues: list[ValidationIssue] = field(default_factory=list)
    seconds: float = 0.0
    triples: int = 0

    def __str__(self) -> str:
        if self.conforms:
            return f"SHACL: conforms ({self.triples} triples, {self.seconds:.1f} s)"
        lines = [f"SHACL: {len(self.issues)} violation(s)"] + [f"  - {issue}" for issue in self.issues[:50]]
        return "\n".join(lines)

    def table(self, limit: int = 50) -> Table:
        table = Table(title=f"SHACL violations ({len(self.issues)})")
        for column in ("concept", "rule", "property", "value", "message"):
            table.add_column(column, overflow="fold")
        for issue in self.issues[:limit]:
            table.add_row(issue.focus, issue.rule, issue.path or "", issue.value or "", issue.message)
        return table


class OntologyValidationError(ValueError):
    """Raised when a graph (a build, an import, a curation change) does not pass SHACL; nothing was applied."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(str(report))


def validate_graph(graph: Graph, focus: Iterable[URIRef] | None = None) -> ValidationReport:
    """Validate the whole graph, or only the given concepts (and their references) when `focus` is given."""
    start = time.perf_counter()
    focus_set = set(focus) if focus is not None else None
    data = graph if focus_set is None else focused_subgraph(graph, focus_set)
    # On the whole graph the SPARQL cycle shape costs a property-path query per concept (~50 s): the same rule is
    # checked there by one depth-first search. Focused validation keeps the SHACL shape.
    shacl = shapes() if focus_set is not None else shapes_without(CYCLE_SHAPE)
    _, results, _ = shacl_validate(
        data,
        shacl_graph=shacl,
        inference="none",
        advanced=True,
        focus_nodes=sorted(focus_set) if focus_set is not None else None,  # context nodes are not judged
    )
    issues = parse_results(results)
    if focus_set is None:
        issues += broader_cycles(graph)
    if focus_set is not None:  # the sub-graph's context nodes are incomplete by construction: judge the focus only
        keep = {str(f) for f in focus_set}
        issues = [i for i in issues if i.focus in keep]
    issues.sort(key=lambda i: (i.rule, i.focus))
    return ValidationReport(not issues, issues, time.perf_counter() - start, len(data))


def focused_subgraph(graph: Graph, focus: set[URIRef]) -> Graph:
    sub = Graph()
    for node in focus:
        for triple in graph.triples((node, None, None)):
            sub.add(triple)
            obj = triple[2]
            if isinstance(obj, URIRef):
                for cls in graph.objects(obj, RDF.type):
                    sub.add((obj, RDF.type, cls))
        for ancestor in graph.transitive_objects(node, SKOS.broader):  # enough to see a cycle through `node`
            for parent in graph.objects(ancestor, SKOS.broader):
                if ancestor is not None:
                    sub.add((ancestor, SKOS.broader, parent))
    return sub


def parse_results(results: Graph) -> list[ValidationIssue]:
    issues = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        message = str(results.value(result, SH.resultMessage) or results.value(result, SH.sourceConstraintComponent))
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        issues.append(
            ValidationIssue(
                focus=str(results.value(result, SH.focusNode)),
                rule=message.split(":", 1)[0].strip(),
                message=message,
                path=str(path) if isinstance(path, URIRef) else None,
                value=str(value) if value is not None else None,
            )
        )
    return issues


def require_valid(graph: Graph, focus: Iterable[URIRef] | None = None) -> ValidationReport:
    report = validate_graph(graph, focus)
    if not report.conforms:
        raise OntologyValidationError(report)
    return report


def shapes_without(shape: URIRef) -> Graph:
    graph = shapes()
    for triple in list(graph.triples((shape, None, None))):
        graph.remove(triple)
    return graph


def broader_cycles(graph: Graph) -> list[ValidationIssue]:
    """Every concept on a `skos:broader` cycle, as the SHACL cycle shape would report it."""
    import networkx as nx

    digraph = nx.DiGraph((str(s), str(o)) for s, o in graph.subject_objects(SKOS.broader))
    on_cycle = {
        node for component in nx.strongly_connected_components(digraph) if len(component) > 1 for node in component
    }
    on_cycle |= {str(s) for s, o in graph.subject_objects(SKOS.broader) if s == o}
    return [ValidationIssue(node, "broader-cycle", CYCLE_MESSAGE) for node in sorted(on_cycle)]
