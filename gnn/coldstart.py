"""What the joint ranker (gnn/ranker.py) needs to rank candidates who never applied: which training offers an
epoch supervises and which applications pass messages meanwhile, and where the text columns of the embedding start.

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

## The text columns' starting weights
The embedding ends with the shared text space and the département one-hot (`LinkGNN.wide`), each column with a
learnt weight that starts at 1, beside the 64 columns of the untrained deep part. At that start the text is a third
of the cosine and the département as much as both text halves together; the weights then move by a few hundredths
per epoch, and early stopping ends training before they have moved much. The cosine of the text space alone ranks
better than the trained model did on the sparse history (docs/any-language.md). So the weights start where the
training offers say: the text halves at `TEXT_WEIGHT` (the random deep part then weighs 1 / (1 + 2 · 3²) of the
start), the département at the share of the text's weight that ranks the training offers' selected candidates
best by the plain cosine (a grid of `GEO_RATIOS`, chosen on training offers only).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from gnn.export import GEO_DIM, GraphExport
from gnn.features import SHARED_TEXT_DIM
from gnn.model import LinkGNN
from gnn.train import Split, rank_offers

SCHEMES = ("random", "temporal")
TEXT_WEIGHT = 3.0
GEO_RATIOS = (0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)


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


@torch.no_grad()
def warm_text_weights(model: LinkGNN, export: GraphExport, split: Split) -> float:
    """Start the text columns of `model`'s wide part at TEXT_WEIGHT and its département columns at the ratio of
    GEO_RATIOS whose plain cosine best ranks the training offers' selected candidates (Recall@10 + Recall@50, as
    early stopping reads them); returns that ratio. A model whose wide part is not text + département is left as is."""
    if model.wide != SHARED_TEXT_DIM + GEO_DIM or not len(split.train):
        return 1.0
    x_c, x_o = export.data["candidate"].x[:, -model.wide :], export.data["offer"].x[:, -model.wide :]
    x_o = x_o[torch.from_numpy(split.train)]
    text = x_o[:, :SHARED_TEXT_DIM] @ x_c[:, :SHARED_TEXT_DIM].T
    place = x_o[:, SHARED_TEXT_DIM:] @ x_c[:, SHARED_TEXT_DIM:].T

    def quality(ratio: float) -> float:
        per_offer = rank_offers(export, split.train, (text + ratio**2 * place).numpy())
        return float(np.mean([q["recall@10"] + q["recall@50"] for q in per_offer]))

    best = max(GEO_RATIOS, key=quality)  # the first of equals: the smaller weight
    model.log_wide[:SHARED_TEXT_DIM] = math.log(TEXT_WEIGHT)
    model.log_wide[SHARED_TEXT_DIM:] = math.log(TEXT_WEIGHT * max(best, 1e-3))
    return best
