"""Candidates: upload a CV (PDF, DOCX, JSON Resume), read the pseudonymous profile, rank offers for them."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile

from api import service
from api.deps import ERRORS, Model, RecruiterOrAdmin, State, check_candidate_access, check_offer_access
from api.errors import problem_responses
from api.schemas import CandidateCreated, CandidateProfile, OfferMatch, OffersForCandidate, Suggestion
from graph import queries
from graph.writes import write_applications, write_candidates
from loaders.cvs import CV_SUFFIXES, CvLimitExceeded, CvLimits, parse_cv
from loaders.records import ApplicationRecord, RecordError

router = APIRouter(prefix="/v1/candidates", tags=["candidates"], responses=ERRORS)


@router.post(
    "",
    status_code=201,
    response_model=CandidateCreated,
    responses=problem_responses(400, 413),
    summary="Upload a CV (PDF, DOCX, JSON Resume)",
)
def upload_cv(
    state: State,
    caller: RecruiterOrAdmin,
    model: Model,
    file: Annotated[UploadFile, File(description="the CV: .pdf, .docx, .json (JSON Resume), .txt, .text or .md")],
    offer_id: Annotated[
        str | None, Form(description="records an application to this offer (required for a recruiter)")
    ] = None,
) -> CandidateCreated:
    """The CV goes through the loaders' parser: names, e-mails, phones, addresses and birth dates are removed
    before anything reaches the graph. The offers that fit the candidate are stored as **suggestions**.

    413 over a limit (size, PDF pages, a PDF stream's or a DOCX's unpacked size, a DOCX member's compression
    ratio; `detail` names it); 422 for a file that is not a readable CV of a listed type."""

    filename = file.filename or "cv"
    if not filename.lower().endswith(CV_SUFFIXES):
        raise HTTPException(422, f"file {filename!r}: expected one of {', '.join(CV_SUFFIXES)}")
    if caller.role == "recruiter" and not offer_id:
        raise HTTPException(422, "offer_id is required: a recruiter uploads the CV of an application to its offer")
    if offer_id:
        check_offer_access(state, caller, offer_id)
    limits = CvLimits.from_settings()
    data = file.file.read(limits.max_bytes + 1)  # never more than the limit in memory
    try:
        record = parse_cv(data, filename, limits=limits)
    except CvLimitExceeded as error:
        raise HTTPException(413, f"file {filename!r}: {error.reason} (limit {error.limit})") from error
    except RecordError as error:
        raise HTTPException(422, f"file {filename!r}, field {error.field}: {error.reason}") from error
    write_candidates(state.db, [record])
    state.changed()  # this process's next ranking sees the new candidate's facts
    application_id = None
    if offer_id:
        application_id = f"api-{uuid.uuid4().hex[:12]}"
        today = date.today().isoformat()
        write_applications(
            state.db, [ApplicationRecord(application_id, offer_id, record.candidate_id, "received", today, today)]
        )
    model.embed_new_candidate(state.db, record.candidate_id)
    pushed = service.push_for_candidate(state, model, record.candidate_id)
    if caller.role == "recruiter":
        pushed = []  # the job board's suggestions are not the recruiter's to read
    return CandidateCreated(
        candidate_id=record.candidate_id, application_id=application_id, suggestions=[Suggestion(**s) for s in pushed]
    )


@router.get(
    "/{candidate_id}", response_model=CandidateProfile, summary="The pseudonymous profile: skills, career steps, grades"
)
def get_candidate(candidate_id: str, state: State, caller: RecruiterOrAdmin) -> CandidateProfile:
    check_candidate_access(state, caller, candidate_id)
    found = queries.candidate(state.db, candidate_id)
    if found is None:
        raise HTTPException(404, f"candidate {candidate_id!r} not found")
    return CandidateProfile.model_validate(found)


@router.get("/{candidate_id}/offers", response_model=OffersForCandidate, summary="Top-k offers for a candidate")
def offers_for_candidate(
    candidate_id: str,
    state: State,
    caller: RecruiterOrAdmin,
    model: Model,
    k: Annotated[int, Query(ge=1, le=100)] = 10,
    explain: Annotated[bool, Query(description="add the explanation of each offer")] = True,
) -> OffersForCandidate:
    """Offers that fit the candidate (a recruiter sees only its own employer's). Suggestions only; logged."""
    check_candidate_access(state, caller, candidate_id)
    own = caller.employer_id if caller.role == "recruiter" else None  # a recruiter key is bound to one employer
    found = service.rank_offers(state, model, candidate_id, k, own)
    ranked, employers = found.ranked, found.employers
    withheld = ",".join(found.withheld_employers)
    log_id = service.log_served(
        state,
        caller,
        "offers_for_candidate",
        model.version,
        ranked,
        candidate_id=candidate_id,
        parameters=f"k={k}" + (f";suspended_employers_left_out={withheld}" if withheld else ""),
    )
    matches = []
    for i, (offer_id, score) in enumerate(ranked, start=1):
        verdict = service.eligibilities(state, offer_id, [candidate_id])[candidate_id]
        reason = (
            service.explanations(state, offer_id, [candidate_id], model.version, model)[candidate_id]
            if explain
            else None
        )
        offer = queries.offer(state.db, offer_id) or {}
        matches.append(
            OfferMatch(
                rank=i,
                offer_id=offer_id,
                title=offer.get("title"),
                score=score,
                employer_id=employers.get(offer_id),
                eligibility=verdict,
                explanation=reason,
            )
        )
    return OffersForCandidate(
        candidate_id=candidate_id,
        model_version=model.version,
        log_id=log_id,
        offers=matches,
        withheld_employers=found.withheld_employers,
    )
