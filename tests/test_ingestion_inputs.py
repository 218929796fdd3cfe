"""Inputs as they come, end to end into Neo4j: JSON-LD `@graph` and arrays, both real PEP exports, files wholly in
cp1252, loads stopped half-way and run again; and what does not need Neo4j: the README figures block, the demo
pseudonym key warning, birthplaces and postal codes in CV text."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from neo4j.exceptions import ServiceUnavailable

import graph.writes as writes
from graph.db import Database
from loaders import measure, pseudonym
from loaders.rejects import RejectLog
from tests.support.ingestion import count, graph_fingerprint
from vivier.ingest import LoadSummary, load_cvs, load_dataset, load_history, load_offers
from vivier.settings import REPO_ROOT, Settings

DATA = Path(__file__).parent / "data" / "ingestion"
DATASET = DATA / "dataset"
JSONLD = DATA / "jsonld"


def offer_ids(database: Database) -> set[str]:
    return {r["id"] for r in database.execute_query("MATCH (o:Offer) RETURN o.offer_id AS id").records}


def rejects_of(log: RejectLog) -> list[dict[str, str]]:
    """The rejects as written to the file (not the in-memory list): what a person reads."""
    if not log.path.exists():
        return []
    return [json.loads(line) for line in log.path.read_text(encoding="utf-8").splitlines()]


# --- JSON-LD: an @graph and an array of JobPostings ----------------------------------------------------------
JSONLD_CASES = {
    "postings-graph.jsonld": {
        "LD-G-001": ("35", "Ville de Rennes"),
        "LD-G-002": ("56", "Centre hospitalier de Vannes"),
    },
    "postings-array.jsonld": {
        "LD-A-001": ("91", "Communauté d'agglomération du Val d'Orge"),
        "LD-A-002": ("29", "Mairie de Quimperlé"),
    },
}


def assert_postings_loaded(db: Database, expected: dict[str, tuple[str, str]]) -> None:
    rows = db.execute_query(
        "MATCH (o:Offer)-[:POSTED_BY]->(e:Employer), (o)-[:LOCATED_IN]->(d:Departement) "
        "RETURN o.offer_id AS id, d.code AS dep, e.name AS employer, o.description AS text"
    ).records
    assert {r["id"]: (r["dep"], r["employer"]) for r in rows} == expected
    assert not any("<" in r["text"] or "&nbsp;" in r["text"] for r in rows)  # HTML stripped
    assert count(db, "MATCH (:Offer)-[:OF_OCCUPATION]->(:RomeFiche) RETURN count(*)") >= len(expected)


@pytest.mark.parametrize("name", sorted(JSONLD_CASES))
def test_jsonld_file_loads_through_the_library(db: Database, tmp_path: Path, name: str) -> None:
    log = RejectLog(tmp_path / "rejects.jsonl")
    summary = load_offers(db, JSONLD / name, rejects=log)
    expected = JSONLD_CASES[name]
    assert_postings_loaded(db, expected)
    assert summary.kinds["offer"].loaded == len(expected)
    untitled = (
        [{"source": str(JSONLD / name), "record": "record 3", "field": "title", "reason": "missing", "kind": "offer"}]
        if name == "postings-array.jsonld"
        else []
    )
    assert rejects_of(log) == untitled


@pytest.mark.parametrize("name", sorted(JSONLD_CASES))
def test_jsonld_file_loads_through_the_cli(db: Database, name: str) -> None:
    from typer.testing import CliRunner

    from vivier.cli import app

    result = CliRunner().invoke(app, ["load", "offers", str(JSONLD / name)])
    assert result.exit_code == 0, result.output
    assert_postings_loaded(db, JSONLD_CASES[name])


# --- The two real Place de l'Emploi Public exports, whole ---------------------------------------------------
def csv_records(path: Path) -> int:
    """Records of a CSV counted by the csv module (a description may span lines), header excluded."""
    csv.field_size_limit(sys.maxsize)
    text = path.read_text(encoding="utf-8-sig")
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    return sum(1 for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if row) - 1


@pytest.mark.parametrize(
    "path", [pytest.param(measure.PEP_OFFERS, marks=pytest.mark.slow), measure.PEP_FULL_EXPORT], ids=lambda p: p.name
)
def test_real_pep_export_loads_whole(db: Database, tmp_path: Path, path: Path) -> None:
    assert path.is_relative_to(REPO_ROOT / "data")  # the product's own copy, not a shared folder
    log = RejectLog(tmp_path / "rejects.jsonl")
    summary = load_offers(db, path, rejects=log)
    rows = csv_records(path)
    kind = summary.kinds["offer"]
    assert kind.loaded + kind.rejected == rows
    assert count(db, "MATCH (o:Offer {source: $s}) RETURN count(o)", s=path.name) == kind.loaded
    rejects = rejects_of(log)
    assert len(rejects) == kind.rejected
    for reject in rejects:
        assert reject["source"] == str(path) and re.fullmatch(r"line \d+", reject["record"]) and reject["field"]
    if path == measure.PEP_OFFERS:  # two rows have neither a title column nor a title in their URL
        assert (rows, kind.rejected, {r["field"] for r in rejects}) == (652, 2, {"title"})


# --- Files wholly in cp1252 (old Windows exports) -------------------------------------------------------------
CP1252_OFFERS = [
    {
        "offer_id": "W-1",
        "title": "Rédacteur principal",
        "employer_id": "E001",
        "departement": "69",
        "description": "Gérer des contrats et la paie des agents ; élaboration budgétaire.",
        "published_at": "2024-03-01",
        "contract": "titulaire",
    },
    {
        "offer_id": "W-2",
        "title": "Infirmière coordinatrice",
        "employer_id": "E003",
        "departement": "29",
        "description": "Soins infirmiers, surveillance clinique, équipe pluridisciplinaire.",
        "published_at": "2024-03-02",
        "contract": "contractuel",
    },
    {
        "offer_id": "W-3",
        "title": "Agent d'accueil",
        "employer_id": "E001",
        "departement": "Ré",
        "description": "Accueil du public.",
        "published_at": "2024-03-03",
        "contract": "titulaire",
    },
]


def cp1252_file(folder: Path, suffix: str) -> Path:
    path = folder / f"offres{suffix}"
    if suffix == ".json":
        path.write_bytes(json.dumps(CP1252_OFFERS, ensure_ascii=False, indent=1).encode("cp1252"))
    else:
        columns = list(CP1252_OFFERS[0])
        lines = [";".join(columns)] + [";".join(f'"{o[c]}"' for c in columns) for o in CP1252_OFFERS]
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_offers_file_wholly_in_cp1252_loads(
    db: Database, tmp_path: Path, suffix: str, caplog: pytest.LogCaptureFixture
) -> None:
    load_history(db, DATASET / "employers.csv", rejects=RejectLog(tmp_path / "employers.jsonl"))
    path = cp1252_file(tmp_path, suffix)
    log = RejectLog(tmp_path / "rejects.jsonl")
    with caplog.at_level(logging.WARNING):
        summary = load_offers(db, path, rejects=log)
    assert any(str(path) in m and "cp1252" in m for m in caplog.messages)  # the user is told, with the file
    assert (summary.kinds["offer"].loaded, summary.kinds["offer"].rejected) == (2, 1)
    titles = db.execute_query("MATCH (o:Offer) RETURN o.offer_id AS id, o.title AS t").records
    assert {r["id"]: r["t"] for r in titles} == {"W-1": "Rédacteur principal", "W-2": "Infirmière coordinatrice"}
    [reject] = rejects_of(log)
    assert (reject["source"], reject["field"]) == (str(path), "departement")


def test_offers_json_in_mixed_encodings_is_rejected_naming_the_file(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "offres.json"
    utf8 = json.dumps(CP1252_OFFERS[:1], ensure_ascii=False).encode()
    path.write_bytes(utf8[:-1] + b',\n{"offer_id": "W-9", "title": "Attach\xe9"}]')  # one cp1252 byte
    log = RejectLog(tmp_path / "rejects.jsonl")
    summary = load_offers(db, path, rejects=log)
    assert summary.kinds["offer"].loaded == 0
    [reject] = rejects_of(log)
    assert reject["source"] == str(path) and reject["record"] == "file" and reject["field"] == "encoding"
    assert "not UTF-8" in reject["reason"] and "mixed" in reject["reason"]


# --- Loads stopped half-way, then run again ------------------------------------------------------------------
class FailingDatabase:
    """The real database, except that the `fail_on`-th run of `query` raises as a dropped connection would."""

    def __init__(self, database: Database, query: str, fail_on: int) -> None:
        self.database, self.query, self.fail_on, self.calls = database, query, fail_on, 0

    def execute_query(self, query: str, *args: Any, **kwargs: Any) -> Any:
        if query == self.query:
            self.calls += 1
            if self.calls == self.fail_on:
                raise ServiceUnavailable("connection lost (simulated)")
        return self.database.execute_query(query, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.database, name)


def load_prerequisites(db: Database, rejects: RejectLog) -> None:
    """Employers, offers and CVs, for the applications of the history case."""
    load_history(db, DATASET / "employers.csv", "dataset", rejects)
    load_offers(db, DATASET / "offers.json", rejects)
    load_cvs(db, [DATASET / "cvs"], "dataset", rejects)


Load = Callable[[Any, RejectLog], LoadSummary]
INTERRUPTED: dict[str, tuple[str, Load]] = {
    "cvs": (writes.CANDIDATES, lambda d, r: load_cvs(d, [DATASET / "cvs"], "dataset", r)),
    "history": (writes.APPLICATIONS, lambda d, r: load_history(d, DATASET, "dataset", r)),
    "dataset-at-candidates": (writes.CANDIDATES, lambda d, r: load_dataset(d, DATASET, "dataset", r)),
    "dataset-at-applications": (writes.APPLICATIONS, lambda d, r: load_dataset(d, DATASET, "dataset", r)),
}


@pytest.mark.parametrize("case", sorted(INTERRUPTED))
def test_interrupted_load_rerun_equals_uninterrupted(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    query, load = INTERRUPTED[case]
    rejects = RejectLog(tmp_path / "rejects.jsonl")
    if case == "history":
        load_prerequisites(db, rejects)
    load(db, rejects)
    expected = graph_fingerprint(db)
    db.execute_query(
        "MATCH (c:Candidate) DETACH DELETE c" if query == writes.CANDIDATES else "MATCH ()-[a:APPLIED]->() DELETE a"
    )

    real_write = writes._write
    monkeypatch.setattr(writes, "_write", lambda d, q, rows, _size, on: real_write(d, q, rows, 1, on))  # 1 per batch
    failing = FailingDatabase(db, query, fail_on=2)
    with pytest.raises(ServiceUnavailable):
        load(failing, rejects)
    label = "Candidate" if query == writes.CANDIDATES else "APPLIED"
    written = count(
        db, f"MATCH (n:{label}) RETURN count(n)" if label == "Candidate" else "MATCH ()-[a:APPLIED]->() RETURN count(a)"
    )
    assert written == 1  # batch 1 committed, batch 2 lost with the connection, the rest never ran
    assert graph_fingerprint(db) != expected
    monkeypatch.undo()
    load(db, rejects)  # the re-run
    assert graph_fingerprint(db) == expected


def _cv_folder(folder: Path) -> Path:
    """Nine CV files: seven candidates, a late duplicate of the first and one file that is not JSON."""
    resume = json.loads((DATASET / "cvs" / "cand-001.json").read_text())
    folder.mkdir()
    for number in range(7):
        resume["meta"] = {"candidate_ref": f"stream-{number}"}
        (folder / f"c{number}.json").write_text(json.dumps(resume))
    resume["meta"] = {"candidate_ref": "stream-0"}
    (folder / "c8-duplicate.json").write_text(json.dumps(resume))
    (folder / "c3b-broken.json").write_text("{not json")
    return folder


def test_cvs_written_while_read_give_the_graph_of_one_write(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import loaders.cvs
    import vivier.ingest

    folder = _cv_folder(tmp_path / "cvs")
    rejects = RejectLog(tmp_path / "one.jsonl")
    load_cvs(db, [folder], "stream", rejects)  # one batch read, one write
    expected = graph_fingerprint(db)
    assert len(rejects_of(rejects)) == 2
    db.execute_query("MATCH (c:Candidate) DETACH DELETE c")

    monkeypatch.setattr(loaders.cvs, "CV_BATCH", 2)  # five batches read...
    monkeypatch.setattr(vivier.ingest, "CV_WRITE_EVERY", 2)  # ...written two candidates at a time
    streamed = RejectLog(tmp_path / "streamed.jsonl")
    summary = load_cvs(db, [folder], "stream", streamed, n_process=2)
    assert graph_fingerprint(db) == expected
    assert summary.kinds["cv"].loaded == 7 and summary.kinds["cv"].rejected == 2
    assert sorted(r["field"] for r in rejects_of(streamed)) == ["candidate_ref", "file"]


def test_cvs_read_before_a_reading_failure_are_written(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import loaders.cvs
    import vivier.ingest

    real = loaders.cvs.parse_cv_files

    def fails_after_two_batches(*args: Any, **kwargs: Any) -> Any:
        batches = real(*args, **kwargs)
        yield next(batches)
        yield next(batches)
        raise RuntimeError("reading CVs: a forked worker gave no result (simulated)")

    monkeypatch.setattr(loaders.cvs, "CV_BATCH", 2)
    monkeypatch.setattr(vivier.ingest, "CV_WRITE_EVERY", 2)
    monkeypatch.setattr(loaders.cvs, "parse_cv_files", fails_after_two_batches)
    db.execute_query("MATCH (c:Candidate {source: 'stream'}) DETACH DELETE c")
    with pytest.raises(RuntimeError, match="simulated"):
        load_cvs(db, [_cv_folder(tmp_path / "cvs")], "stream", RejectLog(tmp_path / "r.jsonl"))
    # the two batches read, c0 to c3 (files in name order), are in Neo4j; nothing after them
    assert count(db, "MATCH (c:Candidate {source: 'stream'}) RETURN count(c)") == 4


# --- The README figures block --------------------------------------------------------------------------------
FIGURES = measure.Figures(
    offers=650,
    rejected=2,
    top1=0.463,
    top3=0.558,
    skills_per_offer=6.8,
    no_skill_share=0.034,
    similarity_share=0.15,
    with_contract=0.283,
    with_categorie=0.285,
    with_education=0.122,
    with_experience=0.011,
    offers_per_second=414.2,
    offers_per_second_2=405.0,
    load_average=1.5,
    appellations=30,
)
CV_FIGURES = measure.CvFigures(300, 0.993, 1.0, 1.0, 0.78, 1.0, 1.0, 1072, 0.997, 1.0, 0.025)


def test_readme_figures_block_is_rewritten_in_place_and_idempotently(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    before = "# Vivier\n\n## Text understanding\nIntro.\n\n"
    after = "\n`bench/bench_ingestion.py` stays as it is.\n"
    readme.write_text(f"{before}{measure.README_START}\n| stale | 1% |\n{measure.README_END}\n{after}", "utf-8")
    block = measure.readme_block(FIGURES, CV_FIGURES, Path("var/datasets/demo-seed7"))
    assert measure.write_readme(block, readme) is True
    text = readme.read_text("utf-8")
    assert text.startswith(f"{before}{measure.README_START}\n") and text.endswith(f"{measure.README_END}\n{after}")
    assert "stale" not in text
    assert "| offer → ROME fiche, top-1 / top-3 accuracy | 46.3% / 55.8% |" in text
    flat = " ".join(text.split())  # the paragraphs are wrapped
    assert "30 distinct appellations for 652 offers" in flat and "0.025 s per CV" in flat
    assert "`vivier load measure --cvs var/datasets/demo-seed7`" in text  # a command is never split over lines
    assert "0.025 s" in text  # nor a number from its unit
    assert all(len(line) <= 125 for line in text.splitlines())
    assert measure.write_readme(block, readme) is False  # the same run again: nothing changes
    assert readme.read_text("utf-8") == text


def test_readme_figures_block_needs_exactly_one_marker_pair(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Vivier\nno markers\n", "utf-8")
    with pytest.raises(ValueError, match="ingestion-figures"):
        measure.write_readme("| a | b |\n", readme)
    assert readme.read_text("utf-8") == "# Vivier\nno markers\n"


def test_readme_figures_agree_with_the_figures_file() -> None:
    """The committed README block and docs/ingestion-figures.md come from the same `vivier load measure` run."""
    figures = dict(re.findall(r"^\| (.+?) \| (.+?) \|$", measure.FIGURES.read_text("utf-8"), re.MULTILINE))
    readme = measure.README.read_text("utf-8")
    [block] = measure.MARKERS.findall(readme)
    rome = "offer → ROME fiche, top-{} accuracy (5-fold cross-validated)"
    top = f"{figures[rome.format(1)]} / {figures[rome.format(3)]}"
    assert f"| offer → ROME fiche, top-1 / top-3 accuracy | {top} |" in block[1]
    assert f"| skills found per offer (mean) | {figures['skills found per offer (mean)']} |" in block[1]
    if "seconds per CV (one process)" in figures:
        assert f"{figures['seconds per CV (one process)']} s per CV" in " ".join(block[1].split())


# --- The demo pseudonym key is announced -----------------------------------------------------------------------
@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch, env: Callable[..., Settings]) -> Callable[..., Settings]:
    monkeypatch.setattr(pseudonym, "_warned", False)  # as in a fresh process
    return env


def test_demo_pseudonym_key_is_announced_once(
    fresh_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    fresh_settings(VIVIER_PSEUDONYM_KEY=None)
    with caplog.at_level(logging.WARNING, logger="loaders.pseudonym"):
        first = pseudonym.candidate_id("s", "ref-1")
        assert pseudonym.candidate_id("s", "ref-1") == first  # the demo still works without the variable
        pseudonym.candidate_id("s", "ref-2")
    warnings = [r for r in caplog.records if r.name == "loaders.pseudonym"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "VIVIER_PSEUDONYM_KEY" in warnings[0].getMessage()
    assert pseudonym.warn_if_demo_key() is False  # said once per process


def test_no_warning_with_a_real_key(fresh_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture) -> None:
    fresh_settings(VIVIER_PSEUDONYM_KEY="a-production-secret")
    with caplog.at_level(logging.WARNING, logger="loaders.pseudonym"):
        pseudonym.candidate_id("s", "ref-1")
    assert not pseudonym.uses_demo_key() and pseudonym.warn_if_demo_key() is False
    assert not [r for r in caplog.records if r.name == "loaders.pseudonym"]


@pytest.mark.parametrize(
    ("text", "gone", "kept"),
    [
        ("A. V.\nLe Bourg\n12330 Salles-la-Source\n06 84 30 57 21", ["Bourg", "Salles"], []),
        ("Résidence Les Capucines, appt 12 – 51430 Tinqueux\nTél. 06 59 02 87 14", ["Capucines", "appt 12"], []),
        ("Ville de Vichy\nLa Grange Neuve, 03300 Creuzier-le-Neuf\n06 71 40 92 58", ["Grange"], ["Ville de Vichy"]),
        ("Rédactrice territoriale\n29200 Brest\nmd@exemple.fr", ["29200"], ["Rédactrice territoriale"]),
    ],
)
def test_scrub_removes_the_address_read_from_its_place_in_the_contact_block(
    text: str, gone: list[str], kept: list[str]
) -> None:
    scrubbed = pseudonym.scrub(text)
    assert all(value not in scrubbed for value in gone) and all(value in scrubbed for value in kept), scrubbed


# --- Birthplaces and postal codes in CV text --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "gone", "kept"),
    [
        ("Née le 14/07/1986 à Quimper et titulaire depuis 2010", ["Quimper", "1986"], ["titulaire depuis 2010"]),
        ("Née à Quimper le 14/07/1986", ["Quimper", "1986"], []),
        ("Né(e) le 14/07/1986 à Quimper (29)", ["Quimper", "1986"], []),
        ("Date et lieu de naissance : 3 mars 1990 à Saint-Pol-de-Léon", ["Saint-Pol", "Léon", "1990"], []),
        ("Lieu de naissance : Boulogne sur Mer\nExpérience", ["Boulogne", "Mer"], ["Expérience"]),
        ("né en 1979 à Morlaix, attaché territorial", ["Morlaix", "1979"], ["attaché territorial"]),
        ("Habite à Brest (29200). CP : 75013", ["29200", "75013"], ["Brest"]),
        ("Code postal : 75 013", ["75 013"], []),
        ("Budget de 35000 € géré en 2019", [], ["35000 €", "2019"]),
    ],
)
def test_scrub_removes_birthplaces_and_postal_codes(text: str, gone: list[str], kept: list[str]) -> None:
    scrubbed = pseudonym.scrub(text)
    for value in gone:
        assert value not in scrubbed, scrubbed
    for value in kept:
        assert value in scrubbed, scrubbed
