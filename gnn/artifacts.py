"""Versioned model artifacts under `settings.data_dir/models/<version>/` and the `ModelVersion` node.

A version directory holds: `config.json` (training configuration, feature vocabularies, relation types, input
dimensions, training-data hash), `model.pt` (weights), `states.pt` (hidden states of every node, for inductive
embedding of new nodes), `embeddings.pt` (candidate and offer embeddings with their ids), `career.pt` (the
career head's fiche embeddings), `reranker.pkl` (the re-ranker with the pair facts and application history it
reads at serving time; absent from versions trained before it existed) and `metrics.json`.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gnn.export import GraphExport
from gnn.features import FeatureSpec
from gnn.model import EdgeType, LinkGNN
from gnn.rerank import IncompatibleArtifact, RerankingArtifact
from graph import models
from graph.db import Database
from vivier.settings import get_settings


@dataclass
class ModelVersion:
    version: str
    path: Path
    data_hash: str
    # Written as is to `metrics.json` and the `ModelVersion` node (a JSON blob): a dict, not a typed record.
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class Artifacts:
    version: str
    path: Path
    config: dict[str, Any]
    spec: FeatureSpec
    relations: list[EdgeType]
    model: LinkGNN
    states: list[dict[str, torch.Tensor]]
    embeddings: dict[str, torch.Tensor]
    ids: dict[str, list[str]]
    career: dict[str, Any]
    reranking: RerankingArtifact | None = None  # None: a version trained before the re-ranker existed


def models_dir() -> Path:
    return get_settings().data_dir / "models"


def new_version() -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    version, n = stamp, 1
    while (models_dir() / version).exists():
        n += 1
        version = f"{stamp}-{n}"
    return version


def data_hash(export: GraphExport) -> str:
    """SHA-256 of everything the model is trained on: features, relations and applications."""
    digest = hashlib.sha256()
    for node_type in sorted(export.data.node_types):
        digest.update(export.data[node_type].x.numpy().tobytes())
    for edge_type in sorted(export.data.edge_types):
        digest.update(export.data[edge_type].edge_index.numpy().tobytes())
    apps = export.applications
    for array in (apps.candidate, apps.offer, apps.stage):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def save(
    version: str,
    config: dict[str, Any],
    spec: FeatureSpec,
    model: LinkGNN,
    states: list[dict[str, torch.Tensor]],
    embeddings: dict[str, torch.Tensor],
    ids: dict[str, list[str]],
    career: dict[str, Any],
    metrics: dict[str, Any],
    reranking: RerankingArtifact | None = None,
) -> Path:
    path = models_dir() / version
    path.mkdir(parents=True, exist_ok=False)
    (path / "config.json").write_text(json.dumps({**config, "spec": spec.to_json()}, indent=1, default=str))
    torch.save(model.state_dict(), path / "model.pt")
    torch.save(states, path / "states.pt")
    torch.save({"embeddings": embeddings, "ids": ids}, path / "embeddings.pt")
    torch.save(career, path / "career.pt")
    with (path / "text_model.pkl").open("wb") as handle:
        pickle.dump(spec.text_model, handle)
    if reranking is not None:
        with (path / "reranker.pkl").open("wb") as handle:
            pickle.dump(reranking.to_stored(), handle)
    (path / "metrics.json").write_text(json.dumps(metrics, indent=1, default=str))
    return path


def load(version: str) -> Artifacts:
    path = models_dir() / version
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"model version {version!r} not found under {models_dir()}")
    config = json.loads((path / "config.json").read_text())
    relations = [tuple(et) for et in config["relations"]]
    model = LinkGNN(
        {t: int(d) for t, d in config["in_dims"].items()},
        relations,
        hidden=config["train"]["hidden"],
        out=config["train"]["out"],
        layers=config["train"]["layers"],
        dropout=config["train"]["dropout"],
        wide=config["train"].get("wide", 0),
    )
    model.load_state_dict(torch.load(path / "model.pt"))
    model.eval()
    stored = torch.load(path / "embeddings.pt")
    return Artifacts(
        version=version,
        path=path,
        config=config,
        spec=_spec(path, config),
        relations=relations,
        model=model,
        states=torch.load(path / "states.pt"),
        embeddings=stored["embeddings"],
        ids=stored["ids"],
        career=torch.load(path / "career.pt"),
        reranking=_reranking(path / "reranker.pkl", version),
    )


def _reranking(path: Path, version: str) -> RerankingArtifact | None:
    if not path.exists():
        return None
    try:
        with path.open("rb") as handle:
            stored = pickle.load(handle)  # our own artifact, written by `save` above
        return RerankingArtifact.from_stored(stored)
    except (AttributeError, ImportError, IncompatibleArtifact) as error:  # classes renamed or moved since
        raise IncompatibleArtifact(
            f"model version {version!r}: {path.name} cannot be read by this version of Vivier ({error}); "
            "retrain with `vivier train`"
        ) from error


def _spec(path: Path, config: dict[str, Any]) -> FeatureSpec:
    spec = FeatureSpec.from_json(config["spec"])
    with (path / "text_model.pkl").open("rb") as handle:
        spec.text_model = pickle.load(handle)  # our own artifact, written by `save` above
    return spec


def latest_version(db: Database) -> str:
    """The latest version registered in Neo4j, else the latest stored on disk."""
    registered = models.latest_version(db)
    if registered is not None:
        return registered
    stored = sorted(p.name for p in models_dir().glob("*") if (p / "config.json").exists())
    if not stored:
        raise FileNotFoundError(f"no trained model: run `vivier train` first (looked in Neo4j and {models_dir()})")
    return stored[-1]


def register(db: Database, model_version: ModelVersion, dimension: int) -> None:
    metrics = json.dumps(model_version.metrics, default=str)
    models.register(db, model_version.version, model_version.data_hash, str(model_version.path), dimension, metrics)


def write_embeddings(db: Database, label: str, vectors: torch.Tensor, version: str) -> None:
    """`embedding` and `embedding_version` on every node of `label` by its gid (row i on gid i)."""
    models.write_embeddings(db, label, vectors.tolist(), version)
