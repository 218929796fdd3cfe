"""Curation of the ontology, end to end: a change is validated by SHACL on the RDF graph, then persisted to the
Turtle, recorded in the audit log (JSONL and `:AuditEntry` node) and applied to Neo4j. Also the read side the
CLI and the API need: search, a concept with its neighbours, URI resolution, releases and diffs.

    from graph.curation import apply_change, search_concepts, concept_with_neighbours
    entry = apply_change(AddLabel(uri, "Agent d'accueil"), actor="hr:marie", db=db)
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from graph import revision
from graph.db import Database
from graph.ontology_store import (
    ONTOLOGY_RELATIONSHIPS,
    loaded_marker,
    set_marker,
    sync_concepts,
    updated_hash,
)
from graph.schema import CONCEPT, REPLACED_BY
from ontology.curation import AppliedChange, CurationChange, MergeConcepts, apply_to_graph
from ontology.repository import OntologyRepository, default_repository
from ontology.text import fold

CURATION_LOCK = threading.Lock()


@dataclass(frozen=True)
class AuditEntry:
    audit_id: str
    actor: str
    at: str
    op: str
    change: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]


def apply_change(
    change: CurationChange,
    actor: str,
    db: Database,
    repository: OntologyRepository | None = None,
) -> AuditEntry:
    """Validate and apply one change to the RDF graph, the Turtle file, the audit log and Neo4j.

    Raises ontology.validate.OntologyValidationError (with its report) or ontology.curation.CurationError when
    the change is refused; then nothing was written anywhere."""
    if not actor.strip():
        raise ValueError("a curation change needs an actor (who made it)")
    repository = repository or default_repository()
    with CURATION_LOCK:  # one change at a time per process: they mutate the same in-memory graph
        graph = repository.graph()
        marker = loaded_marker(db)
        applied = apply_to_graph(graph, change)
        repository.save(graph)
        sync_concepts(db, graph, applied.affected)
        if marker.get("file") == str(repository.current_file) and marker.get("graph_hash"):
            # Neo4j held this very file before the change and holds it after: keep `build_and_load` a no-op.
            digest = updated_hash(marker["graph_hash"], applied.added, applied.removed)
            set_marker(db, digest, repository.current_file)
    if isinstance(change, MergeConcepts):
        redirect_instance_links(db, change.source, change.target)
    revision.bump_all(db)  # a grade's cadre, or a candidate's or an offer's grade, may differ
    record = applied.audit_record(actor)
    repository.append_audit(record)
    write_audit_node(db, applied, actor)
    return AuditEntry(applied.audit_id, actor, applied.at, change.op, record["change"], applied.before, applied.after)


def write_audit_node(db: Database, applied: AppliedChange, actor: str) -> None:
    record = applied.audit_record(actor)
    db.execute_query(
        "MERGE (a:AuditEntry {audit_id: $id}) SET a.actor = $actor, a.at = datetime($at), a.op = $op, "
        "a.change = $change, a.before = $before, a.after = $after, a.concepts = $concepts",
        id=applied.audit_id,
        actor=actor,
        at=applied.at,
        op=applied.change.op,
        change=json.dumps(record["change"], ensure_ascii=False),
        before=json.dumps(applied.before, ensure_ascii=False),
        after=json.dumps(applied.after, ensure_ascii=False),
        concepts=sorted(applied.before),
    )


def redirect_instance_links(db: Database, source: str, target: str) -> int:
    """After a merge, links from recruitment data (offers, candidates) to the old concept move to the new one."""
    records, _, _ = db.execute_query(
        f"MATCH (old:{CONCEPT} {{uri: $source}}), (new:{CONCEPT} {{uri: $target}}) "
        f"MATCH (x)-[r]->(old) WHERE NOT x:{CONCEPT} "
        "CALL apoc.refactor.to(r, new) YIELD output RETURN count(output) AS moved",
        source=source,
        target=target,
    )
    return int(records[0]["moved"]) if records else 0


# --- reading ------------------------------------------------------------------------------------------------
def search_concepts(db: Database, text: str, limit: int = 20) -> list[dict[str, Any]]:
    """Concepts whose label, alternative label or code matches `text` (accent- and case-insensitive), best first:
    exact code or label, then labels starting with the text, then containing it."""
    folded = fold(text)
    if not folded:
        return []
    records, _, _ = db.execute_query(
        f"MATCH (n:{CONCEPT}) WHERE n.label_folded CONTAINS $q OR n.alt_folded CONTAINS $q OR toLower(n.code) = $q "
        "WITH n, CASE WHEN toLower(n.code) = $q OR n.label_folded = $q THEN 0 "
        "WHEN n.label_folded STARTS WITH $q THEN 1 WHEN n.label_folded CONTAINS $q THEN 2 ELSE 3 END AS rank "
        "RETURN n.uri AS uri, n.label AS label, n.code AS code, [l IN labels(n) WHERE l <> $concept] AS kinds, "
        "coalesce(n.deprecated, false) AS deprecated, rank "
        "ORDER BY rank, coalesce(n.deprecated, false), size(n.label), n.label LIMIT $limit",
        q=folded,
        concept=CONCEPT,
        limit=limit,
    )
    return [dict(r) for r in records]


def concept_with_neighbours(db: Database, uri: str, limit: int = 200) -> dict[str, Any]:
    """A concept's properties and its ontology relationships in both directions (up to `limit` of each)."""
    records, _, _ = db.execute_query(
        f"MATCH (n:{CONCEPT} {{uri: $uri}}) "
        f"CALL (n) {{ MATCH (n)-[r]->(m:{CONCEPT}) WHERE type(r) IN $types "
        "  RETURN collect({type: type(r), uri: m.uri, label: m.label, props: properties(r)})[..$limit] AS outgoing } "
        f"CALL (n) {{ MATCH (n)<-[r]-(m:{CONCEPT}) WHERE type(r) IN $types "
        "  RETURN collect({type: type(r), uri: m.uri, label: m.label, props: properties(r)})[..$limit] AS incoming } "
        "RETURN properties(n) AS properties, labels(n) AS labels, outgoing, incoming",
        uri=uri,
        types=ONTOLOGY_RELATIONSHIPS,
        limit=limit,
    )
    if not records:
        raise KeyError(f"no concept {uri} in Neo4j")
    record = records[0]
    return {
        "uri": uri,
        "labels": record["labels"],
        "properties": record["properties"],
        "outgoing": record["outgoing"],
        "incoming": record["incoming"],
    }


