"""Revision counters: a cache of graph data stays valid while the counter it was read at has not moved.

`(:Revision {name})` holds an integer `version`. Every write of the graph package that changes what a cache holds
bumps its counter *in the same transaction*, so a reader that sees the counter unchanged knows that no such write
committed since the cache was filled:

- `STATUTORY_FACTS`: each candidate's statutory facts as eligibility reads them (status, education level,
  versant, catégorie, grade and its cadre d'emplois) and which candidates exist. Bumped by candidate writes
  (`graph.writes`), GDPR erasure (`graph.erasure.erase_candidate`), ontology loads and curation (a grade's cadre).
- `OFFERS`: offers' statutory requirements (contract, versant, catégorie, grade, cadre). Bumped by offer writes,
  ontology loads and curation.

Candidate writes also stamp each candidate they write with the counter's new value (`facts_revision`), so that a
cache at revision r reads again only the candidates stamped after r (`changed_since`, `graph.queries.
candidate_facts_since`); offer writes stamp the offers they write the same way with the `OFFERS` counter
(`graph.queries.offers_changed_since`): a loader writing offers beside the API then costs a cache of offers the
offers it wrote, not everything it held. Every other bump also moves the counter's `full_version`: after it, a
cache reads everything again.

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
    number of rows (`count(*)` folds them into one). The write is not stamped on what it changed (`full_version`
    moves too): a cache that sees it reads everything again."""
    return (
        "WITH count(*) AS _written "
        f"MERGE (_revision:Revision {{name: '{name}'}}) "
        "SET _revision.version = coalesce(_revision.version, 0) + 1, "
        "_revision.full_version = coalesce(_revision.version, 0) + 1"  # one SET reads the values from before it
    )


def stamp_clause(name: str) -> str:
    """Cypher that opens a write query instead: the counter is bumped (and locked: concurrent writers queue here,
    so stamps follow commit order) and each node written is to be stamped `facts_revision = _stamp`, so that a
    cache at revision r reads only the nodes stamped after r (`changed_since`), not all of them again."""
    return (
        f"MERGE (_revision:Revision {{name: '{name}'}}) "
        "SET _revision.version = coalesce(_revision.version, 0) + 1 "
        "WITH _revision.version AS _stamp "
    )


STAMP_STATUTORY_FACTS = stamp_clause(STATUTORY_FACTS)
STAMP_OFFERS = stamp_clause(OFFERS)


BUMP_STATUTORY_FACTS = bump_clause(STATUTORY_FACTS)
BUMP_OFFERS = bump_clause(OFFERS)

READ = "OPTIONAL MATCH (r:Revision {name: $name}) RETURN coalesce(r.version, 0) AS version"


def current(db: Database, name: str = STATUTORY_FACTS) -> int:
    records, _, _ = db.execute_query(READ, name=name)
    return int(records[0]["version"])


def bump(db: Database, name: str = STATUTORY_FACTS) -> int:
    """Bump a counter in a transaction of its own (after a write that cannot carry the bump itself); caches read
    everything again."""
    records, _, _ = db.execute_query(
        "MERGE (r:Revision {name: $name}) "
        "SET r.version = coalesce(r.version, 0) + 1, r.full_version = coalesce(r.version, 0) + 1 "
        "RETURN r.version AS version",
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


def changed_since(db: Database, since: int, name: str = STATUTORY_FACTS) -> tuple[int, bool]:
    """(the counter now, whether every write after `since` stamped what it changed): when True, the nodes stamped
    after `since` are all a cache at `since` must read again."""
    records, _, _ = db.execute_query(
        "OPTIONAL MATCH (r:Revision {name: $name}) "
        "RETURN coalesce(r.version, 0) AS version, coalesce(r.full_version, 0) AS full_version",
        name=name,
    )
    return int(records[0]["version"]), int(records[0]["full_version"]) <= since
