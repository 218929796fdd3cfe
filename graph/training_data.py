"""The GNN's view of the graph: which nodes and relationships it reads, the contiguous `gid` it indexes them by, and
the batched reads of `gnn.export` (whole graph) and of inductive embedding (one node's neighbourhood).

`assign_gids` gives each node kind contiguous integer ids (new nodes are appended after the largest one, so
existing ids never move); the readers then work by gid ranges of `BATCH` nodes and return plain Python and numpy
data: tensors are `gnn`'s business.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graph.db import Database
from graph.schema import NODE_KEYS, POSITIVE_STAGES, STAGES

BATCH = 10_000

# GNN node type → the Cypher pattern that selects its nodes, and the property that names them.
NODE_TYPES: dict[str, tuple[str, str]] = {
    "candidate": ("n:Candidate", NODE_KEYS["Candidate"]),
    "offer": ("n:Offer", NODE_KEYS["Offer"]),
    "employer": ("n:Employer", NODE_KEYS["Employer"]),
    "occupation": ("n:Concept:Occupation", NODE_KEYS["Concept"]),
    "skill": ("n:Skill", NODE_KEYS["Skill"]),
    "grade": ("(n:Grade OR n:CadreEmplois)", NODE_KEYS["Grade"]),
    "departement": ("n:Departement", NODE_KEYS["Departement"]),
}

# (source type, relation, destination type) → Cypher match (a = source, b = destination). The GNN adds reverses.
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

Properties = dict[str, Any]


def _match(pattern: str, condition: str = "true") -> str:
    """`MATCH (n:Label) WHERE condition`, or `MATCH (n:Concept) WHERE (n:A OR n:B) AND condition` (a union)."""
    if pattern.startswith("("):
        return f"MATCH (n:Concept) WHERE {pattern} AND {condition}"
    return f"MATCH ({pattern}) WHERE {condition}"


def _split(edge_pattern: str) -> tuple[str, str]:
    """An edge pattern's match and its condition followed by `AND` (empty when it has none)."""
    head, _, where = edge_pattern.partition(" WHERE ")
    return head, f"({where}) AND " if where else ""


# --- the whole graph, by gid ranges ------------------------------------------------------------------------
def assign_gids(db: Database) -> dict[str, int]:
    """Give every exported node without a `gid` the next free one, per node type; returns the node counts
    (the largest gid plus one: a deleted node leaves a hole)."""
    counts: dict[str, int] = {}
    for node_type, (pattern, key) in NODE_TYPES.items():
        records, _, _ = db.execute_query(f"{_match(pattern)} RETURN max(n.gid) AS top")
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


def read_nodes(db: Database, node_type: str, count: int) -> tuple[np.ndarray, list[Properties]]:
    """The nodes of a type with gids below `count`: their keys by gid ("" for a hole) and their properties by gid
    (no embedding; `labels` added)."""
    pattern, key = NODE_TYPES[node_type]
    ids = np.full(count, "", dtype=object)
    props: list[Properties] = [{} for _ in range(count)]
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


def occupation_families(db: Database, count: int) -> np.ndarray:
    """The RMFP family (FamilleMetiers uri) of each occupation gid below `count`, None for others."""
    families = np.full(count, None, dtype=object)
    records, _, _ = db.execute_query(
        "MATCH (o:Occupation)-[:BROADER]->(f:FamilleMetiers) WHERE o.gid IS NOT NULL RETURN o.gid AS gid, f.uri AS uri",
    )
    for r in records:
        if r["gid"] < count:
            families[r["gid"]] = r["uri"]
    return families


def read_edges(db: Database, edge_type: tuple[str, str, str], source_count: int) -> np.ndarray:
    """[2, n] int64: source and destination gids of every relationship of `edge_type` (repeats kept), read by
    ranges of source gids below `source_count`."""
    head, condition = _split(EDGE_TYPES[edge_type])
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
    return np.array([sources, targets], dtype=np.int64).reshape(2, -1)


