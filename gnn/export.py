"""Neo4j → PyG `HeteroData`, indexed by the contiguous `gid` stored on every exported node.

The graph package reads (`graph.training_data`: the node and relation types, `assign_gids`, batched reads by gid
ranges); `export_graph` builds tensors directly from those gids, without a Python id → index dictionary.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from rich.progress import Progress
from torch_geometric.data import HeteroData

from gnn.features import SHARED_TEXT_DIM, FeatureSpec, node_features
from graph import training_data
from graph.db import Database
from graph.schema import POSITIVE_STAGES, STAGES
from graph.training_data import EDGE_TYPES, NODE_TYPES

# Applications are exported separately: which of them pass messages depends on the split.
APPLIED_EDGE = ("candidate", "applied", "offer")
SELECTED_EDGE = ("candidate", "selected", "offer")
# Derived from the applications: the employers that selected a candidate, so that a new offer reaches, in two
# hops, the kind of candidates its employer tends to select.
SELECTED_BY_EDGE = ("candidate", "selected_by", "employer")


GEO_DIM = 128  # one column per département gid (gids beyond are left out): a location space both sides share
GEO_EDGES = {
    "candidate": ("candidate", "lives_in", "departement"),
    "offer": ("offer", "located_in", "departement"),
}


def geo_columns(nodes: torch.Tensor, departements: torch.Tensor, count: int) -> torch.Tensor:
    """One-hot département of each node (last feature columns of candidates and offers), L2-normalised."""
    block = torch.zeros(count, GEO_DIM)
    keep = departements < GEO_DIM
    block[nodes[keep], departements[keep]] = 1.0
    return torch.nn.functional.normalize(block, dim=1)


def shared_text_columns(x: torch.Tensor) -> torch.Tensor:
    """The shared text space's columns (`gnn.features.SHARED_TEXT_DIM`) of candidate or offer features as exported:
    `encode` puts them last, then the export appends the `GEO_DIM` département columns."""
    return x[:, -(SHARED_TEXT_DIM + GEO_DIM) : -GEO_DIM]


def reverse(edge_type: tuple[str, str, str]) -> tuple[str, str, str]:
    src, rel, dst = edge_type
    return dst, f"rev_{rel}", src


@dataclass
class Applications:
    """Every application as parallel arrays: candidate gid, offer gid, furthest stage reached (code in STAGES) and
    whether that stage is positive (shortlisted or later)."""

    candidate: np.ndarray
    offer: np.ndarray
    stage: np.ndarray
    positive: np.ndarray
    # The application indices in a stable sort by offer, and the offers in that order: built on first use by
    # `of_offer` (the arrays are not modified after the export).
    _by_offer: tuple[np.ndarray, np.ndarray] | None = field(default=None, init=False, repr=False, compare=False)

    def of_offer(self, offer: int) -> np.ndarray:
        """Indices of `offer`'s applications, in order: `np.flatnonzero(self.offer == offer)` by a binary search
        instead of a pass over every application (10 M at national scale: 2,000 evaluation offers took minutes)."""
        if self._by_offer is None:
            order = np.argsort(self.offer, kind="stable")
            self._by_offer = (order, self.offer[order])
        order, offers = self._by_offer
        return order[np.searchsorted(offers, offer, "left") : np.searchsorted(offers, offer, "right")]


@dataclass
class GraphExport:
    data: HeteroData  # node features and the ontology / profile edges (no applications)
    ids: dict[str, np.ndarray]  # node type → domain key by gid ("" for a hole left by a deleted node)
    applications: Applications
    offer_published: np.ndarray  # epoch days by offer gid (NaN when unknown)
    feature_spec: FeatureSpec
    attributes: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # statutory codes by type
    texts: dict[str, list[str]] = field(default_factory=dict)  # candidate CV and offer text by gid (baselines)


def export_graph(db: Database, spec: FeatureSpec | None = None, progress: bool = True) -> GraphExport:
    """Read the whole graph into tensors. `spec` fixes the feature vocabularies of a stored model.

    Nodes added since the last export are numbered first (`graph.training_data.assign_gids`: the one write an
    export makes, done by the graph package; existing gids never move)."""
    counts = training_data.assign_gids(db)
    data = HeteroData()
    ids: dict[str, np.ndarray] = {}
    props: dict[str, list[dict[str, object]]] = {}
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("Exporting nodes", total=sum(counts.values()))
        for node_type in NODE_TYPES:
            ids[node_type], props[node_type] = training_data.read_nodes(db, node_type, counts[node_type])
            bar.advance(task, counts[node_type])
    spec, features, attributes = node_features(props, spec)
    # The RMFP family of each occupation: a move within a family is one career step, which the exported relations
    # (no family nodes) cannot say.
    attributes["occupation"]["family"] = training_data.occupation_families(db, counts["occupation"])
    for node_type, x in features.items():
        data[node_type].x = x
        data[node_type].num_nodes = x.shape[0]
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("Exporting relationships", total=len(EDGE_TYPES) + 1)
        for edge_type in EDGE_TYPES:
            edge_index = _edge_index(training_data.read_edges(db, edge_type, counts[edge_type[0]]))
            data[edge_type].edge_index = edge_index
            data[reverse(edge_type)].edge_index = edge_index.flip(0)
            bar.advance(task)
        applications = _applications(training_data.read_applications(db, counts["candidate"]))
        bar.advance(task)
    for node_type, edge_type in GEO_EDGES.items():
        edge_index = data[edge_type].edge_index
        data[node_type].x = torch.cat(
            [data[node_type].x, geo_columns(edge_index[0], edge_index[1], counts[node_type])], 1
        )
    published = np.array([epoch_days(p.get("published_at")) for p in props["offer"]], dtype=np.float64)
    texts = {
        "candidate": [str(p.get("cv_text") or "") for p in props["candidate"]],
        "offer": [f"{p.get('title') or ''} {p.get('description') or ''}".strip() for p in props["offer"]],
    }
    return GraphExport(data, ids, applications, published, spec, attributes, texts)


def _edge_index(pairs: np.ndarray) -> torch.Tensor:
    edge_index = torch.from_numpy(pairs)
    return torch.unique(edge_index, dim=1)  # a repeated link (a job held twice) is one edge for message passing


def _applications(array: np.ndarray) -> Applications:
    positive_codes = [STAGES.index(s) for s in POSITIVE_STAGES]
    return Applications(array[:, 0], array[:, 1], array[:, 2], np.isin(array[:, 2], positive_codes))


def epoch_days(value: object) -> float:
    """Neo4j date, ISO string or None → days since 1970-01-01."""
    if value is None:
        return float("nan")
    text = str(value)[:10]
    try:
        return float(np.datetime64(text, "D").astype(np.int64))
    except ValueError:
        return float("nan")


def node_neighbourhood(
    db: Database, node_type: str, key_value: str
) -> tuple[dict[str, object], dict[tuple[str, str, str], torch.Tensor]]:
    """One candidate's or offer's properties and, per relation type into it, the gids of its neighbours."""
    found = training_data.neighbourhood(db, node_type, key_value)
    neighbours: dict[tuple[str, str, str], torch.Tensor] = {
        reverse(edge_type): torch.tensor(gids, dtype=torch.long) for edge_type, gids in found.neighbours.items()
    }
    if node_type in ("candidate", "offer"):
        for edge_type, gids in ((SELECTED_EDGE, found.selected), (APPLIED_EDGE, found.applied)):
            into = edge_type if node_type == "offer" else reverse(edge_type)
            neighbours[into] = torch.tensor(gids, dtype=torch.long)
    if node_type == "candidate":
        neighbours[reverse(SELECTED_BY_EDGE)] = torch.tensor(found.selected_by, dtype=torch.long)
    return found.props, neighbours
