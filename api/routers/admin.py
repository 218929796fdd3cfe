"""Administration: API keys (stored hashed) and reloading the model after `vivier train`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response

from api.deps import ERRORS, Admin, State
from api.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyInfo, ModelReloaded
from graph.access import AccessError, create_api_key, list_api_keys, revoke_api_key

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=ERRORS)


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated, summary="Create an API key")
def create_key(body: ApiKeyIn, state: State, caller: Admin) -> ApiKeyCreated:
    """422 beyond the schema: a recruiter key names an employer that is in the graph; other roles name none."""
    try:
        created, key = create_api_key(state.db, body.role, body.employer_id, body.label)
    except AccessError as error:
        raise HTTPException(422, str(error)) from error
    return ApiKeyCreated(key_id=created.key_id, role=created.role, employer_id=created.employer_id, api_key=key)


@router.get("/api-keys", response_model=list[ApiKeyInfo], summary="List API keys (never the keys themselves)")
def list_keys(state: State, caller: Admin) -> list[ApiKeyInfo]:
    return [ApiKeyInfo.model_validate(k) for k in list_api_keys(state.db)]


@router.delete("/api-keys/{key_id}", status_code=204, summary="Revoke an API key")
def revoke_key(key_id: str, state: State, caller: Admin) -> Response:
    if not revoke_api_key(state.db, key_id):
        raise HTTPException(404, f"API key {key_id!r} not found")
    state.forget_key(key_id)
    state.changed()
    return Response(status_code=204)


@router.post("/model/reload", response_model=ModelReloaded, summary="Serve the latest trained model")
def reload_model(state: State, caller: Admin) -> ModelReloaded:
    state.reload_recommender()
    return ModelReloaded(model_version=state.recommender().version)
