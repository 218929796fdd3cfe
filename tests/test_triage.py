"""The triage test (gnn/triage.py): an offer's own applicants ranked, the shortlisted ones as targets."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from gnn.export import Applications, GraphExport
from gnn.triage import TRIAGE_K, triage_metrics, triage_section


def export_of(rows: list[tuple[int, int, bool]]) -> GraphExport:
    """An export holding only these (candidate, offer, shortlisted) applications: triage reads nothing else."""
    candidate, offer, positive = (np.array(column) for column in zip(*rows, strict=True))
    applications = Applications(candidate, offer, np.zeros(len(rows), dtype=np.int64), positive.astype(bool))
    return GraphExport(cast(Any, None), {}, applications, np.zeros(3), cast(Any, None))


def test_triage_ranks_applicants_only_and_skips_offers_it_cannot_read() -> None:
    # Offer 0: candidates 0-7 apply, 1 and 6 shortlisted (6 applied twice). Offer 1: 3 applicants (skipped).
    # Offer 2: 7 applicants, none shortlisted (skipped).
    rows = [(c, 0, c in (1, 6)) for c in range(8)] + [(6, 0, False)]
    rows += [(c, 1, c == 0) for c in range(3)] + [(c, 2, False) for c in range(7)]
    export = export_of(rows)
    offers = np.array([0, 1, 2])
    scores = np.zeros((3, 20))
    scores[0, :8] = [0.1, 0.9, 0.2, 0.3, 0.4, 0.5, 0.8, 0.0]
    scores[0, 8:] = 10.0  # non-applicants never enter the triage, however high their score
    best = triage_metrics(export, offers, scores, np.random.default_rng(0))
    assert best == [{f"recall@{TRIAGE_K}": 1.0, "auc": 1.0}]
    scores[0, [1, 6]] = -np.inf  # left out of a method's pool: ranked last
    worst = triage_metrics(export, offers, scores, np.random.default_rng(0))
    assert worst == [{f"recall@{TRIAGE_K}": 0.0, "auc": 0.0}]


def test_triage_section_pairs_methods_over_the_same_offers() -> None:
    per_offer = {
        "model": {f"recall@{TRIAGE_K}": np.array([1.0, 0.5, 1.0]), "auc": np.array([0.9, 0.7, 0.8])},
        "facts": {f"recall@{TRIAGE_K}": np.array([0.5, 0.5, 1.0]), "auc": np.array([0.8, 0.7, 0.6])},
    }
    text = "\n".join(triage_section(per_offer, (("model", "facts"),), None))
    assert "3 test offers" in text and "| model | 0.833" in text
    assert "- model − facts, paired over the same offers: recall@5 0.167" in text
    assert triage_section({}, (("model", "facts"),), None) == []
    nothing = {"model": {f"recall@{TRIAGE_K}": np.zeros(0), "auc": np.zeros(0)}}
    assert "No test offer has more than 5 applicants" in "\n".join(triage_section(nothing, (), None))
