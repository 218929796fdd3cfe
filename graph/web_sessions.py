"""Web sessions kept in Neo4j, so that every API process accepts the same session cookie (issue 14).

The browser holds a random token; the graph holds only its SHA-256 hash (`WebSession {token_sha256}`, as API keys
hold only theirs), the session's CSRF token, its expiry, and a `SIGNED_IN_WITH` edge to the `ApiKey` it was opened
with: never the key itself. The read that finds a session also checks that its key is still active, so a revoked
(or deleted) key ends its sessions in every process at their next request, and signing out in one process ends the
session in all of them. Times are Neo4j's own clock, the same for every process.

A one-time sign-in link (`vivier demo`) is a `WebSession` of `kind: 'link'`: redeeming it opens a session for the
same key and marks the link used, once, whichever process redeems it.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from graph.access import Caller
from graph.db import Database

SESSION = "session"
LINK = "link"
PURGED_PER_OPENING = 1_000  # expired sessions removed by each sign-in: bounded, so a sign-in stays quick


class StoredSession(NamedTuple):
    caller: Caller
    csrf: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(db: Database, token: str, key_id: str, csrf: str, seconds: int, kind: str = SESSION) -> bool:
    """Store a session (or a one-time link) for the active key `key_id`; False when that key is not active.
    Expired sessions and used links go at the same time."""
    records, _, _ = db.execute_query(
        "CALL () { MATCH (old:WebSession) WHERE old.expires_at < datetime() OR old.used "
        "  WITH old LIMIT $purge DETACH DELETE old } "
        "MATCH (k:ApiKey {key_id: $key_id}) WHERE NOT coalesce(k.revoked, false) "
        "CREATE (s:WebSession {token_sha256: $digest, kind: $kind, csrf: $csrf, used: false, "
        "  created_at: datetime(), expires_at: datetime() + duration({seconds: $seconds})})-[:SIGNED_IN_WITH]->(k) "
        "RETURN count(s) AS n",
        purge=PURGED_PER_OPENING,
        key_id=key_id,
        digest=token_hash(token),
        kind=kind,
        csrf=csrf,
        seconds=seconds,
    )
    return bool(records and records[0]["n"])


def find_session(db: Database, token: str) -> StoredSession | None:
    """The caller and CSRF token of an unexpired session whose key is still active; None otherwise."""
    records, _, _ = db.execute_query(
        "MATCH (s:WebSession {token_sha256: $digest}) WHERE s.kind = $kind AND s.expires_at > datetime() "
        "MATCH (s)-[:SIGNED_IN_WITH]->(k:ApiKey) WHERE NOT coalesce(k.revoked, false) "
        "OPTIONAL MATCH (k)-[:OWNED_BY]->(e:Employer) "
        "RETURN s.csrf AS csrf, k.key_id AS key_id, k.role AS role, k.label AS label, e.employer_id AS employer_id",
        digest=token_hash(token),
        kind=SESSION,
    )
    if not records:
        return None
    row = records[0]
    caller = Caller(key_id=row["key_id"], role=row["role"], employer_id=row["employer_id"], label=row["label"] or "")
    return StoredSession(caller, row["csrf"])


def close_session(db: Database, token: str) -> None:
    db.execute_query("MATCH (s:WebSession {token_sha256: $digest}) DETACH DELETE s", digest=token_hash(token))


def redeem_link(db: Database, link: str, token: str, csrf: str, seconds: int) -> bool:
    """Open session `token` for the key of unexpired, unused link `link`, and mark the link used: once, even when
    two processes redeem it at the same moment (the counter is incremented under the node's write lock)."""
    records, _, _ = db.execute_query(
        "MATCH (l:WebSession {token_sha256: $link}) WHERE l.kind = $link_kind "
        "SET l.redemptions = coalesce(l.redemptions, 0) + 1, l.used = true "
        "WITH l WHERE l.redemptions = 1 AND l.expires_at > datetime() "
        "MATCH (l)-[:SIGNED_IN_WITH]->(k:ApiKey) WHERE NOT coalesce(k.revoked, false) "
        "CREATE (s:WebSession {token_sha256: $digest, kind: $kind, csrf: $csrf, used: false, "
        "  created_at: datetime(), expires_at: datetime() + duration({seconds: $seconds})})-[:SIGNED_IN_WITH]->(k) "
        "RETURN count(s) AS n",
        link=token_hash(link),
        link_kind=LINK,
        digest=token_hash(token),
        kind=SESSION,
        csrf=csrf,
        seconds=seconds,
    )
    return bool(records and records[0]["n"])
