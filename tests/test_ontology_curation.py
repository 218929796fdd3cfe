"""Curation end to end: change → SHACL → audit (JSONL + :AuditEntry) → Turtle and Neo4j updated; refused
changes leave everything untouched; merge redirects; releases and diffs; search and show."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import DCTERMS, SKOS, Literal, URIRef

from graph.curation import apply_change, concept_with_neighbours, resolve_uri, search_concepts
from graph.db import Database
from graph.ontology_store import sync_concepts
from ontology.curation import (
    AddLabel,
    AddRelation,
    ChangeLabel,
    CurationError,
    DeprecateConcept,
    MergeConcepts,
    RemoveLabel,
    RemoveRelation,
    change_from_dict,
)
from ontology.diff import diff_releases
from ontology.repository import OntologyRepository
from ontology.validate import OntologyValidationError
from ontology.vocab import new_graph
from vivier.knowledge_base import import_graph, release

FIXTURES = Path(__file__).parent / "ontology_fixtures"
NS = "https://id.vivier.fr/test/"
FICHE, FICHE2, DOMAINE = NS + "fiche-K1401", NS + "fiche-K1402", NS + "dom-K14"
BUDGET, BUDGETAIRE, MARCHES = NS + "skill-budget", NS + "skill-budgetaire", NS + "skill-marches"


def node(database: Database, uri: str) -> dict[str, Any]:
    records, _, _ = database.execute_query("MATCH (n:Concept {uri: $uri}) RETURN properties(n) AS p", uri=uri)
    return dict(records[0]["p"])


def relations(database: Database, uri: str) -> set[tuple[str, str, Any]]:
    records, _, _ = database.execute_query(
        "MATCH (n:Concept {uri: $uri})-[r]->(m:Concept) RETURN type(r) AS t, m.uri AS m, r.essential AS e", uri=uri
    )
    return {(r["t"], r["m"], r["e"]) for r in records}


def cleanup(database: Database) -> None:
    database.execute_query("MATCH (n:Concept) WHERE n.uri STARTS WITH $ns DETACH DELETE n", ns=NS)
    database.execute_query("MATCH (n:Candidate {candidate_id: 'test-curation'}) DETACH DELETE n")


@pytest.fixture
def mini(database: Database, tmp_path: Path) -> Iterator[tuple[Database, OntologyRepository]]:
    """The fixture ontology as the current graph of a temporary repository, loaded in Neo4j."""
    cleanup(database)
    graph = new_graph()
    graph.parse(FIXTURES / "mini.ttl", format="turtle")
    repository = OntologyRepository(tmp_path / "ontology")
    repository.save(graph)
    import_graph(database, graph)
    yield database, repository
    cleanup(database)
    audit_ids = [e["audit_id"] for e in repository.audit_entries()]
    database.execute_query("MATCH (a:AuditEntry) WHERE a.audit_id IN $ids DETACH DELETE a", ids=audit_ids)


def turtle(repository: OntologyRepository) -> Any:
    graph = new_graph()
    graph.parse(repository.current_file, format="nt")  # the persisted file, not the in-memory graph
    return graph


def test_labels_end_to_end(mini: tuple[Database, OntologyRepository]) -> None:
    database, repository = mini
    entry = apply_change(AddLabel(FICHE, "Chargée de mission politiques publiques"), "hr:alice", database, repository)
    assert entry.actor == "hr:alice" and entry.op == "add_label"
    assert "Chargée de mission politiques publiques" not in entry.before[FICHE].get("alt_labels", [])
    assert "Chargée de mission politiques publiques" in entry.after[FICHE]["alt_labels"]
    assert "Chargée de mission politiques publiques" in node(database, FICHE)["alt_labels"]
    assert (URIRef(FICHE), SKOS.altLabel, Literal("Chargée de mission politiques publiques", lang="fr")) in turtle(
        repository
    )

    apply_change(ChangeLabel(FICHE, "Pilotage des politiques publiques"), "hr:alice", database, repository)
    props = node(database, FICHE)
    assert props["label"] == "Pilotage des politiques publiques"
    assert props["label_folded"] == "pilotage des politiques publiques"
    assert "Conception et pilotage de la politique des pouvoirs publics" in props["alt_labels"]

    apply_change(RemoveLabel(FICHE, "Chargée de mission politiques publiques"), "hr:bob", database, repository)
    assert "Chargée de mission politiques publiques" not in node(database, FICHE)["alt_labels"]
    assert {("MOBILITY", FICHE2, None), ("BROADER", DOMAINE, None)} <= relations(database, FICHE)  # re-synced whole

    audit = repository.audit_entries()
    assert [e["change"]["op"] for e in audit] == ["add_label", "change_label", "remove_label"]
    assert [e["actor"] for e in audit] == ["hr:alice", "hr:alice", "hr:bob"] and all(e["at"] for e in audit)
    records, _, _ = database.execute_query(
        "MATCH (a:AuditEntry) WHERE a.audit_id IN $ids RETURN a.op AS op, a.actor AS actor, a.before AS before, "
        "a.after AS after ORDER BY a.at",
        ids=[e["audit_id"] for e in audit],
    )
    assert len(records) == 3
    first = next(r for r in records if r["op"] == "add_label")
    assert FICHE in json.loads(first["before"]) and FICHE in json.loads(first["after"])


def test_relations_end_to_end(mini: tuple[Database, OntologyRepository]) -> None:
    database, repository = mini
    apply_change(AddRelation(FICHE, "related", FICHE2), "hr:alice", database, repository)
    apply_change(AddRelation(FICHE2, "requires_skill", MARCHES, essential=False), "hr:alice", database, repository)
    apply_change(AddRelation(FICHE, "close_match", FICHE2), "hr:alice", database, repository)
    apply_change(AddRelation(FICHE, "exact_match", NS + "app-1"), "hr:alice", database, repository)
    assert {("RELATED", FICHE2, None), ("CLOSE_MATCH", FICHE2, None), ("EXACT_MATCH", NS + "app-1", None)} <= (
        relations(database, FICHE)
    )
    assert ("REQUIRES_SKILL", MARCHES, False) in relations(database, FICHE2)

    apply_change(RemoveRelation(FICHE, "related", FICHE2), "hr:alice", database, repository)
    apply_change(RemoveRelation(FICHE2, "requires_skill", MARCHES), "hr:alice", database, repository)
    assert ("RELATED", FICHE2, None) not in relations(database, FICHE)
    assert ("REQUIRES_SKILL", MARCHES, False) not in relations(database, FICHE2)
    assert ("BROADER", DOMAINE, None) in relations(database, FICHE)  # untouched relations stay
    graph = turtle(repository)
    assert (URIRef(FICHE), SKOS.related, URIRef(FICHE2)) not in graph
    assert (URIRef(FICHE), SKOS.closeMatch, URIRef(FICHE2)) in graph


def test_refused_changes_leave_everything_untouched(mini: tuple[Database, OntologyRepository]) -> None:
    database, repository = mini
    stamp = repository.current_file.stat().st_mtime_ns
    before = relations(database, DOMAINE)
    with pytest.raises(OntologyValidationError) as error:  # a cycle: domaine below its own fiche
        apply_change(AddRelation(DOMAINE, "broader", FICHE), "hr:alice", database, repository)
    assert any(i.rule == "broader-cycle" and i.focus == DOMAINE for i in error.value.report.issues)
    with pytest.raises(OntologyValidationError, match="missing-label"):
        apply_change(
            RemoveLabel(FICHE, "Conception et pilotage de la politique des pouvoirs publics"),
            "hr:a",
            database,
            repository,
        )
    with pytest.raises(OntologyValidationError, match="a grade is under grades only"):  # across classes
        apply_change(AddRelation(NS + "grade-1", "broader", FICHE), "hr:alice", database, repository)
    with pytest.raises(CurationError, match="unknown concept"):
        apply_change(AddRelation(FICHE, "related", NS + "nowhere"), "hr:alice", database, repository)
    with pytest.raises(CurationError, match="cannot merge"):
        apply_change(MergeConcepts(FICHE, BUDGET), "hr:alice", database, repository)
    assert repository.current_file.stat().st_mtime_ns == stamp
    assert repository.audit_entries() == []
    assert relations(database, DOMAINE) == before
    assert node(database, FICHE)["label"] == "Conception et pilotage de la politique des pouvoirs publics"
    assert repository.graph().value(URIRef(FICHE), SKOS.prefLabel) is not None  # in-memory graph restored


def test_merge_redirects_the_old_uri(mini: tuple[Database, OntologyRepository]) -> None:
    database, repository = mini
    database.execute_query(
        "MERGE (c:Candidate {candidate_id: 'test-curation'}) WITH c MATCH (s:Skill {uri: $uri}) "
        "MERGE (c)-[:HAS_SKILL {confidence: 0.9}]->(s)",
        uri=BUDGETAIRE,
    )
    apply_change(MergeConcepts(BUDGETAIRE, BUDGET), "hr:alice", database, repository)
    assert resolve_uri(database, BUDGETAIRE) == BUDGET
    assert resolve_uri(database, BUDGET) == BUDGET
    old, new = node(database, BUDGETAIRE), node(database, BUDGET)
    assert old["deprecated"] is True and ("REPLACED_BY", BUDGET, None) in relations(database, BUDGETAIRE)
    assert "Techniques de gestion budgétaire" in new["alt_labels"]
    assert set(old["source_ids"]) <= set(new["source_ids"])  # every source identifier kept
    assert ("REQUIRES_SKILL", BUDGET, True) in relations(database, FICHE2)  # the reference moved
    assert not any(m == BUDGETAIRE for _, m, _ in relations(database, FICHE2))
    records, _, _ = database.execute_query(
        "MATCH (:Candidate {candidate_id: 'test-curation'})-[r:HAS_SKILL]->(s) RETURN s.uri AS uri, r.confidence AS c"
    )
    assert [(r["uri"], r["c"]) for r in records] == [(BUDGET, 0.9)]
    assert (URIRef(BUDGETAIRE), DCTERMS.isReplacedBy, URIRef(BUDGET)) in turtle(repository)


def test_deprecate(mini: tuple[Database, OntologyRepository]) -> None:
    database, repository = mini
    apply_change(DeprecateConcept(MARCHES, replaced_by=BUDGET), "hr:alice", database, repository)
    assert node(database, MARCHES)["deprecated"] is True
    assert resolve_uri(database, MARCHES) == BUDGET
    assert change_from_dict({"op": "deprecate", "uri": MARCHES}) == DeprecateConcept(MARCHES)
    with pytest.raises(CurationError, match="unknown curation operation"):
        change_from_dict({"op": "explode", "uri": MARCHES})


def test_search_and_show(mini: tuple[Database, OntologyRepository]) -> None:
    database, _ = mini
    hits = search_concepts(database, "GESTION BUDGETAIRE", limit=50)  # the real ontology may be loaded too
    assert BUDGET in [h["uri"] for h in hits if h["rank"] == 0]  # accent- and case-insensitive, exact label first
    assert hits[0]["rank"] == 0 and hits[-1]["rank"] >= hits[0]["rank"]
    assert any(h["uri"] == MARCHES for h in search_concepts(database, "commande publique", limit=500))  # alt label
    assert search_concepts(database, "k1401")[0]["code"] == "K1401"
    shown = concept_with_neighbours(database, FICHE)
    assert shown["properties"]["code"] == "K1401"
    outgoing = {(r["type"], r["uri"]) for r in shown["outgoing"]}
    assert ("BROADER", DOMAINE) in outgoing and ("REQUIRES_SKILL", BUDGET) in outgoing
    assert ("MOBILITY", FICHE2) in outgoing
    assert any(r["type"] == "CLOSE_MATCH" for r in shown["incoming"])  # from the RMFP emploi
    with pytest.raises(KeyError):
        concept_with_neighbours(database, NS + "nowhere")


def test_releases_diff_and_export_round_trip(mini: tuple[Database, OntologyRepository], tmp_path: Path) -> None:
    database, repository = mini
    release(database, "v1", "fixture", repository)
    apply_change(AddLabel(BUDGET, "Finances publiques"), "hr:alice", database, repository)
    apply_change(AddRelation(FICHE2, "related", FICHE), "hr:alice", database, repository)
    release(database, "v2", "after curation", repository)
    diff = diff_releases(repository, "v1", "v2")
    assert diff.changed_concepts == sorted([BUDGET, FICHE2]) and not diff.added_concepts
    assert diff.added_relations == [(FICHE2, "RELATED", FICHE)] and not diff.removed_relations
    assert diff_releases(repository, "v2", "current").empty
    with pytest.raises(FileExistsError):
        release(database, "v1", "", repository)
    records, _, _ = database.execute_query(
        "MATCH (r:OntologyRelease) WHERE r.version IN ['v1', 'v2'] RETURN count(r) AS n"
    )
    assert records[0]["n"] == 2
    database.execute_query("MATCH (r:OntologyRelease) WHERE r.version IN ['v1', 'v2'] DELETE r")
    exported = repository.export(tmp_path / "export.ttl")  # export → rebuild → isomorphic
    from ontology.repository import isomorphic

    rebuilt = new_graph()
    rebuilt.parse(exported, format="turtle")
    assert isomorphic(rebuilt, repository.graph())


def test_merge_on_the_real_ontology(
    ontology: Database, ontology_repository: OntologyRepository, tmp_path: Path
) -> None:
    """Two real skills of fiche K1401 merged on a copy of the ontology; Neo4j is restored afterwards."""
    original = ontology_repository.graph()
    copy = OntologyRepository(tmp_path / "ontology")
    duplicate = new_graph()
    duplicate += original
    copy.save(duplicate)  # faster than parsing a copied file
    records, _, _ = ontology.execute_query(
        "MATCH (:RomeFiche {code: 'K1401'})-[:REQUIRES_SKILL {essential: true}]->(s:Skill) "
        "RETURN s.uri AS uri ORDER BY s.uri LIMIT 2"
    )
    target, source = records[0]["uri"], records[1]["uri"]
    entry = None
    try:
        entry = apply_change(MergeConcepts(source, target), "hr:alice", ontology, copy)
        assert resolve_uri(ontology, source) == target
        found = search_concepts(ontology, node(ontology, source)["label"], limit=50)
        assert any(hit["uri"] == source and hit["deprecated"] for hit in found)
        assert ontology_repository.current_file.read_bytes() != copy.current_file.read_bytes()
    finally:
        touched = {URIRef(u) for u in (source, target)}
        touched |= {s for s, _ in original.subject_predicates(URIRef(source)) if isinstance(s, URIRef)}
        sync_concepts(ontology, original, touched)  # Neo4j back to the shared ontology
        if entry is not None:
            ontology.execute_query("MATCH (a:AuditEntry {audit_id: $id}) DELETE a", id=entry.audit_id)
    assert resolve_uri(ontology, source) == source


def test_a_build_by_other_code_is_rebuilt_but_a_curated_file_is_kept(tmp_path: Path) -> None:
    """`build.json` carries the fingerprint of the code and sources that built `ontology.ttl`: a graph built by
    other code is stale, while one saved since its build (curated, imported) is never thrown away."""
    from ontology.repository import build_fingerprint

    graph = new_graph()
    graph.parse(FIXTURES / "mini.ttl", format="turtle")
    repository = OntologyRepository(tmp_path / "ontology")
    assert repository.needs_build()  # nothing there
    repository.save(graph, built_by=build_fingerprint())
    assert not repository.needs_build()
    repository.build_file.write_text('{"fingerprint": "built by last week\'s code"}', encoding="utf-8")
    assert repository.needs_build()
    repository.save(graph)  # a curation change saves the graph: from now on it is the curators' file
    assert not repository.build_file.exists() and not repository.needs_build()
