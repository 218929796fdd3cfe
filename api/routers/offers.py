"""Offers: create and update (through the loaders' own parser), read, and rank candidates for them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from api import oversight, service
from api.deps import (
    ERRORS,
    Model,
    RankingRecruiterOrAdmin,
    RecruiterOrAdmin,
    State,
    check_employer_access,
    check_offer_access,
    confirm_key,
)
from api.errors import problem_responses
from api.schemas import (
    CandidateMatch,
    CandidatesForOffer,
    ExposureMitigation,
    OfferCreated,
    OfferIn,
    OfferView,
    PairScore,
    Suggestion,
)
from api.timing import step
from graph import queries
from graph.writes import write_offers
from loaders.offers import parse_offer
from loaders.records import RecordError

router = APIRouter(prefix="/v1/offers", tags=["offers"], responses=ERRORS)
K = Annotated[int, Query(ge=1, le=100, description="how many to return")]


def _write_offer(state: State, body: OfferIn, employer_id: str) -> None:
    try:
        record = parse_offer(
            body.model_dump(mode="json", exclude_none=True) | {"employer_id": employer_id}, source="api"
        )
    except RecordError as error:
        raise HTTPException(422, f"offer {body.offer_id!r}, field {error.field}: {error.reason}") from error
    write_offers(state.db, [record])
    state.changed()  # the next ranking in this process reads the offer's new requirement


def _owning_employer(state: State, caller: RecruiterOrAdmin, body: OfferIn) -> str:
    employer_id = body.employer_id or caller.employer_id
    if not employer_id:
        raise HTTPException(422, "employer_id is required (an admin key is bound to no employer)")
    check_employer_access(caller, employer_id)
    if not queries.employer_exists(state.db, employer_id):
        raise HTTPException(422, f"employer_id {employer_id!r} is not a known employer")
    return employer_id


@router.post(
    "",
    status_code=201,
    response_model=OfferCreated,
    responses=problem_responses(409),
    summary="Create an offer and push its top candidates",
)
def create_offer(body: OfferIn, state: State, caller: RecruiterOrAdmin, model: Model) -> OfferCreated:
    """Parses the offer like a file would be, writes it, embeds it with the current model, stores its top
    candidates as **suggestions** for the employer and delivers them to the employer's webhooks.

    422 beyond the schema: a grade, cadre d'emplois, ROME appellation (OGR) or RMFP code the repertories do not
    hold; `closes_at` before `published_at`; an employer that is not in the graph, or none named by an admin."""
    employer_id = _owning_employer(state, caller, body)
    if queries.offer_employers(state.db, [body.offer_id]):
        raise HTTPException(409, f"offer {body.offer_id!r} already exists; PUT /v1/offers/{body.offer_id} updates it")
    _write_offer(state, body, employer_id)
    model.embed_new_offer(state.db, body.offer_id)
    pushed = service.push_for_offer(state, model, body.offer_id, employer_id)
    return OfferCreated(offer_id=body.offer_id, employer_id=employer_id, suggestions=[Suggestion(**s) for s in pushed])


@router.put(
    "/{offer_id}",
    response_model=OfferCreated,
    responses=problem_responses(409),
    summary="Update an offer (re-parsed, re-embedded)",
)
def update_offer(offer_id: str, body: OfferIn, state: State, caller: RecruiterOrAdmin, model: Model) -> OfferCreated:
    """The offer re-parsed, re-embedded and its suggestions recomputed. 409 when the body's `offer_id` is not the
    path's; 422 beyond the schema as for `POST /v1/offers`."""
    check_offer_access(state, caller, offer_id)
    if body.offer_id != offer_id:
        raise HTTPException(409, f"body offer_id {body.offer_id!r} differs from the path's {offer_id!r}")
    employer_id = _owning_employer(state, caller, body)
    _write_offer(state, body, employer_id)
    state.forget_offer(offer_id)
    model.embed_new_offer(state.db, offer_id)
    pushed = service.push_for_offer(state, model, offer_id, employer_id)
    return OfferCreated(offer_id=offer_id, employer_id=employer_id, suggestions=[Suggestion(**s) for s in pushed])


