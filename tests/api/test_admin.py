"""Admin: API keys created (only their hash stored) and revoked."""

from __future__ import annotations

import json
from typing import Any

from tests.support.api import call


def test_revoked_key_stops_working(api: dict[str, Any]) -> None:
    created = call(api, "admin", "POST", "/v1/admin/api-keys", json={"role": "recruiter", "employer_id": "EB"})
    assert created.status_code == 201, created.text
    key, key_id = created.json()["api_key"], created.json()["key_id"]
    stored = api["database"].execute_query("MATCH (k:ApiKey {key_id: $id}) RETURN k", id=key_id).records[0]["k"]
    assert key not in json.dumps(dict(stored), default=str)  # only the hash is stored
    headers = {"X-API-Key": key}
    assert api["client"].get("/v1/offers", headers=headers).status_code == 200
    assert call(api, "admin", "DELETE", f"/v1/admin/api-keys/{key_id}").status_code == 204
    assert api["client"].get("/v1/offers", headers=headers).status_code == 401
