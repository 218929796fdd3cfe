"""The recruiter's pages: offers, an offer's ranked and explained candidates with filters and feedback, creating
an offer, uploading a CV, a candidate's page. Each calls the functions the JSON API calls, with its checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api import service
from api.deps import check_candidate_access, check_employer_access, check_offer_access
from api.routers import applications, candidates, careers, offers, suggestions
from api.schemas import ApplicationIn, ApplicationUpdate, FeedbackIn, OfferIn
from api.timing import step
from api.web.common import CsrfChecked, WebUser, api_errors, is_htmx, model_of, render, role, state_of
from graph import queries
from ontology.text import fold

router = APIRouter()
Recruiter = Annotated[WebUser, role("recruiter", "admin")]
SHOWN = 10  # candidates shown on an offer page
FILTERED_POOL = 50  # candidates ranked when filters are on, of which the first SHOWN that pass are shown


@dataclass
class Filters:
    eligible_only: bool = False
    departement: str = ""
    categorie: str = ""
    skill: str = ""

    @property
    def narrowing(self) -> bool:
        return bool(self.departement or self.categorie or self.skill)

    def keeps(self, summary: dict[str, Any], skill_labels: dict[str, str]) -> bool:
        if self.departement and summary.get("departement") != self.departement:
            return False
        if self.categorie and summary.get("categorie") != self.categorie:
            return False
        if self.skill:
            wanted = fold(self.skill)
            return any(wanted in fold(skill_labels.get(uri, uri)) for uri in summary.get("skills", []))
        return True


@dataclass
class RankedCandidates:
    model_version: str
    log_id: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    mitigation: str = ""  # the employer's exposure-aware re-ranking, when on


def _employer(user: WebUser, employer_id: str | None) -> str | None:
    chosen = employer_id or user.caller.employer_id
    if chosen:
        with api_errors():
            check_employer_access(user.caller, chosen)
    return chosen


@router.get("/offres", response_class=HTMLResponse)
def offer_list(request: Request, user: Recruiter, employeur: str | None = None) -> Response:
    state = state_of(request)
    employer_id = _employer(user, employeur)
    rows = queries.offer_summaries(state.db, queries.employer_offer_ids(state.db, employer_id)) if employer_id else []
    return render(request, "offers.html", user, offers=rows, employer_id=employer_id)


def rank_for_page(request: Request, user: WebUser, offer_id: str, filters: Filters) -> RankedCandidates:
    """As GET /v1/offers/{id}/candidates does (same access check, ranking, eligibility, explanations and log),
    with the page's filters applied to a wider pool when they narrow it."""
    state = state_of(request)
    model = model_of(state)
    with api_errors(), step("access"):
        check_offer_access(state, user.caller, offer_id)
    pool = FILTERED_POOL if filters.narrowing else SHOWN
    ranked, verdicts, mitigation = service.rank_candidates(state, model, offer_id, pool, filters.eligible_only)
    if filters.narrowing:
        summaries = queries.candidate_summaries(state.db, [c for c, _ in ranked])
        labels = _skill_labels(state, summaries) if filters.skill else {}
        ranked = [(c, s) for c, s in ranked if filters.keeps(summaries.get(c, {}), labels)]
    ranked = ranked[:SHOWN]
    ids = [c for c, _ in ranked]
    # The page's own reads do not wait for the explanations' (each is a round trip to Neo4j).
    applications = service.read_aside(queries.offer_applications, state.db, offer_id)
    suggested = service.read_aside(queries.suggestions, state.db, offer_id=offer_id, kind="candidate_for_offer")
    with step("explain"):
        reasons = service.explanations(state, offer_id, ids, model.version, model)
    log_id = service.log_served(
        state,
        user.caller,
        "candidates_for_offer",
        model.version,
        ranked,
        offer_id=offer_id,
        parameters=f"k={SHOWN};eligible_only={filters.eligible_only};departement={filters.departement};"
        f"categorie={filters.categorie};skill={filters.skill};via=web" + service.mitigation_parameter(mitigation),
    )
    with step("page-reads"):  # the pipeline and feedback reads started beside the explanations
        pipeline = {a["candidate_id"]: a for a in applications.result()}
        feedback = {s["candidate_id"]: s for s in suggested.result()}
    rows = [
        {
            "rank": i,
            "candidate_id": c,
            "score": s,
            "eligibility": verdicts[c],
            "explanation": reasons.get(c),
            "application": pipeline.get(c),
            "suggestion": feedback.get(c),
        }
        for i, (c, s) in enumerate(ranked, start=1)
    ]
    return RankedCandidates(model.version, log_id, rows, mitigation.note if mitigation else "")


