"""The career ladder (issue 18, parts 3-4): grades ordered within their cadre, cadres linked C → B → A and across
versants, moves between RMFP emplois-référence, and routes that chain job moves and statutory steps, on the real
repertories (the catalogue, the built ontology, the ontology loaded in Neo4j)."""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any

import pytest
from rdflib import RDF, Literal, URIRef

from graph import explain
from graph.db import Database
from graph.ontology_store import career_coverage
from ontology import uris
from ontology.catalogue import load_catalogue
from ontology.ladder import (
    PROVENANCE,
    ROME4_BASIS,
    TO_CHECK,
    CareerStep,
    Ladder,
    build_ladder,
    climbs_categorie,
    grade_level,
    grade_line,
    merge_job_moves,
    rome4_job_moves,
)
from ontology.mappings import MOVE_METHOD, compute_mappings, derive_rmfp_moves
from ontology.repository import OntologyRepository
from ontology.rome4 import load_rome4
from ontology.validate import validate_graph
from ontology.vocab import CAREER_STEP_KINDS, V
from vivier.commands.ontology import coverage_markdown, write_coverage

ADJOINTS, REDACTEURS, ATTACHES = (uris.cadre_emplois(code) for code in ("5", "4", "2"))  # FPT, administrative
ADJOINTS_HOSPITALIERS = uris.cadre_emplois("40")  # FPH, catégorie C


@functools.cache
def ladder() -> Ladder:
    """The ladder as `vivier ontology build` makes it: with the job moves derived from ROME 4.0."""
    catalogue, rome4 = load_catalogue(), load_rome4()
    derived = derive_rmfp_moves(compute_mappings(catalogue, rome4).candidates, rome4)
    return build_ladder(catalogue, rome4_job_moves(derived, catalogue))


def labels(uri_list: list[str]) -> list[str]:
    grades = load_catalogue().grades
    return [grades[u].label for u in uri_list]


def steps(kind: str, source: str | None = None) -> list[Any]:
    return [s for s in ladder().of_kind(kind) if source is None or s.source == source]


def test_grade_levels_read_the_neg_labels() -> None:
    ordered = [
        "Adjoint administratif de 2eme classe",
        "Adjoint administratif de 1ere classe",
        "Adjoint administratif principal 2e classe",
        "Adjoint administratif principal 1e classe",
    ]
    assert [grade_level(label) for label in ordered] == sorted(grade_level(label) for label in ordered)
    assert len({grade_level(label) for label in ordered}) == 4
    assert grade_level("Redacteur (1er grade)") < grade_level("Redacteur principal 2eme classe (2eme grade)")
    assert grade_level("Attache principal") < grade_level("Attache hors classe") < grade_level("Directeur territorial")
    assert grade_line("Aide soignant cl normale (e04)") == grade_line("Aide soignant cl superieure (e05)")
    assert grade_line("Masseur kinesitherapeute cadre sante") == grade_line("Masseur kine cadre sup sante")
    assert grade_line("Aide soignant cl normale (e04)") != grade_line("Auxiliaire puericulture cl sup (e05 aide)")


def test_grades_of_a_cadre_are_ordered() -> None:
    """Avancement de grade: each cadre's current grades in the order of the statutes, one step to the next."""
    catalogue, ranks = load_catalogue(), ladder().ranks

    def chain(cadre: str) -> list[str]:
        members = [g for g in catalogue.grades.values() if g.cadre_uri == cadre and g.uri in ranks]
        return [g.label for g in sorted(members, key=lambda g: ranks[g.uri])]

    assert chain(ADJOINTS) == [
        "Adjoint administratif de 2eme classe",
        "Adjoint administratif de 1ere classe",
        "Adjoint administratif principal 2e classe",
        "Adjoint administratif principal 1e classe",
    ]
    assert chain(REDACTEURS) == [
        "Redacteur (1er grade)",
        "Redacteur principal 2eme classe (2eme grade)",
        "Redacteur principal 1ere classe (3eme grade)",
    ]
    assert chain(ATTACHES) == ["Attache", "Attache principal", "Directeur territorial"]
    for step in steps("avancement_de_grade"):  # up one level, within one cadre and one catégorie
        a, b = catalogue.grades[step.source], catalogue.grades[step.target]
        assert a.cadre_uri == b.cadre_uri and a.categorie == b.categorie and ranks[b.uri] == ranks[a.uri] + 1
        assert step.requirement.startswith(TO_CHECK)
    # a cadre of several specialities keeps each on its own line
    aide_soignant = next(g for g in catalogue.grades.values() if g.label == "Aide soignant cl normale (e04)")
    assert labels([s.target for s in steps("avancement_de_grade", aide_soignant.uri)]) == [
        "Aide soignant cl superieure (e05)"
    ]
    # the pay scale says how long the origin grade's échelons last
    assert any(s.years_in_grade and "ans" in s.requirement for s in steps("avancement_de_grade"))


