"""CVs: JSON Resume, PDF, DOCX and plain text, to pseudonymised `CandidateRecord`s. `parse_cv` needs no
database: the API calls it on uploads."""

from __future__ import annotations

import bisect
import functools
import io
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loaders.cv_status import (
    ECHELON_PLACE,
    TITULAIRE,
    detached_grade,
    grade_in_categorie,
    grade_in_versant,
    ministry_grade_corps,
    named_cadre,
    stated_categorie,
    status_text,
    title_versant,
    unique_grade_versant,
)
from loaders.cv_status import grade_facts as grade_facts_of
from loaders.pseudonym import candidate_id, scrub
from loaders.records import (
    CandidateRecord,
    ExperienceRecord,
    RecordError,
    SkillMention,
    StatutoryFacts,
    TextAnalysis,
)
from loaders.statutory import PRIVATE_SECTOR, corps_facts, is_cadre_name, reformed_categorie, statutory_facts
from loaders.values import FIRST_YEAR, departement_from_text, employer_kind_of, opens_with_employer, parse_date
from ontology.text import fold_compat
from vivier.settings import Settings, get_settings

if TYPE_CHECKING:
    from loaders.nlp import TextAnalyzer
    from ontology.catalogue import Catalogue

# The CV files Vivier reads, loaded from folders (graph.writes) or uploaded (api.routers.candidates).
CV_SUFFIXES = (".json", ".pdf", ".docx", ".txt", ".text", ".md")
# A month as CVs write it before a year: "09/2018", "sept. 2012", "mars 2022".
# A whole month word: « e-mailing\n\n2017 – 2019 » is no May.
_MONTH = (
    r"(?:\d{1,2}[/.](?=\d{4})|(?<![\w-])(?:janv(?:ier)?|f[ée]vr?(?:ier)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|ao[uû]t|"
    r"sept?(?:embre)?|oct(?:obre)?|nov(?:embre)?|d[ée]c(?:embre)?"
    # English CVs (an international applicant's): « Since March 2022 », « Sept. 2015 – June 2017 »
    r"|jan(?:uary)?|feb(?:ruary)?|march|apr(?:il)?|may|june|july|aug(?:ust)?|september|october|november|december)"
    r"\.?\s+)?"
)
# Still in post: "aujourd'hui", "auj.", "à ce jour", "présent", "en cours"…
_ONGOING = (
    r"aujourd'hui|aujourd’hui|auj(?:\.|\b)|(?:a|à)\s+ce\s+jour|ce\s+jour|pr[ée]sent|en\s+cours|actuel(?:lement)?|en\s+poste"
    r"|…|\.\.\."
    r"|(?<=→)(?=\s)"  # « 2017 →  Inspectrice du travail »: an arrow to nothing is a step still held
    r"|(?<=[–—])(?=[ \t]{2,}\S)"  # « 03/2019 –     Instructrice naturalisations »: so is a dash to a gap
)
DATE_RANGE = re.compile(
    r"(?P<start>" + _MONTH + r"\d{4})\s*(?:-|–|—|/|à|au|to|→|->|>)\s*(?P<end>" + _MONTH + r"\d{4}|" + _ONGOING + r")"
    r"[\])]?\s*[:,\-–—|]?\s*(?P<position>[^\n]{3,120})",
    re.IGNORECASE,
)
# "depuis 2020 : Gestionnaire…", "Depuis sept. 2019 — Cheffe…": a step that has not ended.
SINCE = re.compile(
    r"\b(?:depuis|since)\s+(?:le\s+\d{1,2}(?:er)?(?:\s+|/(?=\d))|la\s+rentr[ée]e\s+(?:de\s+)?)?(?P<start>"
    + _MONTH
    + r"\d{4})[\])]?\s*[:,\-–—|]?\s*(?P<position>[^\n]{3,120})",
    re.IGNORECASE,
)
MONTHS = {"jan": 1, "fev": 2, "feb": 2, "mar": 3, "avr": 4, "mai": 5, "jui": 7, "aou": 8, "sep": 9, "oct": 10}
MONTHS |= {"nov": 11, "dec": 12, "juin": 6, "apr": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "aug": 8}
# A word cut at a line end by the PDF's or the typist's hyphen ("suivi de l'exécution finan-\ncière").
CUT_WORD = re.compile(r"(?<=[a-zà-ÿ])-[ \t]*\n[ \t]*(?=[a-zà-ÿ])")


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


# words one or two spaces apart: three or more are a column gap (« Adrien DELAPORTE      Masseur-kinésithérapeute »)
NAME_LINE = re.compile(r"^[A-ZÉÈÀ][\w'’\-]+(?:\s{1,2}[A-ZÉÈÀ][\w'’\-]+){1,3}$")


Step = tuple[str, ExperienceRecord, str]  # start date (sort key), the experience, its summary


@dataclass(frozen=True)
class CvReading:
    """A CV file read but not understood yet: its reference, text, the person's names it states, its work steps,
    its declared skills and its place."""

    ref: str
    text: str
    names: list[str]
    positions: list[dict[str, Any]]
    declared: str
    place: Place
    steps: list[Step]  # work steps, positions not scrubbed yet (the NER's names are not known yet)
    prose: str  # what it says beyond job titles, employers and place (little of it: a sparse profile)
    free_text: bool = True  # PDF, DOCX or text; False for a JSON Resume, whose parts are structured


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
    result = parse_cvs([(data, filename)], source, analyzer, limits)[0]
    if isinstance(result, RecordError):
        raise result
    return result


def parse_cvs(
    files: Sequence[tuple[bytes, str]],
    source: str = "upload",
    analyzer: TextAnalyzer | None = None,
    limits: CvLimits | None = None,
) -> list[CandidateRecord | RecordError]:
    """Many CV files (bytes, file name) at once, in order: each one's candidate, or the RecordError that refuses
    it. The same records as `parse_cv` file by file; the statistical steps (person names, skills, occupations)
    run once over the whole batch, which is what makes a large load fast (docs/ingestion.md, *Speed*)."""
    from loaders.nlp import default_analyzer

    limits = limits or CvLimits.from_settings()
    readings: list[CvReading | RecordError] = []
    for data, filename in files:
        try:
            readings.append(read_cv(data, filename, source, limits))  # limits checked before the NLP loads
        except RecordError as error:
            readings.append(error)
    read = [r for r in readings if isinstance(r, CvReading)]
    if not read:
        return [r for r in readings if isinstance(r, RecordError)]  # all of them: nothing could be read
    understood = iter(_understand_all(read, source, analyzer or default_analyzer()))
    return [r if isinstance(r, RecordError) else next(understood) for r in readings]


# CVs per batch of the statistical steps; a worker process takes one batch at a time.
CV_BATCH = 128


def parse_cv_files(
    documents: Iterable[tuple[bytes, str]], source: str, analyzer: TextAnalyzer, n_process: int = 1
) -> Iterator[list[CandidateRecord | RecordError]]:
    """CV documents (bytes, file name) in batches of `CV_BATCH`, in order, each batch as `parse_cvs` returns it.
    With `n_process` > 1 the batches are read in forked workers, which inherit the built analyzer and NER instead
    of reloading them (`loaders.forked`); a few batches at most are in flight, so memory stays bounded however many
    CVs come."""
    from loaders.forked import forked_map
    from loaders.nlp import ner_pipeline

    limits = CvLimits.from_settings()
    chunks = _chunks(documents, CV_BATCH)
    head = list(itertools.islice(chunks, 2))
    if len(head) < 2:  # one batch: not worth a fork
        n_process = 1
    elif n_process > 1:
        ner_pipeline()  # loaded once here, shared by the forked workers
    batches = itertools.chain(head, chunks)
    yield from forked_map(_parse_batch, (source, analyzer, limits), batches, n_process, "reading CVs")


def _chunks(documents: Iterable[tuple[bytes, str]], size: int) -> Iterator[list[tuple[bytes, str]]]:
    iterator = iter(documents)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _parse_batch(
    reader: tuple[str, TextAnalyzer, CvLimits], batch: list[tuple[bytes, str]]
) -> list[CandidateRecord | RecordError]:
    source, analyzer, limits = reader
    return parse_cvs(batch, source, analyzer, limits)


