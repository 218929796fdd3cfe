"""Applications and their outcomes: the recruitment history the next `vivier train` learns from."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, HTTPException

from api.deps import ERRORS, RecruiterOrAdmin, State, check_offer_access
from api.errors import problem_responses
from api.schemas import Application, ApplicationIn, ApplicationUpdate
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
