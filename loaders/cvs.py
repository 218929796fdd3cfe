"""CVs: JSON Resume, PDF, DOCX and plain text, to pseudonymised `CandidateRecord`s. `parse_cv` needs no
database: the API calls it on uploads."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loaders.pseudonym import candidate_id, scrub
from loaders.records import CandidateRecord, ExperienceRecord, RecordError, SkillMention
from loaders.statutory import PRIVATE_SECTOR, statutory_facts
from loaders.values import departement_from_text, employer_kind_of, parse_date
from ontology.text import fold_compat
from vivier.settings import Settings, get_settings

if TYPE_CHECKING:
    from loaders.nlp import TextAnalyzer

# The CV files Vivier reads, loaded from folders (graph.writes) or uploaded (api.routers.candidates).
CV_SUFFIXES = (".json", ".pdf", ".docx", ".txt", ".text", ".md")
DATE_RANGE = re.compile(
    r"(?P<start>(?:\d{1,2}/)?\d{4})\s*(?:-|–|—|à|au|to)\s*(?P<end>(?:\d{1,2}/)?\d{4}|aujourd'hui|ce jour|"
    r"pr[ée]sent|en cours|actuel(?:lement)?)\s*[:,\-–—]?\s*(?P<position>[^\n]{3,120})",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Place:
    """Where the person lives as a JSON Resume states it (`basics.location`); free-text CVs state it in the text."""

    postal: str | None = None
    city: str | None = None
    region: str | None = None  # JSON Resume `location.region`: a région, or a département (tabular exports)

    @property
    def departement(self) -> str | None:
        return departement_from_text(self.region) if self.region else None

    def __bool__(self) -> bool:
        return bool(self.postal or self.city or self.region)


@dataclass(frozen=True)
class CvLimits:
    """What an uploaded CV may weigh: bytes, PDF pages and decoded stream size, DOCX uncompressed size and ratio.
    A hostile file is refused before its text is read in full, so memory stays bounded (docs/api.md, Limits)."""

    max_bytes: int
    max_pages: int
    max_uncompressed_bytes: int
    max_compression_ratio: int
    max_pdf_stream_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> CvLimits:
        s = settings or get_settings()
        return cls(
            s.cv_max_bytes,
            s.cv_max_pages,
            s.cv_max_uncompressed_bytes,
            s.cv_max_compression_ratio,
            s.cv_max_pdf_stream_bytes,
        )


class EmptyProfile(RecordError):
    """A CV with no readable text and no place. It still loads, as a sparse profile, when the candidate has a
    history (`vivier.ingest` knows the applications; `parse_cv` does not)."""

    def __init__(self, reason: str, candidate_id: str) -> None:
        super().__init__("text", reason)
        self.candidate_id = candidate_id


# Fewer words of prose than this (titles and place aside) make a profile sparse.
SPARSE_WORDS = 12


class CvLimitExceeded(RecordError):
    """A CV over one of `CvLimits`; `limit` names the setting (the API answers 413)."""

    def __init__(self, limit: str, reason: str) -> None:
        super().__init__("file", reason)
        self.limit = limit


NAME_LINE = re.compile(r"^[A-ZÉÈÀ][\w'’\-]+(?:\s+[A-ZÉÈÀ][\w'’\-]+){1,3}$")


def parse_cv(
    data: bytes,
    filename: str,
    source: str = "upload",
    analyzer: TextAnalyzer | None = None,
    limits: CvLimits | None = None,
) -> CandidateRecord:
    """One CV file's bytes to a pseudonymised candidate. `source` scopes the pseudonym: applications that refer
    to the same `candidate_ref` from the same source get the same id. Raises RecordError on unreadable input,
    CvLimitExceeded on a file over the limits (the settings' by default)."""
    from loaders.nlp import default_analyzer

    limits = limits or CvLimits.from_settings()
    if len(data) > limits.max_bytes:
        raise CvLimitExceeded(
            "cv_max_bytes", f"the file is {len(data):,} bytes, over the limit of {limits.max_bytes:,}"
        )
    suffix = Path(filename).suffix.lower()
    text = "" if suffix == ".json" else _text_of(data, suffix, limits)  # limits checked before the NLP loads
    analyzer = analyzer or default_analyzer()
    if suffix == ".json":
        resume = _json(data)
        text, names, positions, declared, place = _resume_parts(resume)
        ref = _resume_ref(resume, filename)
        prose = _resume_prose(resume)
    else:
        names, positions, declared, place = _heading_names(text), _dated_positions(text), "", Place()
        ref = Path(filename).stem
        prose = text
    if not text.strip() and not place:
        raise EmptyProfile(
            "the CV has no readable text and no place (a scanned PDF needs OCR first)", candidate_id(source, ref)
        )
    persons = _ner_persons(text) if text.strip() else []
    cv_text = scrub(text, names, persons)
    names = [*names, *persons]
    record = CandidateRecord(candidate_id=candidate_id(source, ref), source=source, cv_text=cv_text)
    record.sparse_profile = len(prose.split()) < SPARSE_WORDS
    _understand(record, text, positions, declared, place, names, analyzer)
    return record


def sparse_candidate(candidate: str, source: str) -> CandidateRecord:
    """A candidate known only by their history: an empty profile whose applications are the only signal."""
    return CandidateRecord(candidate_id=candidate, source=source, cv_text="", sparse_profile=True)


def candidate_ref_of(data: bytes, filename: str) -> str:
    """The exporter's reference of a CV (JSON Resume `meta.candidate_ref`, else the file name without extension)."""
    if Path(filename).suffix.lower() == ".json":
        try:
            return _resume_ref(_json(data), filename)
        except RecordError:
            pass
    return Path(filename).stem


def _json(data: bytes) -> dict[str, Any]:
    try:
        resume = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise RecordError("file", f"not UTF-8 ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise RecordError("file", f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise RecordError("file", "invalid JSON: nested too deeply") from None
    if not isinstance(resume, dict):
        raise RecordError("file", f"a JSON Resume is an object, got {type(resume).__name__}")
    return resume


def _resume_ref(resume: dict[str, Any], filename: str) -> str:
    meta = resume.get("meta")
    ref = meta.get("candidate_ref") if isinstance(meta, dict) else None
    if ref is not None and not isinstance(ref, str | int):
        raise RecordError("meta.candidate_ref", f"expected text, got {type(ref).__name__}")
    return str(ref) if ref not in (None, "") else Path(filename).stem


def _resume_parts(resume: dict[str, Any]) -> tuple[str, list[str], list[dict[str, Any]], str, Place]:
    """Text to understand, the person's names, work steps, declared skills and place of a JSON Resume."""
    basics = _obj(resume, "basics")
    location = _obj(basics, "location")
    names = [basics["name"]] if isinstance(basics.get("name"), str) else []
    work = _list(resume, "work")
    parts = [str(basics.get("label") or ""), str(basics.get("summary") or "")]
    for number, step in enumerate(work):
        if not isinstance(step, dict):
            raise RecordError(f"work[{number}]", f"expected an object, got {type(step).__name__}")
        highlights = step.get("highlights") or []
        if not isinstance(highlights, list):
            raise RecordError(f"work[{number}].highlights", "expected a list")
        parts += [str(step.get("position") or ""), str(step.get("name") or ""), str(step.get("summary") or "")]
        parts += [str(h) for h in highlights]
    for study in _list(resume, "education"):
        if isinstance(study, dict):
            parts.append(" ".join(str(study.get(k) or "") for k in ("studyType", "area", "institution")))
    declared = []
    for skill in _list(resume, "skills"):
        if isinstance(skill, dict):
            found = skill.get("keywords")
            keywords: list[Any] = found if isinstance(found, list) else []
            declared.append(", ".join([str(skill.get("name") or ""), *map(str, keywords)]))
    text = "\n".join(p for p in parts if p.strip())
    place = Place(
        str(location.get("postalCode") or "") or None,
        str(location.get("city") or "").strip() or None,
        str(location.get("region") or "").strip() or None,
    )
    return text, names, [w for w in work if isinstance(w, dict)], "\n".join(declared), place


def _resume_prose(resume: dict[str, Any]) -> str:
    """What a JSON Resume says beyond job titles, employers' names and place: summaries, highlights, studies,
    skills. A profile with little of it is sparse."""
    parts = [str(_obj(resume, "basics").get("summary") or "")]
    for step in _list(resume, "work"):
        if isinstance(step, dict):
            parts += [str(step.get("summary") or ""), *map(str, step.get("highlights") or [])]
    for key in ("education", "skills"):
        for item in _list(resume, key):
            if isinstance(item, dict):
                parts += [str(v) for v in item.values() if isinstance(v, str)]
                parts += [str(k) for k in item.get("keywords") or [] if isinstance(item.get("keywords"), list)]
    return " ".join(p for p in parts if p.strip())


def _obj(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key) or {}
    if not isinstance(value, dict):
        raise RecordError(key, f"expected an object, got {type(value).__name__}")
    return value


def _list(parent: dict[str, Any], key: str) -> list[Any]:
    value = parent.get(key) or []
    if not isinstance(value, list):
        raise RecordError(key, f"expected a list, got {type(value).__name__}")
    return value


def _text_of(data: bytes, suffix: str, limits: CvLimits | None = None) -> str:
    limits = limits or CvLimits.from_settings()
    if suffix == ".pdf":
        return _pdf_text(data, limits)
    if suffix == ".docx":
        _check_zip(data, limits)
        return _docx_text(data)
    if suffix in (".txt", ".text", ".md"):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="replace")  # old Windows exports; every byte maps in cp1252
    raise RecordError("file", f"unsupported CV format {suffix!r} (expected {', '.join(CV_SUFFIXES)})")


def _pdf_text(data: bytes, limits: CvLimits) -> str:
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PyPdfError

    stream_limit = limits.max_pdf_stream_bytes
    # pypdf's own guards, at our limit: every decoded stream (content streams, object streams, images) stops
    # inflating at `stream_limit` bytes with LimitReachedError instead of growing in memory.
    with apply_configuration(
        maximum_declared_stream_length=stream_limit,
        zlib_maximum_output_length=stream_limit,
        lzw_maximum_output_length=stream_limit,
        run_length_maximum_output_length=stream_limit,
        array_based_stream_maximum_output_length=stream_limit,
        stream_decoding_work_maximum_length=stream_limit,
        image_maximum_buffer_size=stream_limit,
    ):
        try:
            reader = PdfReader(io.BytesIO(data))
            pages = len(reader.pages)
            if pages > limits.max_pages:
                raise CvLimitExceeded(
                    "cv_max_pages", f"the PDF has {pages} pages, over the limit of {limits.max_pages}"
                )
            texts = []
            for page in reader.pages:
                page.get_contents()  # decoded here, where a stream over the limit raises; extract_text hides it
                texts.append(page.extract_text() or "")
            return "\n".join(texts)
        except CvLimitExceeded:
            raise
        except LimitReachedError as error:
            raise CvLimitExceeded(
                "cv_max_pdf_stream_bytes", f"a PDF stream decodes to more than {stream_limit:,} bytes ({error})"
            ) from None
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as error:
            raise RecordError("file", f"corrupt or unreadable PDF: {error}") from None


def _check_zip(data: bytes, limits: CvLimits) -> None:
    """A DOCX's zip members as declared in its central directory: their total uncompressed size and each one's
    compression ratio. zipfile never inflates a member past its declared size, so checking the declarations
    bounds what python-docx can unpack."""
    import zipfile

    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise RecordError("file", f"corrupt or unreadable DOCX: {error}") from None
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_bytes:
        raise CvLimitExceeded(
            "cv_max_uncompressed_bytes",
            f"the DOCX unpacks to {total:,} bytes, over the limit of {limits.max_uncompressed_bytes:,}",
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > limits.max_compression_ratio:
            raise CvLimitExceeded(
                "cv_max_compression_ratio",
                f"DOCX member {member.filename!r} inflates {ratio:,.0f} times, over the limit of "
                f"{limits.max_compression_ratio}",
            )


def _docx_text(data: bytes) -> str:
    from zipfile import BadZipFile

    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (BadZipFile, KeyError, ValueError, OSError) as error:
        raise RecordError("file", f"corrupt or unreadable DOCX: {error}") from None
    except Exception as error:  # python-docx raises its own PackageNotFoundError and lxml errors
        raise RecordError("file", f"corrupt or unreadable DOCX: {type(error).__name__}: {error}") from None
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(lines)


def _heading_names(text: str) -> list[str]:
    """A CV usually opens with the person's name: the first short line made of capitalised words."""
    for line in text.splitlines()[:5]:
        line = line.strip()
        if line and NAME_LINE.match(line) and not re.search(r"\d|curriculum|cv\b", line, re.IGNORECASE):
            return [line]
    return []


def _ner_persons(text: str) -> list[str]:
    from loaders.nlp import ner_pipeline

    doc = ner_pipeline()(text[:20000])
    # One-word PER entities are mostly capitalised job titles ("Infirmière"); a person has a first and last name.
    return [e.text for e in doc.ents if e.label_ == "PER" and len(e) >= 2 and all(t.text[:1].isupper() for t in e)]


def _dated_positions(text: str) -> list[dict[str, Any]]:
    """Career steps of a free-text CV: lines such as "2015 - 2020 : Gestionnaire RH, Mairie de X"."""
    steps = []
    for match in DATE_RANGE.finditer(text):
        end = match.group("end")
        steps.append(
            {
                "position": match.group("position").strip(),
                "startDate": _year(match.group("start")),
                "endDate": _year(end) if end[0].isdigit() else None,
            }
        )
    return steps


def _year(value: str) -> str:
    if "/" in value:
        month, year = value.split("/")
        return f"{year}-{int(month):02d}"
    return value


def _understand(
    record: CandidateRecord,
    text: str,
    positions: list[dict[str, Any]],
    declared: str,
    place: Place,
    names: list[str],
    analyzer: TextAnalyzer,
) -> None:
    from loaders.values import departement_from_postal_code

    analysis, declared_analysis = list(analyzer.analyse([record.cv_text, scrub(declared, names)]))
    facts = statutory_facts(text)  # the original text: the postal code is gone from cv_text
    grade_facts = analysis.facts
    record.skills = analysis.skills
    known = {m.uri for m in record.skills}
    record.skills += [
        SkillMention(m.uri, m.text, m.start, m.end, m.confidence, "declared")
        for m in declared_analysis.skills
        if m.uri not in known
    ]
    record.versant = grade_facts.versant or facts.versant
    record.categorie = grade_facts.categorie or facts.categorie
    record.filiere = grade_facts.filiere or facts.filiere
    record.titulaire = {"titulaire": True, "contractuel": False}.get(facts.contract or "")
    if record.titulaire is None and PRIVATE_SECTOR.search(fold_compat(text)):
        record.titulaire = False  # a private-sector employee is not a titulaire
    record.education_level = facts.education_level
    record.grade_uri, record.echelon = grade_facts.grade_uri, facts.echelon
    record.departement = (
        (departement_from_postal_code(place.postal) if place.postal else None) or place.departement or facts.departement
    )
    record.commune = place.city or facts.commune
    record.experiences = _experiences(positions, names, analyzer)
    record.years_experience = facts.years_experience or _years_from(record.experiences)


def _experiences(positions: list[dict[str, Any]], names: list[str], analyzer: TextAnalyzer) -> list[ExperienceRecord]:
    steps = []
    for number, step in enumerate(positions):
        position = step.get("position")
        if not isinstance(position, str) or not position.strip():
            continue
        start = parse_date(step.get("startDate"), f"work[{number}].startDate")
        end = parse_date(step.get("endDate"), f"work[{number}].endDate")
        summary = " ".join([str(step.get("summary") or ""), *map(str, step.get("highlights") or [])])
        employer = str(step.get("name") or position)  # free-text CVs: "Infirmière, CHU de Brest"
        experience = ExperienceRecord(scrub(position, names), 0, start, end, employer_kind_of(employer))
        steps.append((start or "", experience, summary))
    steps.sort(key=lambda s: s[0], reverse=True)  # order 0 = the most recent step
    experiences = [e for _, e, _ in steps]
    if experiences:
        classified = analyzer.occupations.classify([s for _, _, s in steps], [e.position for e in experiences])
        for order, (experience, occupations) in enumerate(zip(experiences, classified, strict=True)):
            experience.order = order
            experience.occupations = occupations
    return experiences


def _years_from(experiences: list[ExperienceRecord]) -> float | None:
    total = 0.0
    for e in experiences:
        if e.start:
            end = _as_date(e.end) if e.end else date.today()
            total += max(0, (end - _as_date(e.start)).days) / 365.25
    return round(total, 1) if total else None


def _as_date(value: str) -> date:
    """yyyy, yyyy-mm or yyyy-mm-dd (JSON Resume allows all three) as a date."""
    return date.fromisoformat((value + "-01-01")[:10] if len(value) == 4 else (value + "-01")[:10])
