"""The bias audit over HTTP (issue 17): the same figures as `vivier audit report`, as JSON, for admin and HR keys.
The sensitive-attributes file is read from the server's data directory; it is never in the graph."""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BeforeValidator

from api.deps import ERRORS, Curator, State
from api.schemas import AuditResult, Problem
from audit.attributes import AttributesError, read_attributes
from audit.run import Audit, run_audit

router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=ERRORS)


# A real calendar date (422 otherwise): a pattern alone let `0000-00-00` through to Neo4j's date() (a 500).
def _iso_date(value: Any) -> Any:
    """Only YYYY-MM-DD: pydantic alone would also read a number as a Unix time ("0" as 1970-01-01)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


Date = Annotated[datetime.date | None, BeforeValidator(_iso_date), Query(description="YYYY-MM-DD (offers published)")]


def _plain(value: Any) -> Any:
    """NaN (no data) as null in JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def as_result(audit: Audit) -> AuditResult:
    body = asdict(audit)
    for attribute, computed in zip(body["attributes"], audit.attributes, strict=True):
        attribute.pop("calibration", None)
        for key in ("selection", "model_selection"):
            for row, group in zip(attribute[key], getattr(computed, key), strict=True):
                row["verdict"] = group.verdict
                row.pop("enough", None)
        for key in ("served_exposure", "model_exposure"):
            for row, exposure in zip(attribute[key], getattr(computed, key), strict=True):
                row["ratio"] = exposure.ratio
    return AuditResult.model_validate(_plain(body))


@router.get(
    "",
    response_model=AuditResult,
    summary="Bias audit of an employer's history (and of the model)",
    responses={409: {"model": Problem, "description": "no sensitive-attributes file loaded, or it is unreadable"}},
)
def audit(
    state: State,
    caller: Curator,
    employer_id: str | None = None,
    since: Date = None,
    until: Date = None,
    model: Annotated[bool, Query(description="also score the applications with the served model")] = False,
) -> AuditResult:
    """Per sensitive attribute and group: shortlist and hire rates with their ratio to the best-treated group and
    95 % bootstrap intervals over offers, exposure in the top-10 served against the eligible pool; with `model`,
    the model's like-for-like shortlist and its exposure. Small groups are marked 'too few to conclude'."""
    try:
        table = read_attributes()
    except (FileNotFoundError, AttributesError) as error:
        raise HTTPException(409, str(error)) from error
    scorer = state.recommender() if model else None
    period = (since.isoformat() if since else None, until.isoformat() if until else None)
    return as_result(run_audit(state.db, employer_id, *period, scorer, table))  # type: ignore[arg-type]
