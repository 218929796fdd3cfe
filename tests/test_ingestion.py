"""Ingestion into the real Neo4j: a whole dataset, idempotent reloads, interrupted loads, personal data."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from graph.db import Database
from graph.writes import write_offers
from loaders.nlp import default_analyzer
from loaders.offers import enrich_offers, read_offer_file, validate_offer
from loaders.rejects import RejectLog
from tests.support.ingestion import count, graph_fingerprint, tiny_docx, tiny_pdf
from vivier.ingest import load_cvs, load_dataset

DATASET = Path(__file__).parent / "data" / "ingestion" / "dataset"


def test_dataset_loads_end_to_end(ontology: Database, clean_data: Database, tmp_path: Path) -> None:
    """Against the real ontology (issue 3's loader), so that the links reach its nodes, not stubs."""
    db = clean_data
    summary = load_dataset(db, DATASET, rejects=RejectLog(tmp_path / "rejects.jsonl"))
    assert {k: (v.loaded, v.rejected) for k, v in summary.kinds.items()} == {
        "employer": (3, 0),
        "offer": (3, 0),
        "cv": (3, 0),
        "application": (4, 0),
    }
    assert (
        count(db, "MATCH (:Offer {offer_id: 'O-001'})-[:POSTED_BY]->(:Employer {employer_id: 'E001'}) RETURN count(*)")
        == 1
    )
    assert (
        count(db, "MATCH (:Offer {offer_id: 'O-001'})-[:LOCATED_IN]->(:Departement {code: '69'}) RETURN count(*)") == 1
    )
    ranks = db.execute_query(
        "MATCH (:Offer {offer_id: 'O-001'})-[r:OF_OCCUPATION]->(o) RETURN r.scheme AS s, collect(r.rank) AS ranks"
    ).records
    assert {r["s"]: sorted(r["ranks"]) for r in ranks} == {"RMFP": [1, 2, 3], "ROME": [1, 2, 3]}
    assert count(db, "MATCH (:Offer {offer_id: 'O-001'})-[:REQUIRES_SKILL]->(:Skill) RETURN count(*)") >= 3
    assert count(db, "MATCH (:Offer {offer_id: 'O-001'})-[:REQUIRES_GRADE]->(:CadreEmplois) RETURN count(*)") == 1
    assert (
        count(
            db,
            "MATCH (:Offer {offer_id: 'O-002'})-[:REQUIRES_GRADE]->(:Grade {uri: $u}) RETURN count(*)",
            u="https://id.vivier.fr/grade/1033",
        )
        == 1
    )
    candidate = db.execute_query("MATCH (c:Candidate)-[:APPLIED {application_id: 'A001'}]->() RETURN c").records[0]["c"]
    assert candidate["titulaire"] is True and candidate["categorie"] == "B" and candidate["education_level"] == 5
    cid = candidate["candidate_id"]
    for pattern in (
        "(c)-[:HAS_SKILL]->(:Skill)",
        "(c)-[:HELD]->(:Occupation)",
        "(c)-[:HOLDS_GRADE {echelon: 6}]->(:Grade)",
        "(c)-[:LIVES_IN]->(:Departement {code: '69'})",
    ):
        assert count(db, f"MATCH (c:Candidate {{candidate_id: $cid}}) MATCH {pattern} RETURN count(*)", cid=cid) >= 1
    real = "MATCH (:Offer {offer_id: 'O-002'})-[:REQUIRES_GRADE]->(:Grade)-[:GRADE_OF]->(:CadreEmplois) RETURN count(*)"
    assert count(db, real) == 1
    assert count(db, "MATCH (:Offer)-[:OF_OCCUPATION]->(:RomeFiche)-[:BROADER]->(:RomeDomaine) RETURN count(*)") >= 9
    stages = db.execute_query("MATCH ()-[a:APPLIED]->() RETURN a.application_id AS id, a.stage AS stage").records
    assert {r["id"]: r["stage"] for r in stages} == {
        "A001": "interviewed",
        "A002": "rejected",
        "A003": "hired",
        "A004": "withdrawn",
    }


def test_reloading_changes_nothing(db: Database, tmp_path: Path) -> None:
    load_dataset(db, DATASET, rejects=RejectLog(tmp_path / "r1.jsonl"))
    first = graph_fingerprint(db)
    summary = load_dataset(db, DATASET, rejects=RejectLog(tmp_path / "r2.jsonl"))
    assert graph_fingerprint(db) == first
    assert summary.kinds["offer"].loaded == 3


def test_interrupted_load_rerun_equals_uninterrupted(db: Database, tmp_path: Path) -> None:
    analyzer = default_analyzer()
    raws, _ = read_offer_file(
        Path(__file__).parent.parent / "data" / "sources" / "pep-offers" / "pep_offers_2020_2021.csv"
    )
    records = [validate_offer(r.fields, "pep", analyzer.catalogue, contract_required=False) for r in raws[:12]]
    enrich_offers(records, analyzer)
    load_dataset(db, DATASET, rejects=RejectLog(tmp_path / "r.jsonl"))  # employers, for POSTED_BY
    for record in records:
        record.employer_id = "E001"
    write_offers(db, records, batch_size=4)
    expected = graph_fingerprint(db)

    db.execute_query("MATCH (o:Offer) WHERE o.source = 'pep' DETACH DELETE o")
    broken = [*records]
    good_title = broken[6].title
    broken[6].title = {"not": "a property value"}  # type: ignore[assignment]  # Neo4j refuses maps: batch 2 fails
    with pytest.raises(Exception, match=r"(?i)map|property"):
        write_offers(db, broken, batch_size=4)
    loaded = {r["id"] for r in db.execute_query("MATCH (o:Offer {source: 'pep'}) RETURN o.offer_id AS id").records}
    assert loaded == {r.offer_id for r in records[:4]}  # batch 1 committed, batch 2 rolled back whole, 3 never ran
    broken[6].title = good_title
    write_offers(db, broken, batch_size=4)  # the re-run
    assert graph_fingerprint(db) == expected


PERSONAL = [
    "Gwendoline",
    "Trouvadec",
    "gwendoline.trouvadec@exemple.fr",
    "06 12 34 56 78",
    "0612345678",
    "Capucines",
    "14/07/1986",
    "Castagnède",
    "Aurélien",
    "a.castagnede@mail.example",
    "+33 7 98 76 54 32",
    "Jean Jaurès",
    "Maëlys",
    "Kerbrat",
    "02 98 11 22 33",
    "maelys.kerbrat@exemple.bzh",
    "chemin du Moulin",
    "3 mars 1990",
    "Ferdinand",
    "Quillivic",
    "f.quillivic@poste.example",
    "01 44 55 66 77",
    "rue de la Glacière",
    "1979",
    "Solenn",
    "Le Goarnic",
    "solenn.legoarnic@exemple.fr",
    "07.11.22.33.44",
    "boulevard Voltaire",
    "25/12/1975",
    "Youenn",
    "Guivarc'h",
    "youenn.guivarch@exemple.fr",
    "06 99 88 77 66",
    "impasse des Goélands",
    "février 1988",
    # birthplaces (not a city the person worked in: those are employers' and stay)
    "Quimper",
    "Morlaix",
    "Concarneau",
    "Douarnenez",
    "Landivisiau",
]
# Postal codes, as whole numbers: the scan also holds scores and hashes whose digits could contain them.
POSTAL_CODES = ["69003", "91000", "29200", "75013", "75011", "29900", "29100", "29400"]
# One phrase from each format that no other CV of the folder contains: proof that its text reached Neo4j.
SANITY = {
    "pdf": "tenue des registres d'etat civil",
    "docx": "pilotage de la masse salariale",
    "txt": "aide-soignante",
    "json": "passation électronique de marchés",
}


@pytest.mark.slow
def test_personal_data_never_reaches_neo4j(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "cvs"
    shutil.copytree(DATASET / "cvs", folder)
    (folder / "cand-004.docx").write_bytes(
        tiny_docx(
            [
                "Ferdinand Quillivic",
                "Né le 08/11/1979 à Morlaix",
                "27 rue de la Glacière, 75013 Paris",
                "Téléphone : 01 44 55 66 77 — f.quillivic@poste.example",
                "Attaché territorial, titulaire, catégorie A. 12 ans d'expérience en ressources humaines.",
                "Pilotage de la masse salariale et du dialogue social.",
                "2016 - 2024 : Responsable des ressources humaines, Ville de Paris",
            ]
        )
    )
    (folder / "cand-005.pdf").write_bytes(
        tiny_pdf(
            [
                "Solenn Le Goarnic",
                "Date de naissance : 25/12/1975 a Concarneau",
                "8 boulevard Voltaire 75011 Paris",
                "Tel 07.11.22.33.44 solenn.legoarnic@exemple.fr",
                "Code postal : 29900",
                "Adjoint administratif, contractuelle. Accueil du public et gestion du courrier.",
                "Tenue des registres d'etat civil.",
            ]
        )
    )
    (folder / "cand-006.txt").write_text(
        "\n".join(
            [
                "Youenn Guivarc'h",
                "Né à Douarnenez le 2 février 1988",
                "Lieu de naissance : Landivisiau",
                "5 impasse des Goélands, Brest (29200) — CP : 29100 — 29400",
                "Tél. 06 99 88 77 66 — youenn.guivarch@exemple.fr",
                "Adjoint technique territorial, titulaire. Entretien des espaces verts.",
            ]
        ),
        encoding="utf-8",
    )
    summary = load_cvs(db, [folder], "privacy", rejects=RejectLog(tmp_path / "r.jsonl"))
    assert summary.kinds["cv"].loaded == 6
    # Every property of every node and relationship, lists included, but the ontology's own (the repertories'
    # concepts and the links between them, which earlier tests may have loaded whole) and floating-point scores
    # (a mapping score such as 0.1979 is not a birth year).
    found = db.execute_query(
        "MATCH (n) WHERE NOT n:Concept RETURN properties(n) AS p "
        "UNION ALL MATCH (a)-[r]->(b) WHERE NOT (a:Concept AND b:Concept) RETURN properties(r) AS p"
    ).records
    text = "\n".join(str(v) for r in found for v in r["p"].values() if not isinstance(v, float)).lower()
    for kind, phrase in SANITY.items():
        assert phrase in text, f"the {kind} CV's text is not in Neo4j: the scan below would prove nothing"
    digits = "".join(c for c in text if c.isdigit())
    for personal in PERSONAL:
        assert personal.lower() not in text, personal
        if sum(c.isdigit() for c in personal) >= 8:
            assert "".join(c for c in personal if c.isdigit()) not in digits, personal
    for code in POSTAL_CODES:
        assert not re.search(rf"(?<![\w.]){code}(?!\w)", text), code


def test_vivier_load_dataset_command(db: Database) -> None:
    from typer.testing import CliRunner

    from vivier.cli import app

    result = CliRunner().invoke(app, ["load", "dataset", str(DATASET)])
    assert result.exit_code == 0, result.output
    assert "offer" in result.output and "application" in result.output
    assert count(db, "MATCH ()-[a:APPLIED]->() RETURN count(a)") == 4
