"""Versioned model artifacts under `settings.data_dir/models/<version>/` and the `ModelVersion` node.

A version directory holds: `config.json` (training configuration, feature vocabularies, relation types, input
dimensions, training-data hash), `model.pt` (weights), `states.pt` (hidden states of every node, for inductive
embedding of new nodes), `embeddings.pt` (candidate and offer embeddings with their ids), `career.pt` (the
career head's fiche embeddings), `reranker.pkl` (the re-ranker with the pair facts and application history it
reads at serving time; absent from versions trained before it existed) and `metrics.json`.

A GDPR erasure rewrites `embeddings.pt`, `states.pt` and `reranker.pkl` of every version
(`erase_candidates_from_versions`): the candidate's id, vectors, facts and applications leave them.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import platform
from collections.abc import Callable
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


def weights_hash(*modules: torch.nn.Module) -> str:
    """SHA-256 of the modules' weights (names, shapes, bytes): two trainings that learnt the same model to the bit
    give the same digest (`gnn.train.seed_everything`)."""
    digest = hashlib.sha256()
    for module in modules:
        for name, tensor in module.state_dict().items():
            digest.update(f"{name}{tuple(tensor.shape)}{tensor.dtype}".encode())
            digest.update(tensor.detach().contiguous().numpy().tobytes())
    return digest.hexdigest()


def software() -> dict[str, Any]:
    """What trained a version, for its record: the same data, configuration and seed reproduce its weights only
    with the same libraries (and thread count, stored with the configuration)."""
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform()}
    for package in ("vivier", "torch", "torch-geometric", "numpy", "scikit-learn", "spacy"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    versions["deterministic_algorithms"] = torch.are_deterministic_algorithms_enabled()
    return versions


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


# --- GDPR erasure -------------------------------------------------------------------------------------------------
# Erasures rewrite stored versions in place; one at a time across processes, or two would each write back a copy
# that still holds the other's candidate.
_ERASURE_LOCK = ".erasure.lock"


def forget_candidate_rows(reranking: RerankingArtifact, rows: list[int]) -> None:
    """Clear what the re-ranker holds about candidate `rows`: their skills, occupations, home, experience,
    education and text row become empty, and their applications leave the history (the 'before' counts no longer
    see them). Rows keep their numbers, so the facts stay aligned with the embedding matrix."""
    facts = reranking.facts
    for name in ("candidate_skills", "held", "holds_now"):
        matrix = getattr(facts, name).tolil()
        for row in rows:
            if row < matrix.shape[0]:
                matrix.rows[row], matrix.data[row] = [], []
        setattr(facts, name, matrix.tocsr())
    present = [row for row in rows if row < len(facts.candidate_departement)]
    facts.candidate_departement[present] = -1
    facts.years_experience[present] = 0.0
    facts.education[present] = -1.0
    text = facts.__dict__.get("candidate_text")  # versions stored before the text fact have none
    if text is not None:
        text[[row for row in rows if row < len(text)]] = 0.0
    history = reranking.history
    keep = ~np.isin(history.candidate, rows)
    history.candidate, history.offer = history.candidate[keep], history.offer[keep]
    history.positive, history.published = history.positive[keep], history.published[keep]
    history.__dict__.pop("_cache", None)  # its totals and per-employer indexes point into the old arrays


def erase_candidates_from_versions(candidate_ids: set[str]) -> list[Path]:
    """Remove candidates from every stored version under `models/`: their id (blanked) and embedding (zeros) in
    `embeddings.pt`, their hidden states in `states.pt`, their facts and applications in `reranker.pkl`. Each
    file is rewritten whole, then renamed over the old one, so a process loading it reads one or the other, never
    half. Returns the files rewritten."""
    import fcntl

    root = models_dir()
    if not root.is_dir() or not candidate_ids:
        return []
    rewritten: list[Path] = []
    with (root / _ERASURE_LOCK).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for version in sorted(p for p in root.iterdir() if (p / "embeddings.pt").exists()):
            rewritten += _erase_from_version(version, candidate_ids)
    return rewritten


def _erase_from_version(path: Path, candidate_ids: set[str]) -> list[Path]:
    stored = torch.load(path / "embeddings.pt")
    ids: list[str] = list(stored["ids"]["candidate"])
    rows = [i for i, key in enumerate(ids) if key in candidate_ids]
    if not rows:
        return []
    for row in rows:
        ids[row] = ""
    stored["ids"]["candidate"] = ids
    stored["embeddings"]["candidate"][rows] = 0.0
    _replace(path / "embeddings.pt", lambda tmp: torch.save(stored, tmp))
    rewritten = [path / "embeddings.pt"]
    if (path / "states.pt").exists():
        states = torch.load(path / "states.pt")
        for layer in states:
            if "candidate" in layer:
                layer["candidate"][[r for r in rows if r < layer["candidate"].shape[0]]] = 0.0
        _replace(path / "states.pt", lambda tmp: torch.save(states, tmp))
        rewritten.append(path / "states.pt")
    if (path / "reranker.pkl").exists():
        reranking = _reranking(path / "reranker.pkl", path.name)
        assert reranking is not None
        forget_candidate_rows(reranking, rows)
        _replace(path / "reranker.pkl", lambda tmp: tmp.write_bytes(pickle.dumps(reranking.to_stored())))
        rewritten.append(path / "reranker.pkl")
    return rewritten


def _replace(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file in the same folder, flushed to disk, then rename it over `path`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
