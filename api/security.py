"""Security headers on every response, a bound on request bodies, and the last-resort 500 (Problem Details) for
an error no handler caught, so that it carries the headers too. One plain ASGI middleware, the outermost of the
app's own (docs/api.md, Headers)."""

from __future__ import annotations

import logging

from fastapi import HTTPException
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem_response

log = logging.getLogger("vivier.api")

# The API serves JSON only: nothing may load, frame or run from its answers.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# FastAPI's /docs and /redoc pages load Swagger UI / ReDoc from jsDelivr and start them with an inline script.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "connect-src 'self'; worker-src blob:; frame-ancestors 'none'; base-uri 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
# The web app (/ui) loads its own vendored scripts and styles only; no inline script runs. Inline styles stay
# allowed: htmx injects its indicator style and one template sets a width.
UI_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
UI_PATH = "/ui"
# Public, not personal: everything else (every /v1 route, /ready) is `Cache-Control: no-store`.
CACHEABLE_PATHS = ("/openapi.json", "/docs", "/redoc", "/health")
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int, behind_tls: bool) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.behind_tls = behind_tls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        tls = self.behind_tls or scope.get("scheme") == "https"
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                _add_headers(MutableHeaders(scope=message), path, tls)
            await send(message)

        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            detail = f"the request body is {int(declared):,} bytes, over the limit of {self.max_body_bytes:,}"
            await problem_response(413, detail, path)(scope, receive, send_with_headers)
            return
        try:
            await self.app(scope, _bounded(receive, self.max_body_bytes), send_with_headers)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), path)
            if started:
                raise
            await problem_response(500, "internal error; it has been logged", path)(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    """A chunked body that grew past the limit while it was read: an HTTPException, so that FastAPI's body
    parsing lets it through to the Problem Details handler instead of calling it a malformed body (400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the limit of {limit:,} bytes")


def _bounded(receive: Receive, limit: int) -> Receive:
    received = 0

    async def bounded() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return bounded


def _csp(path: str) -> str:
    if path.startswith(DOCS_PATHS):
        return DOCS_CSP
    if path == UI_PATH or path.startswith(UI_PATH + "/"):
        return UI_CSP
    return API_CSP


def _add_headers(headers: MutableHeaders, path: str, tls: bool) -> None:
    headers.setdefault("Content-Security-Policy", _csp(path))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    if not path.startswith(CACHEABLE_PATHS):
        headers["Cache-Control"] = "no-store"
    if tls:
        headers.setdefault("Strict-Transport-Security", HSTS)
