"""Group fairness figures of a recruitment history and of the model, per sensitive attribute and group.

Point figures come from fairlearn (`MetricFrame` with `selection_rate` and `count`); intervals are 95 % percentile
bootstraps over offers, as in gnn/metrics.py (the applications of one offer are decided together, so offers, not
applications, are resampled). A group with fewer than `MIN_APPLICATIONS` applications or `MIN_CANDIDATES` distinct
candidates is reported with its counts and marked "too few to conclude"; its ratio is not compared.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, count, selection_rate

from graph.schema import POSITIVE_STAGES

MIN_APPLICATIONS = 30
MIN_CANDIDATES = 10
FOUR_FIFTHS = 0.8
SAMPLES = 1000
TOO_FEW = "too few to conclude"
INELIGIBLE_REASON = "conditions statutaires non remplies"
STAGES = ("shortlisted", "hired")  # selection steps measured from the application


@dataclass
class Interval:
    value: float
    low: float
    high: float

    def __str__(self) -> str:
        if np.isnan(self.value):
            return "—"
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass
class GroupRow:
    """One group's figures for one attribute; `ratio` to the best-treated group that has enough data."""

    group: str
    applications: int
    candidates: int
    rates: dict[str, Interval] = field(default_factory=dict)  # stage → selection rate among applications
    ratios: dict[str, Interval] = field(default_factory=dict)  # stage → rate / best group's rate
    enough: bool = True

    @property
    def verdict(self) -> str:
        if not self.enough:
            return TOO_FEW
        low = [r for r in self.ratios.values() if not np.isnan(r.value) and r.high < FOUR_FIFTHS]
        return "below four-fifths" if low else "no evidence below four-fifths"


def decided_applications(applications: pd.DataFrame) -> pd.DataFrame:
    """Applications whose offer has been decided (some application went past `received`), less withdrawals, with
    `shortlisted` and `hired` columns (bool): how far each went."""
    if applications.empty:
        return applications.assign(shortlisted=False, hired=False, eligible=False)
    moved = applications.groupby("offer_id")["stage"].transform(lambda s: bool((~s.isin(["received"])).any()))
    kept = applications[moved & (applications["stage"] != "withdrawn")].copy()
    kept["shortlisted"] = kept["reached"].isin(POSITIVE_STAGES)
    kept["hired"] = kept["reached"] == "hired"
    kept["eligible"] = kept["reason"].fillna("") != INELIGIBLE_REASON
    return kept


