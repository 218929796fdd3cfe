"""Human oversight reads and writes (issue 17): what the bias audit reads of an employer's history and of the
rankings served, and the retention purge of the served-recommendation log. The sensitive attributes the audit
joins are never here: they live in a file apart from the graph (audit/attributes.py)."""

from __future__ import annotations

import uuid
from typing import Any

from graph.db import Database

Row = dict[str, Any]
PURGE_BATCH = 10_000  # log entries deleted per transaction


def audit_applications(db: Database, employer_id: str | None, since: str | None, until: str | None) -> list[Row]:
    """Applications to an employer's offers (all employers when None) published in [since, until] (ISO dates,
    open ends when None): who applied to which offer, and how far the application went (`reached`)."""
    records, _, _ = db.execute_query(
        "MATCH (o:Offer)-[:POSTED_BY]->(e:Employer) WHERE ($eid IS NULL OR e.employer_id = $eid) "
        "  AND ($since IS NULL OR o.published_at >= date($since)) "
        "  AND ($until IS NULL OR o.published_at <= date($until)) "
        "MATCH (c:Candidate)-[a:APPLIED]->(o) "
        "RETURN a.application_id AS application_id, c.candidate_id AS candidate_id, o.offer_id AS offer_id, "
        "  e.employer_id AS employer_id, a.stage AS stage, coalesce(a.reached, a.stage) AS reached, "
        "  a.reason AS reason, toString(o.published_at) AS published_at",
        eid=employer_id,
        since=since,
        until=until,
    )
    return [dict(r) for r in records]


def served_rankings(db: Database, employer_id: str | None, since: str | None, until: str | None) -> list[Row]:
    """Candidate rankings served for an employer's offers (`candidates_for_offer` log entries) in [since, until],
    whoever asked (the offer's employer, or the caller's when the offer is gone)."""
    records, _, _ = db.execute_query(
        "MATCH (l:RecommendationLog) WHERE l.endpoint = 'candidates_for_offer' "
        "  AND ($since IS NULL OR l.served_at >= datetime($since)) "
        "  AND ($until IS NULL OR l.served_at < datetime($until) + duration('P1D')) "
        "OPTIONAL MATCH (:Offer {offer_id: l.offer_id})-[:POSTED_BY]->(e:Employer) "
        "WITH l, coalesce(e.employer_id, l.employer_id) AS employer_id WHERE $eid IS NULL OR employer_id = $eid "
        "RETURN l.log_id AS log_id, l.offer_id AS offer_id, employer_id, l.ranked_ids AS ranked_ids, "
        "  toString(l.served_at) AS served_at",
        eid=employer_id,
        since=since,
        until=until,
    )
    return [dict(r) for r in records]


def purge_recommendation_logs(db: Database, before: str) -> int:
    """Delete the served-recommendation log entries served before `before` (ISO date-time), batch by batch (each
    batch one transaction); returns how many were deleted. The caller records the purge (`record_event`)."""
    deleted = 0
    while True:
        records, _, _ = db.execute_query(
            "MATCH (l:RecommendationLog) WHERE l.served_at < datetime($before) "
            "WITH l LIMIT $batch DELETE l RETURN count(*) AS n",
            before=before,
            batch=PURGE_BATCH,
        )
        n = int(records[0]["n"])
        deleted += n
        if n < PURGE_BATCH:
            return deleted


def oldest_log_entry(db: Database) -> str | None:
    records, _, _ = db.execute_query("MATCH (l:RecommendationLog) RETURN toString(min(l.served_at)) AS oldest")
    return records[0]["oldest"] if records else None


# --- kill switch -------------------------------------------------------------------------------------------
GLOBAL = "global"  # the scope of a suspension of every recommendation


def scope_of(employer_id: str | None) -> str:
    return GLOBAL if employer_id is None else f"employer:{employer_id}"


def record_event(db: Database, kind: str, actor: str, employer_id: str | None, detail: str) -> str:
    """Append an entry to the oversight trail (suspensions, resumptions, log purges); returns its id."""
    event_id = str(uuid.uuid4())
    db.execute_query(
        "CREATE (:OversightEvent {event_id: $id, kind: $kind, actor: $actor, scope: $scope, detail: $detail, "
        "  at: datetime()})",
        id=event_id,
        kind=kind,
        actor=actor,
        scope=scope_of(employer_id),
        detail=detail,
    )
    return event_id


def suspend(db: Database, employer_id: str | None, actor: str, reason: str) -> int:
    """Suspend recommendations (all, or one employer's) and mark the suggestions already pushed and still open as
    `withdrawn`, with the event in the oversight trail: one transaction. Returns how many were withdrawn."""
    records, _, _ = db.execute_query(
        "MERGE (s:Suspension {scope: $scope}) SET s.active = true, s.reason = $reason, s.by = $actor, "
        "  s.at = datetime() "
        "WITH s CALL (s) { MATCH (g:Suggestion {status: 'open'})-[:FOR_OFFER]->(:Offer)-[:POSTED_BY]->(e:Employer) "
        "  WHERE $eid IS NULL OR e.employer_id = $eid "
        "  SET g.status = 'withdrawn', g.withdrawn_at = datetime(), g.withdrawn_reason = $reason "
        "  RETURN count(g) AS withdrawn } "
        "CREATE (:OversightEvent {event_id: $event_id, kind: 'suspended', actor: $actor, scope: $scope, "
        "  detail: $reason + ' (' + toString(withdrawn) + ' suggestions withdrawn)', at: datetime()}) "
        "RETURN withdrawn",
        scope=scope_of(employer_id),
        eid=employer_id,
        actor=actor,
        reason=reason,
        event_id=str(uuid.uuid4()),
    )
    return int(records[0]["withdrawn"])


