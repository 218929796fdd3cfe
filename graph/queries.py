"""Read-side and serving Cypher for the API: offers and candidates as the API shows them, ownership checks,
statutory data for eligibility, suggestions and feedback, webhooks, recommendation logs, GDPR export and erase.

Ontology and recruitment data are written by `graph.writes`; this module only writes what serving produces
(suggestions, feedback, logs, webhooks) and erases what GDPR requires.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

from graph import revision
from graph.db import Database
from graph.schema import FACTS_REVISION

ERASED = "erased"  # replaces a candidate pseudonym in logs after a GDPR erase
Row = dict[str, Any]


# --- offers and candidates ------------------------------------------------------------------------------
def offer(db: Database, offer_id: str) -> Row | None:
    """The offer's own properties, its employer and its occupations (best rank first); None when absent."""
    records, _, _ = db.execute_query(
        "MATCH (o:Offer {offer_id: $offer_id}) "
        "OPTIONAL MATCH (o)-[:POSTED_BY]->(e:Employer) "
        "CALL (o) { OPTIONAL MATCH (o)-[r:OF_OCCUPATION]->(occ:Occupation) WITH r, occ ORDER BY r.rank "
        "  RETURN collect(CASE WHEN occ IS NULL THEN NULL ELSE {uri: occ.uri, label: occ.label} END) AS occupations } "
        "RETURN o {.*, embedding: null} AS offer, e.employer_id AS employer_id, occupations",
        offer_id=offer_id,
    )
    if not records:
        return None
    row = {k: v for k, v in records[0]["offer"].items() if k != "embedding"}
    row["employer_id"] = records[0]["employer_id"]
    row["occupations"] = records[0]["occupations"]
    return _plain(row)


def offer_employers(db: Database, offer_ids: Sequence[str]) -> dict[str, str | None]:
    """offer_id → employer_id for the offers that exist (absent offers are absent from the result)."""
    records, _, _ = db.execute_query(
        "UNWIND $ids AS id MATCH (o:Offer {offer_id: id}) OPTIONAL MATCH (o)-[:POSTED_BY]->(e:Employer) "
        "RETURN id, e.employer_id AS employer_id",
        ids=list(offer_ids),
    )
    return {r["id"]: r["employer_id"] for r in records}


def all_offer_employers(db: Database, limit: int) -> dict[str, str | None]:
    """offer_id → employer_id for up to `limit` offers, newest first: the API's ownership cache, filled once."""
    records, _, _ = db.execute_query(
        "MATCH (o:Offer) WITH o ORDER BY o.published_at DESC LIMIT $limit "
        "OPTIONAL MATCH (o)-[:POSTED_BY]->(e:Employer) RETURN o.offer_id AS id, e.employer_id AS employer_id",
        limit=limit,
    )
    return {r["id"]: r["employer_id"] for r in records}


def employer_exists(db: Database, employer_id: str) -> bool:
    records, _, _ = db.execute_query("MATCH (e:Employer {employer_id: $id}) RETURN count(e) AS n", id=employer_id)
    return bool(records[0]["n"])


def candidate(db: Database, candidate_id: str) -> Row | None:
    """The pseudonymous profile: skills, career steps, grades, département. No personal data is held."""
    records, _, _ = db.execute_query(
        "MATCH (c:Candidate {candidate_id: $id}) "
        "CALL (c) { OPTIONAL MATCH (c)-[h:HAS_SKILL]->(s:Skill) "
        "  RETURN collect(CASE WHEN s IS NULL THEN NULL ELSE {uri: s.uri, label: s.label} END) AS skills } "
        "CALL (c) { OPTIONAL MATCH (c)-[h:HELD]->(occ) WITH h, occ ORDER BY h.order, h.start "
        "  RETURN collect(CASE WHEN occ IS NULL THEN NULL ELSE {uri: occ.uri, label: occ.label, "
        "    start: toString(h.start), end: toString(h.end), order: h.order} END) AS career } "
        "CALL (c) { OPTIONAL MATCH (c)-[:HOLDS_GRADE]->(g) WHERE g:Grade OR g:CadreEmplois "
        "  RETURN collect(CASE WHEN g IS NULL THEN NULL ELSE {uri: g.uri, label: g.label} END) AS grades } "
        "OPTIONAL MATCH (c)-[:LIVES_IN]->(d:Departement) "
        "RETURN c {.*, embedding: null} AS candidate, skills, career, grades, d.code AS departement",
        id=candidate_id,
    )
    if not records:
        return None
    r = records[0]
    row = {k: v for k, v in r["candidate"].items() if k != "embedding"}
    row.update(skills=r["skills"], career=r["career"], grades=r["grades"], departement=r["departement"])
    return _plain(row)


