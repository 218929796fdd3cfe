"""GDPR erasure in the graph: the candidate's node and relationships, its suggestions, its id in the recommendation
log, and a tombstone that tells the other server processes whom to forget, without naming them.

A tombstone is `(:ErasureTombstone {digest, revision, erased_at})`: `digest` is a keyed hash of the erased id (the
caller computes it with a secret, `api/erasure.py`), `revision` the value of the `erasures` counter
(graph/revision.py) bumped by the same transaction. A process that holds candidates in memory reads the tombstones
newer than the counter it last saw, hashes the ids it holds the same way and forgets those that match. The
tombstone holds no id, pseudonym or personal data; it stays so that a process started later, from a model version
trained before the erasure, forgets the candidate too.
"""

from __future__ import annotations

from typing import Any

from graph.db import Database
from graph.queries import ERASED
from graph.revision import BUMP_STATUTORY_FACTS, bump_clause

ERASURES = "erasures"  # counter bumped by every erasure: the freshness watcher's cue to read tombstones

_SCRUB_LOGS = (
    "MATCH (l:RecommendationLog) WHERE l.candidate_id = $cid OR $cid IN l.ranked_ids "
    "SET l.candidate_id = CASE WHEN l.candidate_id = $cid THEN $erased ELSE l.candidate_id END, "
    "    l.ranked_ids = [x IN l.ranked_ids | CASE WHEN x = $cid THEN $erased ELSE x END], "
    "    l.erasures = coalesce(l.erasures, 0) + 1 "
)


def erase_candidate(db: Database, candidate_id: str, digest: str) -> dict[str, Any] | None:
    """Erase a candidate in one transaction (never half done): its suggestions, its id in log entries, the node
    with its relationships and embedding; then record the tombstone and bump the counters that caches compare.
    None when no such candidate."""
    records, _, _ = db.execute_query(
        "MATCH (c:Candidate {candidate_id: $cid}) "
        "CALL (c) { OPTIONAL MATCH (s:Suggestion)-[:SUGGESTS]->(c) DETACH DELETE s RETURN count(s) AS suggestions } "
        "CALL () { OPTIONAL " + _SCRUB_LOGS + "RETURN count(l) AS logs } "
        "CALL (c) { OPTIONAL MATCH (c)-[r]-() RETURN count(r) AS relationships } "
        "DETACH DELETE c WITH suggestions, logs, relationships "
        "CALL () { " + BUMP_STATUTORY_FACTS + " } "  # the erased candidate leaves every facts cache at once
        "CALL () { " + bump_clause(ERASURES) + " "
        "  MERGE (t:ErasureTombstone {digest: $digest}) "
        "  SET t.revision = _revision.version, t.erased_at = datetime() } "
        "RETURN suggestions, logs, relationships",
        cid=candidate_id,
        erased=ERASED,
        digest=digest,
    )
    return dict(records[0]) if records else None


def scrub_logs(db: Database, candidate_id: str) -> int:
    """Replace a candidate's id by `erased` in log entries written after its erase began (queued while it ran)."""
    records, _, _ = db.execute_query(_SCRUB_LOGS + "RETURN count(l) AS n", cid=candidate_id, erased=ERASED)
    return int(records[0]["n"])


def tombstones(db: Database, since: int = 0) -> tuple[list[str], int]:
    """The digests of the tombstones recorded after counter value `since`, and the counter's value now."""
    records, _, _ = db.execute_query(
        "OPTIONAL MATCH (r:Revision {name: $name}) WITH coalesce(r.version, 0) AS now "
        "OPTIONAL MATCH (t:ErasureTombstone) WHERE t.revision > $since "
        "RETURN now, collect(t.digest) AS digests",
        name=ERASURES,
        since=since,
    )
    return [str(d) for d in records[0]["digests"]], int(records[0]["now"])


def mentions(db: Database, needle: str) -> list[str]:
    """Every node and relationship whose properties, as JSON, contain `needle`, as 'labels or type: properties'.
    A full scan, for audits and tests: it proves an erasure left nothing, not something to run per request."""
    records, _, _ = db.execute_query(
        "CALL () { MATCH (n) WITH n, apoc.convert.toJson(properties(n)) AS json WHERE json CONTAINS $needle "
        "  RETURN apoc.text.join(labels(n), ':') + ' ' + left(json, 200) AS found "
        "UNION ALL MATCH ()-[r]->() WITH r, apoc.convert.toJson(properties(r)) AS json WHERE json CONTAINS $needle "
        "  RETURN type(r) + ' ' + left(json, 200) AS found } "
        "RETURN found",
        needle=needle,
    )
    return [str(r["found"]) for r in records]
