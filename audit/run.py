"""`run_audit`: an employer's history (or every employer's) over a period, joined to the sensitive-attributes
file, measured per group; the model's scores of the same applications when a model is given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from audit.attributes import read_attributes
from audit.fairness import (
    CalibrationRow,
    ExposureRow,
    GroupRow,
    calibration_by_group,
    decided_applications,
    exposure_by_group,
    model_shortlist,
    selection_by_group,
)
from graph.db import Database
from graph.oversight import audit_applications, served_rankings

TOP_K = 10


class Scorer(Protocol):
    """What the audit needs of a model (gnn.serving.Recommender has it)."""

    version: str

    def score_factors(
        self, db: Database, offer_id: str, candidate_ids: list[str]
    ) -> dict[str, list[tuple[str, float, float]]]: ...

    def score_pair(self, db: Database, candidate_id: str, offer_id: str) -> float: ...

    def recommend_candidates(
        self, db: Database, offer_id: str, k: int = 10, eligible_only: bool = False
    ) -> list[tuple[str, float]]: ...


@dataclass
class AttributeAudit:
    attribute: str
    selection: list[GroupRow]
    served_exposure: list[ExposureRow]
    model_exposure: list[ExposureRow] = field(default_factory=list)
    model_selection: list[GroupRow] = field(default_factory=list)  # the model's like-for-like shortlist
    calibration: list[CalibrationRow] = field(default_factory=list)


@dataclass
class Audit:
    employer_id: str | None
    since: str | None
    until: str | None
    applications: int  # decided applications audited
    without_attributes: int  # of those, candidates absent from the attributes file (left out)
    offers: int
    served_rankings: int
    model_version: str | None
    attributes: list[AttributeAudit]
    notes: list[str] = field(default_factory=list)


def applicant_scores(db: Database, model: Scorer, frame: pd.DataFrame) -> pd.Series:
    """The model's score of each application, by the explanation the ranking itself uses: the sum of the
    re-ranker's per-fact contributions (its log-odds less a constant, so the same order within an offer); the
    pair score for a version without a re-ranker. NaN where the model does not know the candidate."""
    scores: dict[object, float] = {}
    for offer_id, rows in frame.groupby("offer_id"):
        factors = model.score_factors(db, str(offer_id), rows["candidate_id"].tolist())
        for index, candidate_id in rows["candidate_id"].items():
            if candidate_id in factors:
                scores[index] = sum(term for _, _, term in factors[candidate_id])
            elif not factors:
                try:
                    scores[index] = model.score_pair(db, candidate_id, str(offer_id))
                except KeyError:
                    continue
    return pd.Series(scores, index=frame.index, dtype=float)


def run_audit(
    db: Database,
    employer_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    model: Scorer | None = None,
    attributes: pd.DataFrame | None = None,
    k: int = TOP_K,
) -> Audit:
    """The audit's figures; `attributes` defaults to the sensitive file of the settings' data directory."""
    table = read_attributes() if attributes is None else attributes
    history = pd.DataFrame(
        audit_applications(db, employer_id, since, until),
        columns=["application_id", "candidate_id", "offer_id", "employer_id", "stage", "reached", "reason"],
    )
    decided = decided_applications(history)
    known = decided[decided["candidate_id"].isin(table.index)].join(table, on="candidate_id")
    logs = served_rankings(db, employer_id, since, until)
    pool = known.loc[known["eligible"], "candidate_id"]
    audit = Audit(
        employer_id,
        since,
        until,
        len(decided),
        len(decided) - len(known),
        int(known["offer_id"].nunique()),
        len(logs),
        model.version if model else None,
        [],
    )
    if model is not None and len(known):
        known = known.assign(score=applicant_scores(db, model, known))
        unscored = int(known["score"].isna().sum())
        if unscored:
            audit.notes.append(
                f"{unscored} applications whose candidate the model does not know are left out of its figures"
            )
        scored = known.dropna(subset=["score"]).copy()
        scored["model_shortlisted"] = model_shortlist(scored)
        model_rankings = _model_rankings(db, model, scored["offer_id"].unique().tolist(), k)
    for attribute in table.columns:
        result = AttributeAudit(
            attribute,
            selection_by_group(known, attribute),
            exposure_by_group([list(r["ranked_ids"]) for r in logs], pool, table[attribute], k),
        )
        if model is not None and len(known):
            result.model_selection = selection_by_group(scored, attribute, ("shortlisted", "model_shortlisted"))
            result.calibration, _ = calibration_by_group(scored, attribute)
            result.model_exposure = exposure_by_group(model_rankings, pool, table[attribute], k)
        audit.attributes.append(result)
    return audit


def _model_rankings(db: Database, model: Scorer, offers: Sequence[str], k: int) -> list[list[str]]:
    """The top-k eligible candidates the model ranks for each audited offer, as the API would serve them."""
    return [[c for c, _ in model.recommend_candidates(db, str(o), k, eligible_only=True)] for o in offers]