def _cluster_bootstrap(
    offers: np.ndarray, groups: np.ndarray, selected: np.ndarray, names: list[str], enough: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap samples (SAMPLES × groups) of each group's rate and of its ratio to the best group with enough
    data, offers resampled with replacement."""
    offer_codes, offer_index = np.unique(offers, return_inverse=True)
    group_index = np.array([names.index(g) for g in groups])
    n = np.zeros((len(offer_codes), len(names)))
    s = np.zeros((len(offer_codes), len(names)))
    np.add.at(n, (offer_index, group_index), 1)
    np.add.at(s, (offer_index, group_index), selected.astype(float))
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(offer_codes), size=(SAMPLES, len(offer_codes)))
    weights = np.zeros((SAMPLES, len(offer_codes)))
    np.add.at(weights, (np.arange(SAMPLES)[:, None], picks), 1)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-empty resample has no best group: NaN, left out
        rates = (weights @ s) / (weights @ n)
        best = np.nanmax(np.where(enough[None, :], rates, np.nan), axis=1) if enough.any() else None
        ratios = rates / best[:, None] if best is not None else np.full_like(rates, np.nan)
    return rates, ratios


def _interval(value: float, samples: np.ndarray) -> Interval:
    finite = samples[np.isfinite(samples)]
    if np.isnan(value) or not len(finite):
        return Interval(value, float("nan"), float("nan"))
    return Interval(value, float(np.percentile(finite, 2.5)), float(np.percentile(finite, 97.5)))


def selection_by_group(
    frame: pd.DataFrame, attribute: str, outcomes: tuple[str, ...] = STAGES, seed: int = 0
) -> list[GroupRow]:
    """Selection rates of `outcomes` (bool columns of `frame`) per group of `attribute`, their ratios to the best
    group (the four-fifths rule) and bootstrap intervals."""
    if frame.empty:
        return []
    groups = frame[attribute].astype(str)
    names = sorted(groups.unique())
    candidates = frame.groupby(groups)["candidate_id"].nunique()
    rows = [GroupRow(g, int((groups == g).sum()), int(candidates.get(g, 0))) for g in names]
    for row in rows:
        row.enough = row.applications >= MIN_APPLICATIONS and row.candidates >= MIN_CANDIDATES
    enough = np.array([r.enough for r in rows])
    for k, outcome in enumerate(outcomes):
        selected = frame[outcome].to_numpy(dtype=bool)
        by_group = MetricFrame(
            metrics={"rate": selection_rate, "n": count}, y_true=selected, y_pred=selected, sensitive_features=groups
        ).by_group
        rates = by_group["rate"].reindex(names).to_numpy(dtype=float)
        best = rates[enough].max() if enough.any() else float("nan")
        samples, ratio_samples = _cluster_bootstrap(
            frame["offer_id"].to_numpy(), groups.to_numpy(), selected, names, enough, seed + k
        )
        for i, row in enumerate(rows):
            row.rates[outcome] = _interval(float(rates[i]), samples[:, i])
            ratio = float(rates[i] / best) if best and not np.isnan(best) else float("nan")
            row.ratios[outcome] = _interval(ratio, ratio_samples[:, i])
    return rows


@dataclass
class ExposureRow:
    group: str
    served: int  # appearances in the served top-k
    pool: int  # distinct eligible applicants in the pool
    served_share: Interval
    pool_share: float

    @property
    def ratio(self) -> float:
        return self.served_share.value / self.pool_share if self.pool_share else float("nan")


def exposure_by_group(
    rankings: list[list[str]], pool: pd.Series, attributes: pd.Series, k: int = 10, seed: int = 0
) -> list[ExposureRow]:
    """Each group's share of the top-`k` places served (bootstrap over rankings) against its share of the
    eligible pool (`pool`: candidate ids). Candidates without attributes are left out of both shares."""
    known = attributes.astype(str)
    pool_groups = known.reindex(pd.Index(pool.unique())).dropna()
    names = sorted(set(pool_groups) | set(known.reindex([c for r in rankings for c in r[:k]]).dropna()))
    per_ranking = np.zeros((len(rankings), len(names)))
    for i, ranked in enumerate(rankings):
        for g in known.reindex(ranked[:k]).dropna():
            per_ranking[i, names.index(g)] += 1
    totals = per_ranking.sum(axis=0)
    rng = np.random.default_rng(seed)
    if len(rankings):
        picks = per_ranking[rng.integers(0, len(rankings), size=(SAMPLES, len(rankings)))].sum(axis=1)
        with np.errstate(invalid="ignore"):
            shares = picks / picks.sum(axis=1, keepdims=True)
    else:
        shares = np.full((SAMPLES, len(names)), np.nan)
    served_total = totals.sum()
    out = []
    for j, g in enumerate(names):
        value = float(totals[j] / served_total) if served_total else float("nan")
        pool_count = int((pool_groups == g).sum())
        out.append(
            ExposureRow(
                g, int(totals[j]), pool_count, _interval(value, shares[:, j]), pool_count / max(len(pool_groups), 1)
            )
        )
    return out


def model_shortlist(frame: pd.DataFrame, score: str = "score") -> pd.Series:
    """The model's shortlist of each offer: as many of its eligible applicants as the recruiters shortlisted,
    best scores first (a like-for-like comparison with what the recruiters did)."""
    chosen = pd.Series(False, index=frame.index)
    for _, offer in frame[frame["eligible"]].groupby("offer_id"):
        n = int(offer["shortlisted"].sum())
        if n:
            chosen[offer[score].nlargest(n).index] = True
    return chosen


@dataclass
class CalibrationRow:
    group: str
    applications: int
    predicted: float  # mean calibrated chance of being shortlisted
    observed: Interval  # shortlist rate
    gap: Interval  # observed − predicted
    enough: bool


def calibration_by_group(frame: pd.DataFrame, attribute: str, seed: int = 0) -> tuple[list[CalibrationRow], pd.Series]:
    """The model's score turned into a chance of being shortlisted (a logistic fit on all groups together, as a
    deployer would calibrate it), then, per group, the observed rate against the mean predicted chance."""
    from sklearn.linear_model import LogisticRegression

    if frame.empty:
        return [], pd.Series(dtype=float)
    x = frame[["score"]].to_numpy(dtype=float)
    y = frame["shortlisted"].to_numpy(dtype=bool)
    if len(np.unique(y)) < 2:
        chance = pd.Series(float(y.mean()) if len(y) else float("nan"), index=frame.index)
    else:
        chance = pd.Series(LogisticRegression().fit(x, y).predict_proba(x)[:, 1], index=frame.index)
    groups = frame[attribute].astype(str)
    names = sorted(groups.unique())
    rows = []
    gap_frame = frame.assign(residual=frame["shortlisted"].astype(float) - chance)
    rng = np.random.default_rng(seed)
    offers = frame["offer_id"].unique()
    for g in names:
        members = gap_frame[groups == g]
        enough = len(members) >= MIN_APPLICATIONS and members["candidate_id"].nunique() >= MIN_CANDIDATES
        by_offer = members.groupby("offer_id").agg(
            n=("residual", "size"), r=("residual", "sum"), s=("shortlisted", "sum")
        )
        by_offer = by_offer.reindex(offers, fill_value=0)
        picks = rng.integers(0, len(offers), size=(SAMPLES, len(offers)))
        n = by_offer["n"].to_numpy()[picks].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            gaps = by_offer["r"].to_numpy()[picks].sum(axis=1) / n
            observed = by_offer["s"].to_numpy(dtype=float)[picks].sum(axis=1) / n
        rows.append(
            CalibrationRow(
                g,
                len(members),
                float(chance[groups == g].mean()),
                _interval(float(members["shortlisted"].mean()), observed),
                _interval(float(members["residual"].mean()), gaps),
                enough,
            )
        )
    return rows, chance
