"""Exposure-aware re-ranking (issue 17): bound each group's exposure gap in the top-k, and measure what it costs
in Recall@10 and what it gains in exposure, paired over the same offers.

The re-ranking is greedy and prefix-wise, in the manner of FA*IR (Zehlike et al., 2017): going down the list,
position i takes the best remaining candidate unless some group's count in the first i places would fall below
floor(i × its pool share × (1 − max_gap)); then that group's best remaining candidate takes the place. With
`max_gap` = 1 nothing moves; with 0 every prefix holds each group's proportional share (rounded down).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.fairness import Interval
from audit.run import Scorer
from gnn.metrics import bootstrap
from graph.db import Database

UNKNOWN = "inconnu"


def bounded_rerank(
    ranked: Sequence[str], groups: Mapping[str, str], shares: Mapping[str, float], k: int, max_gap: float
) -> list[str]:
    """The top-`k` of `ranked` (best first) re-ordered so that each group of `shares` keeps at least
    floor(i × share × (1 − max_gap)) of the first i places, whenever it has candidates left."""
    remaining = list(ranked)
    chosen: list[str] = []
    counts = dict.fromkeys(shares, 0)
    for i in range(1, min(k, len(remaining)) + 1):
        short = [
            g
            for g, share in shares.items()
            if counts[g] < math.floor(i * share * (1 - max_gap)) and any(groups.get(c) == g for c in remaining)
        ]
        if short:
            neediest = min(short, key=lambda g: counts[g] / max(shares[g], 1e-9))
            pick = next(c for c in remaining if groups.get(c) == neediest)
        else:
            pick = remaining[0]
        remaining.remove(pick)
        chosen.append(pick)
        group = groups.get(pick, UNKNOWN)
        if group in counts:
            counts[group] += 1
    return chosen


def exposure_gap(top: Sequence[str], groups: Mapping[str, str], shares: Mapping[str, float]) -> float:
    """The largest shortfall of a group's share of `top` below its pool share (0: no group under-exposed)."""
    if not top:
        return 0.0
    return max(
        (share - sum(groups.get(c) == g for c in top) / len(top) for g, share in shares.items()),
        default=0.0,
    )


@dataclass
class MitigationResult:
    attribute: str
    max_gap: float
    offers: int
    recall_plain: Interval
    recall_mitigated: Interval
    recall_difference: Interval  # mitigated − plain, paired over offers
    gap_plain: Interval
    gap_mitigated: Interval
    gap_difference: Interval


def _interval(values: np.ndarray, seed: int) -> Interval:
    e = bootstrap(values, seed=seed)
    return Interval(e.mean, e.low, e.high)


def evaluate_mitigation(
    rankings: Mapping[str, Sequence[str]],
    selected: Mapping[str, set[str]],
    groups: Mapping[str, str],
    shares: Mapping[str, float],
    attribute: str,
    max_gap: float,
    k: int = 10,
) -> MitigationResult:
    """Per offer: Recall@k of its selected candidates and the exposure gap, with the model's own top-k and with
    the bounded re-ranking of its deeper list; means with 95 % bootstrap intervals over offers, and the paired
    difference (the same offers resampled together, as gnn/evaluate.py's paired difference)."""
    recall = np.zeros((len(rankings), 2))
    gaps = np.zeros((len(rankings), 2))
    for row, (offer_id, ranked) in enumerate(rankings.items()):
        positives = selected.get(offer_id, set())
        for column, top in enumerate((list(ranked[:k]), bounded_rerank(ranked, groups, shares, k, max_gap))):
            recall[row, column] = len(positives & set(top)) / min(len(positives), k) if positives else 0.0
            gaps[row, column] = exposure_gap(top, groups, shares)
    return MitigationResult(
        attribute,
        max_gap,
        len(rankings),
        _interval(recall[:, 0], 0),
        _interval(recall[:, 1], 0),
        _interval(recall[:, 1] - recall[:, 0], 0),
        _interval(gaps[:, 0], 1),
        _interval(gaps[:, 1], 1),
        _interval(gaps[:, 1] - gaps[:, 0], 1),
    )


def mitigation_on_history(
    db: Database,
    model: Scorer,
    applications: pd.DataFrame,
    attributes: pd.Series,
    max_gap: float,
    depth: int = 50,
    k: int = 10,
) -> MitigationResult:
    """On the offers of `applications` (decided, with `shortlisted`): the model's eligible top-`depth` for each
    offer, cut to the top-`k` plainly and with the bounded re-ranking; the pool shares are the groups' shares of
    the offers' eligible applicants."""
    groups = {str(c): str(g) for c, g in attributes.items()}
    pool = applications.loc[applications["eligible"], "candidate_id"].drop_duplicates()
    shares = pool.map(groups).fillna(UNKNOWN).value_counts(normalize=True).to_dict()
    shares.pop(UNKNOWN, None)
    shortlisted = applications[applications["shortlisted"]]
    selected = {str(o): set(rows["candidate_id"]) for o, rows in shortlisted.groupby("offer_id")}
    rankings = {o: [c for c, _ in model.recommend_candidates(db, o, depth, eligible_only=True)] for o in selected}
    return evaluate_mitigation(rankings, selected, groups, shares, str(attributes.name), max_gap, k)