def existing_candidates(db: Database, candidate_ids: Sequence[str]) -> set[str]:
    records, _, _ = db.execute_query(
        "UNWIND $ids AS id MATCH (c:Candidate {candidate_id: id}) RETURN c.candidate_id AS id",
        ids=list(candidate_ids),
    )
    return {r["id"] for r in records}


def candidate_visible_to(db: Database, candidate_id: str, employer_id: str) -> bool:
    """A recruiter sees a candidate who applied to, or was suggested for, one of its employer's offers."""
    records, _, _ = db.execute_query(
        "MATCH (c:Candidate {candidate_id: $cid}) "
        "RETURN EXISTS { (c)-[:APPLIED]->(:Offer)-[:POSTED_BY]->(:Employer {employer_id: $eid}) } "
        "    OR EXISTS { (c)<-[:SUGGESTS]-(:Suggestion)-[:FOR_OFFER]->(:Offer)-[:POSTED_BY]->"
        "               (:Employer {employer_id: $eid}) } AS visible",
        cid=candidate_id,
        eid=employer_id,
    )
    return bool(records and records[0]["visible"])


def employer_offer_ids(db: Database, employer_id: str) -> list[str]:
    records, _, _ = db.execute_query(
        "MATCH (o:Offer)-[:POSTED_BY]->(:Employer {employer_id: $eid}) RETURN o.offer_id AS id ORDER BY id",
        eid=employer_id,
    )
    return [r["id"] for r in records]


# --- statutory facts for eligibility ----------------------------------------------------------------------
# A Grade or CadreEmplois linked directly, the cadre reached through GRADE_OF (gnn.eligibility reads it too).
GRADE_AND_CADRE = (
    "OPTIONAL MATCH (n)-[:{rel}]->(g) WHERE g:Grade OR g:CadreEmplois "
    "OPTIONAL MATCH (g)-[:GRADE_OF]->(ce:CadreEmplois) "
    "WITH {keep}, head(collect(CASE WHEN g:CadreEmplois THEN null ELSE g.uri END)) AS grade, "
    "head(collect(CASE WHEN g:CadreEmplois THEN g.uri ELSE ce.uri END)) AS cadre "
)


_CANDIDATE_FACTS = (
    "{id: id, titulaire: n.titulaire, education_level: n.education_level, versant: n.versant, "
    "categorie: n.categorie, grade: grade, cadre: cadre}"
)


class StatutoryFacts(NamedTuple):
    offer: Row | None  # None when the offer is absent
    candidates: dict[str, Row]  # candidate_id → facts, for the candidates still in the graph
    key_active: bool  # the API key named by `key_id` exists and is not revoked (False when none was named)
    revision: int  # the statutory-facts revision when read (graph/revision.py): a cache read at it is current


