"""Text understanding measured on the 652 real Place de l'Emploi Public offers, which carry the ROME appellation
(OGR) their publisher chose: offer → ROME fiche top-1 / top-3 accuracy (the appellation's fiche is the truth),
skills per offer, share of offers with no skill, facts found, and throughput. Writes docs/ingestion-figures.md and
the figures block of README.md (between the `ingestion-figures` markers), so that neither is copied by hand."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import statistics
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from loaders.nlp import TextAnalyzer, default_analyzer
from loaders.occupations import OfferCoding
from loaders.offers import enrich_offers, read_offer_file, validate_offer
from loaders.records import CandidateRecord, ExperienceRecord, OfferRecord, RecordError, SkillMention
from ontology.text import fold_compat
from vivier.settings import REPO_ROOT

if TYPE_CHECKING:
    from ontology.catalogue import Catalogue

PEP_OFFERS = REPO_ROOT / "data" / "sources" / "pep-offers" / "pep_offers_2020_2021.csv"
PEP_FULL_EXPORT = PEP_OFFERS.parent / "pep_full_export_sample.csv"  # the other PEP format (56 columns, `;`)
FIGURES = REPO_ROOT / "docs" / "ingestion-figures.md"
GOLD = REPO_ROOT / "data" / "gold"
GOLD_STATUTORY = GOLD / "statutory-offers.jsonl"  # 100 real offers annotated by hand (data/gold/README.md)
GOLD_STATUTORY_CHECK = GOLD / "statutory-offers-check.jsonl"  # 50 development offers drawn later, annotated unseen
GOLD_STATUTORY_RARE = GOLD / "statutory-offers-rare.jsonl"  # 42 development offers naming the rare fields
# What each statutory gold file is, for the figures (data/gold/README.md says how each was drawn and annotated)
GOLD_STATUTORY_SETS = {
    GOLD_STATUTORY: "100 real PEP offers, the rules' first gold: the rules were written having seen them",
    GOLD_STATUTORY_CHECK: "50 development offers drawn at random afterwards (seed 1616) and annotated before the "
    "loader was run on them; their failures were seen afterwards (first-look figures in docs/ingestion.md)",
    GOLD_STATUTORY_RARE: "42 development offers chosen because they name telework, a grade, a filière, a corps or a "
    "cadre d'emplois (every such offer outside the two other sets), annotated before the loader was run on them; "
    "their failures were seen afterwards",
}
README = REPO_ROOT / "README.md"
README_START = "<!-- ingestion-figures:start (written by `vivier load measure`: edit loaders/measure.py, not this) -->"
README_END = "<!-- ingestion-figures:end -->"


@dataclass
class Figures:
    offers: int
    rejected: int
    top1: float
    top3: float
    skills_per_offer: float
    no_skill_share: float
    similarity_share: float
    with_contract: float
    with_categorie: float
    with_education: float
    with_experience: float
    offers_per_second: float
    offers_per_second_2: float
    load_average: float
    appellations: int  # distinct OGR codes the publishers used: how coarse the truth is
    lexical_top1: float | None = None  # the lexical score alone (no learned part), for comparison
    lexical_top3: float | None = None


def measure(path: Path = PEP_OFFERS) -> Figures:
    analyzer = default_analyzer()
    raws, problems = read_offer_file(path)
    records: list[OfferRecord] = []
    for raw in raws:
        try:
            records.append(validate_offer(raw.fields, path.name, analyzer.catalogue, contract_required=False))
        except RecordError:
            continue
    # The publisher's appellation is the truth here: hidden from the loader, which would otherwise take it as stated.
    truth = [analyzer.catalogue.appellation_to_fiche.get(r.rome_appellation or "") for r in records]
    appellations = len({r.rome_appellation for r in records if r.rome_appellation})
    for record in records:
        record.rome_appellation = None
    started = time.perf_counter()
    enrich_offers(records, analyzer, n_process=2)
    elapsed_2 = time.perf_counter() - started
    started = time.perf_counter()
    enrich_offers(records, analyzer)
    elapsed = time.perf_counter() - started
    lexical_top1, lexical_top3 = rome_accuracy(records, truth, analyzer, learned=False)
    top1, top3 = rome_accuracy(records, truth, analyzer, learned=True)
    skills = [len(r.skills) for r in records]
    mentions = [m for r in records for m in r.skills]
    n = len(records)
    return Figures(
        offers=n,
        rejected=len(raws) - n + len(problems),
        top1=top1,
        top3=top3,
        skills_per_offer=statistics.mean(skills),
        no_skill_share=sum(s == 0 for s in skills) / n,
        similarity_share=sum(m.source == "similarity" for m in mentions) / max(1, len(mentions)),
        with_contract=sum(r.contract is not None for r in records) / n,
        with_categorie=sum(r.categorie is not None for r in records) / n,
        with_education=sum(r.education_level is not None for r in records) / n,
        with_experience=sum(r.years_experience is not None for r in records) / n,
        offers_per_second=n / elapsed,
        offers_per_second_2=n / elapsed_2,
        load_average=os.getloadavg()[0],
        appellations=appellations,
        lexical_top1=lexical_top1,
        lexical_top3=lexical_top3,
    )


FOLDS = 5


def rome_accuracy(
    records: list[OfferRecord], truth: list[str | None], analyzer: TextAnalyzer, learned: bool
) -> tuple[float, float]:
    """Offer → ROME fiche top-1 and top-3 accuracy. With `learned`, by 5-fold cross-validation: each offer is
    scored by a model of the publishers' coding fitted on the other four fifths, never on itself."""
    from sklearn.model_selection import KFold

    scored = [i for i, t in enumerate(truth) if t]
    titles = [records[i].title for i in scored]
    texts = [f"{records[i].title}\n{records[i].description}" for i in scored]
    expected = [str(truth[i]) for i in scored]
    classifier = analyzer.occupations
    codes = classifier.by_scheme["ROME"][1]
    ranked: list[list[str]] = [[] for _ in scored]
    kept = classifier.learned.pop("ROME", None)
    try:
        splits = KFold(FOLDS, shuffle=True, random_state=16).split(scored) if learned else [([], range(len(scored)))]
        for train, test in splits:
            if learned:
                fitted = [titles[i] for i in train], [texts[i] for i in train], [expected[i] for i in train]
                classifier.learned["ROME"] = OfferCoding(*fitted)
            scores = classifier.scores([texts[i] for i in test], [titles[i] for i in test], "ROME", learned)
            for i, row in zip(test, scores, strict=True):
                ranked[i] = [codes[c] for c in row.argsort()[::-1][:3]]
    finally:
        classifier.learned.pop("ROME", None)
        if kept is not None:
            classifier.learned["ROME"] = kept
    top1 = sum(r[0] == t for r, t in zip(ranked, expected, strict=True)) / len(expected)
    top3 = sum(t in r for r, t in zip(ranked, expected, strict=True)) / len(expected)
    return top1, top3


