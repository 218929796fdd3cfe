"""Errors: one model for every 4xx / 5xx (RFC 9457 Problem Details, `application/problem+json`): clear 404 and
422 answers across routers, 400 for a body that is not JSON or not multipart, 405 with `Allow`."""

from __future__ import annotations

from typing import Any

from api.errors import PROBLEM_BASE, PROBLEM_MEDIA_TYPE
from tests.support.api import call


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"].startswith(PROBLEM_BASE)
    assert isinstance(body["title"], str) and isinstance(body["detail"], str)
    return body


def test_clear_404_and_422(api: dict[str, Any]) -> None:
    missing = problem(call(api, "admin", "GET", "/v1/offers/no-such-offer/candidates"), 404)
    assert "no-such-offer" in missing["detail"] and missing["type"] == PROBLEM_BASE + "not-found"
    assert missing["instance"] == "/v1/offers/no-such-offer/candidates"
    small_k = problem(call(api, "admin", "GET", "/v1/offers/off-EA-00/candidates", params={"k": 0}), 422)
    assert small_k["errors"] == [
        {"loc": ["query", "k"], "msg": "Input should be greater than or equal to 1", "type": "greater_than_equal"}
    ]
    bad = problem(call(api, "recA", "POST", "/v1/offers", json={"offer_id": "x", "title": "t"}), 422)
    assert any(e["loc"] == ["body", "description"] and e["type"] == "missing" for e in bad["errors"])
    assert "body.description: Field required" in bad["detail"]
    wrong_stage = problem(call(api, "recA", "PATCH", "/v1/applications/app-0-fit", json={"stage": "maybe"}), 422)
    assert wrong_stage["errors"][0]["loc"] == ["body", "stage"]
    assert problem(call(api, None, "GET", "/v1/offers"), 401)["title"]


def test_malformed_json_and_multipart_are_400(api: dict[str, Any]) -> None:
    client = api["client"]
    headers = {"Content-Type": "application/json", "X-API-Key": api["keys"]["recA"]}
    broken = client.post("/v1/offers", content=b'{"offer_id": "x",', headers=headers)
    assert problem(broken, 400)["errors"][0]["type"] == "json_invalid"
    multipart = {"Content-Type": "multipart/form-data; boundary=nothing-follows", "X-API-Key": api["keys"]["admin"]}
    torn = client.post("/v1/candidates", content=b"--nothing-follows\r\nno header", headers=multipart)
    assert "multipart" in problem(torn, 400)["detail"].lower()


def test_405_names_every_allowed_method(api: dict[str, Any]) -> None:
    # GET and POST /v1/offers are two routes: the Allow header names both, not only the first route's method.
    refused = problem(call(api, "recA", "DELETE", "/v1/offers"), 405)
    assert refused["type"].endswith("method-not-allowed")
    assert call(api, "recA", "DELETE", "/v1/offers").headers["Allow"] == "GET, POST"
    assert problem(call(api, None, "PATCH", "/health"), 405) and call(api, None, "PATCH", "/health").headers["Allow"]


def test_every_error_response_is_documented_as_problem_details(api: dict[str, Any]) -> None:
    schema = api["client"].get("/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"429", "500"} <= set(responses), (method, path)
            for status, response in responses.items():
                if status[0] in "45":
                    assert list(response["content"]) == [PROBLEM_MEDIA_TYPE], (method, path, status)
            for status in ("429", "503"):
                if status in responses:
                    assert "Retry-After" in responses[status]["headers"]
            for media in operation.get("requestBody", {}).get("content", {}).values():
                typed = media["schema"]  # no `{}` or bare-object body: a model, or a union of models
                assert {"$ref", "oneOf", "anyOf", "properties"} & set(typed), (method, path, typed)