def statutory_facts(
    db: Database, offer_id: str, candidate_ids: Sequence[str], key_id: str | None = None
) -> StatutoryFacts:
    """The offer's requirement (contract, versant, catégorie, grade, cadre) and each candidate's status, in one
    round trip (it runs on every ranking served) looking candidates up by key. With `key_id`, the same round trip
    says whether that API key is still active: a ranking checks revocation without a query of its own. With no
    candidates it is the light query a ranking runs beside its top-k, to compare a cache's revision."""
    records, _, _ = db.execute_query(
        "CALL () { OPTIONAL MATCH (k:ApiKey {key_id: $key_id}) "
        "  RETURN k IS NOT NULL AND NOT coalesce(k.revoked, false) AS key_active } "
        "CALL () { " + revision.READ + " } "
        "OPTIONAL MATCH (n:Offer {offer_id: $offer_id}) "
        + GRADE_AND_CADRE.format(rel="REQUIRES_GRADE", keep="key_active, version, n")
        + "WITH key_active, version, CASE WHEN n IS NULL THEN null ELSE {contract: n.contract, versant: n.versant, "
        "  categorie: n.categorie, grade: grade, cadre: cadre} END AS offer "
        "CALL () { UNWIND $ids AS id MATCH (n:Candidate {candidate_id: id}) "
        + GRADE_AND_CADRE.format(rel="HOLDS_GRADE", keep="id, n")
        + "  RETURN collect("
        + _CANDIDATE_FACTS
        + ") AS candidates } "
        "RETURN key_active, version, offer, candidates",
        offer_id=offer_id,
        ids=list(candidate_ids),
        key_id=key_id,
        name=revision.STATUTORY_FACTS,
    )
    row = records[0]
    if row["offer"] is None:
        return StatutoryFacts(None, {}, row["key_active"], row["version"])
    candidates = {c["id"]: dict(c) for c in row["candidates"]}
    return StatutoryFacts(dict(row["offer"]), candidates, row["key_active"], row["version"])


def all_candidate_facts(db: Database) -> tuple[int, dict[str, Row]]:
    """Every candidate's statutory facts (as `statutory_facts` gives them) and the revision they are current at.
    The revision is read first: a write that lands in between makes the facts newer than it, never older."""
    version = revision.current(db, revision.STATUTORY_FACTS)
    return version, _candidates_facts(db, "true", {})


def candidate_facts_since(db: Database, since: int) -> tuple[int, dict[str, Row]] | None:
    """The facts of the candidates written after revision `since` (stamped `facts_revision`), and the revision
    they are current at; None when a write since did not stamp what it changed (an erasure, an ontology load,
    Cypher by hand: graph/revision.py), and every candidate must be read again (`all_candidate_facts`)."""
    version, stamped = revision.changed_since(db, since)
    if not stamped:
        return None
    return version, _candidates_facts(db, f"n.{FACTS_REVISION} > $since", {"since": since})


def offers_changed_since(db: Database, since: int) -> tuple[int, list[str]] | None:
    """The ids of the offers written after revision `since` of the offers counter (stamped `facts_revision`), and
    the counter now; None when a write since did not stamp what it changed (an ontology load, curation, Cypher by
    hand: graph/revision.py), and a cache of offers must forget everything it holds."""
    version, stamped = revision.changed_since(db, since, revision.OFFERS)
    if not stamped:
        return None
    records, _, _ = db.execute_query(
        f"MATCH (o:Offer) WHERE o.{FACTS_REVISION} > $since RETURN o.offer_id AS id", since=since
    )
    return version, [str(r["id"]) for r in records]


def _candidates_facts(db: Database, where: str, params: dict[str, Any]) -> dict[str, Row]:
    records, _, _ = db.execute_query(
        f"MATCH (n:Candidate) WHERE {where} WITH n, n.candidate_id AS id "
        + GRADE_AND_CADRE.format(rel="HOLDS_GRADE", keep="id, n")
        + "RETURN "
        + _CANDIDATE_FACTS
        + " AS facts",
        params,
    )
    return {r["facts"]["id"]: dict(r["facts"]) for r in records}


def key_is_active(db: Database, key_id: str) -> bool:
    """Whether an API key still exists unrevoked: one keyed read, to confirm a key the API has cached."""
    records, _, _ = db.execute_query(
        "OPTIONAL MATCH (k:ApiKey {key_id: $key_id}) RETURN k IS NOT NULL AND NOT coalesce(k.revoked, false) AS ok",
        key_id=key_id,
    )
    return bool(records[0]["ok"])