def figures_markdown(f: Figures) -> str:
    return "\n".join(
        [
            "# Text understanding on real offers",
            "",
            "Produced by `vivier load measure` (`loaders/measure.py`) on",
            "`data/sources/pep-offers/pep_offers_2020_2021.csv` (652 real Place de l'Emploi Public offers; truth = the",
            "ROME fiche of the OGR appellation the publisher chose).",
            "",
            "| measure | value |",
            "|---|---|",
            f"| offers understood (rejected) | {f.offers} ({f.rejected}) |",
            f"| offer → ROME fiche, top-1 accuracy (5-fold cross-validated) | {f.top1:.1%} |",
            f"| offer → ROME fiche, top-3 accuracy (5-fold cross-validated) | {f.top3:.1%} |",
            f"| offer → ROME fiche, lexical score alone, top-1 / top-3 | {_pct(f.lexical_top1)} / "
            f"{_pct(f.lexical_top3)} |",
            f"| skills found per offer (mean) | {f.skills_per_offer:.1f} |",
            f"| offers with no skill | {f.no_skill_share:.1%} |",
            f"| skill mentions from the similarity fallback | {f.similarity_share:.1%} |",
            f"| contract (titulaire / contractuel) found | {f.with_contract:.1%} |",
            f"| catégorie A/B/C found | {f.with_categorie:.1%} |",
            f"| education level found | {f.with_education:.1%} |",
            f"| years of experience found | {f.with_experience:.1%} |",
            f"| throughput, one process (offers/s) | {f.offers_per_second:.0f} |",
            f"| throughput, two processes (offers/s) | {f.offers_per_second_2:.0f} |",
            f"| machine load average during the run (1 min; {os.cpu_count()} cores) | {f.load_average:.1f} |",
            "",
        ]
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def write_figures(markdown: str, path: Path = FIGURES) -> Path:
    path.write_text(markdown, encoding="utf-8")
    return path


# --- CVs of a simulated dataset, against the simulator's truth ------------------------------------------------
@dataclass
class CvFigures:
    cvs: int
    status: float  # titulaire / contractuel right
    versant: float
    categorie: float
    grade: float  # exact NEG grade (titulaires)
    echelon: float
    departement: float
    steps: int
    step_top1: float  # career step → occupation of the truth's scheme, top-1
    step_top3: float
    seconds_per_cv: float


def measure_cvs(folder: Path, limit: int = 300) -> CvFigures:
    """Parse up to `limit` CVs of a `vivier simulate` folder and compare with its `truth/` (which the loaders
    never read: only this measurement does)."""
    import csv

    from loaders.cvs import candidate_ref_of, parse_cv
    from ontology import uris

    analyzer = default_analyzer()
    truth = {r["candidate_ref"]: r for r in csv.DictReader((folder / "truth" / "candidates.csv").open())}
    careers: dict[str, list[dict[str, str]]] = {}
    for row in csv.DictReader((folder / "truth" / "careers.csv").open()):
        careers.setdefault(row["candidate_ref"], []).append(row)
    files = sorted((folder / "cvs").iterdir())[:limit]
    hits = {k: [0, 0] for k in ("status", "versant", "categorie", "grade", "echelon", "departement", "top1", "top3")}
    started = time.perf_counter()
    for file in files:
        data = file.read_bytes()
        ref = candidate_ref_of(data, file.name)
        cv, expected = parse_cv(data, file.name, "measure", analyzer), truth[ref]
        titulaire = expected["status"] == "titulaire"
        _score(hits, "status", cv.titulaire, titulaire)
        if titulaire:
            _score(hits, "versant", cv.versant, expected["versant"])
            _score(hits, "categorie", cv.categorie, expected["categorie"])
            _score(hits, "grade", cv.grade_uri, uris.grade(expected["grade"]) if expected["grade"] else None)
            _score(hits, "echelon", cv.echelon, int(expected["echelon"]) if expected["echelon"] else None)
        _score(hits, "departement", cv.departement, expected["departement"])
        by_start = {e.start: e for e in cv.experiences}
        for step in careers.get(ref, []):
            found = by_start.get(step["start"])
            codes = [o.code for o in found.occupations if o.scheme == step["scheme"]] if found else []
            _score(hits, "top1", codes[0] if codes else None, step["code"])
            _score(hits, "top3", step["code"] if step["code"] in codes else None, step["code"])
    elapsed = time.perf_counter() - started
    rate = {k: h / max(1, n) for k, (h, n) in hits.items()}
    return CvFigures(
        len(files),
        rate["status"],
        rate["versant"],
        rate["categorie"],
        rate["grade"],
        rate["echelon"],
        rate["departement"],
        hits["top1"][1],
        rate["top1"],
        rate["top3"],
        elapsed / max(1, len(files)),
    )


def _score(hits: dict[str, list[int]], key: str, found: object, expected: object) -> None:
    if expected in (None, ""):
        return
    hits[key][1] += 1
    hits[key][0] += found == expected


def cv_figures_markdown(f: CvFigures, folder: Path) -> str:
    return "\n".join(
        [
            "",
            "## CVs of a simulated dataset",
            "",
            f"Produced by `vivier load measure --cvs {folder}`: {f.cvs} JSON Resume CVs written by `vivier simulate`,",
            "compared with the simulator's `truth/` (read by this measurement only, never by the loaders).",
            "",
            "| measure | value |",
            "|---|---|",
            f"| titulaire / contractuel right | {f.status:.1%} |",
            f"| versant / catégorie right (titulaires) | {f.versant:.1%} / {f.categorie:.1%} |",
            f"| exact NEG grade / échelon right (titulaires) | {f.grade:.1%} / {f.echelon:.1%} |",
            f"| département right | {f.departement:.1%} |",
            f"| career steps → occupation of the truth's scheme, top-1 / top-3 ({f.steps} steps) | "
            f"{f.step_top1:.1%} / {f.step_top3:.1%} |",
            f"| seconds per CV (one process) | {f.seconds_per_cv:.3f} |",
            "",
        ]
    )


# --- README.md: the figures block between the markers ----------------------------------------------------------
HOLD = "\0"  # a space that line wrapping must not break (a number and its unit, a command)
MARKERS = re.compile(r"(<!-- ingestion-figures:start\b[^\n]*?-->\n)(.*?)(<!-- ingestion-figures:end -->)", re.DOTALL)


def readme_block(
    f: Figures,
    cv: CvFigures | None = None,
    folder: Path | None = None,
    statutory: list[FieldScore] | None = None,
    skills: dict[str, list[SkillScore]] | None = None,
    rmfp: RmfpScore | None = None,
    statutory_sets: dict[Path, list[FieldScore]] | None = None,
) -> str:
    """The README's summary of a `vivier load measure` run (the full figures go to docs/ingestion-figures.md)."""
    total = f.offers + f.rejected
    intro = (
        f"Measured by `vivier load measure` on the {total} real PEP offers (`docs/ingestion-figures.md`; the truth is "
        f"the ROME fiche of the appellation each publisher chose, a coarse coding: {f.appellations} distinct "
        f"appellations for {total} offers):"
    )
    rows = [
        ("offer → ROME fiche, top-1 / top-3 accuracy", f"{f.top1:.1%} / {f.top3:.1%}"),
        ("skills found per offer (mean)", f"{f.skills_per_offer:.1f}"),
        ("offers with no skill", f"{f.no_skill_share:.1%}"),
        ("skill mentions from the similarity fallback", f"{f.similarity_share:.1%}"),
        (
            "contract / catégorie / education level / years of experience found",
            f"{f.with_contract:.1%} / {f.with_categorie:.1%} / {f.with_education:.1%} / {f.with_experience:.1%}",
        ),
        (
            f"offers understood per second, one / two processes (load average {f.load_average:.1f}, "
            f"{os.cpu_count()} cores)",
            f"{f.offers_per_second:.0f} / {f.offers_per_second_2:.0f}",
        ),
    ]
    table = ["| measure | value |", "|---|---:|", *(f"| {name} | {value} |" for name, value in rows)]
    parts = [_wrap(intro), "", *table]
    if statutory:
        parts += ["", _wrap(_statutory_sentence(statutory))]
    if skills or rmfp:
        parts += ["", _wrap(_skills_sentence(skills, rmfp))]
    for path, scores in (statutory_sets or {}).items():
        if path != GOLD_STATUTORY:
            parts += ["", _wrap(_fresh_statutory_sentence(path, scores))]
    if cv is not None and folder is not None:
        parts += ["", _wrap(_cv_sentence(cv, folder))]
    return "\n".join(parts) + "\n"


def _statutory_sentence(scores: list[FieldScore]) -> str:
    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.0%}"

    fields = "; ".join(
        f"{s.field.replace('_', ' ')} {pct(s.precision)}{HOLD}/{HOLD}{pct(s.recall)}" for s in scores if s.stated
    )
    unstated = [s.field.replace("_", " ") for s in scores if not s.stated]
    return (
        f"Statutory facts against {GOLD_STATUTORY.relative_to(REPO_ROOT).as_posix()} (100 real PEP offers annotated "
        f"by hand, `data/gold/README.md`), precision{HOLD}/{HOLD}recall: {fields}"
        + (f"; not stated in any gold offer: {', '.join(unstated)}." if unstated else ".")
    )


