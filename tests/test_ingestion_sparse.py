"""Sparse profiles (issue 13): a candidate whose profile holds no text beyond a place, or job titles only, or nothing
at all but a history, loads flagged `sparse_profile`, and their applications load. Every input format a dataset
folder accepts is tried: JSON Resume, PDF, text, and profile tables (CSV and JSON array). A record with no text, no
place, no title and no history is still rejected, naming its file, record and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graph.db import Database
from loaders.pseudonym import candidate_id
from loaders.rejects import RejectLog
from tests.support.ingestion import tiny_pdf
from vivier.ingest import load_cvs, load_dataset

SOURCE = "sparse-test"
EMPLOYERS = "employer_id,name,kind,siret,departement,size\nE001,Mairie A,commune,,69,420\n"
OFFERS = [
    {
        "offer_id": "OK1",
        "title": "Research engineer",
        "employer_id": "E001",
        "description": "Machine learning for public data.",
        "departement": "69",
        "published_at": "2024-03-01",
        "contract": "contractuel",
    }
]
APPLICATIONS_HEADER = "application_id,offer_id,candidate_ref,applied_at,stage,updated_at,reason\n"
FULL_RESUME = {
    "basics": {"summary": "Gestionnaire des ressources humaines, titulaire de catégorie B, paie et carrières."},
    "work": [{"position": "Gestionnaire RH", "startDate": "2019-01-01", "summary": "Gérer les contrats et la paie."}],
    "meta": {"candidate_ref": "full"},
}


def resume(ref: str, **parts: Any) -> bytes:
    return json.dumps({**parts, "meta": {"candidate_ref": ref}}).encode()


# name → (files of the dataset besides employers and offers, the candidate_ref that must load sparse)
SPARSE_INPUTS: dict[str, tuple[dict[str, bytes | str], str]] = {
    "JSON Resume, place only": ({"cvs/p1.json": resume("p1", basics={"location": {"city": "Lyon"}})}, "p1"),
    "JSON Resume, postal code only": (
        {"cvs/p2.json": resume("p2", basics={"location": {"postalCode": "69003"}})},
        "p2",
    ),
    "JSON Resume, job titles only": (
        {"cvs/p3.json": resume("p3", work=[{"position": "Data scientist"}, {"position": "Chargé d'études"}])},
        "p3",
    ),
    "PDF with no text, but a history": ({"cvs/p4.pdf": tiny_pdf([])}, "p4"),
    "text file, empty, but a history": ({"cvs/p5.txt": "  \n"}, "p5"),
    "text file, a title": ({"cvs/p6.txt": "Ingénieure de recherche\n"}, "p6"),
    "candidates.csv, title and place": (
        {"candidates.csv": "candidate_ref;titre;departement\np7;Research engineer;Rhône\n"},
        "p7",
    ),
    "candidates.csv, place only": ({"candidates.csv": "id,ville,code_postal\np8,Lyon,69001\n"}, "p8"),
    "candidates.json, title and place": (
        {"candidates.json": json.dumps([{"candidate_ref": "p9", "title": "Nurse", "departement": "69"}])},
        "p9",
    ),
    "profiles.json, job titles only": (
        {"profiles.json": json.dumps([{"id": "p10", "job_titles": "Infirmière; Aide-soignante"}])},
        "p10",
    ),
}


def write_dataset(folder: Path, files: dict[str, bytes | str]) -> Path:
    everything: dict[str, bytes | str] = {
        "employers.csv": EMPLOYERS,
        "offers.json": json.dumps(OFFERS),
        "cvs/full.json": json.dumps(FULL_RESUME),
        **files,
    }
    for name, content in everything.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content.encode() if isinstance(content, str) else content)
    return folder


def candidates(db: Database) -> dict[str, dict[str, Any]]:
    rows = db.execute_query(
        "MATCH (c:Candidate) OPTIONAL MATCH (c)-[a:APPLIED]->(:Offer) "
        "OPTIONAL MATCH (c)-[:LIVES_IN]->(d:Departement) "
        "RETURN c.candidate_id AS id, c.sparse_profile AS sparse, count(a) AS applications, "
        "collect(DISTINCT d.code) AS departements"
    ).records
    return {r["id"]: dict(r) for r in rows}


@pytest.mark.parametrize("name", list(SPARSE_INPUTS))
def test_a_sparse_profile_with_a_history_loads_with_its_applications(name: str, db: Database, tmp_path: Path) -> None:
    files, ref = SPARSE_INPUTS[name]
    applications = APPLICATIONS_HEADER + f"A1,OK1,{ref},2024-03-20,received,,\nA2,OK1,full,2024-03-21,hired,,\n"
    folder = write_dataset(tmp_path / "dataset", {**files, "applications.csv": applications})
    rejects = RejectLog(tmp_path / "rejects.jsonl")

    summary = load_dataset(db, folder, source=SOURCE, rejects=rejects)

    assert rejects.rejects == []
    assert summary.kind("application").loaded == 2
    loaded = candidates(db)
    sparse = loaded[candidate_id(SOURCE, ref)]
    assert sparse["sparse"] is True and sparse["applications"] == 1
    assert loaded[candidate_id(SOURCE, "full")]["sparse"] is False
    if "place" in name or "postal" in name:
        assert sparse["departements"] in (["69"], [])  # a city alone names no département: "Lyon" → commune
    if name in ("candidates.csv, title and place", "JSON Resume, postal code only", "candidates.json, title and place"):
        assert sparse["departements"] == ["69"]


def test_a_place_or_a_title_alone_loads_without_any_history(db: Database, tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "dataset", {"candidates.csv": "candidate_ref,title,city\nq1,,Lyon\nq2,Nurse,\n"})
    rejects = RejectLog(tmp_path / "rejects.jsonl")

    load_dataset(db, folder, source=SOURCE, rejects=rejects)

    loaded = candidates(db)
    assert rejects.rejects == []
    assert loaded[candidate_id(SOURCE, "q1")]["sparse"] is True
    assert loaded[candidate_id(SOURCE, "q2")]["sparse"] is True


@pytest.mark.parametrize(
    ("files", "record"),
    [
        ({"cvs/empty.txt": ""}, "file"),
        ({"cvs/empty.pdf": tiny_pdf([])}, "file"),
        ({"cvs/empty.json": resume("empty", basics={"name": "Jeanne Martin"})}, "file"),
        ({"candidates.csv": "candidate_ref,title,city\nq1,Nurse,Lyon\nempty,,\n"}, "line 3"),
        ({"candidates.json": json.dumps([{"candidate_ref": "q1", "title": "Nurse"}, {"id": "empty"}])}, "record 2"),
    ],
    ids=["text", "pdf", "json-resume", "csv", "json-array"],
)
def test_a_truly_empty_record_is_rejected_naming_file_record_and_field(
    files: dict[str, bytes | str], record: str, db: Database, tmp_path: Path
) -> None:
    folder = write_dataset(tmp_path / "dataset", files)
    rejects = RejectLog(tmp_path / "rejects.jsonl")

    load_dataset(db, folder, source=SOURCE, rejects=rejects)

    found = [json.loads(line) for line in rejects.path.read_text(encoding="utf-8").splitlines()]
    assert len(found) == 1, found
    (reject,) = found
    assert reject["kind"] == "cv" and reject["field"] == "text" and reject["record"] == record
    assert Path(reject["source"]).name == next(iter(files)).split("/")[-1]
    assert "no readable text and no place" in reject["reason"] and "no application" in reject["reason"]
    assert candidate_id(SOURCE, "empty") not in candidates(db)
    assert candidate_id(SOURCE, "full") in candidates(db)


def test_bad_rows_of_a_profile_table_are_rejected_and_the_rest_loads(db: Database, tmp_path: Path) -> None:
    table = tmp_path / "export.csv"
    table.write_text("candidate_ref,title,departement\nr1,Nurse,69\nr2,Nurse,Atlantis\n,Nurse,69\nr4,Nurse,29\n")
    rejects = RejectLog(tmp_path / "rejects.jsonl")

    load_cvs(db, [table], SOURCE, rejects)

    assert {(r.record, r.field) for r in rejects.rejects} == {("line 3", "departement"), ("line 4", "candidate_ref")}
    assert set(candidates(db)) == {candidate_id(SOURCE, "r1"), candidate_id(SOURCE, "r4")}