def test_cadres_are_linked_from_c_to_b_to_a_within_a_filiere() -> None:
    """Promotion interne and concours: adjoints administratifs → rédacteurs → attachés (FPT, administrative)."""
    by_pair = Counter((s.source, s.target, s.kind) for s in ladder().steps)
    for lower, upper in ((ADJOINTS, REDACTEURS), (REDACTEURS, ATTACHES)):
        assert by_pair[(lower, upper, "promotion_interne")] == 1
        assert by_pair[(lower, upper, "concours")] == 1
    assert not by_pair[(ATTACHES, REDACTEURS, "promotion_interne")]  # never down
    catalogue = load_catalogue()
    cadre_of = {g.cadre_uri: g for g in catalogue.grades.values()}
    for step in steps("promotion_interne") + steps("concours"):
        a, b = cadre_of[step.source], cadre_of[step.target]
        assert a.versant == b.versant
        assert TO_CHECK in step.requirement
    assert all("concours" in s.requirement for s in steps("concours"))


def test_detachement_joins_comparable_cadres_of_two_versants() -> None:
    detachements = {(s.source, s.target) for s in steps("detachement")}
    assert (ADJOINTS, ADJOINTS_HOSPITALIERS) in detachements and (ADJOINTS_HOSPITALIERS, ADJOINTS) in detachements
    cadre_of = {g.cadre_uri: g for g in load_catalogue().grades.values()}
    for a, b in detachements:
        assert cadre_of[a].versant != cadre_of[b].versant


def test_every_emploi_reference_has_job_moves() -> None:
    emplois = {o.uri for o in load_catalogue().occupations_of("RMFP")}
    moves = steps("job_move")
    assert len(emplois) == 560 and {m.source for m in moves} == emplois
    assert {m.basis for m in moves} == {"famille", "domaine", "competences", ROME4_BASIS}
    derived = [m for m in moves if m.basis == ROME4_BASIS]
    assert len({m.source for m in derived}) > 500 and all(m.via and " → " in m.via[0] for m in derived)
    assert all(0 < m.weight <= 1 and m.source != m.target for m in moves)
    occupations = load_catalogue().occupations
    assert not [m for m in moves if climbs_categorie(occupations[m.source].label, occupations[m.target].label)]
    assert climbs_categorie("Agente / Agent d'accueil", "Directrice / Directeur de la communication")


def test_a_move_derived_from_rome4_takes_the_place_of_the_catalogue_s_own() -> None:
    """One job move per pair of emplois: the derived one (basis rome4, its provenance) with the heavier weight."""
    own = [
        CareerStep("a", "b", "job_move", "famille", TO_CHECK, 0.8),
        CareerStep("a", "c", "job_move", "domaine", TO_CHECK, 0.3),
    ]
    derived = [CareerStep("a", "b", "job_move", ROME4_BASIS, TO_CHECK, 0.5, provenance="computed:x", via=("K1 → K2",))]
    merged = {(s.source, s.target): s for s in merge_job_moves(own, derived)}
    assert len(merged) == 2 and merged[("a", "c")] == own[1]
    assert (merged[("a", "b")].basis, merged[("a", "b")].weight, merged[("a", "b")].via) == ("rome4", 0.8, ("K1 → K2",))
    assert merged[("a", "b")].provenance == "computed:x" and merged[("a", "b")].uri == own[0].uri