# --- suggestions and feedback ------------------------------------------------------------------------------
def suggestion_id(kind: str, offer_id: str, candidate_id: str) -> str:
    return hashlib.sha256(f"{kind}|{offer_id}|{candidate_id}".encode()).hexdigest()[:20]


def store_suggestions(db: Database, rows: Sequence[Row]) -> list[str]:
    """MERGE suggestions (kind, offer_id, candidate_id, score, rank, model_version); feedback already given stays."""
    batch = [dict(r, suggestion_id=suggestion_id(r["kind"], r["offer_id"], r["candidate_id"])) for r in rows]
    db.execute_query(
        "UNWIND $rows AS row "
        "MATCH (o:Offer {offer_id: row.offer_id}) MATCH (c:Candidate {candidate_id: row.candidate_id}) "
        "MERGE (s:Suggestion {suggestion_id: row.suggestion_id}) "
        "ON CREATE SET s.status = 'open', s.created_at = datetime(), s.delivered = false "
        "SET s.kind = row.kind, s.score = row.score, s.rank = row.rank, s.model_version = row.model_version, "
        "    s.updated_at = datetime() "
        "MERGE (s)-[:SUGGESTS]->(c) MERGE (s)-[:FOR_OFFER]->(o)",
        rows=batch,
    )
    return [r["suggestion_id"] for r in batch]


_SUGGESTION_RETURN = (
    "RETURN s.suggestion_id AS suggestion_id, s.kind AS kind, o.offer_id AS offer_id, c.candidate_id AS candidate_id, "
    "e.employer_id AS employer_id, s.score AS score, s.rank AS rank, s.model_version AS model_version, "
    "s.status AS status, s.feedback_reason AS feedback_reason, s.delivered AS delivered, "
    "toString(s.created_at) AS created_at"
)


# The pattern starts from the most selective id given, so that Neo4j seeks it by its key instead of scanning
# every suggestion: with `$cid IS NULL OR c.candidate_id = $cid` the planner cannot use the index, and reading
# one candidate's suggestions cost time in proportion to all suggestions ever stored.
_SUGGESTIONS_FROM = {
    "candidate": "MATCH (c:Candidate {candidate_id: $cid})<-[:SUGGESTS]-(s:Suggestion)-[:FOR_OFFER]->(o:Offer) ",
    "offer": "MATCH (o:Offer {offer_id: $oid})<-[:FOR_OFFER]-(s:Suggestion)-[:SUGGESTS]->(c:Candidate) ",
    "employer": "MATCH (:Employer {employer_id: $eid})<-[:POSTED_BY]-(o:Offer)<-[:FOR_OFFER]-(s:Suggestion), "
    "(s)-[:SUGGESTS]->(c:Candidate) ",
    "all": "MATCH (s:Suggestion)-[:FOR_OFFER]->(o:Offer), (s)-[:SUGGESTS]->(c:Candidate) ",
}


def suggestions_query(anchor: str) -> str:
    """The statement of `suggestions`, starting from `anchor` ("candidate", "offer", "employer" or "all")."""
    return (
        _SUGGESTIONS_FROM[anchor]
        + "WHERE ($oid IS NULL OR o.offer_id = $oid) AND ($cid IS NULL OR c.candidate_id = $cid) "
        "  AND ($kind IS NULL OR s.kind = $kind) "
        "OPTIONAL MATCH (o)-[:POSTED_BY]->(e:Employer) "
        "WITH s, o, c, e WHERE $eid IS NULL OR e.employer_id = $eid "
        + _SUGGESTION_RETURN
        + " ORDER BY o.offer_id, s.kind, s.rank LIMIT $limit"
    )


