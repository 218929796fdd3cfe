"""Ontology curation for HR experts: search concepts, read one with its neighbours, apply typed changes
(audited, versioned by the ontology layer)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from api.deps import Curator, State

router = APIRouter(prefix="/v1/ontology", tags=["ontology"])


@router.get("/concepts", summary="Search concepts by label")
def search(state: State, caller: Curator, q: Annotated[str, Query(min_length=2)],
           limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[dict[str, Any]]:  # fmt: skip
    from graph.curation import search_concepts

    return list(search_concepts(state.driver, q, limit=limit))


@router.get("/concept", summary="One concept with its neighbours")
def concept(state: State, caller: Curator, uri: Annotated[str, Query(description="concept URI")]) -> dict[str, Any]:
    from graph.curation import concept_with_neighbours

    found = concept_with_neighbours(state.driver, uri)
    if not found:
        raise HTTPException(404, f"concept {uri!r} not found")
    return dict(found)