def _skills_sentence(skills: dict[str, list[SkillScore]] | None, rmfp: RmfpScore | None) -> str:
    def prf(s: SkillScore) -> str:
        return HOLD.join([_pct(s.concept_precision), "/", _pct(s.concept_recall), "/", _pct(s.concept_f1)])

    parts = []
    if skills:
        split = {s.split: s for s in skills["all mentions"]}
        held = split["heldout"]
        gold = GOLD_SKILLS.relative_to(REPO_ROOT).as_posix()
        parts.append(
            f"Skill mentions against {gold} (60 real offers annotated by hand), concept-level precision{HOLD}/{HOLD}"
            f"recall{HOLD}/{HOLD}F1: development offers {prf(split['dev'])}, held-out offers {prf(held)} (span level, "
            f"held out: {_pct(held.span_precision)}{HOLD}/{HOLD}{_pct(held.span_recall)})."
        )
    if rmfp:
        gold = GOLD_RMFP.relative_to(REPO_ROOT).as_posix()
        parts.append(
            f"Offer → RMFP emploi-référence against {gold} ({rmfp.offers} offers checked by hand): top-1 "
            f"{rmfp.top1_rate:.1%}, top-3 {rmfp.top3_rate:.1%}."
        )
    return " ".join(parts)


def _fresh_statutory_sentence(path: Path, scores: list[FieldScore]) -> str:
    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.0%}"

    fields = "; ".join(
        f"{s.field.replace('_', ' ')} {pct(s.precision)}{HOLD}/{HOLD}{pct(s.recall)} ({s.stated}{HOLD}stated)"
        for s in scores
        if s.stated
    )
    return f"Against `{path.relative_to(REPO_ROOT).as_posix()}` ({GOLD_STATUTORY_SETS[path]}): {fields}."


def _cv_sentence(f: CvFigures, folder: Path) -> str:
    return (
        f"On {f.cvs} CVs written by `vivier simulate` (`vivier load measure --cvs {folder}`, against the simulator's "
        f"truth, which the loaders never read): titulaire / contractuel right {f.status:.1%}, versant {f.versant:.1%}, "
        f"catégorie {f.categorie:.1%}, exact NEG grade {f.grade:.1%}, échelon {f.echelon:.1%}, département "
        f"{f.departement:.1%}; career steps classified top-1 {f.step_top1:.1%} / top-3 {f.step_top3:.1%} of "
        f"{f.steps:,} steps (the simulator titles steps with the repertories' own labels, so this checks the plumbing "
        f"more than the French); {f.seconds_per_cv:.3f}{HOLD}s per CV in one process."
    )


def _wrap(paragraph: str) -> str:
    # The README is wrapped at 118 columns; spaces inside `code spans` are held so that a command stays on one line.
    held = re.sub(r"`[^`]*`", lambda m: m.group(0).replace(" ", HOLD), paragraph)
    return textwrap.fill(held, width=118, break_long_words=False, break_on_hyphens=False).replace(HOLD, " ")


def replace_figures_block(text: str, block: str) -> str:
    """`text` with what lies between the two markers replaced by `block`; the same block twice: the same text."""
    found = MARKERS.findall(text)
    if len(found) != 1:
        raise ValueError(
            f"expected one '<!-- ingestion-figures:start … -->' … '{README_END}' pair in the README, found {len(found)}"
        )
    return MARKERS.sub(lambda m: f"{m.group(1)}{block.rstrip()}\n{m.group(3)}", text)


def write_readme(block: str, path: Path = README) -> bool:
    """Rewrite the README's figures block; True when its text changed."""
    old = path.read_text(encoding="utf-8")
    new = replace_figures_block(old, block)
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old


# --- Statutory facts against the hand-annotated gold (data/gold/statutory-offers.jsonl) ------------------------
STATUTORY_FIELDS = (
    "versant",
    "categorie",
    "contract",
    "filiere",
    "corps",
    "grade",
    "education_level",
    "years_experience",
    "working_time",
    "remote_work",
)
_NAME_STOP = {"de", "des", "du", "d", "l", "la", "le", "les", "en", "territorial", "territoriaux", "territoriale"}
_NAME_STOP |= {"territoriales", "terr", "hospitalier", "hospitaliers", "etat", "h", "f"}


@dataclass
class FieldScore:
    field: str
    stated: int  # offers whose gold states the field
    found: int  # offers for which the loader gives a value
    right: int  # … and it is the gold's

    @property
    def precision(self) -> float | None:
        return self.right / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.right / self.stated if self.stated else None

    @property
    def f1(self) -> float | None:
        return _f1(self.precision, self.recall)


def numbered_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """A gold JSONL file's objects with their line numbers (for the errors), blank lines skipped."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            yield number, json.loads(line)


def read_gold(path: Path = GOLD_STATUTORY) -> list[dict[str, object]]:
    rows = []
    for number, row in numbered_rows(path):
        unknown = set(row["facts"]) - set(STATUTORY_FIELDS)
        if unknown:
            raise ValueError(f"{path}: line {number} (offer {row['offer_id']}): unknown field(s) {sorted(unknown)}")
        rows.append(row)
    return rows


def gold_offers(rows: list[dict[str, object]], folder: Path = PEP_OFFERS.parent) -> list[OfferRecord | None]:
    """The gold's offers as the loader reads them (same order as `rows`; None for one the loader rejects), their
    text understood."""
    analyzer = default_analyzer()
    by_key: dict[tuple[str, str], OfferRecord] = {}
    for name in dict.fromkeys(str(r["file"]) for r in rows):
        raws, _ = read_offer_file(folder / name)
        for raw in raws:
            try:
                record = validate_offer(raw.fields, name, analyzer.catalogue, contract_required=False)
            except RecordError:
                continue
            by_key[(name, record.offer_id)] = record
    records = [by_key.get((str(r["file"]), str(r["offer_id"]))) for r in rows]
    understood = [r for r in records if r is not None]
    for record in understood:
        record.rome_appellation = None  # as in `measure`: the publisher's appellation is not a statutory fact
    enrich_offers(understood, analyzer)
    return records


def predicted_facts(record: OfferRecord | None) -> dict[str, object]:
    """The statutory facts the loader gives an offer, named as in the gold file (none for a rejected offer)."""
    if record is None:
        return dict.fromkeys(STATUTORY_FIELDS)
    catalogue = default_analyzer().catalogue
    grade = next((catalogue.grades[u] for u in record.required_grade_uris if u in catalogue.grades), None)
    cadre_labels = {g.cadre_uri: g.cadre_label for g in catalogue.grades.values() if g.cadre_uri}
    cadre = next((cadre_labels[u] for u in record.required_grade_uris if u in cadre_labels), None)
    return {
        "versant": record.versant,
        "categorie": record.categorie,
        "contract": record.contract,
        "filiere": record.filiere,
        "corps": record.corps or (grade.cadre_label if grade else cadre),
        "grade": grade.label if grade else None,
        "education_level": record.education_level,
        "years_experience": record.years_experience,
        "working_time": record.working_time,
        "remote_work": record.remote_work,
    }


def same_fact(field: str, found: object, expected: object) -> bool:
    """Corps and grades are compared by name (folded, singular, without "territorial"; one name starting the
    other); a gold list accepts any of its names; numbers by value; the rest exactly."""
    options = expected if isinstance(expected, list) else [expected]
    if field in ("corps", "grade"):
        words = _name_words(str(found))
        return any(_prefix(words, _name_words(str(o))) for o in options)
    if field in ("education_level", "years_experience"):
        return any(float(found) == float(o) for o in options)  # type: ignore[arg-type]
    return any(found == o for o in options)


def _name_words(name: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", fold_compat(re.sub(r"\([^)]*\)", " ", name)))
    words = [w[:-1] if len(w) > 3 and w[-1] in "sx" else w for w in words if w not in _NAME_STOP]
    return [w[:-2] + "l" if w.endswith("au") and len(w) > 5 else w for w in words]  # "paramédicaux" → "…al"


def _prefix(a: list[str], b: list[str]) -> bool:
    shorter = min(len(a), len(b))
    return shorter > 0 and all(_same_word(x, y) for x, y in zip(a[:shorter], b[:shorter], strict=True))


def _same_word(a: str, b: str) -> bool:
    """The same word, or one the NEG cut short (« Educateurs terr des activites physiques et sport »)."""
    return a == b or (min(len(a), len(b)) >= 5 and (a.startswith(b) or b.startswith(a)))


def measure_statutory(path: Path = GOLD_STATUTORY) -> list[FieldScore]:
    rows = read_gold(path)
    records = gold_offers(rows)
    scores = {f: FieldScore(f, 0, 0, 0) for f in STATUTORY_FIELDS}
    for row, record in zip(rows, records, strict=True):
        expected: dict[str, object] = row["facts"]  # type: ignore[assignment]
        found = predicted_facts(record)
        for name, score in scores.items():
            score.stated += expected.get(name) is not None
            score.found += found[name] is not None
            score.right += (
                found[name] is not None
                and expected.get(name) is not None
                and same_fact(name, found[name], expected[name])
            )
    return list(scores.values())


def measure_statutory_sets() -> dict[Path, list[FieldScore]]:
    """Each statutory gold file's scores (`GOLD_STATUTORY_SETS`, in that order)."""
    return {path: measure_statutory(path) for path in GOLD_STATUTORY_SETS}


