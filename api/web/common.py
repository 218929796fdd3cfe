"""What every page shares: the templates, the signed-in user (a session cookie standing for an API key, checked
as the JSON API checks it), role checks through `api.deps`, CSRF on forms that write, and errors as pages."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api import oversight
from api.deps import require
from api.state import AppState, Recommender
from api.timing import step
from api.web.sessions import WebSession, WebSessions
from graph.access import Caller

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
SESSION_COOKIE = "vivier_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
ROLE_NAMES = {"recruiter": "recrutement", "hr_expert": "expertise RH", "admin": "administration"}
STAGES = {
    "received": "reçue",
    "shortlisted": "présélectionnée",
    "interviewed": "entretien",
    "offered": "proposition",
    "hired": "recrutée",
    "rejected": "non retenue",
    "withdrawn": "retirée",
}
TEMPLATES.env.globals.update(ROLE_NAMES=ROLE_NAMES, STAGES=STAGES)


class SignInRequired(Exception):
    """No valid session: the browser is sent to the sign-in page, then back to `next_path`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageError(Exception):
    """An error the API would answer with `status`, shown as a French page (or fragment) with its message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class WebUser:
    caller: Caller
    session: WebSession

    @property
    def role(self) -> str:
        return self.caller.role


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.vivier
    return state


def sessions_of(request: Request) -> WebSessions:
    sessions: WebSessions = request.app.state.web_sessions
    return sessions


async def current_user(request: Request) -> WebUser:
    """The session's caller: one keyed read in Neo4j, which also checks that the session's API key is not revoked
    (api/web/sessions.py), so any process accepts the cookie and none accepts it after a revocation."""
    token = request.cookies.get(SESSION_COOKIE)
    with step("session"):
        session = await run_in_threadpool(sessions_of(request).get, token) if token else None
    if session is None:
        raise SignInRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return WebUser(session.caller, session)


def role(*roles: str) -> Any:
    """A dependency: the signed-in user, with the API's own role check (`api.deps.require`)."""
    check = require(*roles)

    async def dependency(user: Annotated[WebUser, Depends(current_user)]) -> WebUser:
        with api_errors():
            await check(user.caller)
        return user

    return Depends(dependency)


async def check_csrf(request: Request, user: Annotated[WebUser, Depends(current_user)]) -> WebUser:
    """Forms that write carry the session's CSRF token (hidden field, or header for htmx requests)."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.method == "POST":
        sent = str((await request.form()).get(CSRF_FIELD, ""))
    if not sent or not secrets.compare_digest(sent, user.session.csrf):
        raise PageError(403, "jeton CSRF absent ou invalide : rechargez la page et recommencez")
    return user


User = Annotated[WebUser, Depends(current_user)]
CsrfChecked = Annotated[WebUser, Depends(check_csrf)]


@contextmanager
def api_errors() -> Iterator[None]:
    """The API's HTTP errors (404, 403, 422 …) raised by the shared functions become error pages."""
    try:
        yield
    except HTTPException as error:
        raise PageError(error.status_code, str(error.detail)) from error


def model_of(state: AppState) -> Recommender:
    """The served model, as the API's `Model` dependency gives it: 503 while every recommendation is suspended."""
    with api_errors():
        oversight.watch(state.db).check()
    loaded = state.model_if_loaded()
    return loaded if loaded is not None else state.recommender()


def render(request: Request, template: str, user: WebUser | None, code: int = 200, **context: Any) -> HTMLResponse:
    with step("render"):  # the template is rendered here, whole (Server-Timing shows it beside the API's steps)
        return TEMPLATES.TemplateResponse(
            request,
            template,
            {"user": user, "csrf": user.session.csrf if user else "", **context},
            status_code=code,
        )


def sign_in_url(next_path: str) -> str:
    return f"/ui/connexion?suite={quote(next_path, safe='')}"


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"