def suggestions(
    db: Database,
    employer_id: str | None = None,
    offer_id: str | None = None,
    candidate_id: str | None = None,
    kind: str | None = None,
    limit: int = 100,
) -> list[Row]:
    anchor = (
        "candidate"
        if candidate_id is not None
        else "offer"
        if offer_id is not None
        else "employer"
        if employer_id is not None
        else "all"
    )
    records, _, _ = db.execute_query(
        suggestions_query(anchor), eid=employer_id, oid=offer_id, cid=candidate_id, kind=kind, limit=limit
    )
    return [dict(r) for r in records]


def suggestion(db: Database, suggestion_id: str) -> Row | None:
    records, _, _ = db.execute_query(
        "MATCH (s:Suggestion {suggestion_id: $sid})-[:FOR_OFFER]->(o:Offer) MATCH (s)-[:SUGGESTS]->(c:Candidate) "
        "OPTIONAL MATCH (o)-[:POSTED_BY]->(e:Employer) " + _SUGGESTION_RETURN,
        sid=suggestion_id,
    )
    return dict(records[0]) if records else None


ANY_EMPLOYER = "*"  # `record_feedback`: a caller not bound to one employer (an admin)


def record_feedback(
    db: Database, suggestion_id: str, decision: str, reason: str | None, actor: str, employer_id: str | None
) -> tuple[Row | None, bool]:
    """A recruiter kept or dismissed a suggestion: training signal for the next `vivier train`, never a verdict.
    The caller may only touch `employer_id`'s suggestions (`ANY_EMPLOYER`: all of them; None: none). One round
    trip instead of three (read, write, read again): (the suggestion after the write, or None when there is
    none; whether it was written, False when it belongs to another employer, and is then left unchanged)."""
    records, _, _ = db.execute_query(
        "MATCH (s:Suggestion {suggestion_id: $sid})-[:FOR_OFFER]->(o:Offer) MATCH (s)-[:SUGGESTS]->(c:Candidate) "
        "OPTIONAL MATCH (o)-[:POSTED_BY]->(e:Employer) "
        "WITH s, o, c, e, ($all_employers OR coalesce(e.employer_id, '') = $employer) AS allowed "
        "FOREACH (_ IN CASE WHEN allowed THEN [1] ELSE [] END | SET s.status = $decision, "
        "s.feedback_reason = $reason, s.feedback_by = $actor, s.feedback_at = datetime()) "
        + _SUGGESTION_RETURN
        + ", allowed",
        sid=suggestion_id,
        decision=decision,
        reason=reason,
        actor=actor,
        all_employers=employer_id == ANY_EMPLOYER,
        employer=employer_id,
    )
    if not records:
        return None, False
    row = dict(records[0])
    return row, bool(row.pop("allowed"))


def mark_delivered(db: Database, suggestion_ids: Sequence[str]) -> None:
    db.execute_query(
        "UNWIND $ids AS id MATCH (s:Suggestion {suggestion_id: id}) "
        "SET s.delivered = true, s.delivered_at = datetime()",
        ids=list(suggestion_ids),
    )


# --- webhooks ---------------------------------------------------------------------------------------------
def register_webhook(db: Database, url: str, topic: str, employer_id: str | None) -> str:
    webhook_id = uuid.uuid4().hex[:16]
    db.execute_query(
        "CREATE (w:Webhook {webhook_id: $wid, url: $url, topic: $topic, created_at: datetime(), active: true}) "
        "WITH w OPTIONAL MATCH (e:Employer {employer_id: $eid}) "
        "FOREACH (_ IN CASE WHEN e IS NULL THEN [] ELSE [1] END | MERGE (w)-[:OWNED_BY]->(e))",
        wid=webhook_id,
        url=url,
        topic=topic,
        eid=employer_id,
    )
    return webhook_id


