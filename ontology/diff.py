"""Differences between two versions of the ontology: concepts added / removed / changed, relations added /
removed (what `vivier ontology diff v1 v2` prints)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rdflib import RDF, SKOS, Graph, URIRef

from ontology.vocab import RELATIONS

if TYPE_CHECKING:
    from ontology.repository import OntologyRepository


@dataclass
class OntologyDiff:
    added_concepts: list[str] = field(default_factory=list)
    removed_concepts: list[str] = field(default_factory=list)
    changed_concepts: list[str] = field(default_factory=list)
    added_relations: list[tuple[str, str, str]] = field(default_factory=list)
    removed_relations: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.added_concepts
            or self.removed_concepts
            or self.changed_concepts
            or self.added_relations
            or self.removed_relations
        )

    def counts(self) -> dict[str, int]:
        names = ("added_concepts", "removed_concepts", "changed_concepts", "added_relations", "removed_relations")
        return {name: len(getattr(self, name)) for name in names}


def concepts(graph: Graph) -> set[URIRef]:
    return {s for s in graph.subjects(RDF.type, SKOS.Concept) if isinstance(s, URIRef)}


def diff_graphs(old: Graph, new: Graph) -> OntologyDiff:
    """Set differences of triples, grouped by subject. A concept is *changed* when any of its own statements
    differ; relations (object properties between concepts) are also listed one by one."""
    removed_triples, added_triples = set(old - new), set(new - old)
    old_concepts, new_concepts = concepts(old), concepts(new)
    result = OntologyDiff(
        added_concepts=sorted(str(c) for c in new_concepts - old_concepts),
        removed_concepts=sorted(str(c) for c in old_concepts - new_concepts),
    )
    touched = {t[0] for t in removed_triples | added_triples} & old_concepts & new_concepts
    result.changed_concepts = sorted(str(c) for c in touched)
    relation_predicates = {URIRef(p) for p in RELATIONS}
    for triples, target in ((added_triples, result.added_relations), (removed_triples, result.removed_relations)):
        target.extend(sorted((str(s), _short(p), str(o)) for s, p, o in triples if p in relation_predicates))
    return result


def _short(predicate: object) -> str:
    return RELATIONS[str(predicate)][0]


def diff_releases(repository: OntologyRepository, v1: str, v2: str) -> OntologyDiff:
    """Concepts and relations added / removed / changed between two releases ('current' = the working graph)."""

    def graph_of(version: str) -> Graph:
        return repository.graph() if version == "current" else repository.release_graph(version)

    return diff_graphs(graph_of(v1), graph_of(v2))