def statutory_sets_markdown(sets: dict[Path, list[FieldScore]]) -> str:
    return "".join(statutory_markdown(scores, path) for path, scores in sets.items())


def statutory_markdown(scores: list[FieldScore], path: Path = GOLD_STATUTORY) -> str:
    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.1%}"

    rows = [
        f"| {s.field} | {s.stated} | {s.found} | {s.right} | {pct(s.precision)} | {pct(s.recall)} |" for s in scores
    ]
    what = GOLD_STATUTORY_SETS.get(path, f"{len(read_gold(path))} real PEP offers")
    intro = (
        f"Produced by `vivier load measure` on `{path.relative_to(REPO_ROOT).as_posix()}`: {what}. Read and "
        "annotated by hand; guidelines and provenance in `data/gold/README.md`. Stated = offers whose gold gives the "
        "field; found = offers the loader gives a value; right = found and equal to the gold."
    )
    return "\n".join(
        [
            "",
            f"## Statutory facts against the hand-annotated gold: `{path.name}`",
            "",
            textwrap.fill(intro, width=116, break_long_words=False, break_on_hyphens=False),
            "",
            "| field | stated | found | right | precision | recall |",
            "|---|---:|---:|---:|---:|---:|",
            *rows,
            "",
        ]
    )


# --- Skill mentions against the hand-annotated gold (data/gold/skills-offers.jsonl) --------------------------------
GOLD_SKILLS = GOLD / "skills-offers.jsonl"  # 60 real offers, skill spans and concepts annotated by hand
SKILL_SPLITS = ("dev", "heldout")  # the extractor is changed looking at `dev` only (data/gold/README.md)


