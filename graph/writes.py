"""Batched, idempotent writes of loader records (`loaders.records`) into Neo4j.

Each batch is one `UNWIND $rows` query, hence one transaction: it is written whole or not at all. Nodes are
`MERGE`d on their key and their outgoing ingestion relationships are replaced, so loading the same records
again leaves the same graph, and re-running a load that stopped half-way ends with the graph an uninterrupted
load gives. Links to ontology concepts use `MATCH`: a concept that is not in the graph is simply not linked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from neo4j import Driver
from rich.progress import Progress

from graph.revision import BUMP_OFFERS, BUMP_STATUTORY_FACTS
from loaders.records import ApplicationRecord, CandidateRecord, EmployerRecord, OfferRecord, RecordError
from loaders.rejects import RejectLog
from vivier.settings import get_settings

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
    """
UNWIND $rows AS row
MERGE (o:Offer {offer_id: row.offer_id})
SET o += row.props
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
    + BUMP_OFFERS
)  # same transaction: a cache of offers' requirements sees the change (graph/revision.py)

CANDIDATES = (
    """
UNWIND $rows AS row
MERGE (c:Candidate {candidate_id: row.candidate_id})
SET c += row.props
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
"""
    + BUMP_STATUTORY_FACTS
)  # same transaction: a cache of candidates' facts sees the change (graph/revision.py)

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
    driver: Driver,
    records: Sequence[OfferRecord],
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> WriteStats:
    return _write(driver, OFFERS, [_offer_row(r) for r in records], batch_size, on_batch)


