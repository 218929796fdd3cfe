"""Computed RMFP → ROME 4.0 / ESCO mappings and the moves derived through them (issue 18, parts 2-3): the method's
pieces, the stored candidates with their provenance, HR curation of a mapping end to end, the figures' writer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from rdflib import RDF, XSD, Literal, URIRef

from graph.curation import apply_change
from graph.db import Database
from graph.ontology_store import computed_mappings
from ontology.catalogue import load_catalogue
from ontology.curation import AddRelation
from ontology.mappings import (
    MOVE_METHOD,
    Candidate,
    Side,
    derive_rmfp_moves,
    famille_consensus,
    official_pairs,
    stem,
    words,
)
from ontology.mappings_report import read_sample, sample_figures, write_block
from ontology.repository import OntologyRepository
from ontology.rome4 import Rome4, Rome4Fiche, Rome4Move, read_rome4
from ontology.vocab import V, new_graph
from vivier.knowledge_base import import_graph

FIXTURES = Path(__file__).parent / "ontology_fixtures"
T = "https://id.vivier.fr/test/"


def test_words_fold_gender_and_plural() -> None:
    assert stem("agents") == stem("agent") == stem("agente")
    assert set(words("Chargée / Chargé des Marchés publics").split()) == {"charg", "march", "public"}


def candidate(emploi: str, code: str, rank: int, score: float) -> Candidate:
    return Candidate(emploi, f"{T}{code}", "ROME4", code, code, rank, score, "relatedMatch")


def fiche(code: str) -> Rome4Fiche:
    return Rome4Fiche(code, code, code, (), "", "")


def test_moves_follow_rome4_moves_through_the_mappings() -> None:
    rome4 = Rome4(
        {c: fiche(c) for c in ("A", "B", "C")},
        [Rome4Move("A", "B", 1), Rome4Move("A", "C", 4), Rome4Move("B", "A", 2)],
    )
    candidates = [
        candidate("FP1", "A", 1, 0.9),
        candidate("FP2", "B", 1, 0.8),
        candidate("FP3", "C", 1, 0.7),
        candidate("FP3", "A", 2, 0.7),  # FP3 shares fiche A with FP1: half its mapping weight
    ]
    moves = {(m.source, m.target): m for m in derive_rmfp_moves(candidates, rome4)}
    assert moves[("FP1", "FP2")].weight == 1.0  # rank 1, full mapping weight on both ends
    assert moves[("FP1", "FP3")].weight == pytest.approx(0.5 * 0.25)  # rank 4, FP3 maps half to C
    assert moves[("FP1", "FP2")].via == (("A", "B"),) and moves[("FP1", "FP2")].kind == "rome4"
    assert ("FP2", "FP1") in moves and ("FP2", "FP3") in moves  # B → A reaches both emplois mapped to A
    assert all(m.source != m.target for m in moves.values())


def test_famille_consensus_leaves_the_emploi_out() -> None:
    source = Side(["e1", "e2", "e3"], ["E1", "E2", "E3"], [["a"]] * 3, [""] * 3, [frozenset()] * 3, ["f", "f", "g"])
    target = Side(["t1", "t2"], ["K1401", "M1203"], [["a"]] * 2, [""] * 2, [frozenset()] * 2, ["K14", "M12"])
    scores = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    consensus = famille_consensus(scores, source, target, top=1)
    assert consensus[0].tolist() == [0.0, 1.0]  # E1's famille-mate E2 voted M12
    assert consensus[2].tolist() == [0.0, 0.0]  # E3 is alone in its famille


@pytest.mark.slow
def test_the_official_pairs_resolve_to_rome4() -> None:
    catalogue, rome4 = load_catalogue(), read_rome4()
    resolved, strict = official_pairs(catalogue, rome4), official_pairs(catalogue, rome4, resolved=False)
    assert len(resolved) == len(strict) == 59
    assert all(len(strict[code]) == 1 for code in strict)  # the official appellation's fiche today
    assert all(rome4.fiches[c].parent in catalogue.rmfp_to_rome[code] for code in resolved for c in resolved[code])


def test_the_sample_is_hand_checked_and_measured() -> None:
    verdicts = read_sample()
    assert len({e for e, _ in verdicts}) == 100 and len(verdicts) >= 300
    top = [candidate(e, code, rank, 1.0) for rank, (e, code) in enumerate(sorted(verdicts)[:3], start=1)]
    figures = sample_figures(top, verdicts)
    assert figures["judged"] == 3 and figures["unjudged"] == 0


def test_figures_replace_only_their_block(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("before\n<!-- x:start (note) -->\nold\n<!-- x:end -->\nafter\n", encoding="utf-8")
    assert write_block("x", "new\n", doc) and not write_block("x", "new\n", doc)
    assert doc.read_text(encoding="utf-8") == "before\n<!-- x:start (note) -->\nnew\n<!-- x:end -->\nafter\n"


def test_every_emploi_has_stored_candidates_with_provenance(ontology: Database) -> None:
    records, _, _ = ontology.execute_query(
        "MATCH (e:EmploiReference)-[m:COMPUTED_MATCH]->(t) "
        "RETURN count(DISTINCT e) AS emplois, count(m) AS n, collect(DISTINCT m.provenance) AS provenance, "
        "collect(DISTINCT t.scheme) AS schemes, collect(DISTINCT m.status) AS status"
    )
    row = records[0]
    assert row["emplois"] == 560 and row["n"] == 560 * 10
    assert row["provenance"] == ["computed"] and set(row["schemes"]) == {"ROME4", "ESCO"}
    found = computed_mappings(ontology, "FPDIR004")
    assert [m["rank"] for m in found if m["scheme"] == "ROME4"] == [1, 2, 3, 4, 5]
    evidence = json.loads(found[0]["evidence"])
    assert {"labels", "signals", "shared_skills", "shared_words"} <= set(evidence)
    assert found[0]["method_version"] and found[0]["status"] in ("proposed", "confirmed", "rejected")
    records, _, _ = ontology.execute_query(
        "MATCH (:EmploiReference)-[m:CAREER_STEP {kind: 'job_move', basis: 'rome4'}]->(:EmploiReference) "
        "RETURN count(m) AS n, min(m.weight) AS low, max(m.weight) AS high, collect(DISTINCT m.provenance) AS p, "
        "count(m.via) AS with_via"
    )
    row = records[0]
    assert row["n"] > 4_000 and 0 < row["low"] <= row["high"] == 1.0 and row["with_via"] == row["n"]
    assert row["p"] == [f"computed:{MOVE_METHOD}"]


@pytest.fixture
def mapped(database: Database, tmp_path: Path) -> Iterator[tuple[Database, OntologyRepository]]:
    """The fixture ontology plus a ROME 4.0 fiche and one computed mapping to it, in a temporary repository."""
    database.execute_query("MATCH (n:Concept) WHERE n.uri STARTS WITH $ns DETACH DELETE n", ns=T)
    graph = new_graph()
    graph.parse(FIXTURES / "mini.ttl", format="turtle")
    fiche4, mapping = URIRef(f"{T}fiche4-K1401"), URIRef(f"{T}mapping-1")
    graph.parse(
        data=f"""@prefix v: <https://id.vivier.fr/vocab#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix dct: <http://purl.org/dc/terms/> .
        <{fiche4}> a v:Rome4Fiche, skos:Concept ; skos:prefLabel "Cadre de la fonction publique"@fr ;
            skos:notation "K1401" ; skos:broader <{T}dom-K14> ; v:romeParent <{T}fiche-K1401> ;
            v:scheme "ROME4" ; dct:source "test fixture" .""",
        format="turtle",
    )
    graph.add((mapping, RDF.type, V.ComputedMapping))
    graph.add((mapping, V.mappingFrom, URIRef(f"{T}emploi-1")))
    graph.add((mapping, V.mappingTo, fiche4))
    for predicate, value in ((V.mappingRelation, "closeMatch"), (V.rank, 1), (V.provenance, "computed")):
        graph.add((mapping, predicate, Literal(value)))
    graph.add((mapping, V.methodVersion, Literal("1")))
    graph.add((mapping, V.score, Literal(0.7, datatype=XSD.double)))
    repository = OntologyRepository(tmp_path / "ontology")
    repository.save(graph)
    import_graph(database, graph)
    yield database, repository
    database.execute_query("MATCH (n:Concept) WHERE n.uri STARTS WITH $ns DETACH DELETE n", ns=T)
    ids = [e["audit_id"] for e in repository.audit_entries()]
    database.execute_query("MATCH (a:AuditEntry) WHERE a.audit_id IN $ids DETACH DELETE a", ids=ids)


def status(database: Database) -> list[str]:
    records, _, _ = database.execute_query(
        "MATCH (:Concept {uri: $uri})-[m:COMPUTED_MATCH]->() RETURN m.status AS status", uri=f"{T}emploi-1"
    )
    return [r["status"] for r in records]


def test_hr_experts_confirm_or_reject_a_mapping(mapped: tuple[Database, OntologyRepository]) -> None:
    database, repository = mapped
    emploi, fiche4 = f"{T}emploi-1", f"{T}fiche4-K1401"
    assert status(database) == ["proposed"]
    entry = apply_change(AddRelation(emploi, "confirm_mapping", fiche4), "hr:alice", database, repository)
    assert status(database) == ["confirmed"] and entry.actor == "hr:alice"
    apply_change(AddRelation(emploi, "reject_mapping", fiche4), "hr:bob", database, repository)
    assert status(database) == ["rejected"]
    graph = repository.graph()
    assert (URIRef(emploi), V.confirmedMatch, URIRef(fiche4)) not in graph  # the rejection replaced it
    assert len(repository.audit_entries()) == 2
