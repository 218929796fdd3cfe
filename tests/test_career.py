"""The career head (gnn/career.py): its paired comparison code, the learnt head against Adamic-Adar, and its
evaluation on two ROME editions of the whole graph (issue 18)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from gnn.career import (
    ADAMIC_ADAR,
    EDITIONS,
    HEAD,
    ONTOLOGY_RELATIONS,
    CareerConfig,
    CareerData,
    WholeGraph,
    career_scores,
    cross_edition_facts,
    evaluate_career,
    evaluate_editions,
    paired_comparison,
    split_edges,
)
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


def two_editions(per_edition: int = 48, seed: int = 1) -> WholeGraph:
    """Two ROME-like editions of the same fiches (rows 0..n-1: v3.44; n..2n-1: ROME 4.0, each the child of the v3
    fiche of the same rank), moves mostly within a domaine, and one RMFP emploi per v4 fiche."""
    export = mobility_export(domaines=4, per_domaine=12, seed=seed)
    n = per_edition
    moves = export.data["occupation", "mobility", "occupation"].edge_index
    requires = export.data["occupation", "requires_skill", "skill"].edge_index
    codes = [str(u).rsplit("/", 1)[-1] for u in export.ids["occupation"]]
    relations = {
        ONTOLOGY_RELATIONS[0]: torch.cat([requires, requires + torch.tensor([[n], [0]])], dim=1),
        ONTOLOGY_RELATIONS[1]: torch.zeros(2, 0, dtype=torch.long),
        ONTOLOGY_RELATIONS[2]: torch.stack([torch.arange(n, 2 * n), torch.arange(n)]),
    }
    x = {"occupation": torch.randn(2 * n, 8), "skill": export.data["skill"].x}
    pools = {"ROME v3.44": np.arange(n), "ROME 4.0": np.arange(n, 2 * n)}
    rmfp_inputs: list[Tensor] = []

    def rmfp_moves(train_v4: Tensor) -> Tensor:
        rmfp_inputs.append(train_v4)
        return torch.zeros(2, 0, dtype=torch.long)

    whole = WholeGraph(
        CareerData(x, relations, codes + codes),
        pools,
        {"ROME v3.44": moves, "ROME 4.0": moves + n},
        np.eye(n),
        rmfp_moves,
    )
    whole.rmfp_inputs = rmfp_inputs  # type: ignore[attr-defined]
    return whole


def test_both_editions_are_ranked_with_the_same_protocol_and_no_held_out_move_in_the_graph() -> None:
    whole = two_editions()
    config = CareerConfig(hidden=8, out=8, epochs=3, negatives=4, trees=30, bootstrap_samples=100)
    results = evaluate_editions(whole, config)
    assert set(results) == set(EDITIONS)
    for edition, rows in results.items():
        assert rows[HEAD]["n"] == round(0.2 * whole.moves[edition].shape[1])
        assert {ADAMIC_ADAR, "common neighbours", "skill overlap (Jaccard)"} <= set(rows)
        assert "vs_aa_ratio_low" in rows[HEAD]
    _, held = split_edges(whole.moves["ROME 4.0"], config.held_out, config.seed)
    given = {tuple(e) for call in whole.rmfp_inputs for e in call.t().tolist()}  # type: ignore[attr-defined]
    assert given and not given & {tuple(e) for e in held.t().tolist()}


def test_cross_edition_facts_follow_parents_and_children() -> None:
    whole = two_editions(per_edition=48)
    v3_move = torch.tensor([[0], [5]])  # v3: fiche 0 → fiche 5
    facts = cross_edition_facts(whole, "ROME 4.0", v3_move)
    assert facts["v3.44 move between the parents"][0, 5] == 1.0 and facts["v3.44 move between the parents"].sum() == 1
    v4_move = torch.tensor([[48 + 2], [48 + 7]])  # v4: the children of fiches 2 and 7
    facts = cross_edition_facts(whole, "ROME v3.44", v4_move)
    assert (
        facts["ROME 4.0 moves between the children"][2, 7] > 0
        and np.count_nonzero(facts["ROME 4.0 moves between the children"]) == 1
    )