def write_candidates(
    driver: Driver,
    records: Sequence[CandidateRecord],
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> WriteStats:
    return _write(driver, CANDIDATES, [_candidate_row(r) for r in records], batch_size, on_batch)


def write_employers(
    driver: Driver,
    records: Sequence[EmployerRecord],
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> WriteStats:
    rows = [{"employer_id": r.employer_id, "props": asdict(r)} for r in records]
    return _write(driver, EMPLOYERS, rows, batch_size, on_batch)


def write_applications(
    driver: Driver,
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
    return _write(driver, APPLICATIONS, rows, batch_size, on_batch)


def existing_keys(driver: Driver, label: str, key: str, values: Iterable[str]) -> set[str]:
    """Which of `values` already exist as `label.key` (to reject references to unknown offers, employers…)."""
    records, _, _ = driver.execute_query(
        f"UNWIND $values AS v MATCH (n:{label} {{{key}: v}}) RETURN v",
        values=list(set(values)),
        database_=get_settings().neo4j_database,
    )
    return {r["v"] for r in records}


def batches(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write(
    driver: Driver, query: str, rows: list[dict[str, Any]], batch_size: int, on_batch: Callable[[int], None] | None
) -> WriteStats:
    stats = WriteStats()
    database = get_settings().neo4j_database
    for batch in batches(rows, batch_size):
        summary = driver.execute_query(query, rows=list(batch), database_=database).summary
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
        )
    }
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
        "echelon": r.echelon,
        "skills": [asdict(s) for s in r.skills],  # uri, confidence, source and the span: text, start, end
    }


# --- Loading files: read, validate, understand, reject, write ------------------------------------------------
# These live here rather than in `loaders` because they need the database, and `loaders` sits below `graph`.
@dataclass
class KindSummary:
    loaded: int = 0
    rejected: int = 0
    written: int = 0  # nodes + relationships created


@dataclass
class LoadSummary:
    rejects_path: str
    kinds: dict[str, KindSummary]

    def kind(self, name: str) -> KindSummary:
        return self.kinds.setdefault(name, KindSummary())


def new_summary(rejects: RejectLog) -> LoadSummary:
    return LoadSummary(str(rejects.path), {})


def load_offers(
    driver: Driver,
    path: str | Path,
    rejects: RejectLog | None = None,
    progress: Progress | None = None,
    known_employers: set[str] | None = None,
    summary: LoadSummary | None = None,
    n_process: int = 1,
) -> LoadSummary:
    """Offers of a file or folder (formats.md JSON/CSV, JobPosting JSON-LD, PEP exports) into Neo4j. `n_process`
    > 1 understands the texts in forked workers (faster only where cores are free: see `vivier load measure`)."""
    from loaders.nlp import default_analyzer
    from loaders.offers import enrich_offers, iter_offer_files, read_offer_file, validate_offer

    rejects = rejects or RejectLog()
    summary = summary or new_summary(rejects)
    analyzer = default_analyzer()
    records: list[OfferRecord] = []
    employers: dict[str, EmployerRecord] = {}
    pending: list[tuple[Path, str, OfferRecord]] = []
    for file in iter_offer_files(Path(path)):
        raws, problems = read_offer_file(file)
        for ref, field_name, reason in problems:
            rejects.add(file, ref, field_name, reason, "offer")
        for raw in raws:
            try:
                record = validate_offer(
                    raw.fields, file.name, analyzer.catalogue, contract_required=raw.contract_required
                )
            except RecordError as error:
                rejects.add(file, raw.ref, error.field, error.reason, "offer")
                continue
            if raw.employer is not None:
                employers.setdefault(raw.employer.employer_id, raw.employer)
                record.employer_name = raw.employer.name
            pending.append((file, raw.ref, record))
    known = (known_employers or set()) | set(employers)
    known |= existing_keys(driver, "Employer", "employer_id", {r.employer_id for _, _, r in pending} - known)
    seen: set[str] = set()
    for file, ref, record in pending:
        if record.employer_id not in known:
            rejects.add(file, ref, "employer_id", f"unknown employer {record.employer_id!r}", "offer")
        elif record.offer_id in seen:
            rejects.add(file, ref, "offer_id", f"duplicate offer_id {record.offer_id!r} (first one kept)", "offer")
        else:
            seen.add(record.offer_id)
            records.append(record)
    task = progress.add_task("offers: understanding", total=len(records)) if progress else None
    for chunk in batches(records, 1000):
        enrich_offers(list(chunk), analyzer, n_process)
        if progress is not None and task is not None:
            progress.advance(task, len(chunk))
    write_employers(driver, list(employers.values()))
    kind = summary.kind("offer")
    kind.written += write_offers(driver, records, on_batch=_advance(progress, "offers: writing", len(records))).written
    kind.loaded += len(records)
    kind.rejected = rejects.count("offer")
    return summary


def load_cvs(
    driver: Driver,
    paths: Iterable[str | Path],
    source: str = "cvs",
    rejects: RejectLog | None = None,
    progress: Progress | None = None,
    summary: LoadSummary | None = None,
) -> LoadSummary:
    """CV files (JSON Resume, PDF, DOCX, text; folders are expanded) into pseudonymised candidates."""
    from loaders.cvs import CV_SUFFIXES, parse_cv
    from loaders.nlp import default_analyzer

    rejects = rejects or RejectLog()
    summary = summary or new_summary(rejects)
    files = [f for p in map(Path, paths) for f in (sorted(p.iterdir()) if p.is_dir() else [p])]
    files = [f for f in files if f.suffix.lower() in CV_SUFFIXES or not Path(f).is_dir()]
    analyzer = default_analyzer()
    records: dict[str, CandidateRecord] = {}
    task = progress.add_task("CVs: reading", total=len(files)) if progress else None
    for file in files:
        try:
            record = parse_cv(file.read_bytes(), file.name, source, analyzer)
        except RecordError as error:
            rejects.add(file, "file", error.field, error.reason, "cv")
        else:
            if record.candidate_id in records:
                rejects.add(file, "file", "candidate_ref", "duplicate candidate (first CV kept)", "cv")
            else:
                records[record.candidate_id] = record
        if progress is not None and task is not None:
            progress.advance(task)
    kind = summary.kind("cv")
    stats = write_candidates(driver, list(records.values()), on_batch=_advance(progress, "CVs: writing", len(records)))
    kind.loaded += len(records)
    kind.written += stats.written
    kind.rejected = rejects.count("cv")
    return summary


def load_history(
    driver: Driver,
    path: str | Path,
    source: str = "cvs",
    rejects: RejectLog | None = None,
    progress: Progress | None = None,
    summary: LoadSummary | None = None,
) -> LoadSummary:
    """A recruitment history: `employers.csv` and/or `applications.csv` (a folder holding them, or one file).
    `source` must be the one the candidates' CVs were loaded with, so that `candidate_ref`s hash alike."""
    from loaders.history import read_applications

    rejects = rejects or RejectLog()
    summary = summary or new_summary(rejects)
    path = Path(path)
    folder_files = [path / "employers.csv", path / "applications.csv"] if path.is_dir() else [path]
    for file in folder_files:
        if not file.exists():
            continue
        if "employer" in file.name.lower():
            load_employers_file(driver, file, rejects, summary)
        else:
            applications, problems = read_applications(file, source)
            for ref, field_name, reason in problems:
                rejects.add(file, ref, field_name, reason, "application")
            _write_known_applications(driver, file, applications, rejects, summary, progress)
    return summary


def load_employers_file(driver: Driver, file: Path, rejects: RejectLog, summary: LoadSummary) -> set[str]:
    from loaders.history import read_employers

    employers, problems = read_employers(file)
    for ref, field_name, reason in problems:
        rejects.add(file, ref, field_name, reason, "employer")
    unique: dict[str, EmployerRecord] = {}
    for ref, employer in employers:
        if employer.employer_id in unique:
            rejects.add(file, ref, "employer_id", f"duplicate employer_id {employer.employer_id!r}", "employer")
        else:
            unique[employer.employer_id] = employer
    kind = summary.kind("employer")
    kind.written += write_employers(driver, list(unique.values())).written
    kind.loaded += len(unique)
    kind.rejected = rejects.count("employer")
    return set(unique)


def _write_known_applications(
    driver: Driver,
    file: Path,
    applications: list[tuple[str, ApplicationRecord]],
    rejects: RejectLog,
    summary: LoadSummary,
    progress: Progress | None,
) -> None:
    offers = existing_keys(driver, "Offer", "offer_id", {a.offer_id for _, a in applications})
    candidates = existing_keys(driver, "Candidate", "candidate_id", {a.candidate_id for _, a in applications})
    valid: dict[str, ApplicationRecord] = {}
    for ref, application in applications:
        if application.offer_id not in offers:
            rejects.add(file, ref, "offer_id", f"unknown offer {application.offer_id!r}", "application")
        elif application.candidate_id not in candidates:
            rejects.add(
                file, ref, "candidate_ref", "unknown candidate (no CV loaded for this reference)", "application"
            )
        elif application.application_id in valid:
            rejects.add(file, ref, "application_id", f"duplicate {application.application_id!r}", "application")
        else:
            valid[application.application_id] = application
    kind = summary.kind("application")
    on_batch = _advance(progress, "applications: writing", len(valid))
    kind.written += write_applications(driver, list(valid.values()), on_batch=on_batch).written
    kind.loaded += len(valid)
    kind.rejected = rejects.count("application")


def load_dataset(
    driver: Driver,
    folder: str | Path,
    source: str | None = None,
    rejects: RejectLog | None = None,
    progress: Progress | None = None,
) -> LoadSummary:
    """A docs/formats.md folder: employers, offers, CVs, applications, in that order. Candidates are
    pseudonymised with `source` (default: the folder's name), which applications.csv shares."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a dataset folder (see docs/formats.md)")
    source = source or folder.resolve().name
    rejects = rejects or RejectLog()
    summary = new_summary(rejects)
    known: set[str] = set()
    if (folder / "employers.csv").exists():
        known = load_employers_file(driver, folder / "employers.csv", rejects, summary)
    for name in ("offers.json", "offers.csv", "offers.jsonld"):
        if (folder / name).exists():
            load_offers(driver, folder / name, rejects, progress, known, summary)
    if (folder / "cvs").is_dir():
        load_cvs(driver, [folder / "cvs"], source, rejects, progress, summary)
    if (folder / "applications.csv").exists():
        load_history(driver, folder / "applications.csv", source, rejects, progress, summary)
    return summary


def _advance(progress: Progress | None, label: str, total: int) -> Callable[[int], None] | None:
    if progress is None:
        return None
    task = progress.add_task(label, total=total)
    return lambda done: progress.advance(task, done)
