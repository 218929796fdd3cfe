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
