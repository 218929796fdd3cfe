"""Distributed training (gnn/distributed.py): two local ranks under DistributedDataParallel (gloo, CPU) train the
joint ranker on a small synthetic graph exported from the real Neo4j, and match one process within noise.

"Noise" is measured, not assumed: the spread of the single-process figures over three seeds. Two ranks with the
loss weighting of `Replica.share` take the same steps as one process (up to the order of floating-point sums), so
they must sit well inside that spread: their per-offer test figures against the single process of the same seed
have a paired bootstrap interval that includes 0, and their epoch losses agree with it to a float tolerance.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from gnn.distributed import Inputs, Replica, launched_rank, spawn_fit
from gnn.eligibility import candidate_profiles, eligibility_matrix, offer_requirements
from gnn.export import GraphExport, export_graph
from gnn.metrics import bootstrap
from gnn.ranker import JointFit, RankerConfig, fit_joint, joint_scores
from gnn.rerank import PairFacts
from gnn.train import Split, TrainConfig, rank_offers, temporal_split
from graph.db import Database
from tests.support.synthetic import write_synthetic_graph

# Small enough for 2 cores: about 3 s of CPU per single-process fit, 17 s for the two ranks together (two fresh
# interpreters importing torch; measured at load 8).
CONFIG = TrainConfig(epochs=20, eval_every=5, patience=2, hidden=32, out=32, threads=1)
SEEDS = (7, 8, 9)
METRICS = ("recall@10", "mrr")


@dataclass
class Problem:
    export: GraphExport
    facts: PairFacts
    split: Split


@pytest.fixture(scope="module")
def problem(database: Database) -> Iterator[Problem]:
    database.execute_query("MATCH (n) WHERE NOT n:SchemaMigration DETACH DELETE n")
    write_synthetic_graph(database, candidates=400, offers=120, seed=3)
    export = export_graph(database, progress=False)
    yield Problem(export, PairFacts.from_export(export), temporal_split(export, CONFIG))
    database.execute_query("MATCH (n) WHERE NOT n:SchemaMigration DETACH DELETE n")


def test_two_ranks_match_one_process_within_noise(problem: Problem) -> None:
    single = {seed: _fit(problem, seed) for seed in SEEDS}
    two = spawn_fit(
        Inputs(problem.export, problem.facts, problem.split, _config(SEEDS[0]), RankerConfig()), 2, progress=False
    )
    figures = {seed: _test_figures(problem, fit) for seed, fit in single.items()}
    distributed = _test_figures(problem, two.fit)
    _print_figures(single, figures, two.fit, distributed)
    # The gradients were all-reduced: both ranks end with the very same parameters.
    assert two.replicas[0].keys() == two.replicas[1].keys()
    for name, value in two.replicas[0].items():
        assert torch.equal(value, two.replicas[1][name]), name
    # Rank 0 decided the early stopping for both: the same evaluations, and the loss of the same objective.
    reference = single[SEEDS[0]]
    assert [h["epoch"] for h in two.fit.history] == [h["epoch"] for h in reference.history]
    for ours, theirs in zip(two.fit.history, reference.history, strict=True):
        assert ours["loss"] == pytest.approx(theirs["loss"], rel=1e-3)
    for metric in METRICS:
        difference = distributed[metric] - figures[SEEDS[0]][metric]
        _assert_within_noise(float(np.mean(difference)), [float(np.mean(f[metric])) for f in figures.values()])
        interval = bootstrap(difference)
        assert interval.low <= 0 <= interval.high, (metric, interval)
    kept = _kept_validation(two.fit) - _kept_validation(reference)
    _assert_within_noise(kept, [_kept_validation(fit) for fit in single.values()])


def test_shards_are_disjoint_and_their_weighted_losses_average_to_the_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """`Replica.shard` and `Replica.share` without a process group: three ranks split an epoch's offers, and the
    average of their weighted per-shard means is the mean over all positives (what one process minimises)."""
    rng = np.random.default_rng(0)
    offers = rng.permutation(50)
    positives = rng.integers(1, 4, size=50)  # positives per offer
    loss_per_positive = rng.random(size=(50, 3))  # up to 3 positives per offer, unused slots ignored
    values = {o: loss_per_positive[o, : positives[o]] for o in range(50)}
    whole = np.concatenate([values[o] for o in offers]).mean()
    replicas = [Replica(rank, 3) for rank in range(3)]
    shards = [replica.shard(offers) for replica in replicas]
    assert sorted(np.concatenate(shards).tolist()) == list(range(50))
    averaged = 0.0
    for replica, shard in zip(replicas, shards, strict=True):
        mine = np.concatenate([values[o] for o in shard])
        averaged += replica.share(len(mine), int(positives.sum())) * mine.mean() / replica.world_size
    assert averaged == pytest.approx(whole)
    with pytest.raises(ValueError, match="2 supervised offers per epoch for 3 processes"):
        replicas[0].shard(offers[:2])
    # torchrun's variables say which rank this process is; without them, training is single-process.
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert launched_rank() is None
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert launched_rank() == 1


def _assert_within_noise(difference: float, single_process: list[float]) -> None:
    """A distributed-minus-single difference no larger than the single process's own spread over seeds."""
    spread = max(single_process) - min(single_process)
    assert abs(difference) <= spread + 1e-9, (difference, single_process)


def _kept_validation(fit: JointFit) -> float:
    return next(h["val_recall@10"] + h["val_recall@50"] for h in fit.history if h["epoch"] == fit.best_epoch)


def _print_figures(
    single: dict[int, JointFit],
    figures: dict[int, dict[str, np.ndarray]],
    two: JointFit,
    distributed: dict[str, np.ndarray],
) -> None:
    """The figures of docs/distributed.md (`pytest tests/test_distributed.py -s` shows them)."""
    runs = [*((f"1 process, seed {s}", single[s], figures[s]) for s in SEEDS), ("2 ranks, seed 7", two, distributed)]
    for name, fit, test in runs:
        means = ", ".join(f"{m} {float(np.mean(test[m])):.3f}" for m in METRICS)
        losses = ", ".join(f"{h['loss']:.4f}" for h in fit.history)
        print(f"{name}: kept epoch {fit.best_epoch}, validation {_kept_validation(fit):.3f}, test {means}; {losses}")
    for metric in METRICS:
        difference = bootstrap(distributed[metric] - figures[SEEDS[0]][metric])
        print(
            f"paired difference over {len(distributed[metric])} test offers, 2 ranks - 1 process: {metric} {difference}"
        )


def _config(seed: int) -> TrainConfig:
    return TrainConfig(**{**CONFIG.__dict__, "seed": seed})


def _fit(problem: Problem, seed: int) -> JointFit:
    return fit_joint(problem.export, problem.facts, problem.split, _config(seed), RankerConfig(), progress=False)


def _test_figures(problem: Problem, fit: JointFit) -> dict[str, np.ndarray]:
    """Per test offer: Recall@10 and MRR of its selected candidates among all its eligible candidates."""
    split, export = problem.split, problem.export
    eligible = eligibility_matrix(candidate_profiles(export), offer_requirements(export), split.test)
    scores = joint_scores(fit, export, problem.facts, split.test, split.history_test, eligible)
    per_offer = rank_offers(export, split.test, scores, eligible)
    return {m: np.array([q[m] for q in per_offer]) for m in METRICS}