def webhooks(db: Database, employer_id: str | None = None, topic: str | None = None) -> list[Row]:
    """Active webhooks; with an employer, only that employer's; with a topic, only that topic's."""
    records, _, _ = db.execute_query(
        "MATCH (w:Webhook) WHERE w.active AND ($topic IS NULL OR w.topic = $topic) "
        "OPTIONAL MATCH (w)-[:OWNED_BY]->(e:Employer) "
        "WITH w, e WHERE $eid IS NULL OR e.employer_id = $eid "
        "RETURN w.webhook_id AS webhook_id, w.url AS url, w.topic AS topic, e.employer_id AS employer_id "
        "ORDER BY webhook_id",
        eid=employer_id,
        topic=topic,
    )
    return [dict(r) for r in records]


def delete_webhook(db: Database, webhook_id: str) -> None:
    db.execute_query("MATCH (w:Webhook {webhook_id: $wid}) DETACH DELETE w", wid=webhook_id)


# --- recommendation logs (AI Act traceability) ------------------------------------------------------------
def record_recommendations(db: Database, entries: Sequence[Row]) -> None:
    """Log served recommendations (one batch, one transaction): caller, time, subject, model version, ranked ids
    and scores. Each entry brings its own `log_id` and `served_at` (ISO), fixed when the answer was served."""
    db.execute_query(
        "UNWIND $entries AS e CREATE (l:RecommendationLog {log_id: e.log_id, served_at: datetime(e.served_at), "
        "endpoint: e.endpoint, caller_key_id: e.caller_key_id, caller_role: e.caller_role, "
        "employer_id: e.employer_id, offer_id: e.offer_id, candidate_id: e.candidate_id, "
        "occupation_uri: e.occupation_uri, model_version: e.model_version, ranked_ids: e.ranked_ids, "
        "scores: e.scores, parameters: e.parameters})",
        entries=list(entries),
    )


def recommendation_logs_query(by_offer: bool) -> str:
    """The statement of `recommendation_logs`; `by_offer`: it starts from the offer's entries (an index seek, where
    the `IS NULL OR` form read every entry ever logged). A candidate's entries are found in `ranked_ids` too, which
    no index holds: without an offer, every entry is read."""
    start = "MATCH (l:RecommendationLog {offer_id: $oid}) " if by_offer else "MATCH (l:RecommendationLog) "
    return (
        start + "WHERE ($oid IS NULL OR l.offer_id = $oid) AND ($eid IS NULL OR l.employer_id = $eid) "
        "  AND ($cid IS NULL OR l.candidate_id = $cid OR $cid IN l.ranked_ids) "
        "RETURN l {.*, served_at: toString(l.served_at)} AS log ORDER BY l.served_at DESC LIMIT $limit"
    )


def recommendation_logs(
    db: Database,
    offer_id: str | None = None,
    candidate_id: str | None = None,
    employer_id: str | None = None,
    limit: int = 100,
) -> list[Row]:
    records, _, _ = db.execute_query(
        recommendation_logs_query(offer_id is not None),
        oid=offer_id,
        cid=candidate_id,
        eid=employer_id,
        limit=limit,
    )
    return [dict(r["log"]) for r in records]


# --- GDPR ------------------------------------------------------------------------------------------------
def export_candidate(db: Database, candidate_id: str) -> Row | None:
    """Everything held about a candidate: the node, every relationship, suggestions and log entries."""
    records, _, _ = db.execute_query(
        "MATCH (c:Candidate {candidate_id: $cid}) "
        "CALL (c) { OPTIONAL MATCH (c)-[r]-(n) WHERE NOT n:Suggestion "
        "  RETURN collect(CASE WHEN r IS NULL THEN NULL ELSE {type: type(r), properties: properties(r), "
        "    direction: CASE WHEN startNode(r) = c THEN 'out' ELSE 'in' END, other_labels: labels(n), "
        "    other_key: coalesce(n.uri, n.offer_id, n.code, n.employer_id)} END) AS relationships } "
        "CALL (c) { OPTIONAL MATCH (s:Suggestion)-[:SUGGESTS]->(c) OPTIONAL MATCH (s)-[:FOR_OFFER]->(o:Offer) "
        "  RETURN collect(CASE WHEN s IS NULL THEN NULL ELSE s {.*, offer_id: o.offer_id, "
        "    created_at: toString(s.created_at), updated_at: toString(s.updated_at), "
        "    feedback_at: toString(s.feedback_at), delivered_at: toString(s.delivered_at)} END) AS suggestions } "
        "CALL (c) { OPTIONAL MATCH (l:RecommendationLog) WHERE l.candidate_id = c.candidate_id "
        "    OR c.candidate_id IN l.ranked_ids "
        "  RETURN collect(CASE WHEN l IS NULL THEN NULL ELSE l {.*, served_at: toString(l.served_at)} END) AS logs } "
        "RETURN properties(c) AS candidate, relationships, suggestions, logs",
        cid=candidate_id,
    )
    if not records:
        return None
    r = records[0]
    return _plain(
        {
            "candidate": dict(r["candidate"]),
            "relationships": r["relationships"],
            "suggestions": r["suggestions"],
            "recommendation_logs": r["logs"],
        }
    )


