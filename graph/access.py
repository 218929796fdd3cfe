"""API keys kept in Neo4j: only a SHA-256 hash of a high-entropy secret is stored, never the key itself.

A key reads `viv_<key_id>_<secret>`: the `key_id` finds the node through its unique constraint, the secret is
compared with its hash in constant time. Roles: `recruiter` (bound to one employer), `hr_expert`, `admin`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from graph.db import Database

ROLES = ("recruiter", "hr_expert", "admin")
KEY_PREFIX = "viv"


class AccessError(ValueError):
    """A key request that cannot be honoured (unknown role, recruiter without employer…)."""


@dataclass(frozen=True)
class Caller:
    key_id: str
    role: str
    employer_id: str | None
    label: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """`viv_<key_id>_<secret>` → (key_id, secret); None when the key is not of that shape."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def create_api_key(db: Database, role: str, employer_id: str | None = None, label: str = "") -> tuple[Caller, str]:
    """Create a key; returns the caller it identifies and the plaintext key, shown once and never stored."""
    if role not in ROLES:
        raise AccessError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if role == "recruiter" and not employer_id:
        raise AccessError("a recruiter key must be bound to an employer (employer_id)")
    if role != "recruiter" and employer_id:
        raise AccessError(f"a {role} key is not bound to an employer")
    if employer_id:
        found = db.execute_query(
            "MATCH (e:Employer {employer_id: $employer_id}) RETURN count(e) AS n",
            employer_id=employer_id,
        ).records[0]["n"]
        if not found:
            raise AccessError(f"employer {employer_id!r} is not in the graph; load it first")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    db.execute_query(
        "CREATE (k:ApiKey {key_id: $key_id, secret_sha256: $digest, role: $role, label: $label, "
        "created_at: datetime(), revoked: false}) "
        "WITH k OPTIONAL MATCH (e:Employer {employer_id: $employer_id}) "
        "FOREACH (_ IN CASE WHEN e IS NULL THEN [] ELSE [1] END | MERGE (k)-[:OWNED_BY]->(e))",
        key_id=key_id,
        digest=_hash(secret),
        role=role,
        label=label,
        employer_id=employer_id,
    )
    caller = Caller(key_id=key_id, role=role, employer_id=employer_id, label=label)
    return caller, f"{KEY_PREFIX}_{key_id}_{secret}"


def authenticate(db: Database, key: str) -> Caller | None:
    """The caller a presented key belongs to, or None (unknown, malformed, wrong secret or revoked)."""
    parts = split_key(key)
    if parts is None:
        return None
    key_id, secret = parts
    records, _, _ = db.execute_query(
        "MATCH (k:ApiKey {key_id: $key_id}) WHERE NOT coalesce(k.revoked, false) "
        "OPTIONAL MATCH (k)-[:OWNED_BY]->(e:Employer) "
        "RETURN k.secret_sha256 AS digest, k.role AS role, k.label AS label, e.employer_id AS employer_id",
        key_id=key_id,
    )
    if not records or not hmac.compare_digest(records[0]["digest"], _hash(secret)):
        return None
    row = records[0]
    return Caller(key_id=key_id, role=row["role"], employer_id=row["employer_id"], label=row["label"] or "")


def revoke_api_key(db: Database, key_id: str) -> bool:
    records, _, _ = db.execute_query(
        "MATCH (k:ApiKey {key_id: $key_id}) SET k.revoked = true, k.revoked_at = $now RETURN count(k) AS n",
        key_id=key_id,
        now=datetime.now(UTC).isoformat(),
    )
    return bool(records[0]["n"])


def list_api_keys(db: Database) -> list[dict[str, object]]:
    records, _, _ = db.execute_query(
        "MATCH (k:ApiKey) OPTIONAL MATCH (k)-[:OWNED_BY]->(e:Employer) "
        "RETURN k.key_id AS key_id, k.role AS role, k.label AS label, e.employer_id AS employer_id, "
        "toString(k.created_at) AS created_at, coalesce(k.revoked, false) AS revoked ORDER BY created_at",
    )
    return [dict(r) for r in records]
