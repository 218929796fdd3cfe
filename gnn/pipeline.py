"""`train_model`: export, train the joint ranker (gnn/ranker.py) in one process or several (gnn/distributed.py),
store a version, write the embeddings back into Neo4j."""

from __future__ import annotations

import time
from dataclasses import asdict

import numpy as np
import torch
from rich.console import Console

from gnn import artifacts
from gnn.artifacts import ModelVersion
from gnn.career import CareerConfig, evaluate_career
from gnn.coldstart import choose_scheme, cold_share
from gnn.distributed import Inputs, fit_ranker
from gnn.export import GraphExport, export_graph
from gnn.model import LinkGNN
from gnn.ranker import RankerConfig, served_ranker
from gnn.rerank import History, PairFacts, RerankingArtifact
from gnn.sampling import NeighbourSampler, layerwise_embeddings
from gnn.train import TrainConfig, edge_types, message_graph, node_counts, temporal_split, uses_minibatch
from graph.db import Database
from graph.schema import apply_schema, fit_vector_indexes

console = Console()


def train_model(
    db: Database,
    config: TrainConfig | None = None,
    career_config: CareerConfig | None = None,
    progress: bool = True,
    processes: int = 1,
    supervision: str = "auto",
) -> ModelVersion:
    """Train on the graph in Neo4j and store a new version; returns it (its metrics include validation).

    `processes` > 1 trains with that many local data-parallel ranks; under torchrun this process is rank 0 and
    the other ranks run `gnn.distributed.follow` (docs/distributed.md)."""
    started = time.perf_counter()
    config = config or TrainConfig()
    career_config = career_config or CareerConfig(seed=config.seed)
    apply_schema(db)  # the vector indexes (steps 5 and 12)
    export = export_graph(db, progress=progress)
    if not export.applications.positive.any():
        raise ValueError("no application at a positive stage (shortlisted or later) in Neo4j: nothing to learn from")
    split = temporal_split(export, config)
    facts = PairFacts.from_export(export)
    # gnn/coldstart.py: "random", "temporal", or "auto" (temporal where most recent selected candidates are cold)
    share = cold_share(export, split.val, split.history_val)
    ranker_config = RankerConfig(supervision=choose_scheme(supervision, share))
    if progress:
        console.print(
            f"Supervision: {ranker_config.supervision} (asked: {supervision}; {share:.0%} of the validation offers' "
            "selected candidates had never applied)"
        )
    result = fit_ranker(Inputs(export, facts, split, config, ranker_config), processes, progress)
    everything = History.known(export, facts, np.arange(export.data["offer"].num_nodes))
    reranking = RerankingArtifact(served_ranker(result), facts, everything)
    best = next((h for h in result.history if h["epoch"] == result.best_epoch), {})
    rerank_metrics = {m: float(best.get(f"val_{m}", float("nan"))) for m in ("recall@10", "recall@50")}
    states, final = final_states(result.gnn, export, uses_minibatch(export, config))
    career_metrics, head = evaluate_career(export, career_config)
    career = {**head, "fiches": [str(export.ids["occupation"][i]) for i in head["fiches"].tolist()]}
    version = artifacts.new_version()
    metrics = {
        "best_epoch": result.best_epoch,
        "history": result.history,
        "split": {"train": len(split.train), "val": len(split.val), "test": len(split.test)},
        "career": career_metrics,
        "reranker": rerank_metrics,
        "seconds": round(time.perf_counter() - started, 1),
        "weights_hash": artifacts.weights_hash(result.gnn, result.wide),
    }
    stored_config = {
        "train": asdict(config),
        "ranker": asdict(ranker_config),
        "career": asdict(career_config),
        "relations": [list(et) for et in edge_types(export)],
        "in_dims": {t: int(export.data[t].x.shape[1]) for t in export.data.node_types},
        "data_hash": artifacts.data_hash(export),
        "software": artifacts.software(),
    }
    ids = {t: [str(v) for v in export.ids[t]] for t in ("candidate", "offer")}
    path = artifacts.save(
        version,
        stored_config,
        export.feature_spec,
        result.gnn,
        states[:-1],
        final,
        ids,
        career,
        metrics,
        reranking,
    )
    model_version = ModelVersion(version, path, stored_config["data_hash"], metrics)  # type: ignore[arg-type]
    fit_vector_indexes(db, config.out + config.wide)  # Neo4j indexes only vectors of the declared width
    artifacts.write_embeddings(db, "Candidate", final["candidate"], version)
    artifacts.write_embeddings(db, "Offer", final["offer"], version)
    artifacts.register(db, model_version, config.out + config.wide)
    return model_version


@torch.no_grad()
def final_states(
    model: LinkGNN, export: GraphExport, layerwise: bool = False
) -> tuple[list[dict[str, torch.Tensor]], dict[str, torch.Tensor]]:
    """Hidden states and embeddings with every known application passing messages (serving time); `layerwise`:
    one layer at a time over chunks of nodes (gnn.sampling), the same numbers in bounded memory."""
    model.eval()
    graph = message_graph(export, np.arange(export.data["offer"].num_nodes))
    x_dict = {t: export.data[t].x for t in export.data.node_types}
    if layerwise:
        heads, layers = layerwise_embeddings(model, x_dict, NeighbourSampler(graph, node_counts(export), model.into))
        return layers, heads
    states = model.states(x_dict, graph)
    return states, model.embed(states[-1], x_dict)
