"""Ontology curation for HR experts: search concepts, read one with its neighbours, apply typed changes
(validated by SHACL, persisted, audited and synchronised to Neo4j by `graph.curation`), read the audit log."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query

from api.deps import ERRORS, Curator, State
from api.schemas import AppliedChangeOut, AuditRecord, ConceptDetail, ConceptHit, CurationChangeIn
from graph.curation import apply_change, audit_log, concept_with_neighbours, search_concepts
from ontology.curation import CurationError, change_from_dict
from ontology.validate import OntologyValidationError

router = APIRouter(prefix="/v1/ontology", tags=["ontology"], responses=ERRORS)

CHANGE_EXAMPLE = {"op": "add_label", "uri": "https://id.vivier.fr/rome/fiche/K1401", "label": "Agent d'accueil"}


@router.get(
    "/concepts", response_model=list[ConceptHit], summary="Search concepts by label or code (accents and case ignored)"
)
def search(
    state: State,
    caller: Curator,
    q: Annotated[str, Query(min_length=2, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[ConceptHit]:
    return [ConceptHit.model_validate(hit) for hit in search_concepts(state.db, q, limit=limit)]


@router.get("/concept", response_model=ConceptDetail, summary="One concept with its ontology neighbours")
def concept(state: State, caller: Curator, uri: Annotated[str, Query(description="concept URI")]) -> ConceptDetail:
    try:
        return ConceptDetail.model_validate(concept_with_neighbours(state.db, uri))
    except KeyError as error:
        raise HTTPException(404, f"concept {uri!r} not found") from error


@router.post("/changes", status_code=201, response_model=AppliedChangeOut, summary="Apply one curation change")
def apply(
    state: State,
    caller: Curator,
    change: Annotated[
        CurationChangeIn,
        Body(
            description="`op` (add_label, remove_label, change_label, add_relation, "
            "remove_relation, merge, deprecate) and its fields",
            examples=[CHANGE_EXAMPLE],
        ),
    ],
) -> AppliedChangeOut:
    """The change is validated (SHACL) before anything is written; a refused change writes nothing (422; 404 when
    it names a concept the ontology does not hold)."""
    try:
        typed = change_from_dict(change.model_dump(exclude_none=True))
        entry = apply_change(typed, actor=f"{caller.role}:{caller.key_id}", db=state.db)
    except OntologyValidationError as error:
        raise HTTPException(422, f"change refused by the SHACL shapes: {error}") from error
    except CurationError as error:
        if str(error).startswith("unknown concept"):  # the change names a concept the ontology does not hold
            raise HTTPException(404, f"change refused: {error}") from error
        raise HTTPException(422, f"change refused: {error}") from error
    except ValueError as error:
        raise HTTPException(422, f"change refused: {error}") from error
    state.changed()  # curation bumps every counter: this process's cached routes and facts go at once
    return AppliedChangeOut.model_validate(asdict(entry))


@router.get("/audit", response_model=list[AuditRecord], summary="The latest curation changes (who, when, what)")
def audit(state: State, caller: Curator, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[AuditRecord]:
    return [AuditRecord.model_validate(row) for row in audit_log(state.db, limit=limit)]
