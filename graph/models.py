"""What the graph holds of trained models: the `ModelVersion` nodes, the embeddings written on candidates and
offers (`embedding`, `embedding_version`, read by the vector indexes), and the ontology lookups of serving.

The model files themselves live on disk (`gnn.artifacts`); this module only reads and writes the graph.
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.db import Database
from graph.schema import NODE_KEYS

WRITE_BATCH = 2_000


def latest_version(db: Database) -> str | None:
    """The most recently registered model version; None when none is registered."""
    records, _, _ = db.execute_query(
        "MATCH (m:ModelVersion) RETURN m.version AS version ORDER BY m.created_at DESC, m.version DESC LIMIT 1",
    )
    return str(records[0]["version"]) if records else None


def register(db: Database, version: str, data_hash: str, path: str, dimension: int, metrics: str) -> None:
    """Record a model version (created now): the hash of its training data, its directory, its embedding
    dimension and its metrics (JSON text)."""
    db.execute_query(
        "MERGE (m:ModelVersion {version: $version}) "
        "SET m.created_at = datetime(), m.data_hash = $hash, m.path = $path, m.embedding_dim = $dim, "
        "m.metrics = $metrics",
        version=version,
        hash=data_hash,
        path=path,
        dim=dimension,
        metrics=metrics,
    )


def _checked(label: str) -> str:
    if label not in NODE_KEYS:
        raise ValueError(f"unknown node label {label!r}")
    return label


def write_embeddings(db: Database, label: str, vectors: Sequence[Sequence[float]], version: str) -> None:
    """`embedding` and `embedding_version` on every node of `label` by its gid (vector i on gid i), in batches."""
    label = _checked(label)
    rows = [{"gid": i, "embedding": v} for i, v in enumerate(vectors)]
    for lo in range(0, len(rows), WRITE_BATCH):
        db.execute_query(
            f"UNWIND $rows AS row MATCH (n:{label} {{gid: row.gid}}) "
            "SET n.embedding = row.embedding, n.embedding_version = $version",
            rows=rows[lo : lo + WRITE_BATCH],
            version=version,
        )


def write_embedding(db: Database, label: str, key_value: str, embedding: Sequence[float], version: str) -> None:
    """`embedding` and `embedding_version` on one node, found by its key (`NODE_KEYS[label]`)."""
    label = _checked(label)
    key = NODE_KEYS[label]
    db.execute_query(
        f"MATCH (n:{label} {{{key}: $value}}) SET n.embedding = $embedding, n.embedding_version = $version",
        value=key_value,
        embedding=list(embedding),
        version=version,
    )


def rome_fiches_near(db: Database, occupation_uri: str) -> list[str]:
    """Up to 20 ROME fiches (uris) within two BROADER / EXACT_MATCH / CLOSE_MATCH links of a concept, either way."""
    records, _, _ = db.execute_query(
        "MATCH (o:Concept {uri: $uri})-[:BROADER|EXACT_MATCH|CLOSE_MATCH*1..2]-(f:RomeFiche) "
        "RETURN DISTINCT f.uri AS uri LIMIT 20",
        uri=occupation_uri,
    )
    return [r["uri"] for r in records]
