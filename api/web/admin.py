"""The admin's pages: API keys (create, list, revoke), GDPR export and erase (with a confirmation step), and the
log of recommendations served. Each calls the JSON API's own function for the same operation."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.routers import admin as admin_api
from api.routers import gdpr
from api.schemas import ApiKeyIn
from api.web.common import CsrfChecked, PageError, WebUser, api_errors, render, role, state_of

router = APIRouter()
Admin = Annotated[WebUser, role("admin")]


async def _admin(user: WebUser) -> WebUser:
    await role("admin").dependency(user)
    return user


@router.get("/admin/cles", response_class=HTMLResponse)
def keys_page(request: Request, user: Admin) -> Response:
    keys = admin_api.list_keys(state_of(request), user.caller)
    return render(request, "keys.html", user, keys=keys, created=None, error=None)


@router.post("/admin/cles", response_class=HTMLResponse)
async def create_key(
    request: Request,
    user: CsrfChecked,
    key_role: Annotated[str, Form()],
    employer_id: Annotated[str, Form()] = "",
    label: Annotated[str, Form()] = "",
) -> Response:
    await _admin(user)
    state = state_of(request)
    created, error, status = None, None, 201
    try:
        body = ApiKeyIn.model_validate({"role": key_role, "employer_id": employer_id.strip() or None, "label": label})
        created = admin_api.create_key(body, state, user.caller)
    except ValidationError as invalid:
        error, status = f"champ rôle : {invalid.errors()[0]['msg']}", 422
    except HTTPException as refused:
        error, status = str(refused.detail), refused.status_code
    keys = admin_api.list_keys(state, user.caller)
    return render(request, "keys.html", user, status, keys=keys, created=created, error=error)


@router.post("/admin/cles/{key_id}/revoquer")
async def revoke_key(request: Request, user: CsrfChecked, key_id: str) -> Response:
    await _admin(user)
    with api_errors():
        admin_api.revoke_key(key_id, state_of(request), user.caller)
    return RedirectResponse("/ui/admin/cles", status_code=303)


@router.get("/admin/rgpd", response_class=HTMLResponse)
def gdpr_page(request: Request, user: Admin, candidat: str = "") -> Response:
    """Export of everything held about a candidate; the erase button leads to a confirmation step."""
    exported = None
    if candidat.strip():
        with api_errors():
            exported = gdpr.export_candidate(candidat.strip(), state_of(request), user.caller)
    text = json.dumps(exported, ensure_ascii=False, indent=2, default=str) if exported else None
    return render(request, "gdpr.html", user, candidate_id=candidat.strip(), exported=text, erased=None)


@router.post("/admin/rgpd/effacer", response_class=HTMLResponse)
async def erase(
    request: Request,
    user: CsrfChecked,
    candidate_id: Annotated[str, Form()],
    confirmation: Annotated[str, Form()] = "",
) -> Response:
    """Erases only when the admin typed the candidate's pseudonym again: the confirmation step."""
    await _admin(user)
    if confirmation.strip() != candidate_id:
        raise PageError(422, "confirmation : recopiez exactement le pseudonyme du candidat pour l'effacer")
    with api_errors():
        erased = gdpr.erase_candidate(candidate_id, state_of(request), user.caller)
    return render(request, "gdpr.html", user, candidate_id=candidate_id, exported=None, erased=erased)


@router.get("/admin/journal", response_class=HTMLResponse)
def log_page(request: Request, user: Admin, offre: str = "", candidat: str = "") -> Response:
    entries = gdpr.recommendation_logs(state_of(request), user.caller, offre or None, candidat or None, limit=200)
    return render(request, "logs.html", user, entries=entries, offre=offre, candidat=candidat)
