"""Liveness and readiness (no key needed: they reveal nothing about candidates)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from api.deps import State
from api.errors import problem_responses
from api.schemas import Health, Readiness
from api.state import ModelUnavailable
from graph.schema import LATEST_VERSION, applied_versions

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Liveness: the process answers")
def health() -> Health:
    return Health(status="ok")


@router.get(
    "/ready",
    response_model=Readiness,
    responses=problem_responses(503),
    summary="Readiness: Neo4j answers, the schema is current and a model is loaded",
)
def ready(state: State) -> Readiness:
    """200 when ready; otherwise 503 whose `detail` says what is missing (Neo4j, the schema, the model)."""
    versions = applied_versions(state.db)  # raises ServiceUnavailable → 503 when Neo4j is down
    missing = []
    if LATEST_VERSION not in versions:
        missing.append(f"schema behind (latest {LATEST_VERSION}); run `vivier schema`")
    try:
        model_version = state.recommender().version
    except ModelUnavailable as error:
        missing.append(str(error))
    if missing:
        raise HTTPException(503, "not ready: " + "; ".join(missing), headers={"Retry-After": "10"})
    return Readiness.model_validate({"status": "ready", "schema": "ok", "model_version": model_version})
