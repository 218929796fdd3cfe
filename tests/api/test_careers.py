"""Careers: paths between two occupations, next steps from an occupation or a candidate."""

from __future__ import annotations

from typing import Any

from ontology import uris
from tests.support.api import call


def test_career_paths_and_next_steps(api: dict[str, Any]) -> None:
    route = {"from_uri": uris.rome_fiche("K1401"), "to_uri": uris.rome_fiche("M1501"), "k": 3}
    response = call(api, "hr", "GET", "/v1/careers/paths", params=route)
    assert response.status_code == 200, response.text
    routes = response.json()["routes"]
    assert [r["length"] for r in routes] == sorted(r["length"] for r in routes)
    codes = [[f["code"] for f in r["fiches"]] for r in routes]
    assert codes[0] == ["K1401", "M1402", "M1501"]
    assert ["K1401", "K1402", "M1402", "M1501"] in codes
    assert all(step["skills_to_acquire"] for r in routes for step in r["steps"])
    steps = call(api, "hr", "GET", "/v1/occupations/next-steps", params={"uri": uris.rome_fiche("K1401"), "k": 3})
    assert steps.status_code == 200, steps.text
    body = steps.json()
    assert body["model_version"] == api["version"] and body["steps"]
    assert {s["transition"] for s in body["steps"] if s["transition"]} <= {"proche", "evolution"}
    mine = call(api, "admin", "GET", "/v1/candidates/cand-00/next-steps", params={"k": 3})
    assert mine.status_code == 200, mine.text
    assert mine.json()["occupation"]["uri"] == uris.rome_fiche("K1401")


LADDER = uris.BASE + "test-ladder/"
# A small public-service career graph beside the tiny one: two cadres (C and B) with two grades in the first, two
# jobs of the first cadre and one of the second, a job move and the statutory steps (issue 18).
LADDER_GRAPH = (
    "CREATE (c:Concept:CadreEmplois {uri: $p + 'cadre-c', label: 'Adjoints de test', code: 'TC'}), "
    "(b:Concept:CadreEmplois {uri: $p + 'cadre-b', label: 'Rédacteurs de test', code: 'TB'}), "
    "(g1:Concept:Grade {uri: $p + 'grade-1', label: 'Adjoint 2e cl', code: 'T1', ladder_rank: 1})-[:GRADE_OF]->(c), "
    "(g2:Concept:Grade {uri: $p + 'grade-2', label: 'Adjoint 1re cl', code: 'T2', ladder_rank: 2})-[:GRADE_OF]->(c), "
    "(e1:Concept:EmploiReference:Occupation {uri: $p + 'emploi-1', label: 'Agent d accueil', code: 'TE1'}), "
    "(e2:Concept:EmploiReference:Occupation {uri: $p + 'emploi-2', label: 'Assistant RH', code: 'TE2'}), "
    "(e3:Concept:EmploiReference:Occupation {uri: $p + 'emploi-3', label: 'Gestionnaire RH', code: 'TE3'}), "
    "(s1:Concept:Skill {uri: $p + 'skill-1', label: 'Accueillir'}), "
    "(s2:Concept:Skill {uri: $p + 'skill-2', label: 'Paie'}), "
    "(e1)-[:REQUIRES_SKILL {essential: true}]->(s1), (e2)-[:REQUIRES_SKILL {essential: true}]->(s2), "
    "(e3)-[:REQUIRES_SKILL {essential: true}]->(s2), "
    "(c)-[:TYPICAL_EMPLOI]->(e1), (b)-[:TYPICAL_EMPLOI]->(e3), "
    "(e1)-[:CAREER_STEP {step_id: $p + 's1', kind: 'job_move', basis: 'domaine', requirement: 'conditions à vérifier', "
    "  weight: 0.4, provenance: 'computed:test'}]->(e2), "
    "(g1)-[:CAREER_STEP {step_id: $p + 's2', kind: 'avancement_de_grade', basis: 'grade_order', "
    "  requirement: 'conditions à vérifier', weight: 1.0, provenance: 'computed:test'}]->(g2), "
    "(c)-[:CAREER_STEP {step_id: $p + 's3', kind: 'promotion_interne', basis: 'filiere', "
    "  requirement: 'conditions à vérifier', weight: 0.6, provenance: 'computed:test'}]->(b), "
    "(c)-[:CAREER_STEP {step_id: $p + 's4', kind: 'concours', basis: 'filiere', "
    "  requirement: 'réussite au concours (interne ou externe) ; conditions à vérifier', weight: 0.6, "
    "  provenance: 'computed:test'}]->(b)"
)


def test_public_service_routes_and_next_steps_show_both_kinds_of_step(api: dict[str, Any]) -> None:
    db = api["database"]
    db.execute_query(LADDER_GRAPH, p=LADDER)
    try:
        route = {"from_uri": LADDER + "grade-1", "to_uri": LADDER + "emploi-3", "k": 2}
        response = call(api, "hr", "GET", "/v1/careers/paths", params=route)
        assert response.status_code == 200, response.text
        best = response.json()["routes"][0]
        assert [c["code"] for c in best["concepts"]] == ["T1", "TC", "TB", "TE3"]
        promotion = best["steps"][1]
        assert [s["kind"] for s in best["steps"]] == ["cadre", promotion["kind"], "emploi"]
        assert {promotion["kind"], *promotion["alternatives"]} == {"promotion_interne", "concours"}
        assert "conditions à vérifier" in promotion["requirement"] and promotion["provenance"] == "computed:test"
        assert [s["label"] for s in promotion["skills_to_acquire"]] == ["Paie"]  # the B cadre's job needs it
        moves = call(api, "hr", "GET", "/v1/careers/paths", params={**route, "from_uri": LADDER + "emploi-1"})
        assert moves.status_code == 200, moves.text
        assert [s["kind"] for s in moves.json()["routes"][0]["steps"]] == ["emploi", promotion["kind"], "emploi"]
        job = call(api, "hr", "GET", "/v1/occupations/next-steps", params={"uri": LADDER + "emploi-1", "k": 3})
        assert job.status_code == 200, job.text
        first = job.json()["steps"][0]
        assert (first["code"], first["kind"], first["basis"]) == ("TE2", "job_move", "domaine")
        assert [s["label"] for s in first["skills_to_acquire"]] == ["Paie"]
        grade = call(api, "hr", "GET", "/v1/occupations/next-steps", params={"uri": LADDER + "grade-1", "k": 5})
        assert grade.status_code == 200, grade.text
        kinds = {s["kind"]: s for s in grade.json()["steps"] if s["kind"]}
        assert set(kinds) == {"avancement_de_grade", "promotion_interne", "concours"}
        assert kinds["concours"]["requirement"].startswith("réussite au concours")
    finally:
        db.execute_query("MATCH (n:Concept) WHERE n.uri STARTS WITH $p DETACH DELETE n", p=LADDER)
