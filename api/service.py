"""What the endpoints do beyond HTTP: eligibility, explanations, logging every recommendation served, and
storing and pushing suggestions. Routers stay thin; this module holds the domain logic of serving."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from api import oversight
from api.deps import PendingCaller, confirm_key
from api.push import Delivery
from api.schemas import Eligibility, Explanation
from api.state import AppState, Recommender
from api.timing import step
from audit.mitigation import SERVING_DEPTH, ServedMitigation, ServingGroups, rerank_served
from graph import explain, queries, statutory
from graph.access import Caller
from graph.db import Database
from graph.revision import OFFERS, STATUTORY_FACTS
from ontology.eligibility import check_eligibility

T = TypeVar("T")
PUSH_TOP_K = 10  # suggestions stored and pushed when an offer or a CV arrives
# Reads of one request that do not depend on each other (explanations), run side by side: each waits on Neo4j.
_READS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="vivier-reads")


def read_aside(read: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
    """Start a read of Neo4j on `_READS` while the request does something else; `.result()` waits for it."""
    return _READS.submit(read, *args, **kwargs)


def eligibilities(
    state: AppState, offer_id: str, candidate_ids: Sequence[str], pending: PendingCaller | None = None
) -> dict[str, Eligibility]:
    """Statutory eligibility with its reasons, for the candidates still in the graph (an erased one is absent).
    The facts are read as the model's own `eligible_only` filter reads them (gnn.eligibility), so both agree.
    With a `pending` caller, the same query confirms its key is not revoked (401 otherwise)."""
    facts = queries.statutory_facts(state.db, offer_id, candidate_ids, key_id=_key_id(pending))
    if pending is not None:
        confirm_key(state, pending, facts.key_active)
    return verdicts(facts.offer, facts.candidates)


def _key_id(pending: PendingCaller | None) -> str | None:
    return pending.caller.key_id if pending is not None and pending.key is not None else None


def verdicts(offer: dict[str, Any] | None, candidates: dict[str, dict[str, Any]]) -> dict[str, Eligibility]:
    """Each candidate's eligibility for the offer, from the facts `queries.statutory_facts` reads."""
    if offer is None:
        return {}
    requirement = statutory.requirement_of(offer)
    result = {}
    for candidate_id, row in candidates.items():
        verdict = check_eligibility(statutory.profile_of(row), requirement)
        result[candidate_id] = Eligibility(eligible=verdict.eligible, route=verdict.route, reasons=verdict.reasons)
    return result


def explanations(
    state: AppState, offer_id: str, candidate_ids: Sequence[str], model_version: str, model: Recommender | None = None
) -> dict[str, Explanation]:
    """Per candidate: skills shared and missing, career route to the offer's occupation, similar past hires.

    The reads are independent round trips to Neo4j: they run side by side (`read_aside`), so a ranking waits for
    the longest of them rather than for their sum. What only offer and ontology writes change (the offer's
    occupation and skills, routes between occupations) comes from `state.explanation_facts` while the `offers`
    counter of the freshness snapshot stands."""
    db = state.db
    ids = list(candidate_ids)
    known = state.snapshot()
    revision = known.counters[OFFERS] if known is not None else None
    held_skills = read_aside(explain.candidate_skill_sets, db, ids)
    past = read_aside(explain.past_hires, db, offer_id)
    factors_read = read_aside(model.score_factors, db, offer_id, ids) if model is not None else None
    latest_read = read_aside(explain.latest_occupations, db, ids)
    target, required = state.explanation_facts.offer(revision, offer_id, lambda: _offer_side(db, offer_id))
    latest = latest_read.result()
    routes: dict[str, Any] = {}
    if target:
        starts, to_uri = sorted({occ["uri"] for occ in latest.values()}), target["uri"]
        routes = state.explanation_facts.routes(
            revision, starts, to_uri, lambda missing: explain.routes_to(db, missing, to_uri)
        )
    skills, hires = held_skills.result(), past.result()
    factors = factors_read.result() if factors_read is not None else {}
    result = {}
    for candidate_id in candidate_ids:
        held = skills.get(candidate_id, set())
        shared, missing = explain.skills_gap(required, held)
        occupation = latest.get(candidate_id)
        similar = explain.similar_hires(hires, held, candidate_id)
        result[candidate_id] = Explanation.model_validate(
            {
                "skills_shared": shared,
                "skills_missing": missing,
                "candidate_occupation": occupation,
                "offer_occupation": target,
                "career_route": routes.get(occupation["uri"]) if occupation else None,
                "similar_hires_same_employer": similar["same_employer"],
                "similar_hires_similar_employers": similar["similar_employers"],
                "model_version": model_version,
                "score_factors": [
                    {"fact": f, "value": v, "contribution": c} for f, v, c in factors.get(candidate_id, [])
                ],
            }
        )
    return result


