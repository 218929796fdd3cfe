"""The career head (gnn/career.py): its paired comparison code, and the learnt head against Adamic-Adar."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import HeteroData

from gnn.career import ADAMIC_ADAR, HEAD, CareerConfig, career_scores, evaluate_career, paired_comparison
from gnn.export import GraphExport


def test_paired_comparison_of_hits() -> None:
    method = np.array([1.0] * 60 + [0.0] * 40)
    baseline = np.array([1.0] * 30 + [0.0] * 70)
    difference, ratio = paired_comparison(method, baseline, samples=500)
    assert difference.mean == pytest.approx(0.3)
    assert ratio.mean == pytest.approx(2.0)
    assert 0.0 < difference.low < 0.3 < difference.high
    assert 1.0 < ratio.low < 2.0 < ratio.high
    same, one = paired_comparison(baseline, baseline, samples=200)
    assert (same.low, same.high) == (0.0, 0.0)  # resampled together, identical methods never differ
    assert one.mean == 1.0


def mobility_export(domaines: int = 6, per_domaine: int = 12, seed: int = 0) -> GraphExport:
    """ROME-like fiches: moves mostly stay inside a domaine, whose fiches share skills; sparse enough that common
    neighbours often miss them."""
    rng = np.random.default_rng(seed)
    n = domaines * per_domaine
    codes = [f"{'ABCDEFGH'[d]}{11 + d}{i:02d}" for d in range(domaines) for i in range(per_domaine)]
    skills = [(f, d * 10 + s) for f in range(n) for d in [f // per_domaine] for s in rng.choice(10, 5, replace=False)]
    moves: set[tuple[int, int]] = set()
    while len(moves) < 4 * n:
        a = int(rng.integers(n))
        b = int(rng.integers(n)) if rng.random() < 0.1 else (a // per_domaine) * per_domaine + int(rng.integers(12))
        if a != b:
            moves.add((a, b))
    data = HeteroData()
    data["occupation"].x = torch.randn(n, 8)
    data["occupation"].num_nodes = n
    data["skill"].x = torch.randn(domaines * 10, 8)
    data["skill"].num_nodes = domaines * 10
    data["occupation", "requires_skill", "skill"].edge_index = torch.tensor(skills).t()
    data["occupation", "broader", "occupation"].edge_index = torch.zeros(2, 0, dtype=torch.long)
    data["occupation", "match", "occupation"].edge_index = torch.zeros(2, 0, dtype=torch.long)
    data["occupation", "mobility", "occupation"].edge_index = torch.tensor(sorted(moves)).t()
    ids = {"occupation": np.array([f"urn:rome:fiche/{c}" for c in codes])}
    labels = np.empty(n, dtype=object)
    labels[:] = [["Occupation", "RomeFiche"]] * n
    return GraphExport(data, ids, None, None, None, {"occupation": {"labels": labels}})  # type: ignore[arg-type]


def test_learnt_head_beats_adamic_adar_and_serves_every_fiche() -> None:
    export = mobility_export()
    results, head = evaluate_career(export, CareerConfig(hidden=8, out=8, epochs=5, negatives=4, trees=50))
    assert results[HEAD]["n"] == round(0.2 * export.data["occupation", "mobility", "occupation"].num_edges)
    assert results[HEAD]["hits@10"] > results[ADAMIC_ADAR]["hits@10"]
    assert results[HEAD]["vs_aa_difference_low"] > 0  # the paired interval, not two separate ones
    assert career_scores(head, 0).shape == (len(head["fiches"]),)
