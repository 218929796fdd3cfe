"""Parsing without a database: offers, CVs, histories, statutory facts, pseudonyms, CSV robustness."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loaders.cvs import parse_cv
from loaders.history import read_applications, read_employers
from loaders.offers import parse_offer, read_offer_file
from loaders.pseudonym import candidate_id, scrub
from loaders.records import RecordError
from loaders.statutory import statutory_facts
from loaders.tabular import read_rows
from loaders.values import parse_date, parse_departement
from vivier.settings import Settings

DATA = Path(__file__).parent / "data" / "ingestion"
PEP = Path(__file__).parent.parent / "data" / "sources" / "pep-offers"


@pytest.mark.slow  # builds the text analyzer (spaCy, the catalogue's patterns): ~10 s on its own
def test_parse_offer_links_skills_occupations_and_grade() -> None:
    offer = parse_offer(
        {
            "offer_id": "X1",
            "title": "Responsable achats",
            "employer_id": "E1",
            "departement": "Paris (75)",
            "published_at": "18/03/2024",
            "contract": "contractuel",
            "description": "Vous pilotez la performance achat et gérez des contrats. Rédacteur principal, catégorie B.",
        }
    )
    assert offer.departement == "75" and offer.published_at == "2024-03-18"
    assert offer.categorie == "B" and offer.versant == "FPT"  # from the grade nomenclature
    assert any(s.text.lower() == "gérez des contrats" for s in offer.skills)
    rome = [o for o in offer.occupations if o.scheme == "ROME"]
    rmfp = [o for o in offer.occupations if o.scheme == "RMFP"]
    assert [o.rank for o in rome] == [1, 2, 3] and [o.rank for o in rmfp] == [1, 2, 3]
    assert rmfp[0].code.startswith("FPACH")
    assert offer.required_grade_uris


@pytest.mark.slow  # builds the text analyzer (spaCy, the catalogue's patterns): ~10 s on its own
def test_parse_offer_reads_schema_org_job_posting() -> None:
    offer = parse_offer(
        {
            "@context": "https://schema.org",
            "@type": "JobPosting",
            "identifier": {"@type": "PropertyValue", "value": "JP-9"},
            "title": "Infirmier",
            "description": "<p>Soins infirmiers</p><ul><li>Travail en équipe</li></ul>",
            "datePosted": "2024-05-02T10:00:00+02:00",
            "employmentType": ["FULL_TIME"],
            "hiringOrganization": {"@type": "Organization", "name": "CHU de Nantes"},
            "jobLocation": {"@type": "Place", "address": {"postalCode": "44093", "addressLocality": "Nantes"}},
        }
    )
    assert (offer.offer_id, offer.departement, offer.published_at) == ("JP-9", "44", "2024-05-02")
    assert offer.working_time == "temps_complet" and offer.employer_name == "CHU de Nantes"
    assert "<p>" not in offer.description


@pytest.mark.slow  # builds the text analyzer (spaCy, the catalogue's patterns): ~10 s on its own
def test_parse_offer_rejects_bad_input_naming_the_field() -> None:
    with pytest.raises(RecordError) as error:
        parse_offer(
            {
                "offer_id": "X",
                "title": "T",
                "employer_id": "E",
                "description": "d",
                "departement": "75",
                "published_at": "2024-13-45",
                "contract": "titulaire",
            }
        )
    assert error.value.field == "published_at"


def test_both_real_pep_exports_are_read() -> None:
    raws, problems = read_offer_file(PEP / "pep_full_export_sample.csv")
    assert len(raws) == 50 and not problems
    first = raws[0]
    assert first.fields["categorie"] == "A" and first.fields["versant"] == "FPT"
    assert first.employer is not None and first.employer.kind == "commune"
    raws, problems = read_offer_file(PEP / "pep_offers_2020_2021.csv")
    assert len(raws) == 652 and not problems
    assert all(r.fields["title"] for r in raws[:260])  # titles recovered from the URL where the column is empty


def test_statutory_facts_from_french_text() -> None:
    facts = statutory_facts(
        "Poste de catégorie A de la fonction publique hospitalière, ouvert aux titulaires et aux contractuels. "
        "Master exigé, 5 ans d'expérience minimum. Lieu : 35000 Rennes."
    )
    assert (facts.categorie, facts.versant, facts.contract) == ("A", "FPH", "titulaire_ou_contractuel")
    assert (facts.education_level, facts.years_experience, facts.departement) == (5, 5.0, "35")


@pytest.mark.slow  # builds the text analyzer (spaCy, the catalogue's patterns): ~10 s on its own
def test_json_resume_cv_is_pseudonymised_and_understood() -> None:
    path = DATA / "dataset" / "cvs" / "cand-001.json"
    cv = parse_cv(path.read_bytes(), path.name, "dataset")
    assert cv.candidate_id == candidate_id("dataset", "cand-001")
    for personal in ("Gwendoline", "Trouvadec", "gwendoline.trouvadec", "06 12 34 56 78", "Capucines", "14/07/1986"):
        assert personal.lower() not in cv.cv_text.lower()
    assert (cv.titulaire, cv.categorie, cv.versant, cv.echelon, cv.departement) == (True, "B", "FPT", 6, "69")
    assert cv.grade_uri is not None and cv.education_level == 5
    assert [e.order for e in cv.experiences] == [0, 1] and cv.experiences[0].start == "2018-09-01"
    assert [e.employer_kind for e in cv.experiences] == ["commune", "departement"]
    assert any(s.source == "declared" for s in cv.skills) and any(s.source == "matcher" for s in cv.skills)


@pytest.mark.slow  # builds the text analyzer (spaCy, the catalogue's patterns): ~10 s on its own
def test_text_cv_experiences_and_heading_name() -> None:
    path = DATA / "dataset" / "cvs" / "cand-003.txt"
    cv = parse_cv(path.read_bytes(), path.name, "dataset")
    assert "Kerbrat" not in cv.cv_text and "Maëlys" not in cv.cv_text and "29200" not in cv.cv_text
    assert cv.versant == "FPH" and cv.departement == "29" and len(cv.experiences) == 2
    assert "Infirmière" in cv.cv_text  # a job title is not a name


def test_pseudonym_is_stable_and_keyed(env: Callable[..., Settings]) -> None:
    first = candidate_id("s", "ref-1")
    assert first == candidate_id("s", "ref-1") and first != candidate_id("s", "ref-2")
    env(VIVIER_PSEUDONYM_KEY="another-key")
    assert candidate_id("s", "ref-1") != first


def test_scrub_removes_contact_data() -> None:
    text = scrub(
        "Jean Dupont, né le 02/05/1980, 7 impasse des Lilas 75011 Paris, 01.23.45.67.89, jd@x.org", ["Jean Dupont"]
    )
    for personal in ("Jean", "Dupont", "1980", "Lilas", "75011", "01.23.45.67.89", "jd@x.org"):
        assert personal not in text


def test_csv_variants_semicolon_bom_cp1252_and_french_headers(tmp_path: Path) -> None:
    path = tmp_path / "candidatures.csv"
    content = "\ufeffId candidature;Offre;Candidat;Date;Statut;Motif\nA1;O1;c1;18/03/2024;Présélectionné;\n"
    path.write_bytes(content.encode("utf-8"))
    applications, problems = read_applications(path, "s")
    assert not problems and applications[0][1].stage == "shortlisted"
    path.write_bytes("employer_id,name,kind\nE1,Mairie de Sées,commune\n".encode("cp1252"))
    employers, problems = read_employers(path)
    assert not problems and employers[0][1].name == "Mairie de Sées"


def test_furthest_stage_reached_is_read_from_the_rejection_reason(tmp_path: Path) -> None:
    path = tmp_path / "applications.csv"
    path.write_text(
        "application_id,offer_id,candidate_ref,applied_at,stage,reason\n"
        "A1,O1,c1,2024-03-01,rejected,non retenu après entretien\n"
        "A2,O1,c2,2024-03-01,rejeté,Non retenu après présélection\n"
        "A3,O1,c3,2024-03-01,withdrawn,a décliné la proposition d'embauche\n"
        "A4,O1,c4,2024-03-01,rejected,profil ne correspondant pas au poste\n"
        "A5,O1,c5,2024-03-01,withdrawn,candidature retirée par le candidat\n"
        "A6,O1,c6,2024-03-01,hired,\n",
        encoding="utf-8",
    )
    applications, problems = read_applications(path, "s")
    assert not problems
    reached = [record.reached for _, record in applications]
    assert reached == ["interviewed", "shortlisted", "offered", "rejected", "withdrawn", "hired"]
    assert [record.stage for _, record in applications][:3] == ["rejected", "rejected", "withdrawn"]  # kept as given


def test_broken_quoting_loses_only_the_broken_record(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text('employer_id,name\nE1,"Mairie A\nE2,Mairie B\nE3,"Mairie ""C"""\n', encoding="utf-8")
    rows, bad, _ = read_rows(path, {})
    assert [r.values["employer_id"] for r in rows] == ["E2", "E3"] and bad[0].line == 2


