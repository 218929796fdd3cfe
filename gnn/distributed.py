"""Data-parallel training of the joint ranker (gnn/ranker.py) under `torch.distributed`: DistributedDataParallel
over gloo, on CPUs (docs/distributed.md).

Every rank holds the whole graph and computes the whole message passing; what is split is the supervision. Each
epoch every rank draws the same supervised offers (same seed, same generator), scores only its shard of them
(offers rank, rank + N, …), and DDP all-reduces the gradients. Each rank's loss is weighted by its share of the
epoch's positives, so that the averaged gradient is exactly the single-process gradient of the whole share: one
process and N processes take the same steps, up to the order of floating-point sums. The replicas start equal
(same seed, and DDP broadcasts rank 0's parameters); rank 0 alone validates, and its verdict (improved or not) is
broadcast, so every rank keeps the same best state and stops at the same epoch.

Two ways to start it:
- `spawn_fit` (`vivier train --processes N`): N local ranks started with torch.multiprocessing, rendezvous on
  127.0.0.1 and a free port; the parent's export reaches them through a file, rank 0's result comes back the same
  way, and the parent writes the artifacts.
- `torchrun` (one `vivier train` per rank, on one machine or many): the launcher's RANK, WORLD_SIZE, MASTER_ADDR,
  MASTER_PORT (env://) define the group. Rank 0 reads Neo4j and broadcasts the export (`share_inputs`); the other
  ranks (`follow`) need no database, train, and exit; rank 0 writes the artifacts.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from gnn.export import GraphExport
from gnn.ranker import JointFit, RankerConfig, fit_joint
from gnn.rerank import PairFacts
from gnn.train import Split, TrainConfig
from graph.server import free_port

BACKEND = "gloo"
# Ranks other than 0 wait at the first collective while rank 0 exports the graph from Neo4j: minutes at national
# scale, longer than the 30 min default on a busy machine.
TIMEOUT = timedelta(hours=3)


@dataclass(frozen=True)
class Replica:
    """This process's place in an initialised process group, and the collectives the training loop needs."""

    rank: int
    world_size: int

    @property
    def chief(self) -> bool:
        return self.rank == 0

    def wrap(self, module: nn.Module) -> nn.Module:
        # Unused parameters exist by construction: the last layer's convolutions into node types that are not
        # scored (skills, grades, …) get no gradient. DDP leaves them without one, as a single process does.
        return DistributedDataParallel(module, find_unused_parameters=True)

    def shard(self, offers: np.ndarray) -> np.ndarray:
        """This rank's disjoint share of the epoch's supervised offers."""
        if len(offers) < self.world_size:
            raise ValueError(
                f"{len(offers)} supervised offers per epoch for {self.world_size} processes: "
                "each process needs at least one (fewer processes, or more training offers)"
            )
        return offers[self.rank :: self.world_size]

    def share(self, positives_here: int, positives_all: int) -> float:
        """Loss weight so that DDP's average of the ranks' gradients is the gradient of the mean loss over all
        the epoch's positives (each rank's loss is a mean over its own positives)."""
        return self.world_size * positives_here / positives_all

    def average(self, loss: Tensor) -> float:
        """The epoch's loss over all ranks (each rank's weighted loss summed, divided by the ranks)."""
        total = loss.detach().clone()
        dist.all_reduce(total)
        return float(total) / self.world_size

    def agree(self, flag: bool) -> bool:
        """Rank 0's value of `flag`, on every rank."""
        value = torch.tensor([int(flag)])
        dist.broadcast(value, src=0)
        return bool(value.item())


@dataclass
class Inputs:
    """What every rank trains on: the same export, facts, split and configurations."""

    export: GraphExport
    facts: PairFacts
    split: Split
    config: TrainConfig
    ranker_config: RankerConfig
    layers: int | None = None


@dataclass
class DistributedFit:
    """Rank 0's fit, and every rank's final parameters (they must be equal: the gradients were synchronised)."""

    fit: JointFit
    replicas: list[dict[str, Tensor]]


