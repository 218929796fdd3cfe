"""Batched, idempotent writes of loader records (`loaders.records`) into Neo4j.

Each batch is one `UNWIND $rows` query, hence one transaction: it is written whole or not at all. Nodes are
`MERGE`d on their key and their outgoing ingestion relationships are replaced, so loading the same records
again leaves the same graph, and re-running a load that stopped half-way ends with the graph an uninterrupted
load gives. Links to ontology concepts use `MATCH`: a concept that is not in the graph is simply not linked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from graph.db import Database
from graph.revision import STAMP_OFFERS, STAMP_STATUTORY_FACTS
from graph.schema import CANDIDATE_CORPS, OFFER_CORPS, OFFER_REMOTE_WORK
from loaders.records import ApplicationRecord, CandidateRecord, EmployerRecord, OfferRecord

BATCH_SIZE = 1000  # ~17 relationships per offer: ~18k writes per transaction, well inside a 1 GB heap
ESSENTIAL_CONFIDENCE = 0.9  # a multi-word label matched verbatim: the offer states the skill, not a near word

T = TypeVar("T")


@dataclass
class WriteStats:
    records: int = 0
    nodes_created: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    properties_set: int = 0

    def add(self, counters: Any, records: int) -> None:
        self.records += records
        self.nodes_created += counters.nodes_created
        self.relationships_created += counters.relationships_created
        self.relationships_deleted += counters.relationships_deleted
        self.properties_set += counters.properties_set

    @property
    def written(self) -> int:
        return self.nodes_created + self.relationships_created


OFFERS = (
    STAMP_OFFERS  # first: a cache of offers reads the stamped ones again (graph/revision.py)
    + """
UNWIND $rows AS row
MERGE (o:Offer {offer_id: row.offer_id})
SET o += row.props, o.facts_revision = _stamp
WITH o, row
CALL (o) { MATCH (o)-[old:POSTED_BY|LOCATED_IN|OF_OCCUPATION|REQUIRES_SKILL|REQUIRES_GRADE]->() DELETE old }
CALL (o, row) { MATCH (e:Employer {employer_id: row.employer_id}) CREATE (o)-[:POSTED_BY]->(e) }
CALL (o, row) {
  WITH o, row WHERE row.departement IS NOT NULL
  MERGE (d:Departement {code: row.departement}) CREATE (o)-[:LOCATED_IN]->(d)
}
CALL (o, row) {
  UNWIND row.occupations AS occ MATCH (c:Concept {uri: occ.uri})
  CREATE (o)-[:OF_OCCUPATION {rank: occ.rank, score: occ.score, scheme: occ.scheme}]->(c)
}
CALL (o, row) {
  UNWIND row.skills AS s MATCH (k:Skill {uri: s.uri})
  CREATE (o)-[:REQUIRES_SKILL {essential: s.essential, confidence: s.confidence, source: s.source, text: s.text,
                               start: s.start, end: s.end}]->(k)
}
CALL (o, row) { UNWIND row.grades AS uri MATCH (g:Concept {uri: uri}) CREATE (o)-[:REQUIRES_GRADE]->(g) }
"""
)

CANDIDATES = (
    STAMP_STATUTORY_FACTS  # first: a cache of candidates' facts reads the stamped ones again (graph/revision.py)
    + """
