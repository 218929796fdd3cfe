"""The HR expert's pages: search the ontology, a concept with its neighbours and every curation operation of
POST /v1/ontology/changes (a change SHACL refuses is shown next to its field, and nothing is written), the audit
log and the comparison of two releases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from api.web.common import CsrfChecked, PageError, WebUser, render, role, state_of
from graph.curation import apply_change, audit_log, concept_with_neighbours, search_concepts
from ontology.curation import CurationError, change_from_dict
from ontology.diff import diff_releases
from ontology.repository import default_repository
from ontology.validate import OntologyValidationError

router = APIRouter()
Curator = Annotated[WebUser, role("hr_expert", "admin")]
OPERATIONS = {
    "add_label": ("Ajouter un libellé alternatif", ("uri", "label")),
    "change_label": ("Changer le libellé préféré", ("uri", "label")),
    "remove_label": ("Retirer un libellé", ("uri", "label")),
    "add_relation": ("Ajouter une relation", ("subject", "relation", "object", "essential")),
    "remove_relation": ("Retirer une relation", ("subject", "relation", "object")),
    "merge": ("Fusionner dans un autre concept", ("source", "target")),
    "deprecate": ("Déprécier", ("uri", "replaced_by")),
}
RELATIONS = {"broader": "plus générique", "related": "lié", "exact_match": "correspondance exacte",
             "close_match": "correspondance proche", "requires_skill": "requiert la compétence"}  # fmt: skip


@router.get("/ontologie", response_class=HTMLResponse)
def search_page(request: Request, user: Curator, q: str = "") -> Response:
    results = search_concepts(state_of(request).db, q, limit=50) if len(q.strip()) >= 2 else []
    return render(request, "ontology.html", user, q=q, results=results)


def _concept(request: Request, uri: str) -> dict[str, Any]:
    try:
        return concept_with_neighbours(state_of(request).db, uri)
    except KeyError as error:
        raise PageError(404, f"concept {uri!r} introuvable") from error


@router.get("/ontologie/concept", response_class=HTMLResponse)
def concept_page(request: Request, user: Curator, uri: str) -> Response:
    return render(request, "concept.html", user, concept=_concept(request, uri), operations=OPERATIONS,
                  relations=RELATIONS, result=None)  # fmt: skip


def change_of(op: str, form: dict[str, str]) -> dict[str, Any]:
    """The JSON body POST /v1/ontology/changes would receive, from the form of one operation."""
    if op not in OPERATIONS:
        return {"op": op}
    change: dict[str, Any] = {"op": op}
    for name in OPERATIONS[op][1]:
        value = form.get(name, "").strip()
        if name == "essential":
            change[name] = value != "non"
        elif value or name != "replaced_by":
            change[name] = value
    return change


FIELD_PRIORITY = ("label", "object", "target", "replaced_by", "relation", "uri", "subject", "source")


def _field_of(message: str, change: dict[str, Any]) -> str:
    """The form field a refusal is about: the first field the expert typed (before those prefilled with the
    concept itself) whose value the message names; else the first such field of the operation."""
    fields = [name for name in FIELD_PRIORITY if name in change]
    named = [name for name in fields if isinstance(change[name], str) and change[name] and change[name] in message]
    return (named or fields or ["op"])[0]


@router.post("/ontologie/changements", response_class=HTMLResponse)
async def apply(request: Request, user: CsrfChecked) -> Response:
    """The API's own path: `change_from_dict` then `apply_change` (SHACL first; a refusal writes nothing)."""
    await role("hr_expert", "admin").dependency(user)
    form = {k: str(v) for k, v in (await request.form()).items()}
    op, concept_uri = form.get("op", ""), form.get("concept", "")
    change = change_of(op, form)
    caller = user.caller
    status, result = 201, {"op": op, "ok": True, "message": "", "field": None, "entry": None}
    try:
        typed = change_from_dict(change)
        entry = await run_in_threadpool(apply_change, typed, f"{caller.role}:{caller.key_id}", state_of(request).db)
        result["entry"] = entry
        result["message"] = f"Modification appliquée (journal {entry.audit_id})."
    except OntologyValidationError as error:
        status = 422
        result.update(ok=False, message=f"Refusée par les formes SHACL : {error}", field=_field_of(str(error), change))
    except (CurationError, ValueError) as error:
        status = 422
        result.update(ok=False, message=f"Refusée : {error}", field=_field_of(str(error), change))
    shown = concept_uri if op != "merge" or not result["ok"] else change.get("target", concept_uri)
    return render(request, "concept.html", user, status, concept=_concept(request, shown), operations=OPERATIONS,
                  relations=RELATIONS, result=result, form=form)  # fmt: skip


@router.get("/ontologie/journal", response_class=HTMLResponse)
def audit_page(request: Request, user: Curator) -> Response:
    return render(request, "audit.html", user, entries=audit_log(state_of(request).db, limit=200))


@router.get("/ontologie/versions", response_class=HTMLResponse)
def releases_page(request: Request, user: Curator, v1: str = "", v2: str = "current") -> Response:
    """Two releases compared (`vivier ontology diff`): concepts and relations added, removed, changed."""
    repository = default_repository()
    releases = repository.releases()
    diff, error = None, None
    if v1:
        try:
            diff = diff_releases(repository, v1, v2)
        except FileNotFoundError as missing:
            error = str(missing)
    return render(request, "releases.html", user, releases=releases, v1=v1, v2=v2, diff=diff, error=error)