@dataclass
class SkillScore:
    """Span-level (overlap) and concept-level counts of one split of the skills gold (data/gold/README.md)."""

    split: str
    offers: int = 0
    gold_spans: int = 0
    spans_hit: int = 0  # gold spans that a found mention overlaps
    found: int = 0  # found mentions
    found_hit: int = 0  # found mentions that overlap a gold span
    gold_sets: int = 0  # distinct gold concept sets, per offer (a mention's alternatives)
    sets_hit: int = 0  # … of which a concept is found
    concepts: int = 0  # distinct concepts found, per offer
    concepts_right: int = 0  # … that are among the offer's gold concepts

    @property
    def span_precision(self) -> float | None:
        return self.found_hit / self.found if self.found else None

    @property
    def span_recall(self) -> float | None:
        return self.spans_hit / self.gold_spans if self.gold_spans else None

    @property
    def concept_precision(self) -> float | None:
        return self.concepts_right / self.concepts if self.concepts else None

    @property
    def concept_recall(self) -> float | None:
        return self.sets_hit / self.gold_sets if self.gold_sets else None

    @property
    def concept_f1(self) -> float | None:
        return _f1(self.concept_precision, self.concept_recall)

    @property
    def span_f1(self) -> float | None:
        return _f1(self.span_precision, self.span_recall)

    def add(self, other: SkillScore) -> None:
        for name in ("offers", "gold_spans", "spans_hit", "found", "found_hit", "gold_sets", "sets_hit"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.concepts += other.concepts
        self.concepts_right += other.concepts_right


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def read_skills_gold(path: Path = GOLD_SKILLS) -> list[dict[str, Any]]:
    """The gold's lines, checked: known split, mentions in order, not overlapping, each with concepts' URIs."""
    rows = []
    for number, row in numbered_rows(path):
        where = f"{path}: line {number} (offer {row.get('offer_id')})"
        if row.get("split") not in SKILL_SPLITS:
            raise ValueError(f"{where}: field 'split' is {row.get('split')!r}, expected one of {SKILL_SPLITS}")
        end = 0
        for mention in row["mentions"]:
            if mention["start"] < end or mention["end"] <= mention["start"]:
                raise ValueError(f"{where}: mention {mention['text']!r} overlaps the previous one or is empty")
            if any(not str(c.get("uri", "")).startswith("https://") for c in mention["concepts"]):
                raise ValueError(f"{where}: mention {mention['text']!r} has a concept without a URI")
            end = mention["end"]
        rows.append(row)
    return rows


def analysed_text(record: OfferRecord) -> str:
    """The text `enrich_offers` gives the analyzer: the skills gold's offsets point into it."""
    return f"{record.title}\n{record.description}"


def check_skills_gold(rows: list[dict[str, Any]], records: list[OfferRecord | None], path: Path = GOLD_SKILLS) -> None:
    """Every gold offer is read by the loader, its analysed text is the one annotated (SHA-1), each mention's text is
    the slice its offsets name and each concept is in the catalogue."""
    skills = default_analyzer().catalogue.skills
    for row, record in zip(rows, records, strict=True):
        where = f"{path}: offer {row['offer_id']} of {row['file']}"
        if record is None:
            raise ValueError(f"{where}: the loader rejects or does not find this offer")
        text = analysed_text(record)
        if hashlib.sha1(text.encode("utf-8")).hexdigest() != row["text_sha1"]:
            raise ValueError(f"{where}: field 'text_sha1': the loader's text changed since it was annotated")
        for mention in row["mentions"]:
            if text[mention["start"] : mention["end"]] != mention["text"]:
                span = f"[{mention['start']}, {mention['end']})"
                raise ValueError(f"{where}: mention {mention['text']!r} is not at {span}")
            unknown = [c["uri"] for c in mention["concepts"] if c["uri"] not in skills]
            if unknown:
                raise ValueError(f"{where}: mention {mention['text']!r}: concept(s) not in the catalogue: {unknown}")


def score_skills(row: dict[str, Any], found: list[SkillMention]) -> SkillScore:
    """One offer's counts: `found` (the loader's mentions) against the gold line `row`."""
    gold = row["mentions"]
    score = SkillScore(str(row["split"]), offers=1, gold_spans=len(gold), found=len(found))
    score.spans_hit = sum(any(m.start < g["end"] and g["start"] < m.end for m in found) for g in gold)
    score.found_hit = sum(any(m.start < g["end"] and g["start"] < m.end for g in gold) for m in found)
    sets = {frozenset(c["uri"] for c in g["concepts"]) for g in gold if g["concepts"]}
    uris = {m.uri for m in found}
    score.gold_sets, score.sets_hit = len(sets), sum(bool(s & uris) for s in sets)
    gold_uris = set().union(*sets) if sets else set()
    score.concepts, score.concepts_right = len(uris), len(uris & gold_uris)
    return score


SKILL_SOURCES = {"all mentions": None, "matcher only": ("matcher",)}  # which of the loader's mentions are scored


def skills_gold_texts(rows: list[dict[str, Any]], catalogue: Catalogue) -> list[str | None]:
    """The analysed text of each gold offer, read and validated as the loader does, not understood (so that the
    analyzer can learn from them while it is being built); None for an offer the loader rejects."""
    texts: dict[tuple[str, str], str] = {}
    for name in dict.fromkeys(str(r["file"]) for r in rows):
        for raw in read_offer_file(PEP_OFFERS.parent / name)[0]:
            try:
                record = validate_offer(raw.fields, name, catalogue, contract_required=False)
            except RecordError:
                continue
            texts[(name, record.offer_id)] = analysed_text(record)
    return [texts.get((str(r["file"]), str(r["offer_id"]))) for r in rows]


def concept_f1_of(rows: list[dict[str, Any]]) -> Callable[[list[int], list[list[SkillMention]]], float]:
    """The concept F1 of mentions found for some of `rows` (by index): what the skill ranker's threshold maximises."""

    def f1(ids: list[int], found: list[list[SkillMention]]) -> float:
        total = SkillScore("fit")
        for i, mentions in zip(ids, found, strict=True):
            total.add(score_skills(rows[i], mentions))
        return total.concept_f1 or 0.0

    return f1


def cross_validated_skills(rows: list[dict[str, Any]], records: list[OfferRecord]) -> dict[int, list[SkillMention]]:
    """The development offers' mentions as a skill ranker fitted on the other development offers keeps them
    (`loaders.skill_ranker.cross_validated`); the held-out offers keep the loader's, whose ranker is fitted on the
    development offers only. Empty when the analyzer has no ranker."""
    from loaders.skill_ranker import cross_validated, gold_concepts

    analyzer = default_analyzer()
    dev = [i for i, r in enumerate(rows) if r["split"] == "dev"]
    if analyzer.ranker is None or not dev:
        return {}
    texts = [analysed_text(records[i]) for i in dev]
    candidates = analyzer.skill_candidates(texts, [records[i].title for i in dev])
    gold = [gold_concepts(rows[i]) for i in dev]
    dev_rows = [rows[i] for i in dev]
    kept = cross_validated(candidates, gold, range(len(dev)), concept_f1_of(dev_rows))
    return {dev[j]: mentions for j, mentions in kept.items()}


def measure_skills(path: Path = GOLD_SKILLS) -> dict[str, list[SkillScore]]:
    """Span and concept precision / recall of the loader's skill mentions on the gold, per split (development, held
    out, all): of all its mentions, and of the matcher's alone (`SKILL_SOURCES`). The development offers are scored
    by cross-validation of the skill ranker (`cross_validated_skills`), never by a ranker fitted on them."""
    rows = read_skills_gold(path)
    records = gold_offers(rows)
    check_skills_gold(rows, records, path)
    understood = [r for r in records if r is not None]
    assert len(understood) == len(rows)  # check_skills_gold refused the gold otherwise
    folded = cross_validated_skills(rows, understood)
    figures = {}
    for name, sources in SKILL_SOURCES.items():
        scores = {split: SkillScore(split) for split in (*SKILL_SPLITS, "all")}
        for i, (row, record) in enumerate(zip(rows, understood, strict=True)):
            skills = folded.get(i, record.skills)
            offer = score_skills(row, [m for m in skills if sources is None or m.source in sources])
            scores[offer.split].add(offer)
            scores["all"].add(offer)
        figures[name] = list(scores.values())
    return figures


SPLIT_NAMES = {"dev": "development (40 offers)", "heldout": "held out (20 offers)", "all": "all 60 offers"}


def skills_markdown(figures: dict[str, list[SkillScore]], path: Path = GOLD_SKILLS) -> str:
    def row(s: SkillScore, what: str) -> str:
        return (
            f"| {SPLIT_NAMES[s.split]}, {what} | {s.gold_spans} | {s.found} | {_pct(s.span_precision)} | "
            f"{_pct(s.span_recall)} | {s.gold_sets} | {s.concepts} | {_pct(s.concept_precision)} | "
            f"{_pct(s.concept_recall)} | {_pct(s.concept_f1)} |"
        )

    return "\n".join(
        [
            "",
            "## Skill mentions against the hand-annotated gold",
            "",
            f"Produced by `vivier load measure` on `{path.relative_to(REPO_ROOT)}` (60 real PEP offers, skill spans",
            "and catalogue concepts annotated by hand; guidelines, the development / held-out split and the scoring in",
            "`data/gold/README.md`). Span level: a found mention is right when it overlaps a gold span. Concept level:",
            "found concepts among the offer's gold concepts (precision), gold concept sets of which one is found",
            "(recall), micro-averaged over offers. The extractor is changed looking at the development offers only.",
            "",
            "| offers | gold spans | found | span precision | span recall | gold concepts | found concepts | "
            "concept precision | concept recall | concept F1 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *(row(s, name) for name, scores in figures.items() for s in scores),
            "",
        ]
    )


# --- Offer → RMFP emploi-référence against the hand-checked truth (data/gold/rmfp-offers.jsonl) -------------------
GOLD_RMFP = GOLD / "rmfp-offers.jsonl"  # 100 real offers, the emplois-référence that fit each, checked by hand


@dataclass
class RmfpScore:
    offers: int
    top1: int  # offers whose best RMFP emploi-référence is one the truth accepts
    top3: int  # … one of the three best

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.offers if self.offers else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.offers if self.offers else 0.0


def read_rmfp_gold(path: Path = GOLD_RMFP) -> list[dict[str, Any]]:
    rows = []
    for number, row in numbered_rows(path):
        if not row.get("emplois") or any(not str(e.get("code", "")).startswith("FP") for e in row["emplois"]):
            where = f"{path}: line {number} (offer {row.get('offer_id')})"
            raise ValueError(f"{where}: field 'emplois' must list RMFP emplois-référence with their codes")
        rows.append(row)
    return rows


def measure_rmfp(path: Path = GOLD_RMFP) -> RmfpScore:
    """Top-1 and top-3 of the loader's RMFP scores against the truth (an offer the loader rejects counts as missed)."""
    rows = read_rmfp_gold(path)
    records = gold_offers(rows)
    score = RmfpScore(len(rows), 0, 0)
    for row, record in zip(rows, records, strict=True):
        accepted = {str(e["code"]) for e in row["emplois"]}
        found = sorted((o for o in (record.occupations if record else []) if o.scheme == "RMFP"), key=lambda o: o.rank)
        codes = [o.code for o in found[:3]]
        score.top1 += bool(codes) and codes[0] in accepted
        score.top3 += bool(accepted & set(codes))
    return score


def rmfp_markdown(score: RmfpScore, path: Path = GOLD_RMFP) -> str:
    return "\n".join(
        [
            "",
            "## Offer → RMFP emploi-référence against the hand-checked truth",
            "",
            f"Produced by `vivier load measure` on `{path.relative_to(REPO_ROOT)}` ({score.offers} real PEP offers,",
            "the emplois-référence that fit each checked by hand; method and provenance in `data/gold/README.md`).",
            "Right when the loader's best (top-1) or one of its three best (top-3) RMFP emplois is one the truth",
            "accepts.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| offer → RMFP emploi-référence, top-1 | {score.top1_rate:.1%} ({score.top1} of {score.offers}) |",
            f"| offer → RMFP emploi-référence, top-3 | {score.top3_rate:.1%} ({score.top3} of {score.offers}) |",
            "",
        ]
    )


# --- CVs written by hand, against data/gold/cvs.jsonl (issue 16) -----------------------------------------------
GOLD_CVS = GOLD / "cvs.jsonl"
GOLD_CV_FOLDER = GOLD / "cvs"
CV_FACT_FIELDS = (
    "versant",
    "categorie",
    "contract",
    "grade",
    "cadre",
    "filiere",
    "echelon",
    "education_level",
    "departement",
)
CV_SETS = (
    "development",
    "check",
    "fresh",
    "fresh-2",
    "fresh-3",
    "fresh-4",
    "fresh-5",
    "fresh-6",
    "fresh-7",
    "fresh-8",
    "fresh-9",
    "fresh-10",
    "fresh-11",
    "fresh-12",
    "fresh-13",
    "fresh-14",
    "fresh-15",
    "fresh-16",
    "fresh-17",
    "fresh-18",
    "fresh-19",
    "fresh-20",
    "fresh-21",
    "fresh-22",
    "fresh-23",
    "fresh-24",
    "fresh-25",
    "fresh-26",
    "fresh-27",
    "fresh-28",
)
CV_FIGURES_START = "<!-- gold-cvs:start (written by `vivier load measure`: edit loaders/measure.py, not this) -->"
CV_FIGURES_END = "<!-- gold-cvs:end -->"
CV_MARKERS = re.compile(r"(<!-- gold-cvs:start\b[^\n]*?-->\n)(.*?)(<!-- gold-cvs:end -->)", re.DOTALL)


@dataclass
class Ratio:
    right: int = 0
    total: int = 0

    def add(self, right: bool) -> None:
        self.right += right
        self.total += 1

    @property
    def value(self) -> float | None:
        return self.right / self.total if self.total else None


@dataclass
class GoldCvFigures:
    """What the product's CV reading gets right on one set of the hand-written CVs."""

    cvs: int
    facts: list[FieldScore]
    experiences: int
    dates: Ratio  # start and end of the step as stated (month when stated; "present" = no end)
    positions: Ratio  # the step's position opens with the same three words as written (no task line before it)
    extra_steps: Ratio  # steps read (total) that match no gold step (right): a status line or a course read as a job
    rome_top1: Ratio
    rome_top3: Ratio
    rmfp_top1: Ratio
    rmfp_top3: Ratio
    span: FieldScore  # skill spans: stated = gold spans, found = mentions, right = gold spans a mention overlaps
    span_found_right: int  # mentions that overlap a gold span (the precision's numerator)
    concept: FieldScore  # skill concepts per CV: stated = gold URIs, found = URIs found, right = in both
    identities: int  # invented names, e-mails, phones, addresses (and birth dates) the gold lists
    leaked: list[str]  # those found in what goes to Neo4j: "file: value"
    agreement: SkillAgreement | None = None  # on the "all" figures: two annotators' skill concepts

    @property
    def span_precision(self) -> float | None:
        return self.span_found_right / self.span.found if self.span.found else None

    @property
    def concept_f1(self) -> float | None:
        return self.concept.f1


GOLD_SECOND_SKILLS = GOLD / "cvs-skills-second.jsonl"  # a second annotator's concepts for the gold's spans


@dataclass
class SkillAgreement:
    """How far a second annotator, linking the gold's own skill spans without seeing the gold's links, agrees with
    it (data/gold/README.md): the ceiling a reader can hope for against one annotator's choices."""

    cvs: int
    spans: int
    same: int  # spans both linked to the same concept, or both left without one
    both_linked: int
    same_linked: int
    second: FieldScore  # per CV, the second annotator's concepts against the gold's (stated: gold, found: second)
    product: FieldScore  # the product's concepts on the same CVs, scored as the gold CVs' skills are
    # the second annotator's (stated, found, right) per CV, for the interval
    per_cv: list[tuple[int, int, int]] = dataclasses.field(default_factory=list)

    def second_f1_interval(self, rounds: int = 2000) -> tuple[float, float]:
        """95 % bootstrap interval of the second annotator's F1, the CVs resampled (seeded: the docs are stable)."""
        counts = np.array(self.per_cv, dtype=float)
        rng = np.random.default_rng(16)
        sums = counts[rng.integers(0, len(counts), size=(rounds, len(counts)))].sum(axis=1)
        f1 = 2 * sums[:, 2] / np.maximum(sums[:, 0] + sums[:, 1], 1)  # 2PR / (P + R) = 2 right / (stated + found)
        low, high = np.quantile(f1, [0.025, 0.975])
        return float(low), float(high)


def read_second_skills(rows: list[dict[str, Any]], path: Path = GOLD_SECOND_SKILLS) -> dict[str, list[str | None]]:
    """The second annotation, by CV file: one concept URI (or None) per gold span, checked against the gold's spans."""
    spans = {str(r["file"]): [str(g["text"]) for g in r["skills"]] for r in rows}
    second: dict[str, list[str | None]] = {}
    for number, row in numbered_rows(path):
        where = f"{path}: line {number} ({row.get('file')})"
        if row.get("file") not in spans:
            raise ValueError(f"{where}: field 'file' names no CV of the gold")
        if [link["text"] for link in row["links"]] != spans[row["file"]]:
            raise ValueError(f"{where}: field 'links' does not follow the gold's skill spans one by one")
        second[row["file"]] = [link["uri"] for link in row["links"]]
    return second


def skill_agreement(rows: list[dict[str, Any]], records: list[CandidateRecord]) -> SkillAgreement:
    second = read_second_skills(rows)
    agreement = SkillAgreement(0, 0, 0, 0, 0, FieldScore("second", 0, 0, 0), FieldScore("product", 0, 0, 0))
    for row, record in zip(rows, records, strict=True):
        if row["file"] not in second:
            continue
        gold = [g["uri"] for g in row["skills"]]
        links = second[row["file"]]
        agreement.cvs += 1
        agreement.spans += len(gold)
        pairs = list(zip(gold, links, strict=True))
        agreement.same += sum(g == s for g, s in pairs)
        agreement.both_linked += sum(bool(g and s) for g, s in pairs)
        agreement.same_linked += sum(bool(g and g == s) for g, s in pairs)
        expected = {str(uri) for uri in gold if uri}
        linked = {str(u) for u in links if u}
        agreement.per_cv.append((len(expected), len(linked), len(expected & linked)))
        for score, found in ((agreement.second, linked), (agreement.product, {m.uri for m in record.skills})):
            score.stated += len(expected)
            score.found += len(found)
            score.right += len(expected & found)
    return agreement


def read_gold_cvs(path: Path = GOLD_CVS) -> list[dict[str, Any]]:
    rows = []
    for number, row in numbered_rows(path):
        unknown = set(row["facts"]) - set(CV_FACT_FIELDS)
        if unknown:
            raise ValueError(f"{path}: line {number} ({row['file']}): unknown field(s) {sorted(unknown)}")
        if row["set"] not in CV_SETS:
            raise ValueError(f"{path}: line {number} ({row['file']}): set {row['set']!r} is not one of {CV_SETS}")
        rows.append(row)
    return rows


def gold_cv_records(rows: list[dict[str, Any]], folder: Path = GOLD_CV_FOLDER) -> list[CandidateRecord]:
    """The gold's CV files read by the product's own batch reader (`parse_cv_files`), in the gold's order."""
    from loaders.cvs import parse_cv_files

    documents = [((folder / str(r["file"])).read_bytes(), str(r["file"])) for r in rows]
    records: list[CandidateRecord] = []
    for batch in parse_cv_files(documents, "gold-cvs", default_analyzer()):
        for number, result in enumerate(batch, start=len(records)):
            if isinstance(result, RecordError):
                raise ValueError(f"{folder / str(rows[number]['file'])}: the CV reader refused it: {result}")
            records.append(result)
    return records


def predicted_cv_facts(record: CandidateRecord) -> dict[str, object]:
    grade = default_analyzer().catalogue.grades.get(record.grade_uri or "")
    contract = {True: "titulaire", False: "contractuel"}.get(record.titulaire) if record.titulaire is not None else None
    return {
        "versant": record.versant,
        "categorie": record.categorie,
        "contract": contract,
        "grade": grade.code if grade else None,
        "cadre": record.corps or (grade.cadre_label if grade and grade.cadre_label else _named_cadre_label(record)),
        "filiere": record.filiere,
        "echelon": record.echelon,
        "education_level": record.education_level,
        "departement": record.departement,
    }


def _named_cadre_label(record: CandidateRecord) -> str | None:
    """A cadre the CV names without a grade: the name as written (the catalogue's label of the concept it resolves
    to may be an older name: « Secrétaires médicaux » for the assistants médico-administratifs)."""
    if record.corps:
        return record.corps
    for grade in default_analyzer().catalogue.grades.values():
        if record.cadre_uri and grade.cadre_uri == record.cadre_uri:
            return grade.cadre_label
    return None


def same_cv_fact(field: str, found: object, expected: object) -> bool:
    """Grades by NEG code (a gold list accepts any), cadres by name as for offers' corps, filières folded."""
    if field == "cadre":
        return same_fact("corps", found, expected)
    if field == "filiere":
        return fold_compat(str(found)) == fold_compat(str(expected))
    options = expected if isinstance(expected, list) else [expected]
    return any(found == o for o in options)


def measure_gold_cvs(path: Path = GOLD_CVS, folder: Path = GOLD_CV_FOLDER) -> dict[str, GoldCvFigures]:
    """The hand-written CVs read by the product, scored against the gold: one figure set per gold set
    (`development`: read while fixing the reader; `check`: never looked at while fixing) and for all."""
    rows = read_gold_cvs(path)
    records = gold_cv_records(rows, folder)
    figures = {}
    for name in ("all", *CV_SETS):
        chosen = [(r, c) for r, c in zip(rows, records, strict=True) if name in ("all", r["set"])]
        figures[name] = _score_gold_cvs(chosen)
    figures["all"].agreement = skill_agreement(rows, records)
    return figures


def _score_gold_cvs(pairs: list[tuple[dict[str, Any], CandidateRecord]]) -> GoldCvFigures:
    facts = {f: FieldScore(f, 0, 0, 0) for f in CV_FACT_FIELDS}
    figures = GoldCvFigures(
        len(pairs), list(facts.values()), 0, Ratio(), Ratio(), Ratio(), Ratio(), Ratio(), Ratio(), Ratio(),
        FieldScore("span", 0, 0, 0), 0, FieldScore("concept", 0, 0, 0), 0, [],
    )  # fmt: skip
    for row, record in pairs:
        found = predicted_cv_facts(record)
        for name, score in facts.items():
            expected = row["facts"].get(name)
            score.stated += expected is not None
            score.found += found[name] is not None
            score.right += (
                found[name] is not None and expected is not None and same_cv_fact(name, found[name], expected)
            )
        _score_experiences(figures, row["experiences"], record.experiences)
        _score_skills(figures, row["skills"], record)
        stored = fold_compat(json.dumps(record.to_dict(), ensure_ascii=False))
        figures.identities += len(row["identity"])
        figures.leaked += [f"{row['file']}: {i}" for i in row["identity"] if _holds_whole(stored, fold_compat(i))]
    return figures


def _holds_whole(stored: str, identity: str) -> bool:
    """Whether the records hold the identity as whole words: « Régis » is in « registre » but reached no record."""
    return re.search(rf"(?<![\w]){re.escape(identity)}(?![\w])", stored) is not None


def _score_experiences(figures: GoldCvFigures, gold: list[dict[str, Any]], found: list[ExperienceRecord]) -> None:
    """Each gold step is paired with the reader's step that starts the same year and shares most words with its
    position; a gold step with no such step counts as missed for its dates and occupations."""
    free = list(found)
    for step in gold:
        figures.experiences += 1
        match = _matching_step(step, free)
        if match is not None:
            free.remove(match)
        end = None if step["end"] == "present" else step["end"]
        figures.dates.add(match is not None and (match.start, match.end) == (step["start"], end))
        opening = _words(str(step["position"]))[:3]
        figures.positions.add(match is not None and _words(match.position)[:3] == opening)
        for scheme, top1, top3 in (("rome", figures.rome_top1, figures.rome_top3), ("rmfp", figures.rmfp_top1,
                                                                                  figures.rmfp_top3)):  # fmt: skip
            if not step.get(scheme):
                continue
            occupations = sorted(match.occupations, key=lambda o: o.rank) if match is not None else []
            ranked = [o.code for o in occupations if o.scheme == scheme.upper()]
            top1.add(bool(ranked) and ranked[0] in step[scheme])
            top3.add(any(code in step[scheme] for code in ranked[:3]))
    for read in found:
        figures.extra_steps.add(any(read is other for other in free))


def _matching_step(step: dict[str, Any], found: list[ExperienceRecord]) -> ExperienceRecord | None:
    same_year = [e for e in found if (e.start or "")[:4] == str(step["start"])[:4]]
    words = set(_words(str(step["position"])))
    return max(same_year, key=lambda e: len(words & set(_words(e.position))), default=None)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]{3,}", fold_compat(text))