def test_values() -> None:
    assert parse_departement("Hauts-de-Seine (92)") == "92" and parse_departement("20090") == "2A"
    assert parse_date("2021-03", "d") == "2021-03"
    with pytest.raises(RecordError):
        parse_departement("99")


def test_scrub_keeps_words_that_are_name_particles() -> None:
    text = scrub("Yann Le Gall\nLe poste de gestionnaire de la paie", ["Yann Le Gall"])
    assert "Gall" not in text and "Yann" not in text
    assert "Le poste de gestionnaire de la paie" in text


def test_stated_occupation_codes_come_first() -> None:
    from types import SimpleNamespace

    from loaders.offers import with_stated_occupations
    from loaders.records import OccupationScore, OfferRecord
    from ontology import uris

    found = [
        OccupationScore(uris.rmfp_emploi("FPX002"), "RMFP", "FPX002", 0.6, 1),
        OccupationScore(uris.rmfp_emploi("FPX001"), "RMFP", "FPX001", 0.4, 2),
        OccupationScore(uris.rmfp_emploi("FPX003"), "RMFP", "FPX003", 0.3, 3),
        OccupationScore(uris.rome_fiche("K1201"), "ROME", "K1201", 0.5, 1),
    ]
    record = OfferRecord("o", "t", "d", "e", None, "2024-01-01", None, "s", rmfp_code="FPX001", rome_appellation="123")
    catalogue: Any = SimpleNamespace(appellation_to_fiche={"123": "M1607"})  # only what the function reads
    out = with_stated_occupations(found, record, catalogue)
    rmfp = [(o.code, o.rank, o.score) for o in out if o.scheme == "RMFP"]
    rome = [(o.code, o.rank, o.score) for o in out if o.scheme == "ROME"]
    assert rmfp == [("FPX001", 1, 1.0), ("FPX002", 2, 0.6), ("FPX003", 3, 0.3)]  # stated first, no duplicate
    assert rome == [("M1607", 1, 1.0), ("K1201", 2, 0.5)]
    record.rmfp_code = record.rome_appellation = None
    assert with_stated_occupations(found, record, catalogue) == found  # nothing stated: the text's matches