@router.get(
    "", response_model=list[str], summary="Offer ids: an employer's (the caller's by default; all for an admin)"
)
def list_offers(
    state: State,
    caller: RecruiterOrAdmin,
    employer_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="at most this many, newest first (admin, all)")] = 1000,
) -> list[str]:
    if employer_id is not None:
        check_employer_access(caller, employer_id)
    employer_id = employer_id or caller.employer_id
    if employer_id is None:  # an admin without an employer: every offer
        return list(queries.all_offer_employers(state.db, limit))
    return queries.employer_offer_ids(state.db, employer_id)


@router.get("/{offer_id}", response_model=OfferView, summary="One offer with its occupations")
def get_offer(offer_id: str, state: State, caller: RecruiterOrAdmin) -> OfferView:
    check_offer_access(state, caller, offer_id)
    found = queries.offer(state.db, offer_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"offer {offer_id!r} not found")
    return OfferView.model_validate(found)


@router.get("/{offer_id}/candidates", response_model=CandidatesForOffer, summary="Top-k candidates for an offer")
def candidates_for_offer(
    offer_id: str,
    state: State,
    pending: RankingRecruiterOrAdmin,
    model: Model,
    k: K = 10,
    eligible_only: Annotated[bool, Query(description="only candidates statutorily eligible")] = False,
    explain: Annotated[bool, Query(description="add the explanation of each candidate")] = True,
) -> CandidatesForOffer:
    """Ranked **suggestions** with score, statutory eligibility and explanation. An ineligible candidate is shown
    with the reasons, not removed (unless `eligible_only`); the recruiter decides. The call is logged."""
    # The hot path: the key's revocation check is made against the freshness snapshot (no round trip).
    caller = pending.caller
    with step("access"):
        try:
            check_offer_access(state, caller, offer_id)
        except HTTPException:
            confirm_key(state, pending)  # a revoked key gets 401, not a 404 or 403 that tells it about offers
            raise
    ranked, verdicts, mitigation = service.rank_candidates(state, model, offer_id, k, eligible_only, pending)
    with step("explain"):
        reasons = service.explanations(state, offer_id, [c for c, _ in ranked], model.version, model) if explain else {}
    log_id = service.log_served(
        state,
        caller,
        "candidates_for_offer",
        model.version,
        ranked,
        offer_id=offer_id,
        parameters=f"k={k};eligible_only={eligible_only}" + service.mitigation_parameter(mitigation),
    )
    matches = [
        CandidateMatch(rank=i, candidate_id=c, score=s, eligibility=verdicts[c], explanation=reasons.get(c))
        for i, (c, s) in enumerate(ranked, start=1)
    ]
    return CandidatesForOffer(
        offer_id=offer_id,
        model_version=model.version,
        log_id=log_id,
        candidates=matches,
        mitigation=ExposureMitigation(**vars(mitigation)) if mitigation else None,
    )


@router.get("/{offer_id}/candidates/{candidate_id}", response_model=PairScore, summary="Score one pair, explained")
def score_pair(offer_id: str, candidate_id: str, state: State, caller: RecruiterOrAdmin, model: Model) -> PairScore:
    """503 while the offer's employer's recommendations are suspended (the kill switch), as its ranking is."""
    oversight.watch(state.db).check(check_offer_access(state, caller, offer_id))
    if not queries.existing_candidates(state.db, [candidate_id]):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"candidate {candidate_id!r} not found")
    score = float(model.score_pair(state.db, candidate_id, offer_id))
    verdict = service.eligibilities(state, offer_id, [candidate_id])[candidate_id]
    reason = service.explanations(state, offer_id, [candidate_id], model.version, model)[candidate_id]
    log_id = service.log_served(
        state,
        caller,
        "score_pair",
        model.version,
        [(candidate_id, score)],
        offer_id=offer_id,
        candidate_id=candidate_id,
    )
    return PairScore(
        offer_id=offer_id,
        candidate_id=candidate_id,
        score=score,
        model_version=model.version,
        log_id=log_id,
        eligibility=verdict,
        explanation=reason,
    )
