"""GDPR: export everything held about a candidate, erase a candidate; and the recommendation log (AI Act)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api import erasure
from api.deps import ERRORS, Admin, RecruiterOrAdmin, State, check_offer_access
from api.schemas import CandidateExport, Erasure, RecommendationLogEntry
from graph import erasure as erasure_graph
from graph import queries

router = APIRouter(prefix="/v1", tags=["gdpr and traceability"], responses=ERRORS)


@router.get(
    "/gdpr/candidates/{candidate_id}",
    response_model=CandidateExport,
    summary="Export everything held about a candidate",
)
def export_candidate(candidate_id: str, state: State, caller: Admin) -> CandidateExport:
    """The node, every relationship (skills, career steps, grades, applications), suggestions and the
    recommendation-log entries that name the candidate."""
    state.log_writer.flush()
    exported = queries.export_candidate(state.db, candidate_id)
    if exported is None:
        raise HTTPException(404, f"candidate {candidate_id!r} not found")
    return CandidateExport.model_validate(exported)


@router.delete("/gdpr/candidates/{candidate_id}", response_model=Erasure, summary="Erase a candidate")
def erase_candidate(candidate_id: str, state: State, caller: Admin) -> Erasure:
    """Leaves nothing of the candidate (docs/api.md, *Erasure*): the node with its relationships and embedding, its
    suggestions, its id in the recommendation log (replaced by `erased`; time, model version and scores stay, for
    traceability), its rows in every stored model version and in the text files under the data directory, and its
    embedding in the memory of every API process (this one at once, the others within one freshness poll)."""
    state.log_writer.flush()
    erased = erasure.erase_in_graph(state.db, candidate_id)
    if erased is None:
        raise HTTPException(404, f"candidate {candidate_id!r} not found")
    state.changed()  # the next ranking in this process no longer trusts the cached facts that still list them
    model = state.model_if_loaded()
    if model is not None:
        model.forget_candidate(candidate_id)  # the in-memory embedding matrix must not keep the erased candidate
    state.log_writer.flush()  # entries served while the erase ran
    erased["logs"] += erasure_graph.scrub_logs(state.db, candidate_id)
    files = erasure.erase_from_files(candidate_id)
    return Erasure.model_validate({"candidate_id": candidate_id, "erased": True, **erased, **files})


@router.get(
    "/logs", response_model=list[RecommendationLogEntry], summary="Recommendations served (AI Act traceability)"
)
def recommendation_logs(
    state: State,
    caller: RecruiterOrAdmin,
    offer_id: str | None = None,
    candidate_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[RecommendationLogEntry]:
    """An admin reads every entry; a recruiter the entries about its employer's offers."""
    if caller.role == "recruiter":
        if offer_id is None:
            raise HTTPException(422, "offer_id is required for a recruiter")
        check_offer_access(state, caller, offer_id)
    state.log_writer.flush()
    rows = queries.recommendation_logs(state.db, offer_id=offer_id, candidate_id=candidate_id, limit=limit)
    return [RecommendationLogEntry.model_validate(r) for r in rows]
