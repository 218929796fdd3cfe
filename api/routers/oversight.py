"""The kill switch (issue 17): an admin suspends recommendations for everyone or for one employer, and resumes
them. While suspended, rankings and pushes answer 503 `recommendations_suspended`; suggestions already pushed and
still open are marked `withdrawn`. Every change goes to the oversight trail (who, when, why)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api import oversight
from api.deps import ERRORS, Admin, State
from api.schemas import SuspensionIn, SuspensionOut
from graph import queries
from graph.oversight import active_suspensions, oversight_events, resume, scope_of, suspend

router = APIRouter(prefix="/v1/admin", tags=["oversight"], responses=ERRORS)


def _check_employer(state: State, employer_id: str | None) -> None:
    if employer_id is not None and not queries.employer_exists(state.db, employer_id):
        raise HTTPException(404, f"employer {employer_id!r} not found")


@router.post("/suspensions", status_code=201, response_model=SuspensionOut, summary="Suspend recommendations")
def suspend_recommendations(body: SuspensionIn, state: State, caller: Admin) -> SuspensionOut:
    """Globally (no `employer_id`) or for one employer. Open suggestions already pushed become `withdrawn`."""
    _check_employer(state, body.employer_id)
    withdrawn = suspend(state.db, body.employer_id, f"api-key:{caller.key_id}", body.reason)
    oversight.watch(state.db).refresh()
    return SuspensionOut(scope=scope_of(body.employer_id), suspended=True, withdrawn_suggestions=withdrawn)


@router.delete("/suspensions", response_model=SuspensionOut, summary="Resume recommendations")
def resume_recommendations(
    state: State,
    caller: Admin,
    reason: Annotated[str, Query(min_length=3, max_length=2000, description="why: recorded in the trail")],
    employer_id: Annotated[str | None, Query(description="the employer; absent: the global suspension")] = None,
) -> SuspensionOut:
    """Lifts that scope's suspension; withdrawn suggestions stay withdrawn. 404 when it was not suspended."""
    if not resume(state.db, employer_id, f"api-key:{caller.key_id}", reason):
        raise HTTPException(404, f"recommendations are not suspended for {scope_of(employer_id)}")
    oversight.watch(state.db).refresh()
    return SuspensionOut(scope=scope_of(employer_id), suspended=False)


@router.get("/suspensions", summary="Suspensions in force and the oversight trail")
def list_suspensions(
    state: State, caller: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, object]:
    return {"active": active_suspensions(state.db), "events": oversight_events(state.db, limit)}
