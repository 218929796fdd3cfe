"""Text understanding measured on the 652 real Place de l'Emploi Public offers, which carry the ROME appellation
(OGR) their publisher chose: offer → ROME fiche top-1 / top-3 accuracy (the appellation's fiche is the truth),
skills per offer, share of offers with no skill, facts found, and throughput. Writes docs/ingestion-figures.md and
the figures block of README.md (between the `ingestion-figures` markers), so that neither is copied by hand."""

from __future__ import annotations

import json
import os
import re
import statistics
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from loaders.nlp import TextAnalyzer, default_analyzer
from loaders.occupations import OfferCoding
from loaders.offers import enrich_offers, read_offer_file, validate_offer
from loaders.records import OfferRecord, RecordError
from ontology.text import fold_compat
from vivier.settings import REPO_ROOT

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
        ("skill mentions from the vector-similarity fallback", f"{f.similarity_share:.1%}"),
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


def read_gold(path: Path = GOLD_STATUTORY) -> list[dict[str, object]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
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
    return ["principal" if w == "principau" else w for w in words]


def _prefix(a: list[str], b: list[str]) -> bool:
    shorter = min(len(a), len(b))
    return shorter > 0 and a[:shorter] == b[:shorter]


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
