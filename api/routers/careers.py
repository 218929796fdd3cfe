"""Career next steps (for a candidate or an occupation) and career paths between two occupations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api import service
from api.deps import ERRORS, CurrentCaller, Model, RecruiterOrAdmin, State, check_candidate_access
from api.schemas import CareerPaths, ConceptRef, NextStep, NextSteps
from api.state import AppState, Recommender
from graph import explain
from graph.access import Caller

router = APIRouter(prefix="/v1", tags=["careers"], responses=ERRORS)
K = Annotated[int, Query(ge=1, le=50)]


def _public_service_steps(
    state: AppState, origin_uri: str, k: int, candidate_id: str | None, held: set[str]
) -> list[NextStep]:
    """Steps out of the origin (an emploi-référence's job moves, a grade's or cadre's statutory steps) and out of
    the candidate's grades, most plausible first, each with its kind and requirement."""
    origins = [origin_uri, *(explain.candidate_grades(state.db, candidate_id) if candidate_id else [])]
    rows = [(origin, row) for origin in origins for row in explain.career_steps_from(state.db, origin, k)]
    rows.sort(key=lambda pair: -float(pair[1]["weight"] or 0.0))
    rows = rows[:k]
    pairs = sorted({(origin, row["uri"]) for origin, row in rows})
    to_acquire = explain.skills_to_acquire_between(state.db, pairs, held)
    return [
        NextStep(
            uri=row["uri"],
            label=row["label"],
            code=row["code"],
            score=None,
            transition=None,
            kind=row["kind"],
            requirement=row["requirement"],
            basis=row["basis"],
            weight=row["weight"],
            provenance=row["provenance"],
            skills_to_acquire=[ConceptRef(**s) for s in to_acquire.get((origin, row["uri"]), [])][:10],
        )
        for origin, row in rows
    ]


def _next_steps(
    state: AppState, caller: Caller, model: Recommender, occupation_uri: str, k: int, candidate_id: str | None
) -> NextSteps:
    """Public-service steps first (job moves between RMFP emplois-référence, and the statutory steps of the
    candidate's grade or of the grade / cadre asked for), then the model's next occupations, completed by the
    real transitions of the mobility graph; each with the skills to acquire (those the candidate lacks, when there
    is a candidate)."""
    occupation = explain.concept_labels(state.db, [occupation_uri]).get(occupation_uri)
    if occupation is None:
        raise HTTPException(404, f"occupation {occupation_uri!r} not found")
    held: set[str] = set()
    if candidate_id:
        held = explain.candidate_skill_sets(state.db, [candidate_id]).get(candidate_id, set())
    public = _public_service_steps(state, occupation_uri, k, candidate_id, held)
    scored = [(str(u), float(s)) for u, s in model.next_steps(state.db, occupation_uri, k)]
    transitions = {row["uri"]: row for row in explain.next_occupations(state.db, occupation_uri, k)}
    uris = [u for u, _ in scored] + [u for u in transitions if u not in dict(scored)]
    labels = explain.concept_labels(state.db, uris)
    steps = public[:k]
    for uri in uris[: k - len(steps)]:
        route = explain.career_paths(state.db, occupation_uri, uri, k=1, held_skills=held)
        to_acquire = [s for step in route[0]["steps"] for s in step["skills_to_acquire"]] if route else []
        steps.append(
            NextStep(
                uri=uri,
                label=labels.get(uri, {}).get("label"),
                code=labels.get(uri, {}).get("code"),
                score=dict(scored).get(uri),
                transition=transitions.get(uri, {}).get("kind"),
                skills_to_acquire=[ConceptRef(**s) for s in to_acquire][:10],
            )
        )
    log_id = service.log_served(
        state,
        caller,
        "next_steps",
        model.version,
        scored,
        candidate_id=candidate_id,
        occupation_uri=occupation_uri,
        parameters=f"k={k}",
    )
    return NextSteps(
        occupation=ConceptRef(**occupation),
        candidate_id=candidate_id,
        model_version=model.version,
        log_id=log_id,
        steps=steps,
    )


@router.get("/occupations/next-steps", response_model=NextSteps, summary="Next career steps from an occupation")
def occupation_next_steps(
    state: State,
    caller: CurrentCaller,
    model: Model,
    uri: Annotated[str, Query(description="occupation concept URI")],
    k: K = 10,
) -> NextSteps:
    return _next_steps(state, caller, model, uri, k, None)


@router.get("/candidates/{candidate_id}/next-steps", response_model=NextSteps, summary="A candidate's next steps")
def candidate_next_steps(
    candidate_id: str, state: State, caller: RecruiterOrAdmin, model: Model, k: K = 10
) -> NextSteps:
    """From the candidate's latest occupation; skills to acquire exclude those the candidate already has."""
    check_candidate_access(state, caller, candidate_id)
    latest = explain.latest_occupations(state.db, [candidate_id]).get(candidate_id)
    if latest is None:
        raise HTTPException(404, f"candidate {candidate_id!r} has no career step to start from")
    return _next_steps(state, caller, model, latest["uri"], k, candidate_id)


@router.get("/careers/paths", response_model=CareerPaths, summary="Career paths between two occupations")
def career_paths(
    state: State,
    caller: CurrentCaller,
    from_uri: Annotated[str, Query(description="starting occupation, grade or cadre d'emplois URI")],
    to_uri: Annotated[str, Query(description="target occupation, grade or cadre d'emplois URI")],
    k: Annotated[int, Query(ge=1, le=10)] = 3,
) -> CareerPaths:
    """The most plausible routes, with the skills to acquire at each step: between grades, cadres d'emplois and
    RMFP emplois-référence, through job moves and statutory steps (each with its kind and requirement), else
    through real ROME mobility transitions (fewest steps, 'proche' before 'evolution')."""
    labels = explain.concept_labels(state.db, [from_uri, to_uri])
    for uri in (from_uri, to_uri):
        if uri not in labels:
            raise HTTPException(404, f"occupation {uri!r} not found")
    routes = explain.career_paths(state.db, from_uri, to_uri, k=k)
    return CareerPaths.model_validate(
        {"from_occupation": labels[from_uri], "to_occupation": labels[to_uri], "routes": routes}
    )