def _skill_labels(state: Any, summaries: dict[str, dict[str, Any]]) -> dict[str, str]:
    from graph import explain

    uris = sorted({u for s in summaries.values() for u in s.get("skills", [])})
    return {u: str(row.get("label") or u) for u, row in explain.concept_labels(state.db, uris).items()}


def _filters(eligibles: bool = False, departement: str = "", categorie: str = "", competence: str = "") -> Filters:
    return Filters(eligibles, departement.strip(), categorie.strip(), competence.strip())


@router.get("/offres/{offer_id}", response_class=HTMLResponse)
def offer_page(
    request: Request,
    user: Recruiter,
    offer_id: str,
    eligibles: Annotated[bool, Query()] = False,
    departement: str = "",
    categorie: str = "",
    competence: str = "",
) -> Response:
    filters = _filters(eligibles, departement, categorie, competence)
    offer_read = service.read_aside(queries.offer, state_of(request).db, offer_id)  # shown only if access passes
    ranked = rank_for_page(request, user, offer_id, filters)
    offer = offer_read.result() or {}
    template = "_candidates.html" if is_htmx(request) else "offer.html"
    return render(request, template, user, offer=offer, ranked=ranked, filters=filters)


def _actions(request: Request, user: WebUser, offer_id: str, candidate_id: str, message: str = "") -> Response:
    """The candidate's action block after a change, re-read from Neo4j (what the page shows is what is stored)."""
    state = state_of(request)
    application = next(
        (a for a in queries.offer_applications(state.db, offer_id) if a["candidate_id"] == candidate_id), None
    )
    sid = queries.suggestion_id("candidate_for_offer", offer_id, candidate_id)
    row = {"candidate_id": candidate_id, "application": application, "suggestion": queries.suggestion(state.db, sid)}
    if not is_htmx(request):
        return RedirectResponse(f"/ui/offres/{offer_id}#candidat-{candidate_id}", status_code=303)
    return render(request, "_actions.html", user, offer={"offer_id": offer_id}, row=row, message=message)