def read_cv(data: bytes, filename: str, source: str, limits: CvLimits) -> CvReading:
    """The text and the structured parts of one CV file; raises RecordError (CvLimitExceeded on a file over the
    limits, EmptyProfile on one with neither text nor place)."""
    if len(data) > limits.max_bytes:
        raise CvLimitExceeded(
            "cv_max_bytes", f"the file is {len(data):,} bytes, over the limit of {limits.max_bytes:,}"
        )
    suffix = Path(filename).suffix.lower()
    if suffix == ".json":
        resume = _json(data)
        text, names, positions, declared, place = _resume_parts(resume)
        ref = _resume_ref(resume, filename)
        prose = _resume_prose(resume)
    else:
        text = CUT_WORD.sub("", _text_of(data, suffix, limits))
        names, positions, declared, place = _heading_names(text), _dated_positions(text), "", Place()
        ref = Path(filename).stem
        prose = text
    if not text.strip() and not place:
        raise EmptyProfile(
            "the CV has no readable text and no place (a scanned PDF needs OCR first)", candidate_id(source, ref)
        )
    return CvReading(ref, text, names, positions, declared, place, _steps(positions), prose, suffix != ".json")


def _understand_all(readings: list[CvReading], source: str, analyzer: TextAnalyzer) -> list[CandidateRecord]:
    persons = _ner_persons_many([r.text for r in readings])
    records, declared = [], []
    for reading, found in zip(readings, persons, strict=True):
        cv_text = scrub(reading.text, reading.names, found)
        record = CandidateRecord(candidate_id=candidate_id(source, reading.ref), source=source, cv_text=cv_text)
        record.sparse_profile = len(reading.prose.split()) < SPARSE_WORDS
        records.append(record)
        # persons found by NER, less certain, go as whole phrases: « SARL Menuiserie Lachaud » is no reason to remove
        # « menuiserie » from the job titles
        declared.append(scrub(reading.declared, reading.names, found))
    statuses = [status_text(r.text) if r.free_text else "" for r in readings]
    # No occupations of the whole texts: a candidate's occupations are those of their steps (`_classify_steps`).
    analyses = list(analyzer.analyse([r.cv_text for r in records] + declared + statuses, occupations=False))
    for reading, found in zip(readings, persons, strict=True):
        for _, experience, _ in reading.steps:
            experience.position = scrub(experience.position, reading.names, found)
    _classify_steps([r.steps for r in readings], analyzer)
    for number, (record, reading) in enumerate(zip(records, readings, strict=True)):
        status = analyses[2 * len(records) + number]
        _understand(record, reading, analyses[number], analyses[len(records) + number], status, analyzer)
        record.experiences = [experience for _, experience, _ in reading.steps]
        record.years_experience = record.years_experience or _years_from(record.experiences)
    return records


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
    """A CV usually opens with the person's name: the first short line made of capitalised words, or the first
    part of such a line when a PDF merged it with a second column or a phone ("Brigitte VAYSSE - 06 88 …")."""
    for line in text.splitlines()[:5]:
        line = CV_PREFIX.sub("", line)  # « CV – Thomas LE GUERN »
        for part in [line.strip(), re.split(r"\s{3,}|\t|\s[-–|·]\s", line.strip())[0]]:
            # « CADRE DE SANTÉ – FPH », « POLICE MUNICIPALE »: a title, not a name
            named = part and NAME_LINE.match(part) and not re.search(r"\d|curriculum|cv\b", part, re.IGNORECASE)
            if named and not is_cadre_name(part):
                return [part]
    return []


CV_PREFIX = re.compile(r"^\s*(?:cv|curriculum vitae)\s*[-–—:|·]\s*(?=\S)", re.IGNORECASE)


# A line where a person's name may stand: two capitalised words in a row. Only such lines go through the
# statistical NER, whose person entities are kept only when they are two or more capitalised words: the same names
# for a twentieth of the text (docs/ingestion.md, *Speed*).
NAME_LIKE = re.compile(r"[A-ZÀ-ÖØ-Þ][\w'’\-]+[ \t]+[A-ZÀ-ÖØ-Þ][\w'’\-]+")


def _ner_persons_many(texts: list[str]) -> list[list[str]]:
    """Person names found by the statistical NER in each text (its first 20,000 characters)."""
    from loaders.nlp import ner_pipeline

    lines = [[line for line in text[:20000].splitlines() if NAME_LIKE.search(line)] for text in texts]
    docs = iter(ner_pipeline().pipe((line for text_lines in lines for line in text_lines), batch_size=256))
    # One-word PER entities are mostly capitalised job titles ("Infirmière"); a person has a first and last name.
    return [
        [
            e.text
            for _ in text_lines
            for e in next(docs).ents
            if e.label_ == "PER" and len(e) >= 2 and all(t.text[:1].isupper() for t in e) and not _titled_job(e.text)
        ]
        for text_lines in lines
    ]


# The acronyms job titles end with (« Mécanicien VL », « Chauffeur PL », « Technicien SIC »), which the NER takes for
# a surname in capitals: with a job word before them, such a pair is a job, not a person.
JOB_ACRONYMS = frozenset({"VL", "TP", "VRD", "SIC", "SI", "SSIAP", "BTP"})  # and those of `JOB_ABBREVIATIONS`
JOB_WORD = re.compile(
    r"(?i)^(?:m[ée]canicien|chauffeur|conducteur|technicien|agent|infirmi[eè]re?|op[ée]rateur|ouvrier|adjoint"
    r"|responsable|charg[ée]e?|gestionnaire|assistante?)(?:ne|se)?$"
)


def _titled_job(entity: str) -> bool:
    words = entity.split()
    acronym = len(words) == 2 and (words[1] in JOB_ACRONYMS or words[1] in JOB_ABBREVIATIONS)
    return (acronym and JOB_WORD.match(words[0]) is not None) or _opens_with_firm(words[0])


def _opens_with_firm(first: str) -> bool:
    """« Cabinet Diag'Ouest », « Garage Moreau SAS », « Transports Gaudin »: a firm the NER took for a person, by its
    first word. Not a job's first word: first names and surnames are jobs too (« Marin », « Boulanger »)."""
    return fold_compat(first).strip(".,;:'’") in FIRM_WORDS


FIRM_WORDS = frozenset(
    {"cabinet", "garage", "sarl", "sas", "sa", "eurl", "societe", "transports", "menuiserie", "etablissements", "ets"}
    | {"groupe", "agence", "boulangerie", "pharmacie", "clinique", "laboratoire", "entreprise", "atelier", "maison"}
)


def _dated_positions(text: str) -> list[dict[str, Any]]:
    """Career steps of a free-text CV: lines such as "2015 - 2020 : Gestionnaire RH, Mairie de X", "2019 – auj.
    Agent…", "depuis 2021 : …". When the date line names only the employer and the next line the job (a PDF's
    layout: "Depuis 2018 – CHU de Brest" / "Infirmière en soins généraux"), the next line is the position."""
    steps, taken = _table_steps(text)
    for match in [*_matches(DATE_RANGE, text), *_matches(SINCE, text)]:
        if any(start <= match.start() < end for start, end in taken):
            continue
        if match.re is SINCE and HELD_SINCE.search(fold_compat(text[max(0, match.start() - 40) : match.start()])):
            continue  # « titulaire depuis 2017 », « ETAPS ppal 1re cl. depuis 2020 »: a status held, no step
        if _in_bracketed_note(text, match.start()) or _on_a_status_field(text, match.start()):
            continue  # « (contractuelle de 2017 à 2019, stagiaire en 2019, puis titulaire) »: about the step above
        if _inside_a_task(text, match) or _inside_a_sentence(text, match):
            continue  # « • Élaboration du PLPDMA 2021-2026 et suivi de ses indicateurs »: a programme's years
        end = match.groupdict().get("end")
        date_end = _date_end(match)
        # the job is on the date's line, or above it or before it when the date ends its line: a sentence on the
        # next line (« Je conseille les particuliers… ») is a description, not a gap in the career
        on_line = "\n" not in text[date_end : match.start("position")]
        if _schooling(text, match) or _ends_in_future(match) or (on_line and NO_JOB.match(match.group("position"))):
            continue
        # a position read from the next line is not this step's alone: that line may hold the next step's dates
        taken.append((match.start(), match.end() if on_line else date_end))
        position = (
            _position_before(text, match)
            or _position_above(text, match)
            or _position_of(match.group("position"), text[match.end() :])
        )
        if NO_JOB.match(position):
            continue  # « 2016 – 2019 » / « Congé parental »: the gap is on the next line
        summary = _description_after(text, match.end() if position in match.group() else date_end)
        steps.append(
            {
                "position": position,
                "startDate": _year(match.group("start")),
                "endDate": _year(end) if end and end[-1].isdigit() else None,
                "summary": summary,
                # the employer, for the versant: the position's, else the line under it (« DSDEN du Rhône – … »)
                "name": position if employer_kind_of(position) or not summary else summary.split("\n")[0][:120],
            }
        )
    found = steps + _year_span_steps(text, taken) + _year_margin_steps(text, taken)
    return [step for step in found if not _before_careers(step)]


