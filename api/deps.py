"""Typed dependencies: the app state, the authenticated caller, role checks and ownership checks.

401: no key, or a key that is unknown, malformed or revoked. 403: a valid key whose role, or whose employer,
does not allow the operation. Ownership is checked after existence, so a missing offer is a 404 for everyone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

from api.state import AppState, Recommender
from graph import queries
from graph.access import Caller

# Documented on every protected router, so that the OpenAPI schema lists the errors a client must handle.
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing, unknown or revoked API key"},
    403: {"description": "the key's role or employer does not allow this"},
    404: {"description": "the offer, candidate, occupation or suggestion does not exist"},
    503: {"description": "Neo4j unreachable or no trained model; see the Retry-After header"},
}

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key created by `vivier api-key create` (viv_…)."
)


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.vivier
    return state


State = Annotated[AppState, Depends(get_state)]


def get_caller(state: State, key: Annotated[str | None, Security(api_key_header)]) -> Caller:
    if not key:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing API key (header X-API-Key)")
    caller = state.authenticate(key)
    if caller is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked API key")
    return caller


CurrentCaller = Annotated[Caller, Depends(get_caller)]


def require(*roles: str) -> Callable[[Caller], Caller]:
    def check(caller: CurrentCaller) -> Caller:
        if caller.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {caller.role!r} may not do this; needs {roles}")
        return caller

    return check


RecruiterOrAdmin = Annotated[Caller, Depends(require("recruiter", "admin"))]
Admin = Annotated[Caller, Depends(require("admin"))]
Curator = Annotated[Caller, Depends(require("hr_expert", "admin"))]


def get_recommender(state: State) -> Recommender:
    return state.recommender()


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
    if not queries.existing_candidates(state.driver, [candidate_id], state.database):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"candidate {candidate_id!r} not found")
    if caller.role == "recruiter" and not queries.candidate_visible_to(
        state.driver, candidate_id, caller.employer_id or "", state.database
    ):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"candidate {candidate_id!r} has no application or suggestion with your employer"
        )


def check_employer_access(caller: Caller, employer_id: str) -> None:
    if caller.role == "recruiter" and employer_id != caller.employer_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"employer {employer_id!r} is not your employer")
