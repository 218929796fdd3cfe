"""The knowledge base built from the real repertories: counts (catalogue and Neo4j), SHACL on the build and on
broken inputs, skill de-duplication, idempotent load, Turtle round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rdflib import DCTERMS, RDF, SKOS, Graph, Literal, URIRef

from graph.db import Database
from graph.ontology_store import graph_hash, load_ontology, ontology_counts
from ontology import uris
from ontology.catalogue import VERSANT_OF_CODE_FP, load_catalogue
from ontology.repository import OntologyRepository, isomorphic
from ontology.skills import SkillLabel, deduplicate, normalise_casing
from ontology.sources import SourceError, read_grades, read_rmfp
from ontology.text import fold
from ontology.validate import OntologyValidationError, broader_cycles, validate_graph
from ontology.vocab import CLASSES, V, new_graph
from vivier.knowledge_base import import_graph

FIXTURES = Path(__file__).parent / "ontology_fixtures"
TEST_NS = "https://id.vivier.fr/test/"
ROME_ITEM = "https://id.vivier.fr/rome/item/"
T = {name: URIRef(TEST_NS + name) for name in ("fiche-K1401", "dom-K14", "gd-K", "cadre-1", "grade-1", "skill-budget")}


def mini_graph() -> Graph:
    graph = new_graph()
    graph.parse(FIXTURES / "mini.ttl", format="turtle")
    return graph


def test_catalogue_counts_match_the_repertories() -> None:
    stats = load_catalogue().stats
    assert stats["rmfp_emplois"] == 560
    assert stats["rome_fiches"] == 532
    assert stats["rome_appellations"] == 11_096
    assert stats["mobilities"] == 4_223
    assert stats["esco_occupations"] == 3_007
    assert stats["grades"] == 920 and stats["cadres"] == 159  # NEG grades that belong to a cadre / corps
    assert stats["skill_labels"] == stats["skill_labels_rmfp"] + stats["skill_labels_rome"] + stats["skill_labels_esco"]
    assert stats["skill_labels_rome"] == 4_930 + 8_983  # savoirs + activités
    assert stats["skills"] < stats["skill_labels"]


def test_catalogue_api() -> None:
    catalogue = load_catalogue()
    fiche = catalogue.occupation("ROME", "K1401")
    assert fiche.uri == uris.rome_fiche("K1401") and fiche.family and fiche.alt_labels
    assert fiche.essential_skills and all(s in catalogue.skills for s in fiche.essential_skills + fiche.optional_skills)
    assert catalogue.appellation_to_fiche["10200"] == "F1402"
    assert {m.kind for m in catalogue.mobilities} == {"proche", "evolution"}
    assert sum(m.kind == "proche" for m in catalogue.mobilities) == 1_922
    grade = catalogue.grade("0001")
    assert (grade.versant, grade.categorie, grade.cadre_label) == ("FPT", "A", "Administrateurs territoriaux")
    assert grade.indices and grade.indices == tuple(sorted(grade.indices))
    assert {g.versant for g in catalogue.grades.values()} == set(VERSANT_OF_CODE_FP.values())
    assert all(fiches for fiches in catalogue.rmfp_to_rome.values())
    with pytest.raises(KeyError, match=r"ROME.*Z9999"):
        catalogue.occupation("ROME", "Z9999")
    domaines = {o.domain for o in catalogue.occupations_of("RMFP")}
    assert len({fold(d) for d in domaines}) == len(domaines)  # casing variants normalised
    assert "Ressources humaines" in domaines and "Ressources Humaines" not in domaines


@pytest.mark.slow
def test_skill_deduplication_rules() -> None:
    clusters = deduplicate(
        [
            SkillLabel("RMFP:connaissance:a", "Droit public", "connaissance"),
            SkillLabel("RMFP:connaissance:b", "Droit privé", "connaissance"),
            SkillLabel("https://id.vivier.fr/rome/item/1", "Droit Public", "rome_savoir"),
            SkillLabel("http://data.europa.eu/esco/skill/x", "droits publics", "esco", ("droit administratif",)),
            SkillLabel("RMFP:savoir_faire:c", "Techniques de soudage", "savoir_faire"),
            SkillLabel("https://id.vivier.fr/rome/item/2", "technique de soudage", "rome_savoir"),
            SkillLabel("RMFP:savoir_faire:d", "Gérer les contrats", "savoir_faire"),
            SkillLabel("https://id.vivier.fr/rome/item/3", "gérer des contrats", "rome_savoir_faire"),
            SkillLabel(ROME_ITEM + "4", "Intervenir sur des tuyauteries basse pression", "rome_savoir_faire"),
            SkillLabel(ROME_ITEM + "5", "Intervenir sur des tuyauteries à haute pression", "rome_savoir_faire"),
            SkillLabel(ROME_ITEM + "6", "Appliquer des peintures", "rome_savoir_faire"),
            SkillLabel(ROME_ITEM + "7", "Appliquer une peinture", "rome_savoir_faire"),
        ]
    )
    merged = next(c for c in clusters if "RMFP:connaissance:a" in c.sources)
    assert set(merged.sources) == {
        "RMFP:connaissance:a",
        "https://id.vivier.fr/rome/item/1",
        "http://data.europa.eu/esco/skill/x",
    }
    assert merged.kind == "connaissance" and merged.label == "Droit public"
    assert "droit administratif" in merged.alt_labels
    assert len(clusters) == 7  # "droit privé" and the two pressures stay apart
    by_source = {source: c for c in clusters for source in c.sources}
    assert by_source["RMFP:savoir_faire:c"] is by_source["https://id.vivier.fr/rome/item/2"]  # plural, case
    assert by_source["RMFP:savoir_faire:d"] is by_source["https://id.vivier.fr/rome/item/3"]  # article
    assert by_source[ROME_ITEM + "4"] is not by_source[ROME_ITEM + "5"]
    assert by_source[ROME_ITEM + "6"] is by_source[ROME_ITEM + "7"]  # lemmas: peintures = peinture
    assert normalise_casing(["Ressources Humaines", "Ressources humaines", "Ressources Humaines"]) == {
        "Ressources Humaines": "Ressources humaines",
        "Ressources humaines": "Ressources humaines",
    }


def test_source_errors_name_file_record_and_field(tmp_path: Path) -> None:
    broken = tmp_path / "metiers.json"
    broken.write_text(json.dumps([{"code": "FPTST001", "domaine": "Achat", "famille": "Achat", "intitule": ""}]))
    with pytest.raises(SourceError) as error:
        read_rmfp(broken)
    assert (error.value.record, error.value.field) == ("FPTST001", "intitule")
    assert str(broken) in str(error.value)
    (tmp_path / "neg_cadre_corps.csv").write_text("code_grade_NEG;libelle\n0001;X\n", encoding="cp1252")
    with pytest.raises(SourceError, match="code_FP"):
        read_grades("neg_cadre_corps.csv", ("code_grade_NEG", "code_FP"), grades_dir=tmp_path)


def test_the_fixture_ontology_conforms() -> None:
    report = validate_graph(mini_graph())
    assert report.conforms, str(report)


def _broken(kind: str) -> tuple[Graph, str, str]:
    """A broken copy of the fixture: (graph, concept that must be reported, rule)."""
    graph = mini_graph()
    if kind == "missing label":
        graph.remove((T["fiche-K1401"], SKOS.prefLabel, None))
        return graph, str(T["fiche-K1401"]), "missing-label"
    if kind == "broader cycle":
        graph.add((T["gd-K"], SKOS.broader, T["fiche-K1401"]))
        return graph, str(T["gd-K"]), "broader-cycle"
    if kind == "unknown categorie":
        graph.set((URIRef(TEST_NS + "cat-A"), SKOS.notation, Literal("E")))
        return graph, TEST_NS + "cat-A", "unknown-categorie"
    if kind == "dangling reference":
        graph.set((T["grade-1"], V.gradeOf, URIRef(TEST_NS + "cadre-404")))
        return graph, str(T["grade-1"]), "grade-of"
    graph.add((T["skill-budget"], DCTERMS.isReplacedBy, URIRef(TEST_NS + "nowhere")))
    return graph, str(T["skill-budget"]), "dangling-reference"


@pytest.mark.parametrize(
    "kind", ["missing label", "broader cycle", "unknown categorie", "dangling reference", "dangling replacement"]
)
def test_broken_input_is_reported_and_nothing_is_loaded(kind: str, database: Database) -> None:
    graph, concept, rule = _broken(kind)
    report = validate_graph(graph)
    assert not report.conforms
    assert any(i.focus == concept and i.rule == rule for i in report.issues), report.issues
    with pytest.raises(OntologyValidationError) as error:
        import_graph(database, graph)
    assert concept in str(error.value)
    records, _, _ = database.execute_query(
        "MATCH (n:Concept) WHERE n.uri STARTS WITH $ns RETURN count(n) AS n", ns=TEST_NS
    )
    assert records[0]["n"] == 0


def test_focused_validation_sees_a_cycle_through_the_focus() -> None:
    graph, concept, _ = _broken("broader cycle")  # grand domaine -> fiche -> domaine -> grand domaine
    report = validate_graph(graph, focus=[T["fiche-K1401"]])  # the fiche's own statements are all fine
    assert [(i.focus, i.rule) for i in report.issues] == [(str(T["fiche-K1401"]), "broader-cycle")]
    rules = {i.rule for i in validate_graph(graph, focus=[URIRef(concept)]).issues}
    assert rules == {"broader-cycle", "hierarchy"}  # and a grand domaine is a top concept


def test_build_passes_shacl_on_every_class(ontology_repository: OntologyRepository) -> None:
    """`vivier ontology build` validates the whole graph before saving it (30–170 s here, too slow for the test
    suite); the test validates ~100 concepts of every class and ~200 mobilities (with what they point to), and
    looks for broader cycles in the whole graph."""
    graph = ontology_repository.graph()
    focus: list[URIRef] = []
    for name in (*CLASSES, "Mobility"):
        members = sorted(s for s in graph.subjects(RDF.type, V[name]) if isinstance(s, URIRef))
        assert members, name
        focus += members[:: max(1, len(members) // (200 if name == "Mobility" else 100))]
    report = validate_graph(graph, focus)
    assert report.conforms, str(report)
    assert broader_cycles(graph) == []


def test_neo4j_counts_match_the_repertories(ontology: Database) -> None:
    counts = ontology_counts(ontology)
    stats = load_catalogue().stats
    assert counts["EmploiReference"] == 560
    assert counts["RomeFiche"] == 532
    assert counts["RomeAppellation"] == 11_096
    assert counts["MOBILITY"] == 4_223
    assert counts["EscoOccupation"] == 3_007
    assert counts["Grade"] == stats["grades"] == 920
    assert counts["CadreEmplois"] == stats["cadres"] == 159
    assert counts["Skill"] == stats["skills"]
    assert counts["Versant"] == 3
    records, _, _ = ontology.execute_query(
        "MATCH (:RomeFiche)-[r:MOBILITY]->(:RomeFiche) RETURN r.kind AS kind, count(*) AS n ORDER BY kind"
    )
    assert {r["kind"]: r["n"] for r in records} == {"evolution": 2_301, "proche": 1_922}
    records, _, _ = ontology.execute_query(
        "MATCH (n:Concept) WHERE n.uri IS NULL OR n.source IS NULL OR n.source = '' OR n.label IS NULL "
        "RETURN count(n) AS n"
    )
    assert records[0]["n"] == 0  # every node keeps its URI, label and source


def test_neo4j_keeps_the_statutory_structure(ontology: Database) -> None:
    records, _, _ = ontology.execute_query(
        "MATCH (g:Grade {code: '0001'})-[:GRADE_OF]->(c:CadreEmplois)-[:IN_VERSANT]->(v:Versant) "
        "MATCH (c)-[:IN_CATEGORIE]->(cat:Categorie) MATCH (c)-[:IN_FILIERE]->(f:Filiere) "
        "RETURN c.label AS cadre, v.code AS versant, cat.code AS categorie, f.label AS filiere, g.indices AS indices"
    )
    row: dict[str, Any] = dict(records[0])
    assert row["cadre"] == "Administrateurs territoriaux" and row["versant"] == "FPT" and row["categorie"] == "A"
    assert row["filiere"] == "Administrative" and row["indices"]
    records, _, _ = ontology.execute_query(
        "MATCH (f:RomeFiche {code: 'K1401'})-[r:REQUIRES_SKILL]->(:Skill) RETURN r.essential AS e, count(*) AS n"
    )
    assert {r["e"] for r in records} == {True, False}


def test_reload_is_idempotent(ontology: Database, ontology_repository: OntologyRepository) -> None:
    before = ontology_counts(ontology)
    summary = load_ontology(
        ontology, ontology_repository.graph(), force=True, mark_file=ontology_repository.current_file
    )
    assert summary.loaded and summary.counts == before


def test_turtle_round_trip(tmp_path: Path, ontology_repository: OntologyRepository) -> None:
    graph = ontology_repository.graph()
    part = new_graph()  # every statement of one concept in 20 (the whole graph takes ~70 s under load)
    for subject in sorted(str(s) for s in graph.subjects(RDF.type, SKOS.Concept))[::20]:
        for triple in graph.triples((URIRef(subject), None, None)):
            part.add(triple)
    path = tmp_path / "export.ttl"
    path.write_bytes(part.serialize(format="turtle", encoding="utf-8"))
    again = new_graph()
    again.parse(path, format="turtle")
    assert len(again) == len(part) > 10_000 and graph_hash(again) == graph_hash(part)
    small = mini_graph()
    round_tripped = new_graph()
    round_tripped.parse(data=small.serialize(format="turtle"), format="turtle")
    assert isomorphic(small, round_tripped)


def test_every_concept_has_a_type_and_scheme(ontology_repository: OntologyRepository) -> None:
    graph = ontology_repository.graph()
    concepts = set(graph.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) > 40_000
    assert all(graph.value(c, V.scheme) is not None for c in list(concepts)[:2000])
