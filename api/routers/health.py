"""Liveness and readiness (no key needed: they reveal nothing about candidates)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import State
from api.state import ModelUnavailable
from graph.schema import LATEST_VERSION, applied_versions

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness: the process answers")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", summary="Readiness: Neo4j answers, the schema is current and a model is loaded")
def ready(state: State) -> JSONResponse:
    checks: dict[str, object] = {}
    versions = applied_versions(state.db)  # raises ServiceUnavailable → 503 when Neo4j is down
    checks["schema"] = "ok" if LATEST_VERSION in versions else f"behind (latest {LATEST_VERSION}); run `vivier schema`"
    try:
        checks["model_version"] = state.recommender().version
    except ModelUnavailable as error:
        checks["model_version"] = None
        checks["model"] = str(error)
    ok = checks["schema"] == "ok" and checks["model_version"] is not None
    return JSONResponse({"status": "ready" if ok else "not ready", **checks}, status_code=200 if ok else 503)