def test_scrub_removes_every_name_of_a_person_in_one_pass() -> None:
    text = scrub(
        "Marie-Claire Le Goff (MARIE-CLAIRE) : mc.legoff (at) exemple.fr, MC.LEGOFF[AT]EXEMPLE.FR. Claire aime Goff.",
        ["Marie-Claire Le Goff"],
        ["Le Goff", ""],
    )
    assert "[email]" in text and "exemple" not in text.lower()
    for personal in ("Marie", "Claire", "Goff", "MARIE-CLAIRE"):
        assert personal not in text, text
    assert "aime" in text and "[nom]" in text


def test_record_errors_pickle_whole() -> None:
    """Forked CV readers send their rejects back pickled; every kind must arrive with its fields."""
    import pickle

    from loaders.cvs import CvLimitExceeded, EmptyProfile

    for error in (RecordError("field", "why"), EmptyProfile("no text", "c-1"), CvLimitExceeded("cv_max_bytes", "big")):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and vars(copy) == vars(error) and str(copy) == str(error)


def _scaled(factor: int, task: int) -> tuple[int, int]:
    import os

    return task * factor, os.getpid()


def _dies_on_three(factor: int, task: int) -> int:
    import os

    if task == 3:
        os._exit(1)  # a worker killed mid-task: its result never comes back
    return task * factor