def _offer_side(db: Database, offer_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(the offer's occupation, the skills it requires), read side by side."""
    required = read_aside(explain.offer_skills, db, offer_id)
    return explain.offer_occupation(db, offer_id), required.result()


def log_served(
    state: AppState,
    caller: Caller,
    endpoint: str,
    model_version: str,
    ranked: Sequence[tuple[str, float]],
    offer_id: str | None = None,
    candidate_id: str | None = None,
    occupation_uri: str | None = None,
    parameters: str = "",
) -> str:
    """Every recommendation served is logged (AI Act traceability): who, when, about what, which model, result."""
    log_id = uuid.uuid4().hex
    state.log_writer.submit(
        {
            "log_id": log_id,
            "served_at": datetime.now(UTC).isoformat(),
            "endpoint": endpoint,
            "caller_key_id": caller.key_id,
            "caller_role": caller.role,
            "employer_id": caller.employer_id,
            "offer_id": offer_id,
            "candidate_id": candidate_id,
            "occupation_uri": occupation_uri,
            "model_version": model_version,
            "ranked_ids": [i for i, _ in ranked],
            "scores": [float(s) for _, s in ranked],
            "parameters": parameters,
        }
    )
    return log_id


def mitigation_parameter(mitigation: ServedMitigation | None) -> str:
    """The log entry's record of the exposure-aware re-ranking (AI Act traceability): attribute, bound, applied."""
    if mitigation is None:
        return ""
    state = "applied" if mitigation.applied else "not_applied"
    return f";mitigation={mitigation.attribute}:{mitigation.max_gap:g}:{state};moved={mitigation.moved}"


# The ranking is CPU-bound (matrix product, re-ranker): more of them at once than there are cores only slices the
# cores finer, so every one of them finishes later.
_RANKING_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


def rank_candidates(
    state: AppState,
    model: Recommender,
    offer_id: str,
    k: int,
    eligible_only: bool,
    pending: PendingCaller | None = None,
) -> tuple[list[tuple[str, float]], dict[str, Eligibility], ServedMitigation | None]:
    """The model's top `k` candidates with their eligibility, fewer only when fewer exist. The model masks erased
    and, with `eligible_only`, ineligible candidates before it cuts its top-k; a candidate it still holds but the
    graph no longer does (erased by another process less than one poll ago) is dropped here, and the model is
    asked again, deeper, until k remain or it has no more. A `pending` caller's key is confirmed by the
    statutory-facts query before anything is returned. When the offer's employer opted in to the exposure-aware
    re-ranking, the top k are drawn from the model's deeper list under its bound (audit/mitigation.py), and the
    third value says so."""
    watch = oversight.watch(state.db)
    employer_id = state.offer_employer(offer_id)[1]
    watch.check(employer_id)  # the kill switch, offer's employer
    setting = watch.mitigation(employer_id)
    served_k, k = k, (max(k, SERVING_DEPTH) if setting else k)
    known = state.snapshot()
    if known is None:  # no watcher (or Neo4j silent): requirement, revocation and revision read beside the top-k
        pending_facts = state.candidate_facts.request_facts(offer_id, _key_id(pending))
    elif pending is not None:
        confirm_key(state, pending, pending.caller.key_id in known.active_keys)
    with step("topk"), _RANKING_SLOTS:
        ranked = _ranked(state, model, offer_id, k, eligible_only)
    with step("facts"):
        if known is None:
            facts = pending_facts.result()
            if pending is not None:
                confirm_key(state, pending, facts.key_active)
            offer, revision = facts.offer, facts.revision
        else:
            offer = state.candidate_facts.offer_requirement(known.counters[OFFERS], offer_id)
            revision = known.counters[STATUTORY_FACTS]
        found: dict[str, Eligibility] = {}
        ask, kept = k, []
        while True:
            ids = [c for c, _ in ranked if c not in found]
            found |= verdicts(offer, state.candidate_facts.candidates(revision, offer_id, ids))
            kept = [(c, s) for c, s in ranked if c in found and (found[c].eligible or not eligible_only)]
            if len(kept) >= k or len(ranked) < ask or offer is None:  # k served, or no more to give
                break
            ask *= 4
            with _RANKING_SLOTS:
                ranked = _ranked(state, model, offer_id, ask, eligible_only)
    if setting is None:
        return kept[:k], found, None
    served, mitigation = rerank_served(kept[:k], setting, served_k, _SERVING_GROUPS)
    return served, found, mitigation


_SERVING_GROUPS = ServingGroups()  # the sensitive file, read only to re-rank for the employers that opted in


def _ranked(state: AppState, model: Recommender, offer_id: str, k: int, eligible_only: bool) -> list[tuple[str, float]]:
    return [(str(c), float(s)) for c, s in model.recommend_candidates(state.db, offer_id, k, eligible_only)]


def push_for_offer(state: AppState, model: Recommender, offer_id: str, employer_id: str | None) -> list[dict]:
    """A new offer: store its top candidates as suggestions for the employer and deliver them to its webhooks;
    store the same pairs as 'this offer fits you' suggestions for the job board's webhooks."""
    ranked, _, _ = rank_candidates(state, model, offer_id, PUSH_TOP_K, eligible_only=False)
    rows = [
        {"kind": kind, "offer_id": offer_id, "candidate_id": c, "score": s, "rank": i, "model_version": model.version}
        for kind in ("candidate_for_offer", "offer_for_candidate")
        for i, (c, s) in enumerate(ranked, start=1)
    ]
    queries.store_suggestions(state.db, rows)
    stored = queries.suggestions(state.db, offer_id=offer_id)
    for_employer = [s for s in stored if s["kind"] == "candidate_for_offer"]
    if employer_id:
        _deliver(state, "candidates_for_offer", employer_id, {"offer_id": offer_id, "suggestions": for_employer})
    for_board = [s for s in stored if s["kind"] == "offer_for_candidate"]
    _deliver(state, "offers_for_candidate", None, {"offer_id": offer_id, "suggestions": for_board})
    return for_employer


@dataclass
class OfferRanking:
    """A candidate's offers, best first, with each offer's employer and the suspended employers whose offers
    were left out of it (the kill switch)."""

    ranked: list[tuple[str, float]]
    employers: dict[str, str | None]
    withheld_employers: list[str]


def rank_offers(
    state: AppState, model: Recommender, candidate_id: str, k: int, employer_id: str | None = None
) -> OfferRanking:
    """The model's top `k` offers for a candidate (only `employer_id`'s when given: a recruiter's), fewer only
    when fewer exist. 503 while recommendations are suspended for everyone or for `employer_id`; the offers of
    the other suspended employers are left out, and the model is asked deeper so that k remain."""
    watch = oversight.watch(state.db)
    watch.check(employer_id)
    ask = k if employer_id is None else max(k * 20, 200)  # a recruiter sees its employer's offers only
    while True:
        # A recruiter's own employer is not suspended (checked above); others' suspensions are not its business.
        suspended = (watch.suspended_employers() or set()) if employer_id is None else set()
        ranked = [(str(o), float(s)) for o, s in model.recommend_offers(state.db, candidate_id, ask)]
        employers = queries.offer_employers(state.db, [o for o, _ in ranked])
        withheld = sorted({e for o, _ in ranked if (e := employers.get(o)) is not None and e in suspended})
        kept = [
            (o, s)
            for o, s in ranked
            if employers.get(o) not in suspended and (employer_id is None or employers.get(o) == employer_id)
        ]
        if len(kept) >= k or len(ranked) < ask or not withheld:  # k left, no more offers, or nothing withheld
            return OfferRanking(kept[:k], employers, withheld)
        ask *= 4


def push_for_candidate(state: AppState, model: Recommender, candidate_id: str) -> list[dict]:
    """A new CV: store the offers that fit the candidate and deliver them to the job board's webhooks (never the
    offers of an employer whose recommendations are suspended)."""
    found = rank_offers(state, model, candidate_id, PUSH_TOP_K)
    ranked = [(o, s) for o, s in found.ranked if o in found.employers]
    rows = [
        {
            "kind": "offer_for_candidate",
            "offer_id": o,
            "candidate_id": candidate_id,
            "score": s,
            "rank": i,
            "model_version": model.version,
        }
        for i, (o, s) in enumerate(ranked, start=1)
    ]
    queries.store_suggestions(state.db, rows)
    stored = queries.suggestions(state.db, candidate_id=candidate_id, kind="offer_for_candidate")
    _deliver(state, "offers_for_candidate", None, {"candidate_id": candidate_id, "suggestions": stored})
    return stored


def _deliver(state: AppState, topic: str, employer_id: str | None, payload: dict[str, Any]) -> None:
    if not payload["suggestions"]:
        return
    ids = [s["suggestion_id"] for s in payload["suggestions"]]
    for hook in queries.webhooks(state.db, employer_id=employer_id, topic=topic):
        if employer_id is None and hook["employer_id"] is not None:
            continue  # the job board's topic goes to unbound (admin-registered) webhooks only

        def delivered(ids: list[str] = ids) -> None:
            queries.mark_delivered(state.db, ids)

        state.dispatcher.submit(
            Delivery(url=hook["url"], event=topic, payload={"event": topic, **payload}, on_success=delivered)
        )
