"""The kill switch (issue 17): an admin suspends recommendations for everyone or for one employer, and resumes
them. While suspended, rankings and pushes answer 503 `recommendations_suspended`; suggestions already pushed and
still open are marked `withdrawn`. An admin also turns an employer's exposure-aware re-ranking on or off. Every
change goes to the oversight trail (who, when, why)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api import oversight
from api.deps import ERRORS, Admin, State
from api.schemas import MitigationIn, MitigationOut, SuspensionIn, SuspensionOut
from audit.attributes import read_attributes
from graph import queries
from graph.oversight import (
    active_suspensions,
    exposure_mitigations,
    oversight_events,
    resume,
    scope_of,
    set_exposure_mitigation,
    suspend,
)

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


@router.put("/mitigations/{employer_id}", response_model=MitigationOut, summary="Turn on the exposure-aware re-ranking")
def turn_mitigation_on(employer_id: str, body: MitigationIn, state: State, caller: Admin) -> MitigationOut:
    """The employer's served rankings are re-ranked so that each group of `attribute` keeps at least (1 − max_gap)
    of its share of every prefix of the top k (docs/fairness.md, *Mitigation*). 422 when the sensitive-attributes
    file lacks the attribute."""
    _check_employer(state, employer_id)
    try:
        columns = read_attributes().columns
    except (FileNotFoundError, ValueError) as error:
        raise HTTPException(422, f"field attribute: {error}") from error
    if body.attribute not in columns:
        known = ", ".join(columns)
        raise HTTPException(422, f"field attribute: {body.attribute!r} is not in the attributes file ({known})")
    set_exposure_mitigation(
        state.db, employer_id, body.attribute, body.max_gap, f"api-key:{caller.key_id}", body.reason
    )
    oversight.watch(state.db).refresh()
    return MitigationOut(employer_id=employer_id, on=True, attribute=body.attribute, max_gap=body.max_gap)


@router.delete("/mitigations/{employer_id}", response_model=MitigationOut, summary="Turn off the re-ranking")
def turn_mitigation_off(
    employer_id: str,
    state: State,
    caller: Admin,
    reason: Annotated[str, Query(min_length=3, max_length=2000, description="why: recorded in the trail")],
) -> MitigationOut:
    """The employer's rankings are served in the model's order again. 404 when it was not on."""
    _check_employer(state, employer_id)
    if employer_id not in exposure_mitigations(state.db):
        raise HTTPException(404, f"the exposure-aware re-ranking is not on for employer {employer_id!r}")
    set_exposure_mitigation(state.db, employer_id, None, 0.0, f"api-key:{caller.key_id}", reason)
    oversight.watch(state.db).refresh()
    return MitigationOut(employer_id=employer_id, on=False)


@router.get("/mitigations", summary="Employers whose rankings are re-ranked for exposure")
def list_mitigations(state: State, caller: Admin) -> dict[str, dict[str, object]]:
    return exposure_mitigations(state.db)
