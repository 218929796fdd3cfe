"""What the joint ranker (gnn/ranker.py) needs to rank candidates who never applied: which training offers an
epoch supervises and which applications pass messages meanwhile.

## Supervision

*random* (the original scheme): a random share of the training offers is supervised and hides its own
applications; every other application of the history passes messages, including those made *after* a supervised
offer. A candidate selected on a training offer has then usually applied elsewhere, so their application counts
(the GNN's degree columns) and neighbours are known while the offer is scored.

*temporal* (issue 13, cold candidates): each epoch replays one moment of the history. A cut is drawn among the
training offers (ordered by publication); those published from the cut on are supervised, and only applications
to offers published before it pass messages, exactly as at test time, when the test offers are the latest and
their candidates' later applications do not exist yet. Where most selected candidates never applied before (a
platform's log: 74 % of the sparse history's test targets), the random scheme teaches the model that a
candidate with no application is never selected; the replay shows it as many cold positives as the test holds.
This is DropoutNet's lesson (Volkovs et al., NeurIPS 2017: train on inputs as incomplete as the cold ones) taken
from time itself instead of random masking.
"""

from __future__ import annotations

import numpy as np
import torch

from gnn.export import GraphExport
from gnn.train import Split

SCHEMES = ("random", "temporal")
AUTO = "auto"  # `choose_scheme`: temporal where many recent selected candidates had never applied
# The cold share of the validation targets from which the temporal scheme is chosen. The histories at hand: the
# simulated demo 2 %, the sparse multilingual history 58 % (docs/any-language.md); a value between, not fitted.
COLD_SHARE_FOR_TEMPORAL = 0.3


def cold_share(export: GraphExport, offers: np.ndarray, known_offers: np.ndarray) -> float:
    """Share of the selected (positive) applications to `offers` whose candidate applied to none of
    `known_offers` (cold, as the test's cold-start table counts them); NaN when `offers` have none."""
    apps = export.applications
    known = np.zeros(export.data["candidate"].num_nodes, dtype=bool)
    known[apps.candidate[np.isin(apps.offer, known_offers)]] = True
    mine = apps.positive & np.isin(apps.offer, offers)
    if not mine.any():
        return float("nan")
    return float(np.mean(~known[apps.candidate[mine]]))


def choose_scheme(scheme: str, share: float) -> str:
    """`scheme` itself, or for "auto" the scheme the history calls for, from `share`, the `cold_share` of the
    validation offers (the latest the training sees, the nearest to the test's): *temporal* when more than
    COLD_SHARE_FOR_TEMPORAL of their selected candidates had applied to none of the offers before them (a
    platform's log: most targets are new), *random* otherwise (the demo's measured scheme)."""
    if scheme != AUTO:
        return scheme
    return "temporal" if share > COLD_SHARE_FOR_TEMPORAL else "random"


def supervised_and_context(
    export: GraphExport, split: Split, generator: torch.Generator, fraction: float, scheme: str
) -> tuple[np.ndarray, np.ndarray]:
    """(positions in `split.train` supervised this epoch, offer gids whose applications pass messages).

    `fraction` is the mean supervised share; the temporal scheme draws it uniformly in [fraction / 2, 1 − (1 −
    fraction) / 2] (0.25–0.75 for one half), so that every part of the history is replayed from several cuts."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown supervision scheme {scheme!r}: expected one of {', '.join(SCHEMES)}")
    n = len(split.train)
    if scheme == "random":
        order = torch.randperm(n, generator=generator).numpy()
        supervised = order[: max(1, int(n * fraction))]
        return supervised, np.setdiff1d(split.history_val, split.train[supervised])
    low, high = fraction / 2, 1 - (1 - fraction) / 2
    share = low + (high - low) * float(torch.rand((), generator=generator))
    cut = min(n - 1, max(0, n - max(1, round(n * share))))
    supervised = np.arange(cut, n)  # split.train is ordered by publication date
    published = np.where(np.isnan(export.offer_published), -np.inf, export.offer_published)
    before = published[split.history_val] < published[split.train[cut]]
    return supervised, np.setdiff1d(split.history_val[before], split.train[supervised])
