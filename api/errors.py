"""One error model for every 4xx and 5xx: RFC 9457 Problem Details (`application/problem+json`), never a stack
trace. 503 + Retry-After when Neo4j or the model is not there, 400 for a body that is not JSON / multipart, 422 for
invalid input (with an `errors` list), 405 with `Allow`, 500 for the rest (logged on the server side only).

`problem_responses` documents them in the OpenAPI schema; `install_openapi` files every error response under
`application/problem+json` and adds the statuses every operation can return (429, 500, 503; 400 with a body)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from api.schemas import Problem, ValidationIssue
from api.state import ModelUnavailable
from graph.db import UNAVAILABLE

log = logging.getLogger("vivier.api")
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://id.vivier.fr/problems/"

# status -> (type slug, title): one stable type and title per status (docs/api.md, Errors).
KINDS: dict[int, tuple[str, str]] = {
    400: ("malformed-request", "Malformed request"),
    401: ("unauthenticated", "Missing, unknown or revoked API key"),
    403: ("forbidden", "Not allowed for this key"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Already exists"),
    413: ("too-large", "Upload over a limit"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid-input", "Invalid input"),
    429: ("rate-limited", "Too many requests"),
    500: ("internal-error", "Internal error"),
    503: ("unavailable", "Service unavailable"),
}
DESCRIPTIONS: dict[int, str] = {
    400: "the body is not valid JSON, or not valid multipart/form-data",
    401: "missing, unknown or revoked API key",
    403: "the key's role or employer does not allow this",
    404: "the offer, candidate, occupation, concept, application, suggestion or webhook does not exist",
    405: "the path exists, not with this method; see the Allow header",
    409: "the id exists already",
    413: "the upload is over a limit (size, pages, uncompressed size, object streams); `detail` names it",
    422: "invalid input; `errors` lists each field",
    429: "too many requests for this key, or too many bad keys from this address; see the Retry-After header",
    500: "internal error; it has been logged",
    503: "Neo4j unreachable or no trained model; see the Retry-After header",
}
RETRY_AFTER_HEADER = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}}


def problem(
    status: int, detail: str, instance: str | None = None, errors: list[ValidationIssue] | None = None
) -> Problem:
    slug, title = KINDS.get(status, ("http-" + str(status), _phrase(status)))
    return Problem(
        type=PROBLEM_BASE + slug, title=title, status=status, detail=detail, instance=instance, errors=errors
    )


def problem_response(
    status: int,
    detail: str,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    errors: list[ValidationIssue] | None = None,
) -> JSONResponse:
    """A Problem Details response; `instance` is the request's path."""
    body = problem(status, detail, instance, errors)
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_MEDIA_TYPE,
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a router or a route: each status with its description and the Problem model."""
    return {status: {"model": Problem, "description": DESCRIPTIONS[status]} for status in statuses}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method the OpenAPI schema documents on this path: Starlette's own 405 names only the first route's
    methods, while FastAPI declares one route per method (GET /v1/offers and POST /v1/offers are two routes)."""
    templates = getattr(app.state, "path_methods", None)
    if templates is None:
        templates = [
            (compile_path(path)[0], sorted(method.upper() for method in operations))
            for path, operations in app.openapi()["paths"].items()
        ]
        app.state.path_methods = templates
    for pattern, methods in templates:
        if pattern.match(request.url.path):
            return methods
    return []


def _issues(error: RequestValidationError) -> list[ValidationIssue]:
    return [
        ValidationIssue(
            loc=[p if isinstance(p, int) else str(p) for p in e.get("loc", ())], msg=e["msg"], type=e["type"]
        )
        for e in error.errors()
    ]


def _summary(issues: list[ValidationIssue]) -> str:
    """The first problems in one line: 'body.description: Field required; query.k: …'."""
    parts = [f"{'.'.join(map(str, i.loc)) or 'request'}: {i.msg}" for i in issues[:3]]
    more = f" (and {len(issues) - 3} more)" if len(issues) > 3 else ""
    return "; ".join(parts) + more


# Neo4j unreachable: the database handle retries the server after a second (graph/db.py, DOWN_MEMORY_SECONDS).
RETRY_AFTER_SECONDS = 1


def install_error_handlers(app: FastAPI) -> None:
    async def database_unavailable(request: Request, error: Exception) -> JSONResponse:
        log.warning("Neo4j unreachable on %s %s: %s", request.method, request.url.path, error)
        return problem_response(
            503,
            "the graph database is unreachable; retry later",
            request.url.path,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, database_unavailable)

    @app.exception_handler(ModelUnavailable)
    async def model_unavailable(request: Request, error: Exception) -> JSONResponse:
        return problem_response(503, str(error), request.url.path, headers={"Retry-After": "60"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        detail = error.detail if isinstance(error.detail, str) else _phrase(error.status_code)
        if error.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.url.path!r}"
        headers = dict(error.headers or {})
        if error.status_code == 405:
            allowed = _allowed_methods(app, request)
            headers["Allow"] = ", ".join(allowed)
            detail = f"{request.method} is not allowed on {request.url.path!r}; allowed: {headers['Allow']}"
        return problem_response(error.status_code, detail, request.url.path, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        issues = _issues(error)
        if any(i.type == "json_invalid" for i in issues):  # not JSON at all: a malformed request, not invalid fields
            return problem_response(
                400, f"the body is not valid JSON: {_summary(issues)}", request.url.path, errors=issues
            )
        return problem_response(422, _summary(issues), request.url.path, errors=issues)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(500, "internal error; it has been logged", request.url.path)


def install_openapi(app: FastAPI) -> None:
    """The schema FastAPI writes, with every 4xx / 5xx under `application/problem+json` and the statuses any
    operation can return documented on each: 429 and 500 everywhere, 503 where Neo4j is read, 400 and 422 where
    there is a body, Retry-After on 429 and 503."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            for path in schema["paths"].values():
                for operation in path.values():
                    _complete_responses(operation)
            schema.setdefault("components", {}).setdefault("schemas", {}).pop("HTTPValidationError", None)
            schema["components"]["schemas"].pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _complete_responses(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation["responses"]
    wanted = [429, 500]
    if "requestBody" in operation:
        wanted += [400, 422]
    for code in wanted:
        responses.setdefault(str(code), {"description": DESCRIPTIONS[code]})
    reference = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for status, response in responses.items():
        if status[0] in "45":
            response["content"] = {PROBLEM_MEDIA_TYPE: reference}
            if status in ("429", "503"):
                response["headers"] = RETRY_AFTER_HEADER
