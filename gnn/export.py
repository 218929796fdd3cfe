"""Neo4j → PyG `HeteroData`, in batches, indexed by the contiguous `gid` stored on every exported node.

`assign_gids` gives each node kind contiguous integer ids (new nodes are appended after the largest one, so
existing ids never move); `export_graph` then reads nodes and relationships by gid ranges and builds tensors
directly from those ids, without a Python id → index dictionary.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from rich.progress import Progress
from torch_geometric.data import HeteroData

from gnn.features import FeatureSpec, node_features
from graph.db import Database

BATCH = 10_000

# GNN node type → the Cypher pattern that selects its nodes, and the property that names them.
NODE_TYPES: dict[str, tuple[str, str]] = {
    "candidate": ("n:Candidate", "candidate_id"),
    "offer": ("n:Offer", "offer_id"),
    "employer": ("n:Employer", "employer_id"),
    "occupation": ("n:Concept:Occupation", "uri"),
    "skill": ("n:Skill", "uri"),
    "grade": ("(n:Grade OR n:CadreEmplois)", "uri"),
    "departement": ("n:Departement", "code"),
}

# (source type, relation, destination type) → Cypher match (a = source, b = destination). Reverses are added.
EDGE_TYPES: dict[tuple[str, str, str], str] = {
    ("candidate", "has_skill", "skill"): "(a:Candidate)-[:HAS_SKILL]->(b:Skill)",
    ("offer", "requires_skill", "skill"): "(a:Offer)-[:REQUIRES_SKILL]->(b:Skill)",
    ("occupation", "requires_skill", "skill"): "(a:Occupation)-[:REQUIRES_SKILL]->(b:Skill)",
    ("candidate", "held", "occupation"): "(a:Candidate)-[:HELD]->(b:Occupation)",
    # The current job (career step 0): who applies where depends on it more than on the whole career.
    ("candidate", "holds_now", "occupation"): "(a:Candidate)-[h:HELD]->(b:Occupation) WHERE coalesce(h.order, 0) = 0",
    ("occupation", "mobility", "occupation"): "(a:RomeFiche)-[:MOBILITY]->(b:RomeFiche)",
    ("occupation", "broader", "occupation"): "(a:Occupation)-[:BROADER]->(b:Occupation)",
    ("occupation", "match", "occupation"): "(a:Occupation)-[:EXACT_MATCH|CLOSE_MATCH]->(b:Occupation)",
    ("offer", "of_occupation", "occupation"): "(a:Offer)-[:OF_OCCUPATION]->(b:Occupation)",
    # The best match per repertory (rank 1): the two others are alternatives, too far apart to say where a
    # career leads.
    ("offer", "of_main_occupation", "occupation"): (
        "(a:Offer)-[r:OF_OCCUPATION]->(b:Occupation) WHERE coalesce(r.rank, 1) = 1"
    ),
    ("offer", "posted_by", "employer"): "(a:Offer)-[:POSTED_BY]->(b:Employer)",
    ("offer", "located_in", "departement"): "(a:Offer)-[:LOCATED_IN]->(b:Departement)",
    ("employer", "located_in", "departement"): "(a:Employer)-[:LOCATED_IN]->(b:Departement)",
    ("candidate", "lives_in", "departement"): "(a:Candidate)-[:LIVES_IN]->(b:Departement)",
    ("candidate", "holds_grade", "grade"): "(a:Candidate)-[:HOLDS_GRADE]->(b) WHERE (b:Grade OR b:CadreEmplois)",
    ("offer", "requires_grade", "grade"): "(a:Offer)-[:REQUIRES_GRADE]->(b) WHERE (b:Grade OR b:CadreEmplois)",
    ("grade", "grade_of", "grade"): "(a:Grade)-[:GRADE_OF]->(b:CadreEmplois)",
}
SOURCE_LABEL = {
    "candidate": "Candidate",
    "offer": "Offer",
    "occupation": "Occupation",
    "grade": "Grade",
    "employer": "Employer",
}
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


@dataclass
class GraphExport:
    data: HeteroData  # node features and the ontology / profile edges (no applications)
    ids: dict[str, np.ndarray]  # node type → domain key by gid ("" for a hole left by a deleted node)
    applications: Applications
    offer_published: np.ndarray  # epoch days by offer gid (NaN when unknown)
    feature_spec: FeatureSpec
    attributes: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # statutory codes by type
    texts: dict[str, list[str]] = field(default_factory=dict)  # candidate CV and offer text by gid (baselines)


def assign_gids(db: Database) -> dict[str, int]:
    """Give every exported node without a `gid` the next free one, per node type; returns the node counts."""
    counts: dict[str, int] = {}
    for node_type, (pattern, key) in NODE_TYPES.items():
        records, _, _ = db.execute_query(
            f"{_match(pattern)} RETURN max(n.gid) AS top",
        )
        top = records[0]["top"]
        start = -1 if top is None else int(top)
        records, _, _ = db.execute_query(f"{_match(pattern, 'n.gid IS NULL')} RETURN n.{key} AS key ORDER BY key")
        keys = [r["key"] for r in records]
        for lo in range(0, len(keys), BATCH):
            rows = [{"key": k, "gid": start + 1 + lo + i} for i, k in enumerate(keys[lo : lo + BATCH])]
            db.execute_query(
                f"UNWIND $rows AS row {_match(pattern, f'n.{key} = row.key')} SET n.gid = row.gid",
                rows=rows,
            )
        counts[node_type] = start + 1 + len(keys)
    return counts


def _match(pattern: str, condition: str = "true") -> str:
    """`MATCH (n:Label) WHERE condition`, or `MATCH (n:Concept) WHERE (n:A OR n:B) AND condition` (a union)."""
    if pattern.startswith("("):
        return f"MATCH (n:Concept) WHERE {pattern} AND {condition}"
    return f"MATCH ({pattern}) WHERE {condition}"


def export_graph(db: Database, spec: FeatureSpec | None = None, progress: bool = True) -> GraphExport:
    """Read the whole graph into tensors. `spec` fixes the feature vocabularies of a stored model."""
    counts = assign_gids(db)
    data = HeteroData()
    ids: dict[str, np.ndarray] = {}
    props: dict[str, list[dict[str, object]]] = {}
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("Exporting nodes", total=sum(counts.values()))
        for node_type, (pattern, key) in NODE_TYPES.items():
            ids[node_type], props[node_type] = _read_nodes(db, node_type, pattern, key, counts[node_type])
            bar.advance(task, counts[node_type])
    spec, features, attributes = node_features(props, spec)
    attributes["occupation"]["family"] = _families(db, counts["occupation"])
    for node_type, x in features.items():
        data[node_type].x = x
        data[node_type].num_nodes = x.shape[0]
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("Exporting relationships", total=len(EDGE_TYPES) + 1)
        for edge_type, pattern in EDGE_TYPES.items():
            edge_index = _read_edges(db, pattern, counts[edge_type[0]])
            data[edge_type].edge_index = edge_index
            data[reverse(edge_type)].edge_index = edge_index.flip(0)
            bar.advance(task)
        applications = _read_applications(db, counts["candidate"])
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


def _read_nodes(
    db: Database, node_type: str, pattern: str, key: str, count: int
) -> tuple[np.ndarray, list[dict[str, object]]]:
    ids = np.full(count, "", dtype=object)
    props: list[dict[str, object]] = [{} for _ in range(count)]
    for lo in range(0, count, BATCH):
        records, _, _ = db.execute_query(
            f"{_match(pattern, 'n.gid >= $lo AND n.gid < $hi')} "
            "RETURN n.gid AS gid, n { .*, embedding: null, labels: labels(n) } AS props",
            lo=lo,
            hi=lo + BATCH,
        )
        for r in records:
            ids[r["gid"]] = r["props"].get(key) or ""
            props[r["gid"]] = dict(r["props"])
    return ids, props


def _families(db: Database, count: int) -> np.ndarray:
    """The RMFP family (FamilleMetiers uri) of each occupation gid, None for others: a move within a family is
    one career step, which the exported relations (no family nodes) cannot say."""
    families = np.full(count, None, dtype=object)
    records, _, _ = db.execute_query(
        "MATCH (o:Occupation)-[:BROADER]->(f:FamilleMetiers) WHERE o.gid IS NOT NULL RETURN o.gid AS gid, f.uri AS uri",
    )
    for r in records:
        if r["gid"] < count:
            families[r["gid"]] = r["uri"]
    return families


def _read_edges(db: Database, pattern: str, source_count: int) -> torch.Tensor:
    head, _, where = pattern.partition(" WHERE ")
    condition = f"({where}) AND " if where else ""
    sources: list[int] = []
    targets: list[int] = []
    for lo in range(0, max(source_count, 1), BATCH):
        records, _, _ = db.execute_query(
            f"MATCH {head} WHERE {condition}a.gid >= $lo AND a.gid < $hi AND b.gid IS NOT NULL "
            "RETURN a.gid AS a, b.gid AS b",
            lo=lo,
            hi=lo + BATCH,
        )
        sources.extend(r["a"] for r in records)
        targets.extend(r["b"] for r in records)
    edge_index = torch.tensor([sources, targets], dtype=torch.long).reshape(2, -1)
    return torch.unique(edge_index, dim=1)  # a repeated link (a job held twice) is one edge for message passing


def _read_applications(db: Database, candidate_count: int) -> Applications:
    from graph.schema import POSITIVE_STAGES, STAGES

    rows: list[tuple[int, int, int]] = []
    for lo in range(0, max(candidate_count, 1), BATCH):
        records, _, _ = db.execute_query(
            "MATCH (a:Candidate)-[r:APPLIED]->(b:Offer) WHERE a.gid >= $lo AND a.gid < $hi "
            "RETURN a.gid AS a, b.gid AS b, coalesce(r.reached, r.stage) AS stage ORDER BY r.application_id",
            lo=lo,
            hi=lo + BATCH,
        )
        rows.extend((r["a"], r["b"], STAGES.index(r["stage"]) if r["stage"] in STAGES else 0) for r in records)
    array = np.array(rows, dtype=np.int64).reshape(-1, 3)
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
    from graph.schema import POSITIVE_STAGES

    pattern, key = NODE_TYPES[node_type]
    records, _, _ = db.execute_query(
        f"{_match(pattern, f'n.{key} = $value')} RETURN n {{ .*, embedding: null, labels: labels(n) }} AS props",
        value=key_value,
    )
    if not records:
        raise KeyError(f"no {node_type} with {key} = {key_value!r} in Neo4j")
    neighbours: dict[tuple[str, str, str], torch.Tensor] = {}
    for edge_type, edge_pattern in EDGE_TYPES.items():
        if edge_type[0] != node_type:
            continue
        head, _, where = edge_pattern.partition(" WHERE ")
        condition = f"({where}) AND " if where else ""
        rows, _, _ = db.execute_query(
            f"MATCH {head} WHERE {condition}a.{key} = $value AND b.gid IS NOT NULL RETURN b.gid AS gid",
            value=key_value,
        )
        neighbours[reverse(edge_type)] = torch.tensor(sorted({r["gid"] for r in rows}), dtype=torch.long)
    side, other = ("a", "b") if node_type == "candidate" else ("b", "a")
    if node_type in ("candidate", "offer"):
        rows, _, _ = db.execute_query(
            f"MATCH (a:Candidate)-[r:APPLIED]->(b:Offer) WHERE {side}.{key} = $value AND {other}.gid IS NOT NULL "
            f"RETURN {other}.gid AS gid, coalesce(r.reached, r.stage) IN $positive AS positive",
            value=key_value,
            positive=list(POSITIVE_STAGES),
        )
        for edge_type, wanted in ((SELECTED_EDGE, True), (APPLIED_EDGE, False)):
            into = edge_type if node_type == "offer" else reverse(edge_type)
            gids = sorted({r["gid"] for r in rows if r["positive"] is wanted})
            neighbours[into] = torch.tensor(gids, dtype=torch.long)
    if node_type == "candidate":
        rows, _, _ = db.execute_query(
            "MATCH (a:Candidate {candidate_id: $value})-[r:APPLIED]->(:Offer)-[:POSTED_BY]->(e:Employer) "
            "WHERE coalesce(r.reached, r.stage) IN $positive AND e.gid IS NOT NULL RETURN DISTINCT e.gid AS gid",
            value=key_value,
            positive=list(POSITIVE_STAGES),
        )
        neighbours[reverse(SELECTED_BY_EDGE)] = torch.tensor(sorted(r["gid"] for r in rows), dtype=torch.long)
    return dict(records[0]["props"]), neighbours