def _plain(value: Any) -> Any:
    """Neo4j temporal and spatial values as strings, so that a row serialises to JSON as it is."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


# --- applications ------------------------------------------------------------------------------------------
_APPLICATION_RETURN = (
    "RETURN a.application_id AS application_id, o.offer_id AS offer_id, c.candidate_id AS candidate_id, "
    "a.stage AS stage, toString(a.applied_at) AS applied_at, toString(a.updated_at) AS updated_at, a.reason AS reason"
)


def application(db: Database, application_id: str) -> Row | None:
    records, _, _ = db.execute_query(
        "MATCH (c:Candidate)-[a:APPLIED {application_id: $aid}]->(o:Offer) " + _APPLICATION_RETURN,
        aid=application_id,
    )
    return dict(records[0]) if records else None


def offer_applications(db: Database, offer_id: str) -> list[Row]:
    records, _, _ = db.execute_query(
        "MATCH (c:Candidate)-[a:APPLIED]->(o:Offer {offer_id: $oid}) " + _APPLICATION_RETURN + " ORDER BY applied_at",
        oid=offer_id,
    )
    return [dict(r) for r in records]


def first_offer_per_title_word(db: Database, employer_id: str, words: Sequence[str]) -> list[str]:
    """For each word, the first offer (by id) of the employer whose title contains it (lower case), if any."""
    records, _, _ = db.execute_query(
        "UNWIND $words AS word "
        "CALL (word) { MATCH (o:Offer)-[:POSTED_BY]->(:Employer {employer_id: $employer_id}) "
        "  WHERE toLower(o.title) CONTAINS word RETURN o.offer_id AS offer_id ORDER BY offer_id LIMIT 1 } "
        "RETURN offer_id",
        words=list(words),
        employer_id=employer_id,
    )
    return [r["offer_id"] for r in records]


# --- web app reads (api/web) ---------------------------------------------------------------------------------
def offer_summaries(db: Database, offer_ids: Sequence[str]) -> list[Row]:
    """Title, date, département and catégorie of each offer, newest first: the recruiter's list of offers."""
    records, _, _ = db.execute_query(
        "UNWIND $ids AS id MATCH (o:Offer {offer_id: id}) OPTIONAL MATCH (o)-[:LOCATED_IN]->(d:Departement) "
        "RETURN o.offer_id AS offer_id, o.title AS title, toString(o.published_at) AS published_at, "
        "o.categorie AS categorie, d.code AS departement, "
        "COUNT { (:Candidate)-[:APPLIED]->(o) } AS applications ORDER BY published_at DESC, offer_id",
        ids=list(offer_ids),
    )
    return [dict(r) for r in records]