UNWIND $rows AS row
MERGE (c:Candidate {candidate_id: row.candidate_id})
SET c += row.props, c.facts_revision = _stamp
WITH c, row
CALL (c) { MATCH (c)-[old:HAS_SKILL|HELD|HOLDS_GRADE|LIVES_IN]->() DELETE old }
CALL (c, row) {
  WITH c, row WHERE row.departement IS NOT NULL
  MERGE (d:Departement {code: row.departement}) CREATE (c)-[:LIVES_IN]->(d)
}
CALL (c, row) {
  UNWIND row.skills AS s MATCH (k:Skill {uri: s.uri})
  CREATE (c)-[:HAS_SKILL {confidence: s.confidence, source: s.source, text: s.text, start: s.start, end: s.end}]->(k)
}
CALL (c, row) {
  UNWIND row.held AS h MATCH (occ:Concept {uri: h.uri})
  CREATE (c)-[:HELD {start: h.start, end: h.end, order: h.order, position: h.position, scheme: h.scheme,
                     score: h.score, employer_kind: h.employer_kind, alternatives: h.alternatives,
                     alternative_scores: h.alternative_scores}]->(occ)
}
CALL (c, row) {
  WITH c, row WHERE row.grade_uri IS NOT NULL
  MATCH (g:Grade {uri: row.grade_uri}) CREATE (c)-[:HOLDS_GRADE {echelon: row.echelon}]->(g)
}
CALL (c, row) {
  WITH c, row WHERE row.grade_uri IS NULL AND row.cadre_uri IS NOT NULL
  MATCH (g:CadreEmplois {uri: row.cadre_uri}) CREATE (c)-[:HOLDS_GRADE]->(g)
}
"""
)

EMPLOYERS = """
UNWIND $rows AS row
MERGE (e:Employer {employer_id: row.employer_id})
SET e += row.props
WITH e, row
CALL (e) { MATCH (e)-[old:LOCATED_IN]->() DELETE old }
CALL (e, row) {
  WITH e, row WHERE row.props.departement IS NOT NULL
  MERGE (d:Departement {code: row.props.departement}) CREATE (e)-[:LOCATED_IN]->(d)
}
"""

APPLICATIONS = """
UNWIND $rows AS row
MATCH (c:Candidate {candidate_id: row.candidate_id})
MATCH (o:Offer {offer_id: row.offer_id})
MERGE (c)-[a:APPLIED {application_id: row.application_id}]->(o)
SET a += row.props
"""


def write_offers(
    db: Database,
    records: Sequence[OfferRecord],
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> WriteStats:
    return _write(db, OFFERS, [_offer_row(r) for r in records], batch_size, on_batch)


def write_candidates(
    db: Database,
    records: Sequence[CandidateRecord],
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> WriteStats:
    return _write(db, CANDIDATES, [_candidate_row(r) for r in records], batch_size, on_batch)


def write_employers(
    db: Database,
    records: Sequence[EmployerRecord],
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> WriteStats:
    rows = [{"employer_id": r.employer_id, "props": asdict(r)} for r in records]
    return _write(db, EMPLOYERS, rows, batch_size, on_batch)


def write_applications(
    db: Database,
    records: Sequence[ApplicationRecord],
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> WriteStats:
    rows = [
        {
            "candidate_id": r.candidate_id,
            "offer_id": r.offer_id,
            "application_id": r.application_id,
            "props": {
                "stage": r.stage,
                "reached": r.reached or r.stage,
                "applied_at": r.applied_at,
                "updated_at": r.updated_at,
                "reason": r.reason,
            },
        }
        for r in records
    ]
    return _write(db, APPLICATIONS, rows, batch_size, on_batch)


def existing_keys(db: Database, label: str, key: str, values: Iterable[str]) -> set[str]:
    """Which of `values` already exist as `label.key` (to reject references to unknown offers, employers…)."""
    records, _, _ = db.execute_query(
        f"UNWIND $values AS v MATCH (n:{label} {{{key}: v}}) RETURN v",
        values=list(set(values)),
    )
    return {r["v"] for r in records}


def batches(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write(
    db: Database, query: str, rows: list[dict[str, Any]], batch_size: int, on_batch: Callable[[int], None] | None
) -> WriteStats:
    stats = WriteStats()
    for batch in batches(rows, batch_size):
        summary = db.execute_query(query, rows=list(batch)).summary
        stats.add(summary.counters, len(batch))
        if on_batch is not None:
            on_batch(len(batch))
    return stats


def _offer_row(r: OfferRecord) -> dict[str, Any]:
    props = {
        k: getattr(r, k)
        for k in (
            "title",
            "description",
            "employer_id",
            "published_at",
            "closes_at",
            "versant",
            "categorie",
            "filiere",
            "contract",
            "working_time",
            "commune",
            "source",
            "rome_appellation",
            "rmfp_code",
            "cadre_emplois",
            "grade",
            "education_level",
            "years_experience",
            OFFER_REMOTE_WORK,
            OFFER_CORPS,
        )
    }
    return {
        "offer_id": r.offer_id,
        "employer_id": r.employer_id,
        "departement": r.departement,
        "props": props,
        "occupations": [asdict(o) for o in r.occupations],
        "grades": r.required_grade_uris,
        "skills": [
            asdict(s) | {"essential": s.source == "matcher" and s.confidence >= ESSENTIAL_CONFIDENCE} for s in r.skills
        ],
    }


def _candidate_row(r: CandidateRecord) -> dict[str, Any]:
    props = {
        k: getattr(r, k)
        for k in (
            "source",
            "cv_text",
            "versant",
            "categorie",
            "filiere",
            "titulaire",
            "education_level",
            "years_experience",
            "commune",
            "sparse_profile",
        )
    }
    props[CANDIDATE_CORPS] = r.corps
    # Each career step links to its best RMFP and best ROME occupation; ranks 2-3 ride on that HELD as lists, not
    # as edges of their own: the GNN reads every HELD edge as a career step.
    held = [
        {
            "uri": best.uri,
            "scheme": best.scheme,
            "score": best.score,
            "alternatives": [o.uri for o in others],
            "alternative_scores": [o.score for o in others],
            "start": e.start,
            "end": e.end,
            "order": e.order,
            "position": e.position,
            "employer_kind": e.employer_kind,
        }
        for e in r.experiences
        for best, others in e.ranked_by_scheme()
    ]
    return {
        "candidate_id": r.candidate_id,
        "departement": r.departement,
        "props": props,
        "held": held,
        "grade_uri": r.grade_uri,
        "cadre_uri": r.cadre_uri,
        "echelon": r.echelon,
        "skills": [asdict(s) for s in r.skills],  # uri, confidence, source and the span: text, start, end
    }