def read_applications(db: Database, candidate_count: int) -> np.ndarray:
    """[n, 3] int64, one row per application in application-id order within each batch of candidates: candidate
    gid, offer gid, code of the furthest stage reached (its index in `STAGES`; 0 when unknown)."""
    rows: list[tuple[int, int, int]] = []
    for lo in range(0, max(candidate_count, 1), BATCH):
        records, _, _ = db.execute_query(
            "MATCH (a:Candidate)-[r:APPLIED]->(b:Offer) WHERE a.gid >= $lo AND a.gid < $hi "
            "RETURN a.gid AS a, b.gid AS b, coalesce(r.reached, r.stage) AS stage ORDER BY r.application_id",
            lo=lo,
            hi=lo + BATCH,
        )
        rows.extend((r["a"], r["b"], STAGES.index(r["stage"]) if r["stage"] in STAGES else 0) for r in records)
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


# --- one node ----------------------------------------------------------------------------------------------
@dataclass
class Neighbourhood:
    """One node's properties and the gids of its neighbours, each list sorted and distinct."""

    props: Properties  # no embedding; `labels` added
    # per edge type of `EDGE_TYPES` out of the node's type: the gids at its other end
    neighbours: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)
    # candidate or offer only: the gids on the other side of its applications, by whether they reached a positive
    # stage (an application without a stage is in neither)
    selected: list[int] = field(default_factory=list)
    applied: list[int] = field(default_factory=list)
    # candidate only: the employers of the offers where it reached a positive stage
    selected_by: list[int] = field(default_factory=list)


def neighbourhood(db: Database, node_type: str, key_value: str) -> Neighbourhood:
    """A candidate's or offer's (or any exported node's) properties and neighbour gids; KeyError when absent.

    One round trip (it runs on every CV uploaded and offer created through the API): each edge type and the
    applications are a subquery of the same statement."""
    records, _, _ = db.execute_query(_neighbourhood_query(node_type), value=key_value, positive=list(POSITIVE_STAGES))
    if not records:
        raise KeyError(f"no {node_type} with {NODE_TYPES[node_type][1]} = {key_value!r} in Neo4j")
    row = records[0]
    found = Neighbourhood(dict(row["props"]))
    for i, edge_type in enumerate(_own_edge_types(node_type)):
        found.neighbours[edge_type] = sorted(set(row[f"e{i}"]))
    if node_type in ("candidate", "offer"):
        found.selected = sorted({gid for gid, positive in row["applications"] if positive is True})
        found.applied = sorted({gid for gid, positive in row["applications"] if positive is False})
    if node_type == "candidate":
        found.selected_by = sorted(set(row["selected_by"]))
    return found


def _own_edge_types(node_type: str) -> list[tuple[str, str, str]]:
    return [edge_type for edge_type in EDGE_TYPES if edge_type[0] == node_type]


@functools.cache  # one statement per node type, built once per process rather than on every upload
def _neighbourhood_query(node_type: str) -> str:
    pattern, key = NODE_TYPES[node_type]
    parts = [_match(pattern, f"n.{key} = $value")]
    returned = ["n { .*, embedding: null, labels: labels(n) } AS props"]
    for i, edge_type in enumerate(_own_edge_types(node_type)):
        head, condition = _split(EDGE_TYPES[edge_type])
        parts.append(
            f"CALL (n) {{ WITH n AS a MATCH {head} WHERE {condition}b.gid IS NOT NULL RETURN collect(b.gid) AS e{i} }}"
        )
        returned.append(f"e{i}")
    if node_type in ("candidate", "offer"):
        side, other = ("a", "b") if node_type == "candidate" else ("b", "a")
        parts.append(
            f"CALL (n) {{ WITH n AS {side} MATCH (a:Candidate)-[r:APPLIED]->(b:Offer) WHERE {other}.gid IS NOT NULL "
            f"RETURN collect([{other}.gid, coalesce(r.reached, r.stage) IN $positive]) AS applications }}"
        )
        returned.append("applications")
    if node_type == "candidate":
        parts.append(
            "CALL (n) { MATCH (n)-[r:APPLIED]->(:Offer)-[:POSTED_BY]->(e:Employer) "
            "WHERE coalesce(r.reached, r.stage) IN $positive AND e.gid IS NOT NULL "
            "RETURN collect(e.gid) AS selected_by }"
        )
        returned.append("selected_by")
    return " ".join(parts) + " RETURN " + ", ".join(returned)
