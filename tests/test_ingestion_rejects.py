"""Bad input of 36 kinds: each goes to the rejects file with its field, and every valid record of the same file
still reaches Neo4j."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from graph.db import Database
from loaders.pseudonym import candidate_id
from loaders.rejects import RejectLog
from tests.support.ingestion import tiny_pdf
from vivier.ingest import load_dataset

SOURCE = "rejects-test"
EMPLOYERS = (
    "employer_id,name,kind,siret,departement,size\n"
    "E001,Mairie A,commune,21690123400017,69,420\nE002,CH B,hopital,,29,2300\n"
)
APPLICATIONS_HEADER = "application_id,offer_id,candidate_ref,applied_at,stage,updated_at,reason\n"
APPLICATIONS = APPLICATIONS_HEADER + "A1,OK1,c1,2024-03-20,received,,\nA2,OK2,c2,2024-03-21,hired,2024-04-01,\n"
OFFER_CSV_HEADER = "offer_id,title,employer_id,description,departement,published_at,contract\n"
OFFER_CSV = OFFER_CSV_HEADER + (
    'OK1,Gestionnaire RH,E001,"Gérer des contrats, paie.",69,2024-03-01,titulaire\n'
    'OK2,Infirmier,E002,"Soins infirmiers; travail en équipe",29,2024-03-02,contractuel\n'
)


def offer(offer_id: str, **changes: Any) -> dict[str, Any]:
    base = {
        "offer_id": offer_id,
        "title": "Gestionnaire des ressources humaines",
        "employer_id": "E001",
        "description": "Gérer des contrats et la paie des agents.",
        "departement": "69",
        "published_at": "2024-03-01",
        "contract": "titulaire",
    }
    return {k: v for k, v in (base | changes).items() if v is not None}


def resume(ref: str, **changes: Any) -> bytes:
    base = {
        "basics": {"summary": "Gestionnaire RH, titulaire, catégorie B."},
        "work": [{"position": "Gestionnaire RH", "startDate": "2019-01-01", "summary": "Gérer des contrats."}],
        "meta": {"candidate_ref": ref},
    }
    return json.dumps(base | changes).encode()


@dataclass
class Case:
    name: str
    kind: str  # offer, employer, cv, application
    field: str  # the field the reject must name
    files: dict[str, bytes | str] = dataclasses.field(default_factory=dict)
    valid: set[str] | None = None  # the valid ids of that kind expected in Neo4j (default: the base set)


def offers_json(*extra: Any) -> dict[str, bytes | str]:
    return {"offers.json": json.dumps([offer("OK1"), offer("OK2", employer_id="E002"), *extra])}


def apps(line: str) -> dict[str, bytes | str]:
    return {"applications.csv": APPLICATIONS + line + "\n"}


def employers(line: str) -> dict[str, bytes | str]:
    return {"employers.csv": EMPLOYERS + line + "\n"}


CASES = [
    Case("offer missing field", "offer", "title", offers_json(offer("B", title=None))),
    Case("offer wrong type", "offer", "title", offers_json(offer("B", title=42))),
    Case("offer unknown grade code", "offer", "grade", offers_json(offer("B", grade="ZZZZ"))),
    Case("offer impossible date", "offer", "published_at", offers_json(offer("B", published_at="2024-02-30"))),
    Case("offer unknown employer", "offer", "employer_id", offers_json(offer("B", employer_id="E999"))),
    Case("offer duplicate id", "offer", "offer_id", offers_json(offer("OK1", title="Doublon"))),
    Case("offer closes before published", "offer", "closes_at", offers_json(offer("B", closes_at="2023-01-01"))),
    Case("offer unknown versant", "offer", "versant", offers_json(offer("B", versant="FPX"))),
    Case("offer unknown contract", "offer", "contract", offers_json(offer("B", contract="stage"))),
    Case("offer record not an object", "offer", "record", offers_json("not an offer")),
    Case("offer unknown departement", "offer", "departement", offers_json(offer("B", departement="99"))),
    Case("offer unknown ROME appellation", "offer", "rome_appellation", offers_json(offer("B", rome_appellation="0"))),
    Case("offer file not JSON", "offer", "json", {"offers.json": '[{"offer_id": "B",'}, valid=set()),
    Case(
        "offers CSV broken quoting",
        "offer",
        "record",
        {"offers.csv": OFFER_CSV_HEADER + 'B,"Titre,E001,x,69,2024-03-01,titulaire\n' + OFFER_CSV.split("\n", 1)[1]},
    ),
    Case(
        "offers CSV cp1252 line in UTF-8 file",
        "offer",
        "encoding",
        {"offers.csv": OFFER_CSV.encode() + "B,Ingénieur,E001,Développer,69,2024-03-01,titulaire\n".encode("cp1252")},
    ),
    Case(
        "offers CSV extra delimiter",
        "offer",
        "record",
        {"offers.csv": OFFER_CSV + "B,Titre,E001,desc,en,trop,69,2024-03-01,titulaire\n"},
    ),
    Case(
        "offers CSV NUL byte",
        "offer",
        "encoding",
        {"offers.csv": OFFER_CSV.encode() + b"B,Titre\x00,E001,desc,69,2024-03-01,titulaire\n"},
    ),
    Case(
        "offers CSV runaway quote over the field size limit",
        "offer",
        "record",
        {"offers.csv": OFFER_CSV_HEADER + 'B,"Titre,E001,x\n' + ("y" * 200 + "\n") * 800 + OFFER_CSV.split("\n", 1)[1]},
    ),
    Case(
        "offers CSV missing cell",
        "offer",
        "description",
        {"offers.csv": OFFER_CSV + "B,Titre,E001,,69,2024-03-01,titulaire\n"},
    ),
    Case("application unknown stage", "application", "stage", apps("B1,OK1,c1,2024-03-20,en attente,,")),
    Case("application unknown offer", "application", "offer_id", apps("B1,NOPE,c1,2024-03-20,received,,")),
    Case("application unknown candidate", "application", "candidate_ref", apps("B1,OK1,ghost,2024-03-20,received,,")),
    Case("application bad date", "application", "applied_at", apps("B1,OK1,c1,hier,received,,")),
    Case(
        "application updated before applied",
        "application",
        "updated_at",
        apps("B1,OK1,c1,2024-03-20,rejected,2024-01-01,"),
    ),
    Case("application duplicate id", "application", "application_id", apps("A1,OK2,c2,2024-03-20,received,,")),
    Case("application missing id", "application", "application_id", apps(",OK2,c2,2024-03-20,received,,")),
    Case("employer bad SIRET", "employer", "siret", employers("E9,Mairie C,commune,12AB,69,10")),
    Case("employer size not a number", "employer", "size", employers("E9,Mairie C,commune,,69,beaucoup")),
    Case("employer unknown kind", "employer", "kind", employers("E9,Association D,association,,69,10")),
    Case("cv corrupt PDF", "cv", "file", {"cvs/bad.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage"}),
    Case("cv corrupt DOCX", "cv", "file", {"cvs/bad.docx": b"PK\x03\x04 this is not a zip archive"}),
    Case("cv invalid JSON", "cv", "file", {"cvs/bad.json": b'{"basics": {"name": '}),
    Case("cv wrong type", "cv", "work", {"cvs/bad.json": resume("bad", work="five years in HR")}),
    Case(
        "cv bad work date",
        "cv",
        "work[0].startDate",
        {"cvs/bad.json": resume("bad", work=[{"position": "RH", "startDate": "last year"}])},
    ),
    Case("cv with no text", "cv", "text", {"cvs/bad.pdf": tiny_pdf([])}),
    Case("cv unsupported format", "cv", "file", {"cvs/bad.odt": b"\x00\x01"}),
]

BASE: dict[str, bytes | str] = {
    "employers.csv": EMPLOYERS,
    **offers_json(),
    "cvs/c1.json": resume("c1"),
    "cvs/c2.json": resume("c2"),
    "applications.csv": APPLICATIONS,
}
BASE_VALID = {"employer": {"E001", "E002"}, "offer": {"OK1", "OK2"}, "cv": {"c1", "c2"}, "application": {"A1", "A2"}}
IDS: dict[str, Callable[[Database], set[str]]] = {
    "employer": lambda d: _ids(d, "MATCH (n:Employer) RETURN n.employer_id AS id"),
    "offer": lambda d: _ids(d, "MATCH (n:Offer) RETURN n.offer_id AS id"),
    "cv": lambda d: _ids(d, "MATCH (n:Candidate) RETURN n.candidate_id AS id"),
    "application": lambda d: _ids(d, "MATCH ()-[a:APPLIED]->() RETURN a.application_id AS id"),
}


def _ids(database: Database, query: str) -> set[str]:
    return {r["id"] for r in database.execute_query(query).records}


def test_at_least_twenty_kinds_of_bad_input() -> None:
    assert len({c.name for c in CASES}) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_record_is_rejected_and_the_rest_loads(
    case: Case, clean_data: Database, stubs: None, tmp_path: Path
) -> None:
    folder = tmp_path / "dataset"
    files = dict(BASE)
    if "offers.csv" in case.files:
        files.pop("offers.json")
    files.update(case.files)
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content.encode() if isinstance(content, str) else content)
    rejects = RejectLog(tmp_path / "rejects.jsonl")
    load_dataset(clean_data, folder, source=SOURCE, rejects=rejects)

    found = [json.loads(line) for line in rejects.path.read_text(encoding="utf-8").splitlines()]
    assert any(r["kind"] == case.kind and r["field"] == case.field for r in found), found
    assert all(r["source"] and r["record"] and r["reason"] for r in found)
    expected = BASE_VALID[case.kind] if case.valid is None else case.valid
    if case.kind == "cv":
        expected = {candidate_id(SOURCE, ref) for ref in expected}
    assert IDS[case.kind](clean_data) == expected
