"""Pushed suggestions, the recruiter's feedback on them, and the webhooks they are delivered to."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response

from api.deps import ERRORS, RecruiterOrAdmin, State, check_offer_access
from api.push import UnsafeWebhook, resolve_webhook
from api.schemas import FeedbackIn, Suggestion, Webhook, WebhookIn
from graph import queries

router = APIRouter(prefix="/v1", tags=["suggestions"], responses=ERRORS)


@router.get("/suggestions", response_model=list[Suggestion], summary="Suggestions pushed to the caller's employer")
def list_suggestions(
    state: State,
    caller: RecruiterOrAdmin,
    offer_id: str | None = None,
    kind: Literal["candidate_for_offer", "offer_for_candidate"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Suggestion]:
    """A recruiter sees its employer's `candidate_for_offer` suggestions; an admin sees all. Suggestions only."""
    if offer_id is not None:
        check_offer_access(state, caller, offer_id)
    if caller.role == "recruiter":
        if kind == "offer_for_candidate":
            raise HTTPException(403, "offer_for_candidate suggestions go to the job board, not to recruiters")
        kind = "candidate_for_offer"
    rows = queries.suggestions(state.db, employer_id=caller.employer_id, offer_id=offer_id, kind=kind, limit=limit)
    return [Suggestion(**r) for r in rows]


@router.post("/suggestions/{suggestion_id}/feedback", response_model=Suggestion, summary="Keep or dismiss")
def give_feedback(suggestion_id: str, body: FeedbackIn, state: State, caller: RecruiterOrAdmin) -> Suggestion:
    """The recruiter's decision on a suggestion, with a reason: training signal for the next `vivier train`."""
    # One round trip: the employer check (as `check_employer_access`), the write and the answer in one query.
    employer = caller.employer_id if caller.role == "recruiter" else queries.ANY_EMPLOYER
    found, written = queries.record_feedback(
        state.db, suggestion_id, body.decision, body.reason, caller.key_id, employer
    )
    if found is None:
        raise HTTPException(404, f"suggestion {suggestion_id!r} not found")
    if not written:  # another employer's suggestion, left unchanged: the 403 of `check_employer_access`
        raise HTTPException(403, f"employer {found['employer_id'] or ''!r} is not your employer")
    return Suggestion(**found)


@router.post("/webhooks", status_code=201, response_model=Webhook, summary="Register a webhook for pushed suggestions")
def register_webhook(body: WebhookIn, state: State, caller: RecruiterOrAdmin) -> Webhook:
    """Deliveries are JSON POSTs signed with `X-Vivier-Signature: sha256=<HMAC-SHA256 of the body>` and retried
    with exponential back-off. `candidates_for_offer` goes to an employer; `offers_for_candidate` to the job board.
    The URL must be http(s) and its host must resolve to public addresses only (checked again at each delivery);
    otherwise 422. 422 too for an employer that is not in the graph, or none named for `candidates_for_offer`."""
    employer_id = caller.employer_id if caller.role == "recruiter" else body.employer_id
    if caller.role == "recruiter":
        if body.employer_id not in (None, caller.employer_id):
            raise HTTPException(403, f"employer {body.employer_id!r} is not your employer")
        if body.topic != "candidates_for_offer":
            raise HTTPException(403, "a recruiter's webhook receives candidates_for_offer only")
    if body.topic == "candidates_for_offer" and not employer_id:
        raise HTTPException(422, "employer_id is required for candidates_for_offer")
    if employer_id and not queries.employer_exists(state.db, employer_id):
        raise HTTPException(422, f"employer_id {employer_id!r} is not a known employer")
    try:
        resolve_webhook(str(body.url), state.dispatcher.allow_private)
    except UnsafeWebhook as error:
        raise HTTPException(422, f"field url: {error}") from error
    webhook_id = queries.register_webhook(state.db, str(body.url), body.topic, employer_id)
    return Webhook(webhook_id=webhook_id, url=str(body.url), topic=body.topic, employer_id=employer_id)


@router.get("/webhooks", response_model=list[Webhook], summary="The caller's webhooks")
def list_webhooks(state: State, caller: RecruiterOrAdmin) -> list[Webhook]:
    return [Webhook(**w) for w in queries.webhooks(state.db, employer_id=caller.employer_id)]


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Remove a webhook")
def delete_webhook(webhook_id: str, state: State, caller: RecruiterOrAdmin) -> Response:
    hooks = {w["webhook_id"]: w for w in queries.webhooks(state.db)}
    if webhook_id not in hooks:
        raise HTTPException(404, f"webhook {webhook_id!r} not found")
    if caller.role == "recruiter" and hooks[webhook_id]["employer_id"] != caller.employer_id:
        raise HTTPException(403, f"webhook {webhook_id!r} belongs to another employer")
    queries.delete_webhook(state.db, webhook_id)
    return Response(status_code=204)