def _before_careers(step: dict[str, Any]) -> bool:
    """A step read with a year no record accepts (« porcelaines du Limousin, 1770-1870 »): the text's misreading,
    dropped rather than the whole CV refused by the record's date check (`loaders.values.parse_date`)."""
    years = [str(step.get(key) or "")[:4] for key in ("startDate", "endDate")]
    return any(year.isdigit() and int(year) < FIRST_YEAR for year in years)


def _in_bracketed_note(text: str, at: int) -> bool:
    """Whether `at` is inside a bracket that opens its line after words (not a bracketed date alone: « (2016 –
    2021) »), or inside a bracket on a task's line, or inside a bracket that opens on a contract or a status
    (« CDI de droit public depuis avril 2024 (CDD de 2021 à 2024) »)."""
    before = text[text.rfind("\n", 0, at) + 1 : at]
    # or on a task's line (« - Participation aux audits internes (référente qualité depuis 2020) »)
    opening = re.match(r"\s*\(\s*\S", before) or re.match(r"\s*[-•*·–]\s.*\(", before)
    bracket = before[before.rfind("(") :] if "(" in before else ""
    status_note = STATUS_NOTE.match(fold_compat(bracket)) is not None
    return (opening is not None or status_note) and ")" not in bracket


STATUS_NOTE = re.compile(r"\(\s*(?:cd[di]|contractuel|stagiaire|titulaire|vacataire|detache|en disponibilite)")
# « Statut : … », « Position : en disponibilité … depuis le 01/01/2025 », « Affectation : CIO de Vannes … depuis la
# rentrée 2019 »: a heading's field, whose dates the career below gives as its steps
STATUS_FIELD = re.compile(
    r"^[ \t]*(?:statut|situation(?: administrative| actuelle)?|position(?: administrative| statutaire)?|affectation"
    r"|grade|corps|objet)[ \t]*:",
    re.IGNORECASE,
)


def _on_a_status_field(text: str, at: int) -> bool:
    return STATUS_FIELD.match(text[text.rfind("\n", 0, at) + 1 : at]) is not None


def _inside_a_task(text: str, match: re.Match[str]) -> bool:
    """Whether the dates sit inside a task's sentence: their line opens with a bullet and words, and the sentence
    goes on in lower case after them on the same line (a step listed as a bullet opens with its dates, or goes on
    with its employer's capital)."""
    before = text[text.rfind("\n", 0, match.start()) + 1 : match.start()]
    same_line = "\n" not in text[_date_end(match) : match.start("position")]
    return same_line and match.group("position")[:1].islower() and TASK_OPENING.match(before) is not None


def _inside_a_sentence(text: str, match: re.Match[str]) -> bool:
    """Whether the dates are a sentence's, not a step's: the words after them follow with no separator and open with
    a small word of prose (« j'enseigne / depuis 2020 la maintenance automobile aux élèves de CAP »)."""
    gap = text[_date_end(match) : match.start("position")]
    return "\n" not in gap and not gap.strip(" \t") and PROSE_WORD.match(match.group("position")) is not None


PROSE_WORD = re.compile(r"(?:la|le|les|l['’]|au|aux|à|dans|en|pour|chez|avec|sur|un|une|des|du|de|d['’]|et|où)\b")
TASK_OPENING = re.compile(r"\s*[-•*·–▪►>✓]\s+[^\W\d_]")


# « 2005 (6 mois)   Aide-électricien en intérim – Adecco », « 2024 (6 mois) » / « Stage de fin d'études – … »: a step
# within one year, given by its length; the position on the line or, when the line holds only the date, under it.
YEAR_SPAN = re.compile(
    r"^[ \t]*(?P<start>(?:19|20)\d\d)[ \t]*\([ \t]*\d+[ \t]*(?:mois|semaines?)[ \t]*\)[ \t:–—-]*(?P<position>[^\n]*)$",
    re.MULTILINE | re.IGNORECASE,
)


def _year_span_steps(text: str, taken: list[tuple[int, int]]) -> list[dict[str, Any]]:
    steps = []
    for match in YEAR_SPAN.finditer(text):
        if any(start <= match.start() < end for start, end in taken) or _under_education(text, match.start()):
            continue
        position = match.group("position").strip() or text[match.end() + 1 :].split("\n", 1)[0].strip()
        if len(position) < 3 or NO_JOB.match(position):
            continue
        taken.append((match.start(), match.end()))
        summary = _description_after(text, match.end() if match.group("position").strip() else match.end() + 1)
        year = match.group("start")
        steps.append({"position": position, "startDate": year, "endDate": year, "summary": summary, "name": position})
    return steps


# A table of steps with a header row, cells between « | » (a form-like CV; a DOCX's tables come out so): each column
# by its header's first word(s), each row a step (« 2011 | 2015 | Ville de Béziers – garage municipal | Mécanicien VL |
# contractuel, stagiaire en 2012 »). The row's dates go by the columns, not by the date expressions.
TABLE_COLUMNS = (
    ("start", re.compile(r"^(?:du|de|debut|date de debut|depuis|annees?|periodes?|dates?)$")),
    ("end", re.compile(r"^(?:au|a|fin|date de fin|jusqu'a|jusqu'au)$")),
    (
        "employer",
        re.compile(
            r"^(?:employeurs?|structures?|organismes?|etablissements?|collectivites?|administrations?"
            r"|entreprises?|services?|lieux?)\b"
        ),
    ),
    ("position", re.compile(r"^(?:fonctions?|postes?|emplois?|intitules?|metiers?|titres?)\b")),
    ("status", re.compile(r"^(?:statuts?|contrats?|positions?)\b")),
)
TABLE_SEPARATOR = re.compile(r"^[\s|:+\-=]+$")


def _table_steps(text: str) -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
    """The steps of the tables of steps a CV holds, and the spans of their rows (which the date expressions skip)."""
    steps: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    number = 0
    while number < len(lines):
        columns = _table_columns(lines[number])
        number += 1
        if columns is None:
            continue
        while number < len(lines) and "|" in lines[number]:
            cells = [cell.strip() for cell in lines[number].strip().strip("|").split("|")]
            if not TABLE_SEPARATOR.match(lines[number]) and (step := _table_step(columns, cells)):
                steps.append(step)
                taken.append((offsets[number], offsets[number + 1]))
            number += 1
    return steps, taken


def _table_columns(line: str) -> dict[str, int] | None:
    """The columns a header row names ({"start": 0, "end": 1, "position": 3, …}), when it names a start date and a
    position or an employer; else None."""
    if line.count("|") < 2:
        return None
    cells = [fold_compat(cell.strip().lower()) for cell in line.strip().strip("|").split("|")]
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        role = next((role for role, pattern in TABLE_COLUMNS if pattern.match(cell)), None)
        if role and role not in columns:
            columns[role] = index
    named = "start" in columns and ("position" in columns or "employer" in columns)
    return columns if named else None


def _table_step(columns: dict[str, int], cells: list[str]) -> dict[str, Any] | None:
    def cell(role: str) -> str:
        index = columns.get(role)
        return cells[index] if index is not None and index < len(cells) else ""

    if "end" in columns:  # « 2011 | 2015 | … »
        start, end = _cell_date(cell("start")), _cell_date(cell("end"))
    else:  # « 2011 – 2015 | … »: one column of periods (an ongoing end, « auj. », has no date)
        ranged = DATE_RANGE.search(cell("start") + " row")  # DATE_RANGE reads a position after the dates
        start, end = (ranged.group("start"), ranged.group("end")) if ranged else (None, None)
        end = end if end and re.search(r"\d{4}", end) else None  # « auj. »: still in post
    job, employer = cell("position"), cell("employer")
    position = ", ".join(part for part in (job, employer) if part)
    if start is None or not position:
        return None
    return {
        "position": position,
        "startDate": _year(start),
        "endDate": _year(end) if end else None,
        "summary": cell("status"),
        "name": employer or position,
    }


def _cell_date(cell: str) -> str | None:
    """A table cell's date as `_year` reads it (« 2015 », « 09/2015 », « 09.2015 »), or None (« auj. »)."""
    found = re.search(r"(?:\d{1,2}[/.])?\d{4}", cell)
    return found.group() if found else None


