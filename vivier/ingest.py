"""Loading files into the graph: read and validate (`loaders`), understand the French text (`loaders.nlp`), reject
what is wrong with its file, record and field (`loaders.rejects`), write the valid records (`graph.writes`).

This is orchestration across packages, so it lives in the application layer: `loaders` know no database and
`graph` knows no file formats.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress

from graph.db import Database
from graph.writes import (
    WriteStats,
    batches,
    existing_keys,
    write_applications,
    write_candidates,
    write_employers,
    write_offers,
)
from loaders.profiles import PROFILE_FILES
from loaders.records import ApplicationRecord, CandidateRecord, EmployerRecord, OfferRecord, RecordError
from loaders.rejects import RejectLog
from vivier.settings import get_settings


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
    db: Database,
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
    known |= existing_keys(db, "Employer", "employer_id", {r.employer_id for _, _, r in pending} - known)
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
    write_employers(db, list(employers.values()))
    kind = summary.kind("offer")
    kind.written += write_offers(db, records, on_batch=_advance(progress, "offers: writing", len(records))).written
    kind.loaded += len(records)
    kind.rejected = rejects.count("offer")
    return summary


def load_cvs(
    db: Database,
    paths: Iterable[str | Path],
    source: str = "cvs",
    rejects: RejectLog | None = None,
    progress: Progress | None = None,
    summary: LoadSummary | None = None,
    with_history: set[str] | None = None,
    n_process: int = 1,
) -> LoadSummary:
    """CV files (JSON Resume, PDF, DOCX, text; folders are expanded) and profile tables (a CSV, or a JSON array,
    one profile per row: `loaders.profiles`) into pseudonymised candidates. A profile with no text and no place
    loads as sparse when its candidate id is in `with_history` (they applied), and is rejected otherwise.
    `n_process` > 1 reads them in forked workers; candidates are written while the next ones are read
    (`CandidateWriter`)."""
    from loaders.cvs import CV_SUFFIXES, EmptyProfile, parse_cv_files, sparse_candidate
    from loaders.nlp import default_analyzer

    rejects = rejects or RejectLog()
    summary = summary or new_summary(rejects)
    files = [f for p in map(Path, paths) for f in (sorted(p.iterdir()) if p.is_dir() else [p])]
    files = [f for f in files if f.suffix.lower() in (*CV_SUFFIXES, ".csv") or not Path(f).is_dir()]
    task = progress.add_task("CVs: reading", total=len(files)) if progress else None
    origins: list[tuple[Path, str]] = []  # (file, record) of each document read and not yet understood, in order

    def documents() -> Iterator[tuple[bytes, str]]:
        for file in files:
            for ref, data, name in _profile_documents(file, rejects):
                origins.append((file, ref))
                yield data, name
            if progress is not None and task is not None:
                progress.advance(task)

    kind = summary.kind("cv")
    seen: set[str] = set()
    ready: list[CandidateRecord] = []
    with CandidateWriter(db, progress) as writer:
        for results in parse_cv_files(documents(), source, default_analyzer(), n_process):
            for (file, ref), result in zip(origins[: len(results)], results, strict=True):
                if isinstance(result, EmptyProfile) and result.candidate_id in (with_history or set()):
                    result = sparse_candidate(result.candidate_id, source)  # their applications are what we know
                if (candidate := _accepted(result, file, ref, seen, rejects)) is not None:
                    ready.append(candidate)
            del origins[: len(results)]
            if len(ready) >= CV_WRITE_EVERY:
                writer.submit(ready)
                ready = []
        writer.submit(ready)
    kind.loaded += writer.loaded
    kind.written += writer.written
    kind.rejected = rejects.count("cv")
    return summary


def _accepted(
    result: CandidateRecord | RecordError, file: Path, ref: str, seen: set[str], rejects: RejectLog
) -> CandidateRecord | None:
    """The candidate to write, or None with the reason in the rejects: a reject, or a candidate already read."""
    from loaders.cvs import EmptyProfile

    if isinstance(result, EmptyProfile):
        rejects.add(file, ref, result.field, f"{result.reason}, and no application refers to it", "cv")
    elif isinstance(result, RecordError):
        rejects.add(file, ref, result.field, result.reason, "cv")
    elif result.candidate_id in seen:
        rejects.add(file, ref, "candidate_ref", "duplicate candidate (first CV kept)", "cv")
    else:
        seen.add(result.candidate_id)
        return result
    return None


# CVs are written while the next ones are read: the readers hand this many candidates at a time to a writer thread,
# so the forked readers keep the cores while Neo4j writes, and a load holds a few thousand candidates in memory
# rather than all of them (a million at national scale).
CV_WRITE_EVERY = 2_000


class CandidateWriter:
    """Writes batches of candidates in one background thread, in the order submitted. At most two batches wait,
    so reading never runs far ahead of Neo4j. Leaving the block waits for every batch submitted (valid records are
    written even when reading then fails); the first write error is raised, and the batches still waiting then are
    dropped. Its progress bar's total is set at the end, when the number of candidates is known."""

    def __init__(self, db: Database, progress: Progress | None) -> None:
        self.db = db
        self.loaded = self.written = 0
        self._threads = ThreadPoolExecutor(1, thread_name_prefix="cv-writer")
        self._pending: deque[Future[WriteStats]] = deque()
        self._task = progress.add_task("CVs: writing", total=None) if progress else None
        self._progress = progress

    def __enter__(self) -> CandidateWriter:
        return self

    def submit(self, records: list[CandidateRecord]) -> None:
        if not records:
            return
        while self._pending and (len(self._pending) >= 2 or self._pending[0].done()):
            self._done(self._pending.popleft())  # a failed write stops the load at once
        self._pending.append(self._threads.submit(write_candidates, self.db, records, on_batch=self._advance))
        self.loaded += len(records)

    def _advance(self, count: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, count)

    def _done(self, future: Future[WriteStats]) -> None:
        self.written += future.result().written

    def __exit__(self, *exc: object) -> None:
        try:
            while self._pending:
                self._done(self._pending.popleft())
        finally:
            self._threads.shutdown(wait=True, cancel_futures=True)
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, total=self.loaded)