# --- torchrun / env:// ----------------------------------------------------------------------------------------------
def launched_rank() -> int | None:
    """The rank a launcher (torchrun) gave this process, or None outside a multi-process launch."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    return int(os.environ["RANK"])


def join_launched_group() -> Replica:
    """Join the group the launcher described (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT)."""
    if not dist.is_initialized():
        dist.init_process_group(BACKEND, init_method="env://", timeout=TIMEOUT)
    return Replica(dist.get_rank(), dist.get_world_size())


def share_inputs(inputs: Inputs | None, replica: Replica) -> Inputs:
    """Rank 0's inputs on every rank: only rank 0 needs to reach Neo4j, the others receive its export."""
    box: list[Any] = [inputs if replica.chief else None]
    dist.broadcast_object_list(box, src=0)
    received = box[0]
    if not isinstance(received, Inputs):
        raise RuntimeError(f"rank {replica.rank}: rank 0 sent {type(received).__name__}, not the training inputs")
    return received


def fit_launched(inputs: Inputs, progress: bool = True) -> JointFit:
    """Rank 0 of a torchrun launch: share the inputs, train its part, leave the group."""
    replica = join_launched_group()
    try:
        return _fit(share_inputs(inputs, replica), replica, progress)
    finally:
        dist.destroy_process_group()


def follow() -> None:
    """A rank other than 0 of a torchrun launch: receive rank 0's inputs, train, leave (rank 0 stores the model)."""
    replica = join_launched_group()
    try:
        _fit(share_inputs(None, replica), replica, progress=False)
    finally:
        dist.destroy_process_group()


def _fit(inputs: Inputs, replica: Replica | None, progress: bool) -> JointFit:
    """The joint fit of `inputs`, as one replica of several (None: the only process)."""
    return fit_joint(
        inputs.export,
        inputs.facts,
        inputs.split,
        inputs.config,
        inputs.ranker_config,
        layers=inputs.layers,
        progress=progress,
        replica=replica,
    )


# --- local processes (vivier train --processes N) ------------------------------------------------------------------
def spawn_fit(inputs: Inputs, processes: int, progress: bool = True) -> DistributedFit:
    """Train with `processes` local ranks; the machine's `config.threads` are divided among them."""
    supervised = max(1, int(len(inputs.split.train) * inputs.config.supervision_fraction))
    if supervised < processes:
        raise ValueError(
            f"{supervised} supervised offers per epoch for {processes} processes: each process needs at least one"
        )
    threads = max(1, inputs.config.threads // processes)
    inputs = replace(inputs, config=replace(inputs.config, threads=threads))
    with tempfile.TemporaryDirectory(prefix="vivier-ddp-") as folder:
        work = Path(folder)
        with (work / "inputs.pkl").open("wb") as file:
            pickle.dump(inputs, file, protocol=pickle.HIGHEST_PROTOCOL)
        mp.spawn(_local_rank, args=(processes, free_port(), str(work), progress), nprocs=processes, join=True)
        fit = torch.load(work / "fit.pt", weights_only=False)
        replicas = [torch.load(work / f"rank{r}.pt") for r in range(processes)]
    return DistributedFit(fit, replicas)


def _local_rank(rank: int, world_size: int, port: int, folder: str, progress: bool) -> None:
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    dist.init_process_group(BACKEND, rank=rank, world_size=world_size, timeout=TIMEOUT)
    try:
        work = Path(folder)
        with (work / "inputs.pkl").open("rb") as file:
            inputs = pickle.load(file)
        replica = Replica(rank, world_size)
        fit = _fit(inputs, replica, progress and replica.chief)
        parameters = {f"gnn.{k}": v for k, v in fit.gnn.state_dict().items()}
        parameters |= {f"wide.{k}": v for k, v in fit.wide.state_dict().items()}
        torch.save(parameters, work / f"rank{rank}.pt")
        if replica.chief:
            torch.save(fit, work / "fit.pt")
    finally:
        dist.destroy_process_group()


def fit_ranker(inputs: Inputs, processes: int = 1, progress: bool = True) -> JointFit:
    """The joint fit of `vivier train`: in this process, over `processes` local ranks, or as rank 0 of a torchrun
    launch (whose other ranks run `follow`)."""
    if processes < 1:
        raise ValueError(f"--processes {processes}: at least 1")
    if launched_rank() is not None:
        if processes != 1:
            raise ValueError("--processes is for a single machine; under torchrun the launcher sets the ranks")
        return fit_launched(inputs, progress)
    if processes > 1:
        return spawn_fit(inputs, processes, progress).fit
    return _fit(inputs, None, progress)
