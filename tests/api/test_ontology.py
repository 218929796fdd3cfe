"""Ontology: search, one concept, refused changes and the audit log, for HR experts."""

from __future__ import annotations

from typing import Any

from tests.support.api import call


def test_ontology_endpoints_for_hr_experts(api: dict[str, Any]) -> None:
    found = call(api, "hr", "GET", "/v1/ontology/concepts", params={"q": "savoir", "limit": 5})
    assert found.status_code == 200, found.text
    assert len(found.json()) == 5
    uri = found.json()[0]["uri"]
    concept = call(api, "hr", "GET", "/v1/ontology/concept", params={"uri": uri})
    assert concept.status_code == 200, concept.text
    assert {r["type"] for r in concept.json()["incoming"]} == {"REQUIRES_SKILL"}
    assert call(api, "hr", "GET", "/v1/ontology/concept", params={"uri": "urn:nothing"}).status_code == 404
    refused = call(api, "hr", "POST", "/v1/ontology/changes", json={"op": "rename_everything", "uri": uri})
    assert refused.status_code == 422 and "rename_everything" in refused.json()["detail"]
    assert call(api, "hr", "GET", "/v1/ontology/audit").status_code == 200