def test_every_step_says_its_kind_requirement_and_provenance(ontology_repository: OntologyRepository) -> None:
    """In the built ontology, and the SHACL shape rejects a step without them."""
    graph = ontology_repository.graph()
    members = sorted(s for s in graph.subjects(RDF.type, V.CareerStep) if isinstance(s, URIRef))
    assert len(members) == len(ladder().steps)
    kinds = Counter(str(graph.value(s, V.stepKind)) for s in members)
    assert set(kinds) == set(CAREER_STEP_KINDS)
    assert {str(graph.value(s, V.provenance)) for s in members} == {PROVENANCE, f"computed:{MOVE_METHOD}"}
    report = validate_graph(graph, members[:: max(1, len(members) // 200)])
    assert report.conforms, str(report)
    broken = URIRef(uris.BASE + "career/broken")
    graph.add((broken, RDF.type, V.CareerStep))
    try:
        graph.add((broken, V.stepKind, Literal("teleportation")))
        graph.add((broken, V.stepFrom, URIRef(uris.grade("0014"))))
        rules = {i.rule for i in validate_graph(graph, [broken]).issues}
    finally:
        graph.remove((broken, None, None))
    assert rules == {"career-step"}


@pytest.mark.slow
def test_next_steps_for_every_emploi_reference(ontology: Database) -> None:
    """In Neo4j: every one of the 560 emplois-référence has next steps, « secrétaire de mairie » included."""
    coverage = career_coverage(ontology)
    assert coverage["emplois"] == coverage["emplois_with_next_steps"] == 560
    assert coverage["grades_ordered"] == len(ladder().ranks)
    secretaire = explain.career_steps_from(ontology, uris.rmfp_emploi("FPDIR004"), k=5)
    assert len(secretaire) == 5 and {s["kind"] for s in secretaire} == {"job_move"}
    grade = explain.career_steps_from(ontology, uris.grade("0162"), k=50)  # adjoint administratif principal 1e cl.
    assert {"promotion_interne", "concours", "detachement"} <= {s["kind"] for s in grade}
    # every emploi has a ROME mapping now: 59 by the official crosswalk, 560 by computed ROME 4.0 candidates
    assert coverage["emplois_with_rome_mapping"] == coverage["emplois_with_computed_rome4_mapping"] == 560
    assert coverage["emplois_with_official_rome_mapping"] == 59 and coverage["job_moves_rome4"] > 4_000
    rome4_moves = [
        s for s in explain.career_steps_from(ontology, uris.rmfp_emploi("FPDIR004"), k=50) if s["basis"] == "rome4"
    ]
    assert rome4_moves and all(s["kind"] == "job_move" and s["provenance"].endswith(MOVE_METHOD) for s in rome4_moves)
    markdown = coverage_markdown(coverage, "today")
    assert "| emplois-référence with next steps (`CAREER_STEP` out) | 560 of 560 | 100% |" in markdown
    assert "| emplois-référence with a ROME mapping (official crosswalk or computed) | 560 of 560 | 100% |" in markdown


def test_coverage_block_is_replaced_in_place(tmp_path: Any) -> None:
    page = tmp_path / "ontology.md"
    page.write_text("# Title\n\ntext\n", encoding="utf-8")
    figures = {key: 1 for key in ("emplois", "grades", "cadres")} | {"steps_job_move": 3}
    figures |= {key: 1 for key in ("emplois_with_next_steps", "emplois_with_rome_mapping", "grades_ordered")}
    figures |= {f"emplois_with_{k}_mapping": 1 for k in ("official_rome", "computed_rome4", "confirmed_rome4")}
    figures |= {"job_moves_rome4": 2, "job_moves_famille": 1}
    figures |= {key: 0 for key in ("emplois_typical_of_a_cadre", "grades_current", "cadres_with_grade_ladder")}
    figures |= {key: 0 for key in ("cadres_linked_across_categories", "cadres_with_detachement")}
    figures |= {"cadres_with_typical_emplois": 0}
    assert write_coverage(coverage_markdown(figures, "day one"), page)
    assert not write_coverage(coverage_markdown(figures, "day one"), page)
    assert write_coverage(coverage_markdown(figures, "day two"), page)
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\ntext\n") and text.count("career-coverage:start") == 1 and "day two" in text


@pytest.mark.slow
def test_route_adjoint_administratif_redacteur_attache(ontology: Database) -> None:
    """« Adjoint administratif → rédacteur → attaché »: statutory steps with their kind, requirement, the other
    way to take them, and the skills to acquire at each."""
    routes = explain.career_paths(ontology, ADJOINTS, ATTACHES, k=3)
    best = routes[0]
    assert [c["uri"] for c in best["concepts"]] == [ADJOINTS, REDACTEURS, ATTACHES]
    for step in best["steps"]:
        assert {step["kind"], *step["alternatives"]} == {"promotion_interne", "concours"}
        assert TO_CHECK in step["requirement"] and step["provenance"] == PROVENANCE
        assert step["skills_to_acquire"]


@pytest.mark.slow
def test_a_route_chains_job_moves_and_statutory_steps(ontology: Database) -> None:
    """From an adjoint administratif's grade to « Attaché de presse »: into the grade's cadre, promotion interne
    (or concours) to rédacteur, one of the rédacteurs' jobs, a job move; never from one cadre to another through a
    job they share."""
    routes = explain.career_paths(ontology, uris.grade("0162"), uris.rmfp_emploi("FPCOM010"), k=3)
    kinds = [[s["kind"] for s in route["steps"]] for route in routes]
    assert all(k[0] == "cadre" for k in kinds)
    assert any({"promotion_interne", "job_move"} <= set(k) for k in kinds), kinds
    cadre = uris.cadre_emplois("x").removesuffix("x")
    for route in routes:
        for step in route["steps"][1:]:
            if step["kind"] == "emploi":  # a cadre → one of its jobs, never a job → another cadre mid-route
                assert step["from"]["uri"].startswith(cadre)
    job = explain.career_paths(ontology, uris.rmfp_emploi("FPDIR004"), uris.rmfp_emploi("FPCOM010"), k=2)
    assert job and all(step["kind"] for route in job for step in route["steps"])


@pytest.mark.slow
def test_match_explanations_route_through_the_ladder(ontology: Database) -> None:
    """The candidate–offer explanation's career route (graph.explain.routes_to) between public-service concepts
    is a ladder route; from a ROME fiche it stays a ROME one."""
    grade, job, fiche = uris.grade("0162"), uris.rmfp_emploi("FPCOM010"), uris.rome_fiche("K1401")
    routes = explain.routes_to(ontology, [grade, fiche], job)
    assert [c["uri"] for c in routes[grade]["concepts"]][-1] == job
    kinds = [s["kind"] for s in routes[grade]["steps"]]
    assert kinds[0] == "cadre" and set(kinds) <= {*CAREER_STEP_KINDS, "cadre", "emploi"}
    assert fiche not in routes or all(s["kind"] in ("proche", "evolution") for s in routes[fiche]["steps"])
