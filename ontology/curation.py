"""Curation of the ontology by HR experts, on the RDF side: typed changes, applied to the graph only if the
result passes SHACL (focused on the concepts the change touches), with a before / after record for the audit.

`graph.curation.apply_change` is the entry point the CLI and the API call: it runs `apply_to_graph` here, then
persists the Turtle, writes the audit entry and brings Neo4j in line.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from typing import Literal as TypingLiteral

from rdflib import DCTERMS, OWL, RDF, SKOS, Graph, Literal, URIRef
from rdflib.term import Node

from ontology.validate import OntologyValidationError, validate_graph
from ontology.vocab import CLASSES, PROPERTIES, V

RelationName = TypingLiteral[
    "broader", "related", "exact_match", "close_match", "requires_skill", "confirm_mapping", "reject_mapping"
]
RELATION_PREDICATES: dict[str, URIRef] = {
    "broader": SKOS.broader,
    "related": SKOS.related,
    "exact_match": SKOS.exactMatch,
    "close_match": SKOS.closeMatch,
    # An HR expert's decision on a computed RMFP mapping (issue 18): the mapping's status in Neo4j.
    "confirm_mapping": V.confirmedMatch,
    "reject_mapping": V.rejectedMatch,
}
# Confirming a mapping withdraws an earlier rejection of it, and the other way round.
OPPOSITE_DECISION: dict[Node, URIRef] = {V.confirmedMatch: V.rejectedMatch, V.rejectedMatch: V.confirmedMatch}
Triple = tuple[Node, Node, Node]


class CurationError(ValueError):
    """A change that cannot apply (unknown concept, label absent, …); the message says which and why."""


# --- the changes --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AddLabel:
    uri: str
    label: str
    op: str = field(default="add_label", init=False)


@dataclass(frozen=True)
class RemoveLabel:
    uri: str
    label: str
    op: str = field(default="remove_label", init=False)


@dataclass(frozen=True)
class ChangeLabel:
    """Set the preferred label; the previous one is kept as an alternative label."""

    uri: str
    label: str
    op: str = field(default="change_label", init=False)


@dataclass(frozen=True)
class AddRelation:
    subject: str
    relation: RelationName
    object: str
    essential: bool = True  # for requires_skill only
    op: str = field(default="add_relation", init=False)


@dataclass(frozen=True)
class RemoveRelation:
    subject: str
    relation: RelationName
    object: str
    op: str = field(default="remove_relation", init=False)


@dataclass(frozen=True)
class MergeConcepts:
    """Merge `source` into `target`: references move to the target, labels and identifiers are kept as
    alternatives, the source is deprecated with `dct:isReplacedBy` (its URI redirects)."""

    source: str
    target: str
    op: str = field(default="merge", init=False)


@dataclass(frozen=True)
class DeprecateConcept:
    uri: str
    replaced_by: str | None = None
    op: str = field(default="deprecate", init=False)


CurationChange = AddLabel | RemoveLabel | ChangeLabel | AddRelation | RemoveRelation | MergeConcepts | DeprecateConcept
CHANGE_TYPES: dict[str, type] = {
    "add_label": AddLabel,
    "remove_label": RemoveLabel,
    "change_label": ChangeLabel,
    "add_relation": AddRelation,
    "remove_relation": RemoveRelation,
    "merge": MergeConcepts,
    "deprecate": DeprecateConcept,
}


def change_from_dict(data: dict[str, Any]) -> CurationChange:
    """Rebuild a change from its JSON form (the API's request body, an audit entry)."""
    data = dict(data)
    op = data.pop("op", None)
    if op not in CHANGE_TYPES:
        raise CurationError(f"unknown curation operation {op!r} (expected one of {', '.join(CHANGE_TYPES)})")
    try:
        change: CurationChange = CHANGE_TYPES[op](**data)
        return change
    except TypeError as error:
        raise CurationError(f"bad fields for {op}: {error}") from None


# --- applying a change --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AppliedChange:
    """What a change did: the triples added and removed, the concepts touched, before / after descriptions."""

    change: CurationChange
    audit_id: str
    at: str
    added: tuple[Triple, ...]
    removed: tuple[Triple, ...]
    affected: tuple[URIRef, ...]
    before: dict[str, Any]
    after: dict[str, Any]

    def audit_record(self, actor: str) -> dict[str, Any]:
        return {
            "audit_id": self.audit_id,
            "actor": actor,
            "at": self.at,
            "change": asdict(self.change),
            "before": self.before,
            "after": self.after,
            "added": len(self.added),
            "removed": len(self.removed),
        }


def apply_to_graph(graph: Graph, change: CurationChange) -> AppliedChange:
    """Apply the change in place if the result passes SHACL; otherwise leave the graph as it was and raise
    OntologyValidationError (with the report) or CurationError."""
    added, removed = plan(graph, change)
    added = [t for t in added if t not in graph]
    removed = [t for t in removed if t in graph]
    subjects = {t[0] for t in added + removed if isinstance(t[0], URIRef)}
    main = main_concepts(change)
    before = {str(uri): describe(graph, uri) for uri in main}
    for triple in removed:
        graph.remove(triple)
    for triple in added:
        graph.add(triple)
    report = validate_graph(graph, subjects | set(main))
    if not report.conforms:
        for triple in added:
            graph.remove(triple)
        for triple in removed:
            graph.add(triple)
        raise OntologyValidationError(report)
    after = {str(uri): describe(graph, uri) for uri in main}
    return AppliedChange(
        change,
        str(uuid.uuid4()),
        datetime.now(UTC).isoformat(timespec="seconds"),
        tuple(added),
        tuple(removed),
        tuple(sorted(subjects | set(main))),
        before,
        after,
    )


def main_concepts(change: CurationChange) -> list[URIRef]:
    if isinstance(change, MergeConcepts):
        return [URIRef(change.source), URIRef(change.target)]
    if isinstance(change, AddRelation | RemoveRelation):
        return [URIRef(change.subject)]
    return [URIRef(change.uri)]


def plan(graph: Graph, change: CurationChange) -> tuple[list[Triple], list[Triple]]:
    """The triples to add and to remove; raises CurationError when the change makes no sense on this graph."""
    for uri in main_concepts(change):
        require_concept(graph, uri)
    if isinstance(change, AddLabel):
        return [(URIRef(change.uri), SKOS.altLabel, _label(change.label))], []
    if isinstance(change, RemoveLabel):
        return _plan_remove_label(graph, change)
    if isinstance(change, ChangeLabel):
        node, old = URIRef(change.uri), graph.value(URIRef(change.uri), SKOS.prefLabel)
        if old is not None and str(old) == " ".join(change.label.split()):
            raise CurationError(f"{change.uri} already has the label {change.label!r}")
        added: list[Triple] = [(node, SKOS.prefLabel, _label(change.label))]
        if old is not None:
            added.append((node, SKOS.altLabel, old))
        removed: list[Triple] = [(node, SKOS.prefLabel, old)] if old is not None else []
        return added, [*removed, (node, SKOS.altLabel, _label(change.label))]
    if isinstance(change, AddRelation | RemoveRelation):
        triple = relation_triple(graph, change)
        if isinstance(change, AddRelation) and triple[1] in OPPOSITE_DECISION:
            return [triple], [(triple[0], OPPOSITE_DECISION[triple[1]], triple[2])]
        return ([triple], []) if isinstance(change, AddRelation) else ([], _matching_relation(graph, triple))
    if isinstance(change, MergeConcepts):
        return plan_merge(graph, URIRef(change.source), URIRef(change.target))
    return plan_deprecate(graph, change)


def _label(text: str) -> Literal:
    text = " ".join(text.split())
    if not text:
        raise CurationError("a label cannot be empty")
    return Literal(text, lang="fr")


def _plan_remove_label(graph: Graph, change: RemoveLabel) -> tuple[list[Triple], list[Triple]]:
    node = URIRef(change.uri)
    matches: list[Triple] = [
        (node, SKOS.altLabel, o) for o in graph.objects(node, SKOS.altLabel) if str(o) == change.label
    ]
    matches += [(node, SKOS.prefLabel, o) for o in graph.objects(node, SKOS.prefLabel) if str(o) == change.label]
    if not matches:
        raise CurationError(f"{change.uri} has no label {change.label!r}")
    return [], matches


def relation_triple(graph: Graph, change: AddRelation | RemoveRelation) -> Triple:
    subject, obj = URIRef(change.subject), URIRef(change.object)
    require_concept(graph, obj)
    if subject == obj:
        raise CurationError(f"{change.subject} cannot be related to itself")
    if change.relation == "requires_skill":
        essential = getattr(change, "essential", True)
        return subject, V.essentialSkill if essential else V.optionalSkill, obj
    if change.relation not in RELATION_PREDICATES:
        raise CurationError(
            f"unknown relation {change.relation!r} (expected {', '.join(RELATION_PREDICATES)}, requires_skill)"
        )
    return subject, RELATION_PREDICATES[change.relation], obj


def _matching_relation(graph: Graph, triple: Triple) -> list[Triple]:
    subject, predicate, obj = triple
    predicates = (
        [V.essentialSkill, V.optionalSkill] if predicate in (V.essentialSkill, V.optionalSkill) else [predicate]
    )
    found: list[Triple] = [(subject, p, obj) for p in predicates if (subject, p, obj) in graph]
    if not found:
        raise CurationError(f"no such relation: {subject} {predicate} {obj}")
    return found


def plan_merge(graph: Graph, source: URIRef, target: URIRef) -> tuple[list[Triple], list[Triple]]:
    if source == target:
        raise CurationError("a concept cannot be merged into itself")
    if concept_class(graph, source) != concept_class(graph, target):
        raise CurationError(f"cannot merge a {concept_class(graph, source)} into a {concept_class(graph, target)}")
    added: list[Triple] = []
    removed: list[Triple] = []
    for subject, predicate in graph.subject_predicates(source):  # references move to the target
        if subject != target and predicate != DCTERMS.isReplacedBy:
            removed.append((subject, predicate, source))
            added.append((subject, predicate, target))
    for predicate in (SKOS.prefLabel, SKOS.altLabel):
        added += [(target, SKOS.altLabel, label) for label in graph.objects(source, predicate)]
    for predicate in (V.sourceIdentifier, DCTERMS.source, SKOS.exactMatch, SKOS.closeMatch, SKOS.related):
        added += [(target, predicate, o) for o in graph.objects(source, predicate) if o != target]
    for predicate in (V.essentialSkill, V.optionalSkill):  # an occupation's skills go with it
        removed += [(source, predicate, o) for o in graph.objects(source, predicate)]
        added += [(target, predicate, o) for o in graph.objects(source, predicate)]
    added += [(source, OWL.deprecated, Literal(True)), (source, DCTERMS.isReplacedBy, target)]
    removed += [(source, OWL.deprecated, o) for o in graph.objects(source, OWL.deprecated)]
    target_label = graph.value(target, SKOS.prefLabel)
    added = [t for t in added if not (t[1] == SKOS.altLabel and t[2] == target_label)]
    return added, removed


def plan_deprecate(graph: Graph, change: DeprecateConcept) -> tuple[list[Triple], list[Triple]]:
    node = URIRef(change.uri)
    removed: list[Triple] = [(node, OWL.deprecated, o) for o in graph.objects(node, OWL.deprecated)]
    added: list[Triple] = [(node, OWL.deprecated, Literal(True))]
    if change.replaced_by:
        require_concept(graph, URIRef(change.replaced_by))
        removed += [(node, DCTERMS.isReplacedBy, o) for o in graph.objects(node, DCTERMS.isReplacedBy)]
        added.append((node, DCTERMS.isReplacedBy, URIRef(change.replaced_by)))
    return added, removed


# --- reading ------------------------------------------------------------------------------------------------
CLASS_URIS: dict[Node, str] = {V[name]: name for name in CLASSES}


def concept_class(graph: Graph, uri: URIRef) -> str | None:
    return next((CLASS_URIS[c] for c in graph.objects(uri, RDF.type) if c in CLASS_URIS), None)


def require_concept(graph: Graph, uri: URIRef) -> str:
    cls = concept_class(graph, uri)
    if cls is None:
        raise CurationError(f"unknown concept {uri}")
    return cls


def describe(graph: Graph, uri: URIRef) -> dict[str, Any]:
    """A concept's own statements as JSON: property name (Neo4j's) -> sorted values."""
    names = {**PROPERTIES, **{str(p): name for name, p in RELATION_PREDICATES.items()}}
    names.update(
        {
            str(V.essentialSkill): "essential_skill",
            str(V.optionalSkill): "optional_skill",
            str(DCTERMS.isReplacedBy): "replaced_by",
            str(RDF.type): "type",
            str(SKOS.inScheme): "in_scheme",
            str(V.gradeOf): "grade_of",
            str(V.categorie): "categorie",
            str(V.versant): "versant",
            str(V.filiere): "filiere",
        }
    )
    out: dict[str, list[str]] = {}
    for predicate, obj in graph.predicate_objects(uri):
        name = names.get(str(predicate), str(predicate))
        out.setdefault(name, []).append(str(obj))
    return {k: sorted(v) for k, v in sorted(out.items())}


def resolve(graph: Graph, uri: str) -> str:
    """Follow `dct:isReplacedBy` (merges, deprecations with a successor) to the live concept."""
    seen, node = set(), URIRef(uri)
    while (successor := graph.value(node, DCTERMS.isReplacedBy)) is not None and node not in seen:
        seen.add(node)
        node = URIRef(str(successor))
    return str(node)
