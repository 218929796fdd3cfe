"""Typed dependencies: the app state, the authenticated caller, role checks and ownership checks.

401: no key, or a key that is unknown, malformed or revoked. 403: a valid key whose role, or whose employer,
does not allow the operation. Ownership is checked after existence, so a missing offer is a 404 for everyone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader

from api import oversight
from api.errors import problem_responses
from api.state import AppState, Recommender
from api.timing import step
from graph import queries
from graph.access import Caller
from graph.queries import key_is_active

# Documented on every protected router, so that the OpenAPI schema lists the errors a client must handle.
ERRORS: dict[int | str, dict[str, Any]] = problem_responses(401, 403, 404, 422, 503)

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key created by `vivier api-key create` (viv_…)."
)


# The cheap dependencies are `async`: FastAPI runs a plain `def` dependency on the thread pool, and each such hop
# cost a fraction of a millisecond per request on 2 busy cores. Whatever touches Neo4j stays off the event loop.
async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.vivier
    return state


State = Annotated[AppState, Depends(get_state)]
ApiKey = Annotated[str | None, Security(api_key_header)]
REVOKED = "unknown or revoked API key"


async def get_caller(state: State, key: ApiKey) -> Caller:
    """The caller, with its key checked against revocation (the freshness watcher's latest snapshot of active
    keys, at most one poll old; or, with the watcher off, a keyed read on this very request)."""
    if not key:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing API key (header X-API-Key)")
    with step("auth"):
        # A cached key is checked against the freshness snapshot on the event loop: a thread-pool hop cost more
        # than the check (docs/api.md, Load); the pool only when Neo4j must be asked.
        decided, caller = state.authenticate_in_memory(key)
        if not decided:
            caller = await run_in_threadpool(state.authenticate, key)
    if caller is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, REVOKED)
    return caller


@dataclass(frozen=True)
class PendingCaller:
    """A caller whose cached key still needs this request's revocation check, which the endpoint makes against
    the freshness snapshot or folds into a query it makes anyway (`confirm_key`); `key` is None when the key was
    looked up in full for this request."""

    caller: Caller
    key: str | None


async def get_pending_caller(state: State, key: ApiKey) -> PendingCaller:
    if not key:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing API key (header X-API-Key)")
    cached = state.cached_caller(key)
    if cached is not None:
        return PendingCaller(cached, key)
    return PendingCaller(await get_caller(state, key), None)


def confirm_key(state: AppState, pending: PendingCaller, active: bool | None = None) -> None:
    """401 unless the pending caller's key is still active: `active` as read by the endpoint's own query, or
    read here (one keyed read). Nothing to do for a key looked up in full on this request."""
    if pending.key is None:
        return
    if active is None:
        active = key_is_active(state.db, pending.caller.key_id)
    if not state.confirm(pending.key, active):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, REVOKED)


CurrentCaller = Annotated[Caller, Depends(get_caller)]


def _check_role(caller: Caller, roles: tuple[str, ...]) -> None:
    if caller.role not in roles:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {caller.role!r} may not do this; needs {roles}")


def require(*roles: str) -> Callable[[Caller], Awaitable[Caller]]:
    async def check(caller: CurrentCaller) -> Caller:
        _check_role(caller, roles)
        return caller

    return check


def require_pending(*roles: str) -> Callable[[AppState, PendingCaller], Awaitable[PendingCaller]]:
    """Like `require`, for an endpoint that confirms the key itself. A role never changes for a key, so the role
    check is sound before the revocation check; a revoked key still gets 401, never a 403 that would tell it more."""

    async def check(state: State, pending: Annotated[PendingCaller, Depends(get_pending_caller)]) -> PendingCaller:
        if pending.caller.role not in roles:
            await run_in_threadpool(confirm_key, state, pending)
            _check_role(pending.caller, roles)
        return pending

    return check


RecruiterOrAdmin = Annotated[Caller, Depends(require("recruiter", "admin"))]
RankingRecruiterOrAdmin = Annotated[PendingCaller, Depends(require_pending("recruiter", "admin"))]
Admin = Annotated[Caller, Depends(require("admin"))]
Curator = Annotated[Caller, Depends(require("hr_expert", "admin"))]


async def get_recommender(state: State) -> Recommender:
    oversight.watch(state.db).check()  # the kill switch, global scope (503 while recommendations are suspended)
    loaded = state.model_if_loaded()
    return loaded if loaded is not None else await run_in_threadpool(state.recommender)


Model = Annotated[Recommender, Depends(get_recommender)]


def check_offer_access(state: AppState, caller: Caller, offer_id: str) -> str | None:
    """The offer's employer; 404 when the offer is unknown, 403 when a recruiter's employer does not own it."""
    exists, employer_id = state.offer_employer(offer_id)
    if not exists:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"offer {offer_id!r} not found")
    if caller.role == "recruiter" and employer_id != caller.employer_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"offer {offer_id!r} belongs to another employer")
    return employer_id


def check_candidate_access(state: AppState, caller: Caller, candidate_id: str) -> None:
    """404 when unknown; a recruiter sees only candidates who applied or were suggested to its employer's offers."""
    if not queries.existing_candidates(state.db, [candidate_id]):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"candidate {candidate_id!r} not found")
    if caller.role == "recruiter" and not queries.candidate_visible_to(
        state.db, candidate_id, caller.employer_id or ""
    ):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"candidate {candidate_id!r} has no application or suggestion with your employer"
        )


def check_employer_access(caller: Caller, employer_id: str) -> None:
    if caller.role == "recruiter" and employer_id != caller.employer_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"employer {employer_id!r} is not your employer")