def _score_skills(figures: GoldCvFigures, gold: list[dict[str, Any]], record: CandidateRecord) -> None:
    spans = [_span_text(str(g["text"])) for g in gold]
    mentions = [_span_text(m.text) for m in record.skills]
    overlaps = [[g in m or m in g for m in mentions] for g in spans]
    figures.span.stated += len(spans)
    figures.span.found += len(mentions)
    figures.span.right += sum(any(row) for row in overlaps)
    figures.span_found_right += sum(any(row[i] for row in overlaps) for i in range(len(mentions)))
    expected = {str(g["uri"]) for g in gold if g["uri"]}
    uris = {m.uri for m in record.skills}
    figures.concept.stated += len(expected)
    figures.concept.found += len(uris)
    figures.concept.right += len(expected & uris)


def _span_text(text: str) -> str:
    """A span compared folded, with words cut at a line end joined again and blanks collapsed."""
    return " ".join(re.sub(r"-\s*\n\s*", "", fold_compat(text)).split())


def gold_cvs_markdown(figures: dict[str, GoldCvFigures], path: Path = GOLD_CVS) -> str:
    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.1%}"

    def ratio(r: Ratio) -> str:
        return f"{pct(r.value)} ({r.right}/{r.total})"

    sets = ("all", *CV_SETS)
    head = "| measure | " + " | ".join(f"{s} ({figures[s].cvs} CVs)" for s in sets) + " |"
    rows = [head, "|---|" + "---:|" * len(sets)]
    for number, field in enumerate(CV_FACT_FIELDS):
        cells = [f"{pct(figures[s].facts[number].precision)} / {pct(figures[s].facts[number].recall)} "
                 f"(stated {figures[s].facts[number].stated})" for s in sets]  # fmt: skip
        rows.append(f"| {field}: precision / recall | " + " | ".join(cells) + " |")
    measures: list[tuple[str, Callable[[GoldCvFigures], str]]] = [
        ("career steps (gold)", lambda f: str(f.experiences)),
        ("step dates as stated (start and end)", lambda f: ratio(f.dates)),
        ("step position as written (its first three words)", lambda f: ratio(f.positions)),
        ("steps read that are no gold step (of the steps read)", lambda f: ratio(f.extra_steps)),
        ("step → ROME fiche, top-1", lambda f: ratio(f.rome_top1)),
        ("step → ROME fiche, top-3", lambda f: ratio(f.rome_top3)),
        ("step → RMFP emploi-référence, top-1 (public posts)", lambda f: ratio(f.rmfp_top1)),
        ("step → RMFP emploi-référence, top-3 (public posts)", lambda f: ratio(f.rmfp_top3)),
        ("skill spans: precision / recall", lambda f: f"{pct(f.span_precision)} / {pct(f.span.recall)}"),
        (
            "skill concepts: precision / recall / F1",
            lambda f: f"{pct(f.concept.precision)} / {pct(f.concept.recall)} / {pct(f.concept_f1)}",
        ),
        ("invented identities reaching the records (of those listed)", lambda f: f"{len(f.leaked)} / {f.identities}"),
    ]
    rows += [f"| {name} | " + " | ".join(show(figures[s]) for s in sets) + " |" for name, show in measures]
    leaked = sorted(figures["all"].leaked)
    return "\n".join(
        [
            CV_FIGURES_START,
            "",
            "## CVs written by hand against the gold",
            "",
            "Produced by `vivier load measure` (or `vivier load measure --gold-cvs` alone) on",
            f"`{path.relative_to(REPO_ROOT)}` ({figures['all'].cvs} invented French public-service CVs in",
            "`data/gold/cvs/`, read by `parse_cv_files`; guidelines in `data/gold/README.md`). *development*: the",
            "CVs read while the reader was fixed (optimistic); *check*: the CVs kept aside, never looked at while",
            "fixing; *fresh*: 10 CVs written and annotated on 2026-12-07 after that day's first changes to the",
            "reader, scored once, then read for the fixes of group 7 (docs/ingestion.md): no longer unseen;",
            "*fresh-2*: 6 CVs written and annotated after group 7, scored once, then read for group 8 (its",
            "first, unseen figures are in docs/ingestion.md); *fresh-3*: 6 CVs written and annotated after",
            "group 8, scored once, then read for group 9; *fresh-4*: 6 CVs written and annotated by an engineer",
            "who had not read the reader, after groups 9–12, scored once, then read for group 13 (first figures",
            "in docs/ingestion.md); *fresh-5* and *fresh-6*: 6 CVs each by such engineers, after groups 13–14, each",
            "committed before the loader read them and scored once, then read for groups 15 and 16 (first figures in",
            "docs/ingestion.md); *fresh-7*: 6 more by such an engineer, after group 16, committed before the",
            "loader read them, scored once, then read for group 17; *fresh-8*: 6 more by such an engineer, after",
            "group 18, in layouts unlike the others, scored once, then read for group 19; *fresh-9*: 6 more by",
            "such an engineer, after group 20, scored once, then read for group 21; *fresh-10*: 6 more by such",
            "an engineer, after group 21, scored once, then read for group 22; *fresh-11*: 6 more by such an",
            "engineer, in ordinary layouts, after group 22: unseen by the rules (first figures in",
            "docs/ingestion.md); *fresh-12*: 6 more by such an engineer, after group 22, committed before the",
            "loader read them, scored once, then read for group 23; *fresh-13*: 6 more by such an engineer,",
            "after groups 23–24, committed before the loader read them, scored once, then read for group 25;",
            "*fresh-14*: 6 more by such an engineer (three PDFs, three DOCX files), after group 26: unseen by the",
            "rules (first figures in docs/ingestion.md); *fresh-15*: 6 more by such an engineer, after group 26,",
            "committed before the loader read them, scored once, then read for group 27; *fresh-16*: 6 more by",
            "such an engineer, after group 28 and the arrays change of 2026-12-07, scored once, then read for",
            "group 29; *fresh-17*: 6 more by such an engineer, after group 30, in unusual layouts, scored once,",
            "then read for group 31; *fresh-18*: 6 more by such an engineer, ordinary layouts, after group 32,",
            "scored once, then read for groups 33 and 34; *fresh-19*: 6 more by such an engineer, ordinary",
            "layouts, after group 34, scored once, then read for group 35; *fresh-20*: 6 more by such an",
            "engineer, ordinary layouts, after group 35, scored once, then read for group 36; *fresh-21*: 6 more",
            "by such an engineer, ordinary layouts, after group 36, scored once, then read for group 37;",
            "*fresh-22*: 6 more by such an engineer, new occupations and layouts, after group 37, scored once,",
            "then read for group 38; *fresh-23*: 6 more by such an engineer, new occupations, ordinary layouts,",
            "after group 38, scored once, then read for group 39; *fresh-24*: 6 more by such an engineer, new",
            "occupations, ordinary layouts, after group 39, scored twice, then read for group 41; *fresh-25*: 6",
            "more by such an engineer, new occupations, ordinary layouts, after group 41, scored once, then read",
            "for group 42; *fresh-26*: 6 more by such an engineer, new occupations, ordinary layouts, after group",
            "44, scored once, then read for group 45; *fresh-27*: 6 more by such an engineer, new occupations,",
            "ordinary layouts, after group 46, scored once, then read for group 47; *fresh-28*: 6 more by such an",
            "engineer, new occupations, ordinary layouts, after group 47: unseen by the rules (first figures of",
            "each in docs/ingestion.md).",
            "Precision / recall as for offers; a field counts when the gold states it.",
            "",
            *rows,
            "",
            *(["Identities found in the records: " + ", ".join(leaked) + ".", ""] if leaked else []),
            *_agreement_lines(figures["all"].agreement),
            CV_FIGURES_END,
            "",
        ]
    )