def candidate_summaries(db: Database, candidate_ids: Sequence[str]) -> dict[str, Row]:
    """candidate_id → département, catégorie and skill uris: what the offer page's filters read."""
    records, _, _ = db.execute_query(
        "UNWIND $ids AS id MATCH (c:Candidate {candidate_id: id}) OPTIONAL MATCH (c)-[:LIVES_IN]->(d:Departement) "
        "RETURN id, d.code AS departement, c.categorie AS categorie, "
        "COLLECT { MATCH (c)-[:HAS_SKILL]->(s:Skill) RETURN s.uri } AS skills",
        ids=list(candidate_ids),
    )
    return {
        r["id"]: {"departement": r["departement"], "categorie": r["categorie"], "skills": r["skills"]} for r in records
    }


def search_occupations(db: Database, folded: str, limit: int = 20) -> list[Row]:
    """Occupations (ROME, RMFP, ESCO) whose folded label or code matches `folded` (already folded by the caller:
    accents and case ignored), exact code or label first, then labels starting with it, then containing it."""
    records, _, _ = db.execute_query(
        "MATCH (n:Occupation) WITH n, coalesce(n.label_folded, toLower(n.label)) AS label "
        "WHERE label CONTAINS $q OR n.alt_folded CONTAINS $q OR toLower(n.code) = $q "
        "WITH n, CASE WHEN toLower(n.code) = $q OR label = $q THEN 0 WHEN label STARTS WITH $q THEN 1 ELSE 2 END "
        "  AS rank "
        "RETURN n.uri AS uri, n.label AS label, n.code AS code, [l IN labels(n) WHERE NOT l IN ['Concept', "
        "'Occupation']] AS kinds ORDER BY rank, coalesce(n.deprecated, false), size(n.label), n.label LIMIT $limit",
        q=folded,
        limit=limit,
    )
    return [dict(r) for r in records]


def occupation_neighbourhood(db: Database, uri: str, limit: int = 60) -> Row | None:
    """An occupation and its neighbours for the career explorer: real ROME mobility transitions (both ways),
    required skills (essential first) and linked occupations of other repertories (emplois-référence, ROME fiches,
    ESCO occupations through skos matches and broader). None when the concept does not exist."""
    records, _, _ = db.execute_query(
        "MATCH (n:Concept {uri: $uri}) "
        "CALL (n) { OPTIONAL MATCH (n)-[m:MOBILITY]-(o:RomeFiche) WITH m, o LIMIT $limit "
        "  RETURN collect(CASE WHEN o IS NULL THEN NULL ELSE {uri: o.uri, label: o.label, code: o.code, "
        "    labels: labels(o), kind: m.kind, outgoing: startNode(m) = n} END) AS mobility } "
        "CALL (n) { OPTIONAL MATCH (n)-[r:REQUIRES_SKILL]->(s:Skill) WITH r, s ORDER BY r.essential DESC, s.label "
        "  LIMIT $limit RETURN collect(CASE WHEN s IS NULL THEN NULL ELSE {uri: s.uri, label: s.label, "
        "    labels: labels(s), essential: r.essential} END) AS skills } "
        "CALL (n) { OPTIONAL MATCH (n)-[r:EXACT_MATCH|CLOSE_MATCH|BROADER]-(x:Occupation) WITH r, x LIMIT $limit "
        "  RETURN collect(CASE WHEN x IS NULL THEN NULL ELSE {uri: x.uri, label: x.label, code: x.code, "
        "    labels: labels(x), kind: toLower(type(r)), outgoing: startNode(r) = n} END) AS linked } "
        "RETURN n.uri AS uri, n.label AS label, n.code AS code, labels(n) AS labels, mobility, skills, linked",
        uri=uri,
        limit=limit,
    )
    return dict(records[0]) if records else None


def concept_details(db: Database, uri: str) -> Row | None:
    """A concept's own properties (no embedding; `source` names the repertory and file it comes from) and its
    labels: the details shown beside every node of the career explorer."""
    records, _, _ = db.execute_query(
        "MATCH (n:Concept {uri: $uri}) RETURN n {.*, embedding: null} AS properties, labels(n) AS labels",
        uri=uri,
    )
    if not records:
        return None
    row = dict(records[0])
    row["properties"] = _plain({k: v for k, v in row["properties"].items() if k != "embedding"})
    return row
