"""Applications: recorded, their outcome updated, listed for the offer."""

from __future__ import annotations

from typing import Any

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
