"""Exposure-aware re-ranking (issue 17): bound each group's exposure gap in the top-k, and measure what it costs
in Recall@10 and what it gains in exposure, paired over the same offers.

The re-ranking is greedy and prefix-wise, in the manner of FA*IR (Zehlike et al., 2017): going down the list,
position i takes the best remaining candidate unless some group's count in the first i places would fall below
floor(i × its pool share × (1 − max_gap)); then that group's best remaining candidate takes the place. With
`max_gap` = 1 nothing moves; with 0 every prefix holds each group's proportional share (rounded down).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from audit.attributes import attributes_path, read_attributes
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


# --- serving: an employer that opted in gets its rankings re-ranked ----------------------------------------
SERVING_DEPTH = 50  # the model's list the bounded top-k is drawn from, as in the evaluation above


def population_shares(groups: pd.Series) -> dict[str, float]:
    """Each known group's share of the candidates in the attributes file (the unknown left out): the target a
    served ranking is held to. An offer's eligible pool would need every candidate's eligibility per request."""
    shares = groups[groups != UNKNOWN].value_counts(normalize=True)
    return {str(g): float(v) for g, v in shares.items()}


@dataclass(frozen=True)
class ServedMitigation:
    """What the response and the log say of the re-ranking; never anyone's group."""

    attribute: str
    max_gap: float
    applied: bool
    moved: int  # candidates of the served top-k whose place differs from the model's order
    note: str


class ServingGroups:
    """The attributes file as serving reads it: one attribute's candidate → group map and its population shares,
    re-read when the file changes (its size or modification time). The groups stay in this object: they are
    never a model input and never returned."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._table: pd.DataFrame | None = None
        self._by_attribute: dict[str, tuple[dict[str, str], dict[str, float]]] = {}

    def groups(self, attribute: str) -> tuple[dict[str, str], dict[str, float]]:
        """candidate_id → group and each group's share; KeyError (with the reason) when the file or the
        attribute is missing."""
        path = self._path or attributes_path()
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise KeyError(f"{path}: no sensitive-attributes file") from None
        with self._lock:
            if self._stamp != (stat.st_mtime_ns, stat.st_size):
                self._table, self._by_attribute = read_attributes(path), {}
                self._stamp = (stat.st_mtime_ns, stat.st_size)
            assert self._table is not None
            if attribute not in self._by_attribute:
                if attribute not in self._table.columns:
                    raise KeyError(f"{path}: no column {attribute!r}")
                column = self._table[attribute]
                self._by_attribute[attribute] = ({str(c): str(g) for c, g in column.items()}, population_shares(column))
            return self._by_attribute[attribute]


def rerank_served(
    ranked: Sequence[tuple[str, float]], setting: Mapping[str, object], k: int, groups: ServingGroups
) -> tuple[list[tuple[str, float]], ServedMitigation]:
    """The served top-`k` of `ranked` (the model's deeper list, best first) under the employer's bound; scores are
    the model's, unchanged. When the attributes cannot be read, the model's order is served and the note says why."""
    attribute, max_gap = str(setting["attribute"]), float(str(setting["max_gap"]))
    try:
        by_candidate, shares = groups.groups(attribute)
    except (KeyError, ValueError) as error:
        note = f"not applied: {error}"
        return list(ranked[:k]), ServedMitigation(attribute, max_gap, False, 0, note)
    scores = dict(ranked)
    order = bounded_rerank([c for c, _ in ranked], by_candidate, shares, k, max_gap)
    moved = sum(a != b for a, b in zip(order, (c for c, _ in ranked[:k]), strict=False))
    note = f"exposure-aware re-ranking on {attribute}: each group keeps at least (1 − {max_gap:g}) of its share"
    return [(c, scores[c]) for c in order], ServedMitigation(attribute, max_gap, True, moved, note)