def _agreement_lines(agreement: SkillAgreement | None) -> list[str]:
    if agreement is None or not agreement.cvs:
        return []
    a, pct = agreement, _pct
    low, high = a.second_f1_interval()

    def prf(score: FieldScore) -> str:
        return f"{pct(score.precision)} / {pct(score.recall)} / {pct(score.f1)}"

    text = (
        f"**Two annotators.** A second annotator linked the gold's own skill spans of {a.cvs} CVs to catalogue"
        f" concepts without seeing the gold's links (`{GOLD_SECOND_SKILLS.relative_to(REPO_ROOT)}`, method in"
        f" `data/gold/README.md`). Against the gold, concept precision / recall / F1 {prf(a.second)}"
        f" (F1 95 % interval, the CVs resampled: {pct(low)} to {pct(high)}); the same"
        f" choice on {pct(a.same / a.spans)} of the {a.spans} spans (both without a concept included), the same"
        f" concept on {pct(a.same_linked / a.both_linked)} of the {a.both_linked} spans both linked. The product"
        f" on the same CVs, finding its own spans: {prf(a.product)}. The issue's bar (concept F1 ≥ 0.70) is "
        + ("below" if (a.second.f1 or 0) >= 0.70 else "above")
        + " the F1 of a second careful annotator given the spans"
        + (", though inside its interval." if low < 0.70 <= high else ".")
    )
    return [_wrap(text), ""]


def replace_gold_cvs_block(text: str, block: str) -> str:
    """`text` with its gold-CV section replaced by `block`, or `block` appended when it has none."""
    if CV_MARKERS.search(text) is None:
        return text.rstrip("\n") + "\n\n" + block
    return CV_MARKERS.sub(lambda _: block.rstrip("\n"), text, count=1) + ("" if text.endswith("\n") else "\n")
