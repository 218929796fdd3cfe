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
