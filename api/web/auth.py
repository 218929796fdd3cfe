"""Sign-in (an API key exchanged for a session cookie), one-time sign-in links, sign-out and the home page."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.web.common import SESSION_COOKIE, CsrfChecked, User, render, sessions_of, state_of

router = APIRouter()
SIGN_IN_COOKIE = "vivier_signin"  # double-submit token of the sign-in form (no session yet to hold a CSRF token)
HOME = {"recruiter": "/ui/offres", "hr_expert": "/ui/ontologie", "admin": "/ui/offres"}


def _safe_next(path: str | None) -> str:
    """Only a path of this app: never an open redirect to another site."""
    if path and path.startswith("/ui/") and not path.startswith("//"):
        return path
    return "/ui/"


def _signed_in(request: Request, token: str, target: str) -> Response:
    """Redirect to `target` with the session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS)."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/ui",
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/ui")
    return response


@router.get("/connexion", response_class=HTMLResponse)
def sign_in_page(request: Request, suite: str | None = None, erreur: str | None = None) -> Response:
    token = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, "sign_in.html", None, suite=_safe_next(suite), form_token=token, error=erreur)
    response.set_cookie(
        SIGN_IN_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/ui"
    )
    return response


@router.post("/connexion")
async def sign_in(
    request: Request,
    api_key: Annotated[str, Form()],
    form_token: Annotated[str, Form()],
    suite: Annotated[str, Form()] = "/ui/",
) -> Response:
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, form_token):
        return render(request, "sign_in.html", None, 403, suite=_safe_next(suite), form_token=expected,
                      error="Le formulaire a expiré : recommencez.")  # fmt: skip
    caller = await run_in_threadpool(state_of(request).authenticate, api_key.strip())
    opened = await run_in_threadpool(sessions_of(request).open, caller) if caller is not None else None
    if caller is None or opened is None:
        return render(request, "sign_in.html", None, 401, suite=_safe_next(suite), form_token=expected,
                      error="Clé inconnue ou révoquée.")  # fmt: skip
    target = _safe_next(suite)
    return _signed_in(request, opened[0], HOME[caller.role] if target == "/ui/" else target)


@router.get("/connexion/lien/{token}")
def sign_in_link(request: Request, token: str) -> Response:
    """A one-time link (printed by `vivier demo`): opens a session, then works no more."""
    session = sessions_of(request).redeem(token)
    if session is None:
        return render(request, "sign_in.html", None, 401, suite="/ui/", form_token="",
                      error="Ce lien de connexion a déjà servi ou a expiré.")  # fmt: skip
    return _signed_in(request, session, "/ui/")


@router.post("/deconnexion")
def sign_out(request: Request, user: CsrfChecked) -> Response:
    sessions_of(request).close(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/ui/connexion", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/ui")
    return response


@router.get("/", response_class=HTMLResponse)
def home(user: User) -> Response:
    return RedirectResponse(HOME[user.role], status_code=303)