def resolve_uri(db: Database, uri: str) -> str:
    """The live concept for a URI: follows REPLACED_BY from merged or replaced concepts."""
    records, _, _ = db.execute_query(
        f"MATCH (n:{CONCEPT} {{uri: $uri}}) OPTIONAL MATCH p = (n)-[:{REPLACED_BY}*1..10]->(m) "
        "WITH n, m, p ORDER BY length(p) DESC RETURN coalesce(m.uri, n.uri) AS uri LIMIT 1",
        uri=uri,
    )
    if not records:
        raise KeyError(f"no concept {uri} in Neo4j")
    return str(records[0]["uri"])


def audit_log(db: Database, limit: int = 50) -> list[dict[str, Any]]:
    records, _, _ = db.execute_query(
        "MATCH (a:AuditEntry) RETURN a.audit_id AS audit_id, a.actor AS actor, toString(a.at) AS at, a.op AS op, "
        "a.change AS change ORDER BY a.at DESC LIMIT $limit",
        limit=limit,
    )
    return [dict(r) for r in records]


def record_release(db: Database, version: str, note: str, file: str, triples: int) -> None:
    """The `:OntologyRelease` node of a release frozen as a Turtle file."""
    db.execute_query(
        "MERGE (r:OntologyRelease {version: $version}) SET r.released_at = datetime(), r.note = $note, "
        "r.file = $file, r.triples = $triples",
        version=version,
        note=note,
        file=file,
        triples=triples,
    )
