"""GDPR: everything held about a candidate exported, then erased, recommendation logs included."""

from __future__ import annotations

from typing import Any

from tests.support.api import call


def test_gdpr_export_then_erase(api: dict[str, Any]) -> None:
    served = call(api, "admin", "GET", "/v1/candidates/cand-23/offers", params={"k": 3, "explain": False})
    assert served.status_code == 200
    exported = call(api, "admin", "GET", "/v1/gdpr/candidates/cand-23")
    assert exported.status_code == 200, exported.text
    body = exported.json()
    assert body["candidate"]["candidate_id"] == "cand-23"
    kinds = {r["type"] for r in body["relationships"]}
    assert {"HAS_SKILL", "HELD", "LIVES_IN"} <= kinds
    assert any(log.get("candidate_id") == "cand-23" for log in body["recommendation_logs"])
    erased = call(api, "admin", "DELETE", "/v1/gdpr/candidates/cand-23")
    assert erased.status_code == 200, erased.text
    assert call(api, "admin", "GET", "/v1/gdpr/candidates/cand-23").status_code == 404
    database = api["database"]
    left = database.execute_query(
        "MATCH (l:RecommendationLog) WHERE l.candidate_id = $c OR $c IN l.ranked_ids RETURN count(l) AS n", c="cand-23"
    ).records[0]["n"]
    assert left == 0
    ranked = call(api, "admin", "GET", "/v1/offers/off-EA-03/candidates", params={"k": 30, "explain": False})
    assert "cand-23" not in {c["candidate_id"] for c in ranked.json()["candidates"]}
    model = api["app"].state.vivier.recommender().inner
    assert "cand-23" not in model._candidates.index  # the served model dropped the embedding from memory
