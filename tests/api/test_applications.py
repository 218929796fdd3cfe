"""Applications: recorded, their outcome updated, listed for the offer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import call


def test_applications_and_outcomes(api: dict[str, Any]) -> None:
    created = call(
        api,
        "recA",
        "POST",
        "/v1/applications",
        json={"offer_id": "off-EA-00", "candidate_id": "cand-05", "applied_at": "2026-01-10"},
    )
    assert created.status_code == 201, created.text
    application_id = created.json()["application_id"]
    updated = call(api, "recA", "PATCH", f"/v1/applications/{application_id}", json={"stage": "interviewed"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["stage"] == "interviewed"
    listed = call(api, "recA", "GET", "/v1/offers/off-EA-00/applications").json()
    assert any(a["application_id"] == application_id and a["stage"] == "interviewed" for a in listed)


def test_an_offers_applications_ranked_for_triage(api: dict[str, Any]) -> None:
    """The applications in the model's order, each scored as the candidates' ranking scores it, with eligibility and
    the first ones explained; logged with the model version; no stage changed; another employer's offer refused."""
    for candidate in ("cand-02", "cand-07", "cand-11"):
        created = call(
            api, "recA", "POST", "/v1/applications", json={"offer_id": "off-EA-09", "candidate_id": candidate}
        )
        assert created.status_code == 201, created.text
    before = call(api, "recA", "GET", "/v1/offers/off-EA-09/applications").json()
    response = call(api, "recA", "GET", "/v1/offers/off-EA-09/applications/ranked", params={"explain": 2})
    assert response.status_code == 200, response.text
    body = response.json()
    ranked = body["applications"]
    assert body["model_version"] == api["version"] and body["notice"].startswith("Suggestions only")
    assert sorted(r["application"]["application_id"] for r in ranked) == sorted(a["application_id"] for a in before)
    assert [r["rank"] for r in ranked] == list(range(1, len(ranked) + 1))
    scores = [r["score"] for r in ranked]
    assert all(s is not None for s in scores) and scores == sorted(scores, reverse=True)
    for r in ranked[:2]:
        pair = call(api, "recA", "GET", f"/v1/offers/off-EA-09/candidates/{r['application']['candidate_id']}").json()
        assert r["score"] == pytest.approx(pair["score"])  # the score the candidates' ranking gives
        assert r["explanation"]["model_version"] == api["version"]
    assert all(r["explanation"] is None for r in ranked[2:])
    assert all(set(r["eligibility"]) == {"eligible", "route", "reasons"} for r in ranked)
    assert call(api, "recA", "GET", "/v1/offers/off-EA-09/applications").json() == before  # a suggestion only
    logs = call(api, "recA", "GET", "/v1/logs", params={"offer_id": "off-EA-09"}).json()
    log = next(entry for entry in logs if entry["log_id"] == body["log_id"])
    assert log["endpoint"] == "ranked_applications" and log["model_version"] == api["version"]
    assert log["ranked_ids"] == [r["application"]["candidate_id"] for r in ranked]
    assert call(api, "recB", "GET", "/v1/offers/off-EA-09/applications/ranked").status_code == 403
    assert call(api, "recA", "GET", "/v1/offers/no-such-offer/applications/ranked").status_code == 404
