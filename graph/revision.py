"""Revision counters: a cache of graph data stays valid while the counter it was read at has not moved.

`(:Revision {name})` holds an integer `version`. Every write of the graph package that changes what a cache holds
bumps its counter *in the same transaction*, so a reader that sees the counter unchanged knows that no such write
committed since the cache was filled:

- `STATUTORY_FACTS`: each candidate's statutory facts as eligibility reads them (status, education level,
  versant, catégorie, grade and its cadre d'emplois) and which candidates exist. Bumped by candidate writes
  (`graph.writes`), GDPR erasure (`graph.erasure.erase_candidate`), ontology loads and curation (a grade's cadre).
- `OFFERS`: offers' statutory requirements (contract, versant, catégorie, grade, cadre). Bumped by offer writes,
  ontology loads and curation.

A write made outside Vivier's graph package (Cypher typed by hand) must bump them too: `vivier db touch`.
API keys need no counter: `snapshot` reads the ids of the active keys themselves (a few hundred at most), so a key
revoked or deleted by any means, Cypher included, leaves the snapshot.
"""

from __future__ import annotations

from typing import NamedTuple

from graph.db import Database

STATUTORY_FACTS = "statutory_facts"
OFFERS = "offers"
COUNTERS = (STATUTORY_FACTS, OFFERS)


def bump_clause(name: str) -> str:
    """Cypher appended to a write query to bump counter `name` in the same transaction: it runs once whatever the
    number of rows (`count(*)` folds them into one)."""
    return (
        "WITH count(*) AS _written "
        f"MERGE (_revision:Revision {{name: '{name}'}}) "
        "SET _revision.version = coalesce(_revision.version, 0) + 1"
    )


BUMP_STATUTORY_FACTS = bump_clause(STATUTORY_FACTS)
BUMP_OFFERS = bump_clause(OFFERS)

READ = "OPTIONAL MATCH (r:Revision {name: $name}) RETURN coalesce(r.version, 0) AS version"


def current(db: Database, name: str = STATUTORY_FACTS) -> int:
    records, _, _ = db.execute_query(READ, name=name)
    return int(records[0]["version"])


def bump(db: Database, name: str = STATUTORY_FACTS) -> int:
    """Bump a counter in a transaction of its own (after a write that cannot carry the bump itself)."""
    records, _, _ = db.execute_query(
        "MERGE (r:Revision {name: $name}) SET r.version = coalesce(r.version, 0) + 1 RETURN r.version AS version",
        name=name,
    )
    return int(records[0]["version"])


class Snapshot(NamedTuple):
    """What a process compares its caches with: the counters, and the ids of the API keys still active."""

    counters: dict[str, int]
    active_keys: frozenset[str]


def bump_all(db: Database) -> dict[str, int]:
    """Bump every counter: after an ontology change (a grade's cadre d'emplois is read by candidates' facts and by
    offers' requirements alike) or Cypher typed by hand (`vivier db touch`)."""
    return {name: bump(db, name) for name in COUNTERS}


def snapshot(db: Database) -> Snapshot:
    """One small read: every counter and the active keys' ids (what the API's freshness watcher polls)."""
    records, _, _ = db.execute_query(
        "CALL () { MATCH (r:Revision) RETURN collect([r.name, r.version]) AS counters } "
        "CALL () { MATCH (k:ApiKey) WHERE NOT coalesce(k.revoked, false) RETURN collect(k.key_id) AS keys } "
        "RETURN counters, keys",
    )
    counters = dict.fromkeys(COUNTERS, 0) | {str(name): int(version) for name, version in records[0]["counters"]}
    return Snapshot(counters, frozenset(records[0]["keys"]))
