"""Applications and their outcomes: the recruitment history the next `vivier train` learns from."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api import oversight, service
from api.deps import ERRORS, Model, RecruiterOrAdmin, State, check_offer_access
from api.errors import problem_responses
from api.schemas import Application, ApplicationIn, ApplicationUpdate, RankedApplication, RankedApplications
from graph import queries
from graph.writes import write_applications
from loaders.records import ApplicationRecord

router = APIRouter(prefix="/v1", tags=["applications"], responses=ERRORS)


def _write(state: State, row: dict) -> None:

    write_applications(state.db, [ApplicationRecord(**row)])


@router.post(
    "/applications",
    status_code=201,
    response_model=Application,
    responses=problem_responses(409),
    summary="Record an application",
)
def record_application(body: ApplicationIn, state: State, caller: RecruiterOrAdmin) -> Application:
    check_offer_access(state, caller, body.offer_id)
    if not queries.existing_candidates(state.db, [body.candidate_id]):
        raise HTTPException(404, f"candidate {body.candidate_id!r} not found")
    application_id = body.application_id or f"api-{uuid.uuid4().hex[:12]}"
    if queries.application(state.db, application_id):
        raise HTTPException(409, f"application {application_id!r} already exists; PATCH it to change its stage")
    today = date.today().isoformat()
    _write(
        state,
        {
            "application_id": application_id,
            "offer_id": body.offer_id,
            "candidate_id": body.candidate_id,
            "stage": body.stage,
            "applied_at": body.applied_at or today,
            "updated_at": today,
            "reason": body.reason,
        },
    )
    return Application(**(queries.application(state.db, application_id) or {}))


@router.patch("/applications/{application_id}", response_model=Application, summary="Record an application's outcome")
def update_application(
    application_id: str, body: ApplicationUpdate, state: State, caller: RecruiterOrAdmin
) -> Application:
    """A new stage (shortlisted, interviewed, offered, hired, rejected, withdrawn) decided by a person."""
    found = queries.application(state.db, application_id)
    if found is None:
        raise HTTPException(404, f"application {application_id!r} not found")
    check_offer_access(state, caller, found["offer_id"])
    _write(
        state,
        {
            "application_id": application_id,
            "offer_id": found["offer_id"],
            "candidate_id": found["candidate_id"],
            "stage": body.stage,
            "applied_at": (found["applied_at"] or date.today().isoformat())[:10],
            "updated_at": date.today().isoformat(),
            "reason": body.reason,
        },
    )
    return Application(**(queries.application(state.db, application_id) or found))


@router.get("/offers/{offer_id}/applications", response_model=list[Application], summary="An offer's applications")
def list_applications(offer_id: str, state: State, caller: RecruiterOrAdmin) -> list[Application]:
    check_offer_access(state, caller, offer_id)
    return [Application(**r) for r in queries.offer_applications(state.db, offer_id)]


@router.get(
    "/offers/{offer_id}/applications/ranked",
    response_model=RankedApplications,
    summary="An offer's applications in the model's order (triage suggestion)",
)
def ranked_applications(
    offer_id: str,
    state: State,
    caller: RecruiterOrAdmin,
    model: Model,
    explain: Annotated[int, Query(ge=0, le=100, description="explain the first N applications")] = 10,
) -> RankedApplications:
    """The offer's applications, best first by the score the candidates' ranking gives (the chance of reaching
    shortlisted or later), each with its statutory eligibility and, for the first `explain`, its explanation: a
    suggestion for the recruiter's triage, who decides; no application's stage changes. The call is logged. 503
    while the employer's recommendations are suspended."""
    oversight.watch(state.db).check(check_offer_access(state, caller, offer_id))
    applications = [Application(**row) for row in queries.offer_applications(state.db, offer_id)]
    candidate_ids = list(dict.fromkeys(a.candidate_id for a in applications))
    scores = model.score_candidates(state.db, offer_id, candidate_ids)
    # Best first; the applications of candidates the model does not know yet keep their date order, last.
    ordered = sorted(applications, key=lambda a: -scores[a.candidate_id] if a.candidate_id in scores else float("inf"))
    verdicts = service.eligibilities(state, offer_id, candidate_ids)
    first = list(dict.fromkeys(a.candidate_id for a in ordered))[:explain]
    reasons = service.explanations(state, offer_id, first, model.version, model) if first else {}
    served = [a for a in ordered if a.candidate_id in verdicts]  # an application whose candidate left the graph: none
    log_id = service.log_served(
        state,
        caller,
        "ranked_applications",
        model.version,
        [(a.candidate_id, scores.get(a.candidate_id, -1.0)) for a in served],  # -1: not scored (unknown yet)
        offer_id=offer_id,
        parameters=f"explain={explain};unscored={sum(a.candidate_id not in scores for a in served)}",
    )
    ranked = [
        RankedApplication(
            rank=i,
            application=a,
            score=scores.get(a.candidate_id),
            eligibility=verdicts[a.candidate_id],
            explanation=reasons.get(a.candidate_id),
        )
        for i, a in enumerate(served, start=1)
    ]
    return RankedApplications(offer_id=offer_id, model_version=model.version, log_id=log_id, applications=ranked)