def _profile_documents(file: Path, rejects: RejectLog) -> list[tuple[str, bytes, str]]:
    """(record, bytes, file name) of each CV a file holds: itself, or one JSON Resume per row of a profile table."""
    import json

    from loaders.profiles import read_profiles

    data = file.read_bytes()
    if file.suffix.lower() != ".csv" and not (file.suffix.lower() == ".json" and data.lstrip()[:1] == b"["):
        return [("file", data, file.name)]
    resumes, problems = read_profiles(file)
    for ref, field_name, reason in problems:
        rejects.add(file, ref, field_name, reason, "cv")
    return [(ref, json.dumps(resume).encode(), f"{file.stem}.json") for ref, resume in resumes]


def load_history(
    db: Database,
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
            load_employers_file(db, file, rejects, summary)
        else:
            applications, problems = read_applications(file, source)
            for ref, field_name, reason in problems:
                rejects.add(file, ref, field_name, reason, "application")
            _write_known_applications(db, file, applications, rejects, summary, progress)
    return summary


def load_employers_file(db: Database, file: Path, rejects: RejectLog, summary: LoadSummary) -> set[str]:
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
    kind.written += write_employers(db, list(unique.values())).written
    kind.loaded += len(unique)
    kind.rejected = rejects.count("employer")
    return set(unique)


def _write_known_applications(
    db: Database,
    file: Path,
    applications: list[tuple[str, ApplicationRecord]],
    rejects: RejectLog,
    summary: LoadSummary,
    progress: Progress | None,
) -> None:
    offers = existing_keys(db, "Offer", "offer_id", {a.offer_id for _, a in applications})
    candidates = existing_keys(db, "Candidate", "candidate_id", {a.candidate_id for _, a in applications})
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
    kind.written += write_applications(db, list(valid.values()), on_batch=on_batch).written
    kind.loaded += len(valid)
    kind.rejected = rejects.count("application")


def load_dataset(
    db: Database,
    folder: str | Path,
    source: str | None = None,
    rejects: RejectLog | None = None,
    progress: Progress | None = None,
    n_process: int | None = None,
) -> LoadSummary:
    """A docs/formats.md folder: employers, offers, CVs (`cvs/` and profile tables such as `candidates.csv`),
    applications, in that order. Candidates are pseudonymised with `source` (default: the folder's name), which
    applications.csv shares; a candidate who applied loads even with an empty profile, flagged sparse. Texts are
    read in `n_process` processes (default: the settings' `load_process_count`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a dataset folder (see docs/formats.md)")
    source = source or folder.resolve().name
    n_process = n_process or get_settings().load_process_count
    rejects = rejects or RejectLog()
    summary = new_summary(rejects)
    known: set[str] = set()
    if (folder / "employers.csv").exists():
        known = load_employers_file(db, folder / "employers.csv", rejects, summary)
    for name in ("offers.json", "offers.csv", "offers.jsonld"):
        if (folder / name).exists():
            load_offers(db, folder / name, rejects, progress, known, summary, n_process)
    applicants = _applicants(folder / "applications.csv", source)
    profiles = [folder / name for name in PROFILE_FILES if (folder / name).exists()]
    if (folder / "cvs").is_dir():
        profiles.append(folder / "cvs")
    if profiles:
        load_cvs(db, profiles, source, rejects, progress, summary, applicants, n_process)
    if (folder / "applications.csv").exists():
        load_history(db, folder / "applications.csv", source, rejects, progress, summary)
    return summary


def _applicants(applications: Path, source: str) -> set[str]:
    """Candidate ids that applications.csv refers to: their profiles load even when empty (a sparse profile)."""
    from loaders.history import read_applications

    return {a.candidate_id for _, a in read_applications(applications, source)[0]} if applications.exists() else set()


def _advance(progress: Progress | None, label: str, total: int) -> Callable[[int], None] | None:
    if progress is None:
        return None
    task = progress.add_task(label, total=total)
    return lambda done: progress.advance(task, done)
