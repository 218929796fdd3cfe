"""Offers: top-k candidates for an offer, ranked, explained and logged; one pair scored with its explanation."""

from __future__ import annotations

from typing import Any

import pytest

from ontology import uris
from tests.support.api import call


def test_candidates_for_offer_are_ranked_explained_and_logged(api: dict[str, Any]) -> None:
    response = call(api, "recA", "GET", "/v1/offers/off-EA-00/candidates", params={"k": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] == api["version"]
    assert "a recruiter decides" in body["notice"]
    ranked = body["candidates"]
    assert len(ranked) == 5
    assert [c["rank"] for c in ranked] == [1, 2, 3, 4, 5]
    assert [c["score"] for c in ranked] == sorted((c["score"] for c in ranked), reverse=True)
    first = ranked[0]
    assert set(first["eligibility"]) == {"eligible", "route", "reasons"}
    explanation = first["explanation"]
    assert explanation["model_version"] == api["version"]
    required = {s["uri"] for s in explanation["skills_shared"]} | {s["uri"] for s in explanation["skills_missing"]}
    assert len(required) == 4  # the offer's four required skills, split between shared and missing
    essentials = [s["essential"] for s in explanation["skills_shared"]]
    assert essentials == sorted(essentials, reverse=True)  # essential first
    assert explanation["offer_occupation"]["uri"] == uris.rome_fiche("K1401")
    everyone = call(api, "recA", "GET", "/v1/offers/off-EA-00/candidates", params={"k": 30}).json()["candidates"]
    routes = {c["explanation"]["candidate_occupation"]["uri"]: c["explanation"]["career_route"] for c in everyone}
    assert routes[uris.rome_fiche("K1401")]["length"] == 0  # already in the offer's occupation
    assert routes[uris.rome_fiche("M1501")] is None  # no real transition leads back from M1501
    hires = [h for c in ranked for h in c["explanation"]["similar_hires_same_employer"]]
    hires += [h for c in ranked for h in c["explanation"]["similar_hires_similar_employers"]]
    assert hires and all(0 <= h["skill_similarity"] <= 1 for h in hires)
    logs = call(api, "recA", "GET", "/v1/logs", params={"offer_id": "off-EA-00"}).json()
    log = next(entry for entry in logs if entry["log_id"] == body["log_id"])
    assert log["ranked_ids"] == [c["candidate_id"] for c in ranked]
    assert log["scores"] == pytest.approx([c["score"] for c in ranked])
    assert log["model_version"] == api["version"] and log["employer_id"] == "EA" and log["caller_role"] == "recruiter"


def test_eligible_only_returns_only_statutorily_eligible_candidates(api: dict[str, Any]) -> None:
    response = call(
        api, "recA", "GET", "/v1/offers/off-EA-03/candidates", params={"k": 30, "eligible_only": True, "explain": False}
    )
    assert response.status_code == 200, response.text
    ranked = response.json()["candidates"]
    assert ranked and all(c["eligibility"]["eligible"] for c in ranked)
    everyone = call(api, "recA", "GET", "/v1/offers/off-EA-03/candidates", params={"k": 30, "explain": False})
    assert len(everyone.json()["candidates"]) >= len(ranked)


def test_score_one_pair_with_its_explanation(api: dict[str, Any]) -> None:
    response = call(api, "recA", "GET", "/v1/offers/off-EA-00/candidates/cand-04")
    assert response.status_code == 200, response.text
    body = response.json()
    assert -1.0 <= body["score"] <= 1.0
    assert body["explanation"]["candidate_occupation"]["uri"] == uris.rome_fiche("K1401")
    assert body["explanation"]["career_route"]["length"] == 0  # same fiche: no transition needed
    factors = body["explanation"]["score_factors"]  # the re-ranker's terms, largest effect first
    assert {f["fact"] for f in factors} >= {"gnn_cosine", "skill_coverage", "career_hops", "same_departement"}
    effects = [abs(f["contribution"]) for f in factors]
    assert effects == sorted(effects, reverse=True)
