"""Ranking metrics per query (an offer, or a source fiche) and bootstrap confidence intervals over queries.

Ranks are 1-based among the pool; ties are broken by a fixed random permutation so that a constant scorer
gets the rank of a random one, not the best or the worst.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

METRICS = ("recall@10", "recall@50", "ndcg@10", "mrr", "auc")


def ranks(scores: np.ndarray, positives: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """1-based rank of each positive index among all `scores` (higher is better), ties broken at random."""
    rng = rng or np.random.default_rng(0)
    tie_break = rng.random(len(scores))
    order = np.lexsort((-tie_break, -scores))  # by score descending, then by the random key
    position = np.empty(len(scores), dtype=np.int64)
    position[order] = np.arange(1, len(scores) + 1)
    return position[positives]


def query_metrics(positive_ranks: np.ndarray, pool_size: int) -> dict[str, float]:
    """Metrics of one query from the ranks of its positives in a pool of `pool_size` items."""
    r = np.sort(positive_ranks)
    n_pos = len(r)
    n_neg = pool_size - n_pos
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(n_pos, 10)))
    dcg = float(sum(1.0 / math.log2(x + 1) for x in r if x <= 10))
    # Negatives ranked below each positive: pool - rank - positives ranked below it.
    below = pool_size - r - (n_pos - 1 - np.arange(n_pos))
    return {
        "recall@10": float(np.mean(r <= 10)),
        "recall@50": float(np.mean(r <= 50)),
        "ndcg@10": dcg / ideal if ideal else 0.0,
        "mrr": 1.0 / float(r[0]),
        "auc": float(np.mean(below / n_neg)) if n_neg > 0 else 1.0,
    }


@dataclass
class Estimate:
    mean: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}]"


def bootstrap(values: np.ndarray, samples: int = 1000, seed: int = 0) -> Estimate:
    """Mean over queries with a 95 % percentile bootstrap interval (queries resampled with replacement)."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return Estimate(float("nan"), float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(samples, len(values)))].mean(axis=1)
    return Estimate(float(values.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5)))


def summarise(per_query: list[dict[str, float]], seed: int = 0) -> dict[str, Estimate]:
    return {m: bootstrap(np.array([q[m] for q in per_query]), seed=seed) for m in METRICS}


def markdown_table(columns: Sequence[str], rows: dict[str, Sequence[object]]) -> list[str]:
    """A report's Markdown table: one row per method, its values under `columns` (an Estimate prints as
    "mean [low, high]")."""
    lines = ["| method | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    return lines + [f"| {name} | " + " | ".join(str(v) for v in values) + " |" for name, values in rows.items()]