def resume(db: Database, employer_id: str | None, actor: str, reason: str) -> bool:
    """Lift a suspension (withdrawn suggestions stay withdrawn); False when that scope was not suspended."""
    records, _, _ = db.execute_query(
        "MATCH (s:Suspension {scope: $scope}) WHERE s.active "
        "SET s.active = false, s.resumed_by = $actor, s.resumed_at = datetime() "
        "CREATE (:OversightEvent {event_id: $event_id, kind: 'resumed', actor: $actor, scope: $scope, "
        "  detail: $reason, at: datetime()}) RETURN count(s) AS n",
        scope=scope_of(employer_id),
        actor=actor,
        reason=reason,
        event_id=str(uuid.uuid4()),
    )
    return bool(records and records[0]["n"])


def active_suspensions(db: Database) -> dict[str, Row]:
    """Scope → {reason, by, at} of every suspension in force."""
    records, _, _ = db.execute_query(
        "MATCH (s:Suspension) WHERE s.active RETURN s.scope AS scope, s.reason AS reason, s.by AS by, "
        "  toString(s.at) AS at"
    )
    return {r["scope"]: {"reason": r["reason"], "by": r["by"], "at": r["at"]} for r in records}


def oversight_events(db: Database, limit: int = 100) -> list[Row]:
    records, _, _ = db.execute_query(
        "MATCH (e:OversightEvent) RETURN e {.*, at: toString(e.at)} AS event ORDER BY e.at DESC LIMIT $limit",
        limit=limit,
    )
    return [dict(r["event"]) for r in records]


def history_period(db: Database) -> Row:
    """First and last offer publication dates and the counts of the history in the graph (for the model card)."""
    records, _, _ = db.execute_query(
        "CALL () { MATCH (o:Offer) RETURN toString(min(o.published_at)) AS first, "
        "  toString(max(o.published_at)) AS last, count(o) AS offers } "
        "CALL () { MATCH ()-[a:APPLIED]->() RETURN count(a) AS applications } "
        "CALL () { MATCH (c:Candidate) RETURN count(c) AS candidates } "
        "RETURN first, last, offers, applications, candidates"
    )
    return dict(records[0]) if records else {}


# --- exposure-aware re-ranking, per employer --------------------------------------------------------------
def set_exposure_mitigation(
    db: Database, employer_id: str, attribute: str | None, max_gap: float, actor: str, reason: str
) -> bool:
    """Turn the employer's exposure-aware re-ranking on (`attribute`: the sensitive attribute whose groups'
    exposure is bounded, `max_gap` the allowed relative shortfall) or off (`attribute` None), with the event in
    the oversight trail: one transaction. Only the attribute's name is stored here, never anyone's group (those
    stay in the sensitive file, audit/attributes.py). False when the employer is unknown."""
    on = attribute is not None
    records, _, _ = db.execute_query(
        "MATCH (e:Employer {employer_id: $eid}) "
        "SET e.mitigation_attribute = $attribute, e.mitigation_max_gap = $max_gap, "
        "  e.mitigation_since = CASE WHEN $on THEN datetime() END, e.mitigation_by = CASE WHEN $on THEN $actor END "
        "CREATE (:OversightEvent {event_id: $event_id, kind: $kind, actor: $actor, scope: $scope, detail: $detail, "
        "  at: datetime()}) "
        "RETURN count(e) AS n",
        eid=employer_id,
        attribute=attribute,
        max_gap=max_gap if on else None,
        on=on,
        actor=actor,
        kind="mitigation_on" if on else "mitigation_off",
        scope=scope_of(employer_id),
        detail=f"{reason} ({attribute}, max gap {max_gap:g})" if on else reason,
        event_id=str(uuid.uuid4()),
    )
    return bool(records and records[0]["n"])


def exposure_mitigations(db: Database) -> dict[str, Row]:
    """employer_id → {attribute, max_gap, since, by} of every employer whose re-ranking is on."""
    records, _, _ = db.execute_query(
        "MATCH (e:Employer) WHERE e.mitigation_attribute IS NOT NULL "
        "RETURN e.employer_id AS employer_id, e.mitigation_attribute AS attribute, e.mitigation_max_gap AS max_gap, "
        "  toString(e.mitigation_since) AS since, e.mitigation_by AS by"
    )
    return {r["employer_id"]: {k: r[k] for k in ("attribute", "max_gap", "since", "by")} for r in records}