@router.post("/offres/{offer_id}/candidats/{candidate_id}/avis")
def give_feedback(
    request: Request,
    user: CsrfChecked,
    offer_id: str,
    candidate_id: str,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Keep or dismiss a ranked candidate: stored as the employer's suggestion (as a pushed one would be), then
    the feedback recorded by POST /v1/suggestions/{id}/feedback's own function."""
    state = state_of(request)
    with api_errors():
        check_offer_access(state, user.caller, offer_id)
        if not queries.existing_candidates(state.db, [candidate_id]):
            raise HTTPException(404, f"candidate {candidate_id!r} not found")
        try:
            body = FeedbackIn.model_validate({"decision": decision, "reason": reason.strip() or None})
        except ValidationError as error:
            raise HTTPException(422, f"field decision: {error.errors()[0]['msg']}") from error
        if body.decision == "dismissed" and not body.reason:
            raise HTTPException(422, "field reason: a dismissal needs a reason (it is training signal)")
        sid = queries.suggestion_id("candidate_for_offer", offer_id, candidate_id)
        if queries.suggestion(state.db, sid) is None:
            model = model_of(state)
            score = float(model.score_pair(state.db, candidate_id, offer_id))
            row = {"kind": "candidate_for_offer", "offer_id": offer_id, "candidate_id": candidate_id,
                   "score": score, "rank": None, "model_version": model.version}  # fmt: skip
            queries.store_suggestions(state.db, [row])
        suggestions.give_feedback(sid, body, state, user.caller)
    label = "gardé·e" if body.decision == "kept" else "écarté·e"
    return _actions(request, user, offer_id, candidate_id, f"Avis enregistré : {label}.")


@router.post("/offres/{offer_id}/candidats/{candidate_id}/etape")
def move_application(
    request: Request,
    user: CsrfChecked,
    offer_id: str,
    candidate_id: str,
    stage: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Move the candidate's application to `stage` (PATCH /v1/applications/{id}), or record one (POST)."""
    state = state_of(request)
    found = next((a for a in queries.offer_applications(state.db, offer_id) if a["candidate_id"] == candidate_id), None)
    with api_errors():
        try:
            if found is None:
                new = ApplicationIn.model_validate({"offer_id": offer_id, "candidate_id": candidate_id, "stage": stage,
                                                    "reason": reason.strip() or None})  # fmt: skip
                applications.record_application(new, state, user.caller)
            else:
                update = ApplicationUpdate.model_validate({"stage": stage, "reason": reason.strip() or None})
                applications.update_application(found["application_id"], update, state, user.caller)
        except ValidationError as error:
            raise HTTPException(422, f"field stage: {error.errors()[0]['msg']}") from error
    return _actions(request, user, offer_id, candidate_id, f"Candidature : {stage}.")


OFFER_FIELDS = ("offer_id", "title", "description", "departement", "published_at", "versant", "categorie",
                "contract", "rome_appellation", "employer_id")  # fmt: skip


@router.get("/offres-nouvelle", response_class=HTMLResponse)
def new_offer_page(request: Request, user: Recruiter) -> Response:
    values = {"published_at": date.today().isoformat(), "contract": "titulaire_ou_contractuel"}
    return render(request, "offer_new.html", user, values=values, errors={}, created=None)


@router.post("/offres-nouvelle", response_class=HTMLResponse)
async def create_offer(request: Request, user: CsrfChecked) -> Response:
    """POST /v1/offers's own function: parsed by the loaders, embedded, its top candidates pushed."""
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in OFFER_FIELDS}
    errors: dict[str, str] = {}
    try:
        body = OfferIn.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as error:
        for item in error.errors():
            errors[str(item["loc"][0]) if item["loc"] else "offer_id"] = item["msg"]
        return render(request, "offer_new.html", user, 422, values=values, errors=errors, created=None)
    state = state_of(request)
    try:
        from fastapi.concurrency import run_in_threadpool

        created = await run_in_threadpool(offers.create_offer, body, state, user.caller, model_of(state))
    except HTTPException as error:
        detail = str(error.detail)
        errors[_field_named(detail)] = detail
        return render(request, "offer_new.html", user, error.status_code, values=values, errors=errors, created=None)
    return render(request, "offer_new.html", user, 201, values=values, errors={}, created=created)


def _field_named(detail: str) -> str:
    """The form field an API error message names ('field X: …', 'offer_id …'), else the form as a whole."""
    if detail.startswith("offer "):  # "offer 'X' already exists": the identifier is taken
        return "offer_id"
    for name in OFFER_FIELDS:
        if f"field {name}" in detail or detail.startswith(name) or f"{name} " in detail.split(":")[0]:
            return name
    return "form"


@router.get("/cv", response_class=HTMLResponse)
def cv_page(request: Request, user: Recruiter, offre: str = "") -> Response:
    return render(request, "cv.html", user, offer_id=offre, created=None, error=None)


@router.post("/cv", response_class=HTMLResponse)
def upload_cv(
    request: Request,
    user: CsrfChecked,
    fichier: UploadFile,
    offer_id: Annotated[str, Form()] = "",
) -> Response:
    """POST /v1/candidates's own function: the loaders' parser removes personal data before the graph."""
    state = state_of(request)
    try:
        created = candidates.upload_cv(state, user.caller, model_of(state), fichier, offer_id.strip() or None)
    except HTTPException as error:
        return render(request, "cv.html", user, error.status_code, offer_id=offer_id, created=None,
                      error=str(error.detail))  # fmt: skip
    return render(request, "cv.html", user, 201, offer_id=offer_id, created=created, error=None)


@router.get("/candidats/{candidate_id}", response_class=HTMLResponse)
def candidate_page(request: Request, user: Recruiter, candidate_id: str) -> Response:
    """The pseudonymous profile, the offers that fit (a recruiter's own employer's only) and next career steps."""
    state = state_of(request)
    model = model_of(state)
    with api_errors():
        check_candidate_access(state, user.caller, candidate_id)
        profile = candidates.get_candidate(candidate_id, state, user.caller)
        fitting = candidates.offers_for_candidate(candidate_id, state, user.caller, model, k=5, explain=False)
        try:
            steps = careers.candidate_next_steps(candidate_id, state, user.caller, model, k=5)
        except HTTPException as error:
            if error.status_code != 404:
                raise
            steps = None  # no career step to start from
    return render(request, "candidate.html", user, profile=profile, fitting=fitting, steps=steps)
