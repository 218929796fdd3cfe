"""Access control on every route: documented, 401 without a valid key, 403 to roles it does not serve and to a
recruiter of another employer; listings show a recruiter its own employer's data only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import _resolve, call

# Every protected route, on employer EA's data: (method, path, json body or None, roles allowed).
REC = ("recruiter", "admin")
ROUTES: list[tuple[str, str, dict[str, Any] | None, tuple[str, ...]]] = [
    ("GET", "/v1/offers?employer_id=EA", None, REC),
    (
        "POST",
        "/v1/offers",
        {
            "offer_id": "x-1",
            "title": "t",
            "employer_id": "EA",
            "description": "d",
            "departement": "75",
            "published_at": "2026-01-01",
            "contract": "contractuel",
        },
        REC,
    ),
    ("GET", "/v1/offers/off-EA-00", None, REC),
    (
        "PUT",
        "/v1/offers/off-EA-00",
        {
            "offer_id": "off-EA-00",
            "title": "t",
            "employer_id": "EA",
            "description": "d",
            "departement": "75",
            "published_at": "2026-01-01",
            "contract": "contractuel",
        },
        REC,
    ),
    ("GET", "/v1/offers/off-EA-00/candidates", None, REC),
    ("GET", "/v1/offers/off-EA-00/candidates/cand-04", None, REC),
    ("GET", "/v1/offers/off-EA-00/applications", None, REC),
    ("POST", "/v1/applications", {"offer_id": "off-EA-00", "candidate_id": "cand-08"}, REC),
    ("PATCH", "/v1/applications/app-0-fit", {"stage": "offered"}, REC),
    ("GET", "/v1/candidates/cand-ea", None, REC),
    ("GET", "/v1/candidates/cand-ea/offers", None, REC),
    ("GET", "/v1/candidates/cand-ea/next-steps", None, REC),
    ("GET", "/v1/suggestions?offer_id=off-EA-00", None, REC),
    ("POST", "/v1/suggestions/SUGGESTION/feedback", {"decision": "kept"}, REC),
    ("POST", "/v1/webhooks", {"url": "http://127.0.0.1:9/x", "employer_id": "EA"}, REC),
    ("DELETE", "/v1/webhooks/WEBHOOK", None, REC),
    ("GET", "/v1/logs?offer_id=off-EA-00", None, REC),
    ("GET", "/v1/gdpr/candidates/cand-ea", None, ("admin",)),
    ("DELETE", "/v1/gdpr/candidates/cand-does-not-exist", None, ("admin",)),
    ("GET", "/v1/admin/api-keys", None, ("admin",)),
    ("POST", "/v1/admin/api-keys", {"role": "hr_expert"}, ("admin",)),
    ("DELETE", "/v1/admin/api-keys/nokey", None, ("admin",)),
    ("POST", "/v1/admin/model/reload", None, ("admin",)),
    ("GET", "/v1/ontology/concepts?q=paie", None, ("hr_expert", "admin")),
    ("GET", "/v1/ontology/concept?uri=x", None, ("hr_expert", "admin")),
    ("POST", "/v1/ontology/changes", {"op": "add_label", "uri": "x", "label": "y"}, ("hr_expert", "admin")),
    ("GET", "/v1/ontology/audit", None, ("hr_expert", "admin")),
    ("GET", "/v1/careers/paths?from_uri=a&to_uri=b", None, ("recruiter", "hr_expert", "admin")),
    ("GET", "/v1/occupations/next-steps?uri=a", None, ("recruiter", "hr_expert", "admin")),
    # human oversight (issue 17)
    ("GET", "/v1/audit", None, ("hr_expert", "admin")),
    ("GET", "/v1/admin/suspensions", None, ("admin",)),
    ("POST", "/v1/admin/suspensions", {"reason": "test"}, ("admin",)),
    ("DELETE", "/v1/admin/suspensions?reason=test", None, ("admin",)),
    ("GET", "/v1/candidates/cand-ea/notice?offer_id=off-EA-00", None, REC),
    ("GET", "/v1/candidates/cand-ea/notice.html?offer_id=off-EA-00", None, REC),
]
ROLE_KEYS = {"recruiter": "recA", "hr_expert": "hr", "admin": "admin"}


def _route_id(route: tuple[str, str, Any, Any]) -> str:
    return f"{route[0]} {route[1]}"


def test_every_route_is_documented_in_openapi(api: dict[str, Any]) -> None:
    paths = api["client"].get("/openapi.json").json()["paths"]
    for method, path, _, _ in ROUTES:
        template = path.split("?")[0]
        documented = [p for p in paths if _matches(p, template)]
        assert documented, f"{method} {template} is not in the OpenAPI schema"
        assert method.lower() in paths[documented[0]]
    description = api["client"].get("/openapi.json").json()["info"]["description"]
    assert "No endpoint rejects a candidate" in description


def _matches(template: str, path: str) -> bool:
    a, b = template.strip("/").split("/"), path.strip("/").split("/")
    return len(a) == len(b) and all(x == y or x.startswith("{") for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_every_route_answers_401_without_a_valid_key(api: dict[str, Any], route: tuple) -> None:
    method, path, body, _ = route
    assert api["client"].request(method, path, json=body).status_code == 401
    bogus = {"X-API-Key": "viv_000000000000_not-a-real-secret"}
    assert api["client"].request(method, path, json=body, headers=bogus).status_code == 401
    assert api["client"].request(method, path, json=body, headers={"X-API-Key": "garbage"}).status_code == 401


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_every_route_answers_403_to_roles_it_does_not_serve(api: dict[str, Any], route: tuple) -> None:
    method, path, body, allowed = route
    for role, who in ROLE_KEYS.items():
        if role not in allowed:
            response = call(api, who, method, _resolve(api, path), json=body)
            assert response.status_code == 403, f"{role}: {response.status_code} {response.text}"


@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if "recruiter" in r[3] and "careers" not in r[1] and "occupations" not in r[1]],
    ids=_route_id,
)
def test_a_recruiter_of_employer_b_gets_403_on_employer_a_data(api: dict[str, Any], route: tuple) -> None:
    method, path, body, _ = route
    response = call(api, "recB", method, _resolve(api, path), json=body)
    assert response.status_code == 403, response.text


def test_listings_show_a_recruiter_only_its_own_employer_data(api: dict[str, Any]) -> None:
    _resolve(api, "/v1/webhooks/WEBHOOK")  # employer EA has a webhook
    _resolve(api, "/v1/suggestions/SUGGESTION/feedback")  # and a suggestion
    for path in ("/v1/webhooks", "/v1/suggestions"):
        rows = call(api, "recB", "GET", path).json()
        assert all(row["employer_id"] == "EB" for row in rows), path
        assert any(row["employer_id"] == "EA" for row in call(api, "recA", "GET", path).json()), path
    assert call(api, "recB", "GET", "/v1/offers").json() == [f"off-EB-{j:02d}" for j in (1, 4, 7, 10)]
