"""Errors: clear 404 and 422 answers across routers."""

from __future__ import annotations

from typing import Any

from tests.support.api import call


def test_clear_404_and_422(api: dict[str, Any]) -> None:
    missing = call(api, "admin", "GET", "/v1/offers/no-such-offer/candidates")
    assert missing.status_code == 404 and "no-such-offer" in missing.json()["detail"]
    assert call(api, "admin", "GET", "/v1/offers/off-EA-00/candidates", params={"k": 0}).status_code == 422
    bad = call(api, "recA", "POST", "/v1/offers", json={"offer_id": "x", "title": "t"})
    assert bad.status_code == 422
    assert any("description" in str(e["loc"]) for e in bad.json()["detail"])
    wrong_stage = call(api, "recA", "PATCH", "/v1/applications/app-0-fit", json={"stage": "maybe"})
    assert wrong_stage.status_code == 422