# « 2023    Pôle de contrôle et d'expertise d'Orléans – inspectrice »: a year alone in a left margin, then the step
YEAR_LINE = re.compile(
    r"^(?P<start>(?:19|20)\d\d)[ \t]{2,}(?P<position>(?!(?:19|20)\d\d\b)\S[^\n]{2,120})$", re.MULTILINE
)


def _year_margin_steps(text: str, taken: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """Steps dated by a start year alone in the margin, outside a section of diplomas: each ends when the next
    more recent one starts; the most recent is still held."""
    found = [
        match
        for match in YEAR_LINE.finditer(text)
        if not any(start <= match.start() < end for start, end in taken) and not _under_education(text, match.start())
    ]
    starts = [match.group("start") for match in found]
    if len(found) < 2 or len(set(starts)) < len(starts):
        return []  # one dated line, or a year repeated: a list of something else
    newest_first = starts == sorted(starts, reverse=True)
    steps = []
    for number, match in enumerate(found):
        following = number - 1 if newest_first else number + 1
        ends = starts[following] if 0 <= following < len(starts) else None
        summary = _description_after(text, match.end())
        steps.append({"position": match.group("position").strip(), "startDate": match.group("start"),
                      "endDate": ends, "summary": summary, "name": match.group("position")})  # fmt: skip
    return steps


def _under_education(text: str, at: int) -> bool:
    headings = [h for h in text[:at].split("\n")[:-1] if h.strip() and _is_section_heading(h.strip())]
    return bool(headings) and EDUCATION_HEADING.match(headings[-1]) is not None


DESCRIPTION_LINES = 6


def _description_after(text: str, at: int) -> str:
    """The lines that describe a step (its tasks), after the line that holds its position: up to a blank line, a
    heading or another dated line. The occupation classifier reads them as a JSON Resume's `summary`; they are
    not stored."""
    lines = text[at:].split("\n")[1 : DESCRIPTION_LINES + 1]
    kept: list[str] = []
    for line in lines:
        if not line.strip() or _is_heading(line.strip()) or DATE_RANGE.search(line) or SINCE.search(line):
            break
        kept.append(line.strip(" \t-•·*"))
    return "\n".join(kept)


HELD_SINCE = re.compile(
    r"(?:titulaire(?: (?:de la )?(?:fpt|fph|fpe|fonction publique \w+))?|stagiaire|titularisee?|promue?|detachee?"
    r"|classe(?: normale| superieure| exceptionnelle)?|cl\.|ppale?|echelon|grade"
    # « Agent contractuel de droit public (CDD de 3 ans) depuis sept. 2022 »: a status line, the step is below;
    # « 5e échelon (depuis le 01/09/2023) »: a bracket may open before the date
    r"|contractuel(?:le)?(?: de droit public)?(?: \([^()]*\))?|\(cd[di]\b[^()]*\)|\bcd[di] de droit public)\s*\(?\s*$"
)
# A section of diplomas and schooling: its dated lines (« 2018-2019 : École nationale des greffes ») are no steps
EDUCATION_HEADING = re.compile(
    r"^\s*(?:formations?|dipl[oô]mes?|[ée]tudes|cursus|scolarit[ée]|education|qualifications?)\b", re.IGNORECASE
)


def _schooling(text: str, match: re.Match[str]) -> bool:
    """A dated line that names a school or a course, under a heading of diplomas or schooling (a DOCX's table of
    steps may come out under the next heading, so the heading alone does not say it)."""
    line_end = text.find("\n", match.start())
    line = fold_compat(text[match.start() : line_end if line_end >= 0 else len(text)])
    if not SCHOOLING.search(line):
        return False
    return _under_education(text, match.start())


# A dated line that is no job: a gap in the career (« Congé parental (naissance de mes deux enfants) », « Recherche
# d'emploi (inscrite à Pôle emploi) », a disponibilité) or a profile's sentence (« je suis chargée de la culture … »).
NO_JOB = re.compile(
    r"\s*[:–—-]?\s*(?:cong[ée]s? (?:parental|maternit[ée]|paternit[ée])|recherche d'emploi|disponibilit[ée]\b"
    r"|ch[ôo]mage|sans emploi|ann[ée]e sabbatique|je |j'|j’"
    # a course taken, not a post held (« Cycle de formation des élèves directeurs D3S, EHESP », « formation de
    # diagnostiqueur immobilier (AFPA) »)
    r"|(?:cycle de )?formation (?:de |d'|des |initiale|statutaire|qualifiante)"
    r"|p[ée]riode de transition|bilan de comp[ée]tences)",
    re.IGNORECASE,
)


SCHOOLING = re.compile(
    r"\b(?:ecole|ira|institut|universite|scolarite|preparation|concours|promotion|diplome|master|licence"
    r"|btsa?|dut|but|bac|baccalaureat|cap|bep|brevet)\b"
)


def _ends_in_future(match: re.Match[str]) -> bool:
    """A range that ends after this year is a plan or a programme (« programme régional 2021-2027 »), no step."""
    end = match.groupdict().get("end") or ""
    return end[-4:].isdigit() and int(end[-4:]) > date.today().year


def _date_end(match: re.Match[str]) -> int:
    """Where a dated match's dates end: after its end date, or its start when it has none (« depuis 2019 »)."""
    return match.end("end") if match.groupdict().get("end") else match.end("start")


def _matches(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """`pattern.finditer`, except that a match whose position is on the next line resumes after its dates: that
    line (« Ouvrier horticole, … 1998 - 2002 ») may hold a step of its own."""
    at = 0
    while match := pattern.search(text, at):
        before = text[text.rfind("\n", 0, match.start()) + 1 : match.start()].rstrip(" \t")
        date_end = _date_end(match)
        line_end = text.find("\n", date_end)
        closes_line = not text[date_end : line_end if line_end >= 0 else len(text)].strip(" \t).")
        titled = before[:-1].strip()[:1] not in ("", "-", "•", "·", "*", "–")  # a title, not a task or a margin
        # « MERM en IRM (2018-2021) puis … »: no step; « 3 ans (2014 – 2017) – Animatrice QHSE »: one; and so is
        # « Diagnostiqueur immobilier, Cabinet Diag'Ouest, Rennes (2016 – 2021) », the brackets ending the line
        if not before.endswith("(") or LINE_DURATION.match(before[:-1]) or (closes_line and titled):
            yield match
        at = date_end if "\n" in text[date_end : match.start("position")] else match.end()


def _position_before(text: str, match: re.Match[str]) -> str | None:
    """The position written before a date that ends its line (« Animatrice au CCAS de Pau, depuis 2017 », « Agent
    d'accueil, Ville de Pau, 2009 - 2017 »): the date patterns would otherwise take the next line for it."""
    line_start = text.rfind("\n", 0, match.start()) + 1
    date_end = _date_end(match)
    line_end = text.find("\n", date_end)
    after = text[date_end : line_end if line_end >= 0 else len(text)].strip(" \t,;:–—-|().[]")
    before = text[line_start : match.start()].strip(" \t,;:–—-|(•·[")
    before = re.sub(r"(?i)[\s,]*(?:depuis|de|du|en)$", "", before).strip(" \t,;:–—-|(")
    before = "" if SEASON.match(before) else before  # « Étés 2011 à 2013 »: when, not what
    if before[:1].islower() and line_start > 1:
        # the title's end, wrapped (« Acheteuse, …, Direction des achats du GHT (CHU de Caen Normandie, » /
        # « établissement support), mars 2021 – aujourd'hui »)
        above = text[: line_start - 1].rsplit("\n", 1)[-1].strip()
        if above[:1].isupper() and not _is_heading(above) and not re.search(r"\b(?:19|20)\d\d\b", above):
            before = f"{above} {before}"
    following = text[line_end + 1 :].split("\n", 1)[0].strip() if line_end >= 0 else ""
    # the next line is the job when it reads as a title (« ESN, Montpellier — 2013-2019 » / « Développeur Java »);
    # a blank line, a heading, a task (lower case, a bullet) or another date is not one
    dated = re.search(r"\b(?:19|20)\d\d\b", re.sub(r"\([^()]*\)", "", following))  # not « (titulaire depuis 2021) »
    titled = following[:1].isupper() and not _is_heading(following) and not dated
    # the next line is the title only when this one names an employer first (« ESN, Montpellier — 2013-2019 »), not
    # a job (« Moniteur-éducateur principal – EPSM Morbihan, Saint-Avé      depuis 2019 » / « Unité d'… »)
    head = re.split(r"\s[-–—|]\s|,", before, maxsplit=1)[0]
    # (« Musée national Adrien Dubouché, Limoges      depuis sept. 2020 » / « Conservatrice, responsable des … »)
    organisation = employer_kind_of(head) or PRIVATE_EMPLOYER.search(fold_compat(head))
    titled = titled and bool(organisation or _job_below_organisation(before, following))
    return before if len(before) >= 3 and not after and not titled else None


SEASON = re.compile(r"(?i)^(?:[ée]t[ée]s?|hivers?|saisons?(?: estivales?)?|vacances(?: scolaires)?)$")


def _position_above(text: str, match: re.Match[str]) -> str | None:
    """The line above a date alone on its line, when the line below is no title (a task, a blank, a heading):
    « Greffière, Conseil de prud'hommes du Havre » / « 07/2019 à 08/2021 » / « - assistance des conseillers … »."""
    line_start = text.rfind("\n", 0, match.start()) + 1
    date_end = _date_end(match)
    line_end = text.find("\n", date_end)
    # the date alone, or with a note in brackets (« 2015 → 2020 (attachée stagiaire en 2015, titularisée en 2016) »)
    rest = NOTE_IN_BRACKETS.sub("", text[date_end:line_end] if line_end >= 0 else "")
    if line_end < 0 or text[line_start : match.start()].strip(" \t[(") or rest.strip(" \t.])"):
        return None
    following = text[line_end + 1 :].split("\n", 1)[0].strip()
    titled = not (_is_heading(following) or _is_description(following) or RUNS_ON.search(following))
    if following[:1].isupper() and titled:
        return None  # the date heads its step: « Depuis nov. 2019 » / « Infirmière – service des urgences »
    above = _title_above(text[: max(line_start - 1, 0)])
    if len(above) < 3 or _is_heading(above) or re.search(r"\b(?:19|20)\d\d\b", above) or not above[:1].isupper():
        return None
    return above


# a line that runs on to the next, a sentence and no title (« Animation de l'équipe d'animateurs, montage de
# projets avec les jeunes du quartier, », « …, suivi du »)
RUNS_ON = re.compile(r"(?:[,;]|\b(?:du|de|des|d'|et|ou|la|le|les|l'|à|au|aux|en|pour|avec|sur|par|dans))$")
NOTE_IN_BRACKETS = re.compile(r"^[ \t]*\([^()\n]*\)")
BULLET = re.compile(r"^[ \t]*[▸►•·*▪>✓–-][ \t]+")


def _title_above(before: str) -> str:
    """The line above, without its bullet (« ▸ Cheffe de projet contrat de ville – … »); with the bulleted line above
    it when it is that title's indented end (« ▸ Chargée de développement social urbain – …, quartiers X et » /
    « Coteaux »)."""
    lines = before.rsplit("\n", 2)[-2:]
    last = lines[-1]
    indented_end = len(lines) == 2 and last[:1] in (" ", "\t") and not BULLET.match(last)
    if indented_end and BULLET.match(lines[0]) and not lines[0].rstrip().endswith("."):
        last = f"{lines[0].rstrip()} {last.strip()}"
    return BULLET.sub("", last).strip()


def _is_description(line: str) -> bool:
    """A line that describes a step rather than names it: a sentence (« Management d'une équipe de 22 salariés,
    recrutement, plannings, suivi du chiffre d'affaires. ») — it ends with a full stop or runs past twelve words."""
    return line.endswith(".") or len(line.split()) > DESCRIPTION_WORDS


DESCRIPTION_WORDS = 12
LINE_DURATION = re.compile(r"^\s*\d+\s*(?:ans?|ann[ée]es?|mois)\s*$", re.IGNORECASE)
DURATION = re.compile(r"^\(\s*\d+\s*(?:ans?|ann[ée]es?|mois)\s*\)\s*[–—-]?\s*", re.IGNORECASE)


def _position_of(line: str, after: str) -> str:
    """The position of a dated line; the next line's when the dated one names only an employer."""
    # « 2017 – 2021 (4 ans) – Préventrice »: how long, not what; a duration alone (« 09.2014 – 08.2020 (6 ans) »)
    # is a note, and the lines below name the step
    position = DURATION.sub("", line.strip()) or line.strip()
    lines = after.split("\n", 3)[1:3]
    following = lines[0].strip() if lines else ""  # the very next line
    if job_first := _job_before_employer(position):
        return job_first  # « VILLE DE SAINT-ÉTIENNE, … - Serrurier-métallier »: the job is on this line, after
    # the line opens with an employer (« CHU de Nîmes – Hôpital Carémeau »), not a job that names one after it
    # (« Directrice des ressources humaines, Rennes Métropole »), or holds only a note (« (stagiaire, …) »)
    organisation = _opens_with_organisation(position) and not _job_above_organisation(position, following)
    if following[:1].islower() and len(lines) > 1 and organisation:
        following = lines[1].strip()  # the employer's name runs on (« … Maison du Département Solidarité / de l'… »)
    employer_only = organisation or position.startswith("(") or _job_below_organisation(position, following)
    if (
        employer_only
        and following[:1].isupper()  # a title; not a task (« - instruction des dossiers ») nor a cut line's end
        and not STATUS_OPENING.match(fold_compat(following))  # « Titulaire, AT ppal 2e cl. depuis 2019 »
        and not re.match(r"\d{4}|depuis\b", following, re.IGNORECASE)
        and not _is_heading(following)  # « FORMATION »: the next section, not the job
    ):
        return f"{following}, {position}"
    cells = [cell.strip() for cell in position.split("|") if cell.strip()]
    employer_first = len(cells) > 1 and bool(employer_kind_of(cells[0])) and not employer_kind_of(cells[-1])
    if len(cells) > 1 and (employer_first or _job_after(cells[-1], cells[0])):
        return ", ".join(cells[1:] + cells[:1])  # « Période | Employeur | Poste »: the job first
    return position


EMPLOYER_JOB_SEPARATOR = re.compile(r"\s[–—|-]\s")


def _job_before_employer(position: str) -> str | None:
    """« La Poste, bureau de Moissac – Guichetière (CDD successifs) » → « Guichetière (CDD successifs), La Poste,
    bureau de Moissac »: an employer first and the job after its dash or pipe, the job put first (as most of the
    gold writes such positions); None when the line opens with the job."""
    parts = EMPLOYER_JOB_SEPARATOR.split(position, maxsplit=1)
    if len(parts) < 2 or not _job_after(parts[1].strip(), parts[0].strip()):
        return None
    return f"{parts[1].strip().rstrip(' ,;')}, {parts[0].strip()}"


def _job_after(tail: str, head: str) -> bool:
    """Whether `tail` opens with a job's word and `head`, before it, does not."""
    return bool(tail) and _is_job_word(tail) and not _is_job_word(head)


def _job_below_organisation(position: str, following: str) -> bool:
    """Whether the next line, not the dated one, names the job: the next line opens with a job's word (the first word
    of a ROME appellation or an RMFP emploi: « Chargée de recrutement », « Rédactrice sinistres IARD ») and the dated
    line does not (« MAIF, Niort », « Foyer départemental de l'enfance – EPDEF »)."""
    if not following or _is_description(following) or not position[:1].isupper():
        return False
    return _is_job_word(following) and not _is_job_word(position)


STATUS_OPENING = re.compile(r"(?:titulaire|stagiaire|contractuel|fonctionnaire|vacataire|cd[di]\b)")


def _job_above_organisation(position: str, following: str) -> bool:
    """The mirror case: the dated line names the job, in capitals that read as an organisation's
    (« CHEFFE DU SERVICE COLLECTE ET PRÉVENTION DES DÉCHETS »), and the next line, opening with no job's word, the
    employer (« Valence Romans Agglo – Direction de l'environnement »)."""
    employer_below = not _is_job_word(following) or opens_with_employer(following)
    return bool(following) and _is_job_word(position) and employer_below


def _is_job_word(line: str) -> bool:
    first = fold_compat(line).split(" ", 1)[0].strip(",;:–—-")
    return first in job_words() or first.split("-", 1)[0] in job_words()


@functools.cache
def job_words() -> frozenset[str]:
    """The first words of the repertories' job names (ROME appellations, both genders; RMFP emplois; not the ROME
    fiches', which name activities: « Conduite de travaux », « Soins esthétiques »), folded, without the
    organisation's words a few of them open with (« Direction de … », « Service … »)."""
    from ontology.catalogue import load_catalogue

    catalogue = load_catalogue()
    labels = [*catalogue.appellation_labels.values()]
    labels += [o.label for o in catalogue.occupations.values() if o.scheme == "RMFP"]
    words = set()
    for label in labels:
        for variant in label.split("/"):
            first = fold_compat(variant.strip()).split(" ", 1)[0]
            words.update({first, first.split("-", 1)[0]})
    return frozenset(words - NOT_JOB_WORDS - {""})


NOT_JOB_WORDS = frozenset(
    # and « Grand » of « Grand Chambéry », « Grand Est » (« Grand reporter » is the repertories' one job it opens)
    {"service", "direction", "pole", "cellule", "bureau", "mission", "unite", "atelier", "organisation", "grand"}
)


def _opens_with_organisation(position: str) -> bool:
    head = re.split(r"\s[-–—|]\s|,", position, maxsplit=1)[0]
    return bool(
        opens_with_employer(head)
        or re.match(r"(?i)(?:int[ée]rim|ch[ur]?\b)", position)
        or _names_an_organisation(head, position)
    )


def _names_an_organisation(head: str, position: str) -> bool:
    """A dated line's text that names an organisation rather than a job: its first part in capitals (« LE GRAND
    NARBONNE – Régie de l'eau », « SOCIÉTÉ LANGUEDOCIENNE DE CANALISATIONS, Béziers »), or followed by one of its
    branches (« Adecco, agence de Blagnac », « Kiabi, magasin de Toulouse-Purpan »)."""
    words = re.findall(r"[^\W\d_]+", head)
    # two words at least: an acronym alone is as often a job (« DGS », « IDE », « CPIP »)
    return (
        (len(words) >= 2 and all(w.isupper() for w in words))
        or BRANCH_OF.match(position) is not None
        or KIND_IN_BRACKETS.search(fold_compat(head)) is not None
    )


# « Pulpe Digitale (agence de communication) », « MECS « La Passerelle » (association) »: what the name is
KIND_IN_BRACKETS = re.compile(r"\((?:association|agence|entreprise|societe|cabinet|groupe|sarl|sas|esn)\b")
# the organisation's branch right after its name, the name first on the line (not « Ingénieur travaux – Colas, agence
# de Poitiers »)
BRANCH_OF = re.compile(
    r"[^,–—|]+,\s*(?:agence|magasin|site|usine|antenne|si[eè]ge|succursale|entrep[oô]t|centre)\s+(?:de|du|d')\s*[A-ZÀ-Ý]"
)


def _year(value: str) -> str:
    """ "2019", "09/2018" or "sept. 2012" as yyyy or yyyy-mm."""
    value = value.strip()
    year = value[-4:]
    if "/" in value or "." in value[:3]:  # « 09/2018 », « 09.2020 »
        return f"{year}-{int(re.split(r'[/.]', value)[0]):02d}"
    word = fold_compat(value[:-4]).strip(" .")
    month = MONTHS.get(word[:4]) or MONTHS.get(word[:3])
    if word.startswith("juil"):
        month = 7
    return f"{year}-{month:02d}" if month else year


def _understand(
    record: CandidateRecord,
    reading: CvReading,
    analysis: TextAnalysis,
    declared_analysis: TextAnalysis,
    status: TextAnalysis,
    analyzer: TextAnalyzer,
) -> None:
    """The candidate's skills and statutory facts from the analyses of their scrubbed text, declared skills and
    abbreviated status lines spelt out (`status_text`: a grade found there wins)."""
    from loaders.values import departement_from_postal_code

    text, place = reading.text, reading.place
    facts = statutory_facts(text)  # the original text: the postal code is gone from cv_text
    record.skills = skills_on_prose(analysis.skills, record.cv_text) if reading.free_text else analysis.skills
    known = {m.uri for m in record.skills}
    record.skills += [
        SkillMention(m.uri, m.text, m.start, m.end, m.confidence, "declared")
        for m in declared_analysis.skills
        if m.uri not in known
    ]
    folded = fold_compat(text)
    _statutory_situation(record, reading, facts, folded, (analysis, status), analyzer.catalogue)
    record.education_level = _education_level(folded, facts.education_level)
    record.echelon = facts.echelon
    record.departement = (
        (departement_from_postal_code(place.postal) if place.postal else None)
        or place.departement
        or _header_departement(text)
        or facts.departement
    )
    record.commune = place.city or facts.commune
    record.years_experience = facts.years_experience


def _statutory_situation(
    record: CandidateRecord,
    reading: CvReading,
    facts: StatutoryFacts,
    folded: str,
    analyses: tuple[TextAnalysis, TextAnalysis],
    catalogue: Catalogue,
) -> None:
    """Versant, grade (in that versant), titulaire, cadre, catégorie and filière: `loaders.cv_status` reads a
    free-text CV's; a JSON Resume's come from the analysis of its text. `analyses`: the whole text's and the status
    lines'."""
    analysis, status = analyses
    grade_facts = (
        grade_facts_of(catalogue, status.facts, analysis.facts, reading.text, facts.versant)
        if reading.free_text
        else analysis.facts
    )
    detached = detached_grade(catalogue, reading.text) if reading.free_text else None
    if detached is not None:
        grade_facts = detached  # the host grade: the versant the CV states may be that of the corps of origin
    stated = (detached.versant if detached else None) or next(
        (code for code, pattern in STATED_VERSANT if pattern.search(folded)), None
    )
    titled = title_versant(catalogue, reading.text) if reading.free_text else None
    # the current step's employer, then a grade only one versant has, then the employers of earlier steps
    record.versant = (
        stated
        or titled
        or _versant_of_employer(reading.steps[:1])
        or (_versant_of_status_lines(reading.text) if reading.free_text else None)
        or (unique_grade_versant(catalogue, grade_facts.grade_uri) if reading.free_text else None)
        or _versant_of_employer(reading.steps)
        or grade_facts.versant
        or facts.versant
    )
    grade_facts = grade_in_versant(catalogue, grade_facts, record.versant)
    stated_letter = stated_categorie(folded) if reading.free_text else None
    grade_facts = grade_in_categorie(catalogue, grade_facts, stated_letter)
    grade_stated = _grade_stated(reading, status, grade_facts) or GRADE_FIELD.search(folded) is not None
    record.titulaire = _titulaire(folded, facts.contract, grade_stated)
    if reading.free_text and grade_facts.grade_uri is None and record.titulaire is not False:
        grade_facts = _cadre_facts(record, catalogue, reading.text)  # a contractuel is no member of a cadre
        if record.titulaire is None and record.corps and ECHELON_PLACE.search(folded):
            record.titulaire = True  # a member of a corps the NEG lacks, at an échelon (« Contrôleuse … 5e échelon »)
    if reading.free_text:
        grade_facts = _after_reforms(record, catalogue, grade_facts)
    record.categorie = stated_letter or grade_facts.categorie or facts.categorie
    # the filières of the NEG's hospital grades are staff groups ("Personnel soignant et éducatif"), not statutory
    # filières: a grade gives its filière in the territorial versant only, as for offers' gold (data/gold/README.md)
    grade_versant = catalogue.grades[grade_facts.grade_uri].versant if grade_facts.grade_uri else record.versant
    record.filiere = (grade_facts.filiere if grade_versant == "FPT" else None) or facts.filiere
    record.grade_uri = grade_facts.grade_uri
    if reading.free_text and record.corps is None and (corps := ministry_grade_corps(catalogue, record.grade_uri)):
        # the corps as the CV names it (« Corps : Adjoints techniques de recherche et de formation »), else as the
        # NEG's grade label does, cut to 50 characters (« adjoint techn princ de recherche et formation »)
        record.corps = named_cadre(catalogue, reading.text)[1] or corps


# The versant a CV states in words, which beats the employers it names ("fonction publique hospitalière", "FPT").
STATED_VERSANT = (
    # blanks, not spaces: a PDF breaks lines anywhere (« fonctionnaire / de l'État (catégorie B) »)
    ("FPT", re.compile(r"fonction\s+publique\s+territoriale|\bfpt\b|fonctionnaire\s+territorial")),
    ("FPH", re.compile(r"fonction\s+publique\s+hospitaliere|\bfph\b|fonctionnaire\s+hospitalier")),
    ("FPE", re.compile(r"fonction\s+publique\s+de\s+l'etat|\bfpe\b|fonctionnaire\s+de\s+l'etat")),
)


# Lines of a free-text CV that hold no skill: a year (a dated step's line, a diploma and its school), a section
# heading (« EXPÉRIENCES PROFESSIONNELLES », « Formation : »), the heading lines (name, title, contact). Read as
# skills, they gave most of the false mentions on the development CVs (« 2014-2018 – Centre hospitalier de
# Morlaix » → *Droit hospitalier*, « PARCOURS PROFESSIONNEL » → *Analyser un parcours professionnel*).
NO_SKILL_LINE = re.compile(r"\b(?:19|20)\d\d\b|\[(?:nom|adresse|téléphone|email|lien)\]")
HEADING_WORDS = 4


# A section's name alone on its line in ordinary case (« Formation », « Compétences », « Centres d'intérêt »): a
# heading, not the skill its word names (« Formation » read as *Former*).
SECTION_NAME = re.compile(
    r"(?:formations?|experiences?(?: professionnelles?)?|competences|parcours(?: professionnel)?|diplomes|langues"
    r"|loisirs|divers|statut|profil|centres? d'interets?)\s*:?"
)
# The hobbies a CV lists under its interests (« Centres d'intérêt : voile, couture, photographie ») are not the
# skills a recruiter sources on, and the annotators link none of them: their section holds no skill.
INTERESTS = re.compile(
    r"(?:centres? d'interets?|interets|loisirs|hobbies|passions|activites extra-?professionnelles)\b"
)


def skills_on_prose(skills: list[SkillMention], cv_text: str) -> list[SkillMention]:
    """The skill mentions of a free-text CV outside the lines that hold none (`NO_SKILL_LINE`, headings, the first
    three lines, a section of interests)."""
    starts = [0] + [newline.end() for newline in re.finditer("\n", cv_text)]
    interests = _interest_lines(cv_text.split("\n"))
    kept = []
    for mention in skills:
        number = bisect.bisect_right(starts, mention.start) - 1
        line = cv_text[starts[number] : starts[number + 1] if number + 1 < len(starts) else len(cv_text)].strip()
        if number < 3 or number in interests or NO_SKILL_LINE.search(line):
            continue
        if _is_section_heading(line) and not ACRONYM.fullmatch(line):
            continue
        if mention.source == "similarity" and STATUS_LINE.search(fold_compat(line.lower())):
            continue  # « Adjointe administrative ppal 2e cl., 6e échelon »: a grade, not a skill's paraphrase
        kept.append(mention)
    return kept


def _is_section_heading(line: str) -> bool:
    """A heading (`_is_heading`) or a section's name alone on its line in ordinary case (« Formation »)."""
    return _is_heading(line) or SECTION_NAME.fullmatch(fold_compat(line)) is not None


def _interest_lines(lines: list[str]) -> set[int]:
    """The numbers of the lines of the CV's interests: from the line that opens them (« LOISIRS », « Centres
    d'intérêt : voile ») to the next heading."""
    numbers: set[int] = set()
    inside = False
    for number, line in enumerate(lines):
        folded = fold_compat(line.strip())
        if INTERESTS.match(folded):
            inside = True
        elif _is_section_heading(line.strip()):
            inside = False
        if inside:
            numbers.add(number)
    return numbers


# A line that is one acronym in a list of skills (« RGPD », « SST »), not a heading in capitals (« LANGUES »)
ACRONYM = re.compile(r"[A-Z][A-Z0-9]{1,4}")


# A line that states a status or a grade: the paraphrase fallback reads nothing there (« ppal 2e cl » is not
# *Maintenance préventive de deuxième niveau*); an exact label still counts.
STATUS_LINE = re.compile(
    r"\b(?:titulaire|contractuel(?:le)?|stagiaire|fonctionnaire|fonction publique|echelon|grade|categorie|cat\."
    r"|classe|ppale?|corps|cadre d'emplois)\b"
)


def _is_heading(line: str) -> bool:
    """A short line in capitals or ending with « : »; not one that opens with a year (« 2005   BAFA » is a diploma
    of the list under its heading, not a heading of its own)."""
    words = line.rstrip(" :").split()
    return len(words) <= HEADING_WORDS and (line.isupper() or line.endswith(":")) and not YEAR_FIRST.match(line)


YEAR_FIRST = re.compile(r"(?:19|20)\d\d\b")


def _grade_stated(reading: CvReading, status: TextAnalysis, grade_facts: StatutoryFacts) -> bool:
    """A grade the CV states as held (which makes a titulaire): in free text, any grade `cv_status` reads (a class,
    a status line); in a JSON Resume, one on a status line."""
    return grade_facts.grade_uri is not None if reading.free_text else status.facts.grade_uri is not None


def _cadre_facts(record: CandidateRecord, catalogue: Catalogue, text: str) -> StatutoryFacts:
    """What the cadre a CV names without a grade tells (catégorie; filière and versant when the catalogue knows the
    cadre); the cadre is kept on the record, as a concept and as written."""
    record.cadre_uri, record.corps = named_cadre(catalogue, text)
    if record.corps is None:
        return StatutoryFacts()
    categorie, filiere = corps_facts(record.corps)
    grades = [g for g in catalogue.grades.values() if record.cadre_uri and g.cadre_uri == record.cadre_uri]
    if grades:
        categories = {g.categorie for g in grades}
        categorie = categories.pop() if len(categories) == 1 else categorie
        filiere = grades[0].filiere or filiere
    return StatutoryFacts(categorie=categorie, filiere=filiere, cadre_uri=record.cadre_uri)


def _after_reforms(record: CandidateRecord, catalogue: Catalogue, facts: StatutoryFacts) -> StatutoryFacts:
    """A free-text CV's facts with today's catégorie when its cadre was reformed after the NEG was compiled
    (`loaders.statutory.REFORMED_CATEGORIES`); the grade stays the NEG's. JSON Resumes keep the NEG's world: the
    simulator writes them from it."""
    grade = catalogue.grades.get(facts.grade_uri or "")
    letter = reformed_categorie(grade.cadre_label if grade else record.corps)
    return facts if letter is None else replace(facts, categorie=letter)


def _titulaire(folded: str, contract: str | None, grade_stated: bool) -> bool | None:
    """Titulaire or contractuel as the CV states it. Both words in one CV (a titulaire who was a contractuel, or
    "titulaire d'un diplôme"): the first that names a status counts, CVs state the current one first, unless the CV
    states a grade held and says « titulaire » too (« Assistante administrative (CDD puis CDI), cabinet… » above
    « Titulaire – 7e échelon »: a contractuel holds no grade); a grade alone makes a titulaire."""
    if contract == "titulaire_ou_contractuel":
        first = STATUS_WORD.search(folded)
        contract = None if first is None else "titulaire" if first.group("titulaire") else "contractuel"
        if contract == "contractuel" and grade_stated and TITULAIRE_WORD.search(folded):
            contract = "titulaire"
    if contract in ("contractuel", None) and TITULARISED.search(folded):
        contract = "titulaire"  # « Manipulateur (contractuel, puis stagiaire en 2015, titularisé en 2016) »
    if contract == "contractuel" and grade_stated and _contract_words_of_closed_steps_only(folded):
        contract = "titulaire"  # « Technicien helpdesk (CDI), SSII, 2005 – 2009 » under a grade held today
    if contract is None and grade_stated:
        contract = "titulaire"
    if contract is None and PRIVATE_SECTOR.search(folded):
        return False  # a private-sector employee is not a titulaire
    return {"titulaire": True, "contractuel": False}.get(contract or "")


TITULAIRE_WORD = re.compile(TITULAIRE)
# « Grade : attachée principale d'administration hospitalière – 3e échelon »: a grade held, named or not in the NEG
GRADE_FIELD = re.compile(r"^\s*grade\s*:", re.MULTILINE)
TITULARISED = re.compile(r"\btitularis[ée]e?s?\b|\btitularisation\b")
CONTRACT_WORD = re.compile(r"\bcontractuel|\bcdd\b|\bcdi\b|\bvacataire|\bcontrat\b|\binterim")


def _contract_words_of_closed_steps_only(folded: str) -> bool:
    """Every contract word of the CV is on the dated line of a step that has ended (its end is a year)."""
    lines = [line for line in folded.splitlines() if CONTRACT_WORD.search(line)]
    ended = [match for line in lines if (match := DATE_RANGE.search(line)) and match.group("end")[-1:].isdigit()]
    return bool(lines) and len(ended) == len(lines)


STATUS_WORD = re.compile(rf"(?P<titulaire>{TITULAIRE})|\bcontractuel|\bcdd\b|\bvacataire|\bcontrat\b")
# Diplomas CVs name that offers rarely ask for, with their level (years after the bac; the gold's scale).
# The State diplomas of the youth, sport and health trades by their RNCP level (level 4 the bac, 5 bac + 2, 6 bac + 3).
CV_DIPLOMAS = (
    (3, re.compile(r"diplome d'etat d'(?:infirmier|assistant de service social|educateur)|\bdeass\b|\bdeeje\b")),
    (3, re.compile(r"\bdesjeps\b|diplome d'etat (?:de manipulateur|d'ergotherapeute|de psychomotricien)|\bdts imag")),
    # the other paramedical State diplomas of three or four years (the gold's level for them: 3) and the
    # specialisations after the nurse's diploma (5)
    (3, re.compile(r"diplome d'etat (?:de masseur[- ]kinesitherapeute|de pedicure|d'orthoptiste|d'audioprothesiste)")),
    (3, re.compile(r"diplome d'etat de (?:conseiller|conseillere) en economie sociale|\bdecesf\b")),
    (5, re.compile(r"diplome d'etat (?:de sage-femme|d'infirmier (?:anesthesiste|de bloc))|\bdeia\b|\bdeibo\b")),
    (2, re.compile(r"\bdejeps\b|diplome (?:de|d'etat de) preparateur en pharmacie hospitaliere|\bdpph\b")),
    (2, re.compile(r"diplome d'etat de technicien de laboratoire")),
    (0, re.compile(r"\bdeas\b|\bdeap\b|diplome d'etat d'(?:aide-soignant|auxiliaire)|\bbpjeps\b|\bbp [a-z]")),
    (0, re.compile(r"diplome d'etat de moniteur[- ]educateur|\bdeme\b|brevet professionnel")),
    (-1, re.compile(r"\bcap [a-z]")),
)


def _education_level(folded: str, level: int | None) -> int | None:
    """The highest diploma: the statutory rules' level, CV diplomas above, a master 1 (bac + 4) counted as 3."""
    levels = [lvl for lvl, pattern in CV_DIPLOMAS if pattern.search(folded)]
    if level == 5 and re.search(r"\bmaster 1\b|\bm1\b", folded) and not re.search(r"\bmaster(?! 1\b)|\bm2\b", folded):
        level = 3
    return max([*levels, *([level] if level is not None else [])], default=None)


HEADER_POSTAL = re.compile(r"\b(\d{5})\s+[A-ZÉÈ][\w'’\-]+|\((\d{5})\)")


def _header_departement(text: str) -> str | None:
    """The département of the postal code in the CV's first lines ("75011 Paris —", "Poitiers (86000)"), where a CV
    gives the person's address; the employers' codes come later."""
    from loaders.values import departement_from_postal_code

    for match in HEADER_POSTAL.finditer("\n".join(text.splitlines()[:8])):
        if code := departement_from_postal_code(match.group(1) or match.group(2)):
            return code
    return None


EMPLOYER_VERSANTS = {"hopital": "FPH", "etat": "FPE", "commune": "FPT", "epci": "FPT", "departement": "FPT"}
EMPLOYER_VERSANTS["region"] = "FPT"
PRIVATE_EMPLOYER = re.compile(
    r"\bprive|\bclinique|\bcabinet|\besn\b|\bassociation|\bentreprise|\bsociete\b|\bboutique|\b(?:hyper|super)marche"
    r"|\bmission locale"  # an association, whatever town or intercommunality its name holds
)


def _versant_of_status_lines(text: str) -> str | None:
    """The versant of the employer a heading line names beside a status (« Contrat à durée déterminée (2e catégorie),
    académie de Poitiers », « Titulaire – CHU de Rouen »): the employer of the situation the CV states today."""
    for line in text.split("\n", HEADER_LINES)[:HEADER_LINES]:
        if re.search(r"\b(?:19|20)\d\d\b", line):
            return None  # the steps begin (« 2011-2014 : ASH contractuelle, CH de … »)
        folded = fold_compat(line)
        if STATUS_WORD.search(folded) and (kind := employer_kind_of(line)) and not PRIVATE_EMPLOYER.search(folded):
            return EMPLOYER_VERSANTS.get(kind)
    return None


HEADER_LINES = 8  # the name, the title, the status and the contact lines


def _versant_of_employer(steps: list[Step]) -> str | None:
    """The versant of the latest public employer a step names ("Ville de Nantes" → FPT, "CHU" → FPH,
    "Préfecture" → FPE), when the CV states none; private employers ("clinique", "secteur privé") are skipped."""
    for _, experience, _ in sorted(steps, key=lambda s: s[1].order):
        if experience.employer_kind and not PRIVATE_EMPLOYER.search(fold_compat(experience.position)):
            return EMPLOYER_VERSANTS.get(experience.employer_kind)
    return None


def _steps(positions: list[dict[str, Any]]) -> list[Step]:
    """A CV's work steps, the most recent first (order 0): positions not scrubbed, occupations not classified yet.
    Raises RecordError on a bad date."""
    steps = []
    for number, step in enumerate(positions):
        position = step.get("position")
        if not isinstance(position, str) or not position.strip():
            continue
        start = parse_date(step.get("startDate"), f"work[{number}].startDate")
        end = parse_date(step.get("endDate"), f"work[{number}].endDate")
        summary = " ".join([str(step.get("summary") or ""), *map(str, step.get("highlights") or [])])
        employer = str(step.get("name") or position)  # free-text CVs: "Infirmière, CHU de Brest"
        experience = ExperienceRecord(position, 0, start, end, employer_kind_of(employer))
        steps.append((start or "", experience, summary))
    steps.sort(key=lambda s: s[0], reverse=True)
    for order, (_, experience, _) in enumerate(steps):
        experience.order = order
    return steps


# Job titles public-service CVs abbreviate, spelt out for the occupation classifier only (the step keeps its
# words): capitals as whole words, so « as » or « pl » inside a sentence are left alone.
JOB_ABBREVIATIONS = {
    "IDE": "infirmier en soins généraux",  # « infirmier diplômé d'État »: the general-care nurse
    "IADE": "infirmier anesthésiste",
    "IBODE": "infirmier de bloc opératoire",
    "AS": "aide-soignant",
    "ASH": "agent de service hospitalier",
    "AES": "accompagnant éducatif et social",
    "AMP": "aide médico-psychologique",
    "EJE": "éducateur de jeunes enfants",
    "ATSEM": "agent spécialisé des écoles maternelles",
    "AMA": "assistant médico-administratif",
    "CESF": "conseiller en économie sociale et familiale",
    "ETAPS": "éducateur des activités physiques et sportives",
    "MNS": "maître-nageur sauveteur",
    "ASVP": "agent de surveillance de la voie publique",
    "DGS": "directeur général des services",
    "DRH": "directeur des ressources humaines",
    "RH": "ressources humaines",
    "PL": "poids lourds",
    "SPL": "super poids lourds",
}
JOB_ABBREVIATION = re.compile(r"\b(" + "|".join(JOB_ABBREVIATIONS) + r")\b")


def spelt_out_job(text: str) -> str:
    return JOB_ABBREVIATION.sub(lambda m: JOB_ABBREVIATIONS[m.group(1)], text)


def job_part(position: str) -> str:
    """The job of a position without the employer that follows it (« agent d'accueil (loge) – lycée Jean-Giraudoux,
    Châteauroux » → « agent d'accueil (loge) »): the employer's words (« lycée », « CHU », « Département ») would
    classify the step as the employer's trade (K2103 school management, K1403 health-facility management)."""
    segments = POSITION_SEPARATOR.split(position)
    for at, segment in enumerate(segments[1:], start=1):
        folded = fold_compat(segment)
        if employer_kind_of(segment) or PRIVATE_EMPLOYER.search(folded) or ORGANISATION_WORD.match(folded.strip()):
            return " ".join(segments[:at])
    return position


POSITION_SEPARATOR = re.compile(r",\s+|\s[–—|-]\s|\s\|\s")
ORGANISATION_WORD = re.compile(
    r"(?:le |la |l'|les )?(?:lycee|college|ecole|universite|residence|etablissement|ehpad|centre|maison|departement"
    r"|agence|magasin|hypermarche|groupe|laboratoire|institut|musee|mediatheque|bibliotheque|cio|crous|caf|cpam"
    r"|polyclinique|foyer|service|direction|pole|bureau|unite|atelier|cuisine|plateforme|site|siege)\b"
)


def _classify_steps(steps: list[list[Step]], analyzer: TextAnalyzer) -> None:
    """Every CV's steps classified in one call (occupations from the position and its summary)."""
    flat = [step for cv_steps in steps for step in cv_steps]
    if not flat:
        return
    classified = analyzer.occupations.classify(
        [spelt_out_job(s) for _, _, s in flat],
        [spelt_out_job(e.position) for _, e, _ in flat],
        jobs=[spelt_out_job(job_part(e.position)) for _, e, _ in flat],
    )
    for (_, experience, _), occupations in zip(flat, classified, strict=True):
        experience.occupations = occupations


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