def test_forked_map_keeps_order_and_inherits_what_the_parent_built() -> None:
    import os
    from concurrent.futures import ThreadPoolExecutor

    from loaders.forked import forked_map

    def run(factor: int) -> list[tuple[int, int]]:  # more tasks than the two per worker sent ahead
        return list(forked_map(_scaled, factor, iter(range(40)), 2, "test"))

    with ThreadPoolExecutor(2) as threads:  # two maps at once: each worker sees its own call's factor
        seven, eleven = threads.map(run, [7, 11])
    assert [value for value, _ in seven] == [7 * t for t in range(40)]
    assert [value for value, _ in eleven] == [11 * t for t in range(40)]
    workers = {pid for _, pid in seven}  # which worker takes which task is the pool's choice (one may take all)
    assert os.getpid() not in workers and 1 <= len(workers) <= 2
    assert list(forked_map(_scaled, 3, range(4), 1, "test")) == [(3 * t, os.getpid()) for t in range(4)]


def test_forked_map_names_the_work_when_a_worker_dies(monkeypatch: pytest.MonkeyPatch) -> None:
    import loaders.forked

    monkeypatch.setattr(loaders.forked, "WORKER_TIMEOUT_S", 3.0)
    results = loaders.forked.forked_map(_dies_on_three, 2, range(6), 2, "reading widgets")
    with pytest.raises(RuntimeError, match="reading widgets: a forked worker gave no result in 3 s"):
        list(results)


@pytest.mark.slow  # builds the text analyzer and reads 300 CVs twice: ~30 s
def test_cvs_read_in_two_forked_workers_after_training_match_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rejects included (they once hung the load: an error that did not unpickle killed the pool's result thread),
    and after PyTorch has trained in the same process, as in a test session or `vivier demo`."""
    import json

    import torch

    import loaders.forked
    from loaders.cvs import parse_cv_files
    from loaders.forked import fork_is_safe
    from loaders.nlp import default_analyzer

    layer = torch.nn.Linear(64, 64)
    layer(torch.randn(4096, 64)).square().mean().backward()  # PyTorch's thread pools are running now
    monkeypatch.setattr(loaders.forked, "WORKER_TIMEOUT_S", 120.0)  # a regression fails instead of hanging
    resume = json.loads((DATA / "dataset" / "cvs" / "cand-001.json").read_text())
    documents = []
    for number in range(300):
        resume["meta"] = {"candidate_ref": f"c-{number}"}
        data = json.dumps(resume).encode() if number % 50 else b"{not json"
        documents.append((b"{}" if number % 70 == 3 else data, f"c-{number}.json"))

    def read(processes: int) -> list[str]:
        results = [r for batch in parse_cv_files(iter(documents), "t", default_analyzer(), processes) for r in batch]
        return [repr(vars(r)) if isinstance(r, RecordError) else repr(r) for r in results]

    assert fork_is_safe()
    one, two = read(1), read(2)
    assert one == two and len(two) == 300
    assert sum("invalid JSON" in r for r in two) == 6 and sum("candidate_id" in r and "reason" in r for r in two) == 5
