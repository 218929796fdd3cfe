"""The hand-written CV gold (data/gold/cvs.jsonl, issue 16): the files it names, the reading rules its failures
led to, and the figures `vivier load measure` writes from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loaders import measure
from loaders.cvs import (
    CvLimits,
    _dated_positions,
    _education_level,
    _header_departement,
    _heading_names,
    _titulaire,
    parse_cv,
    read_cv,
    status_text,
)
from loaders.nlp import default_analyzer
from loaders.occupations import CHAR_MAX_DF
from ontology.text import fold_compat


def test_the_gold_names_30_readable_cvs_with_a_check_set_and_their_invented_identities() -> None:
    rows = measure.read_gold_cvs()
    assert len(rows) == 202 and sum(r["set"] == "check" for r in rows) == 10
    assert sum(r["set"] == "fresh" for r in rows) == 10 and sum(r["set"] == "fresh-2" for r in rows) == 6
    assert sum(r["set"] == "fresh-3" for r in rows) == 6 and sum(r["set"] == "fresh-4" for r in rows) == 6
    assert sum(r["set"] == "fresh-5" for r in rows) == 6 and sum(r["set"] == "fresh-6" for r in rows) == 6
    assert sum(r["set"] == "fresh-7" for r in rows) == 6 and sum(r["set"] == "fresh-8" for r in rows) == 6
    assert sum(r["set"] == "fresh-9" for r in rows) == 6 and sum(r["set"] == "fresh-10" for r in rows) == 6
    assert sum(r["set"] == "fresh-11" for r in rows) == 6
    assert sum(r["set"] == "fresh-12" for r in rows) == 6
    assert sum(r["set"] == "fresh-13" for r in rows) == 6
    assert sum(r["set"] == "fresh-14" for r in rows) == 6
    assert sum(r["set"] == "fresh-15" for r in rows) == 6
    assert sum(r["set"] == "fresh-16" for r in rows) == 6
    assert sum(r["set"] == "fresh-17" for r in rows) == 6
    assert sum(r["set"] == "fresh-18" for r in rows) == 6
    assert sum(r["set"] == "fresh-19" for r in rows) == 6
    assert sum(r["set"] == "fresh-20" for r in rows) == 6
    assert sum(r["set"] == "fresh-21" for r in rows) == 6
    assert sum(r["set"] == "fresh-22" for r in rows) == 6
    assert sum(r["set"] == "fresh-23" for r in rows) == 6
    assert sum(r["set"] == "fresh-24" for r in rows) == 6
    assert sum(r["set"] == "fresh-25" for r in rows) == 6
    assert sum(r["set"] == "fresh-26" for r in rows) == 6
    assert sum(r["set"] == "fresh-27" for r in rows) == 6
    assert sum(r["set"] == "fresh-28" for r in rows) == 6
    suffixes = [str(r["file"]).rsplit(".", 1)[1] for r in rows]
    assert suffixes.count("pdf") + suffixes.count("docx") >= 6
    limits = CvLimits.from_settings()
    for row in rows:
        reading = read_cv((measure.GOLD_CV_FOLDER / row["file"]).read_bytes(), row["file"], "gold", limits)
        # Every identity the leak check looks for is in the text the reader sees, so a miss means it was removed.
        assert all(identity in reading.text for identity in row["identity"]), row["file"]
        assert all(step["rome"] for step in row["experiences"]), row["file"]


def test_dates_as_cvs_write_them_and_words_cut_at_line_ends() -> None:
    text = (
        "2019 – auj.    Agent d'accueil, Mairie de Bruz\n"
        "depuis 2021 : Gestionnaire marchés publics\n"
        "Sept. 2012 à ce jour  ATSEM, école Jean-Zay\n"
        "2015 / auj.    Gestionnaire paie, CHU de Poitiers\n"
        "Depuis 2018 – CHU de Brest, cardiologie\nInfirmière en soins généraux\n"
    )
    steps = {(s["startDate"], s["endDate"]): s["position"] for s in _dated_positions(text)}
    assert steps[("2019", None)].startswith("Agent d'accueil")
    assert steps[("2021", None)] == "Gestionnaire marchés publics"
    assert steps[("2012-09", None)].startswith("ATSEM")
    assert steps[("2015", None)].startswith("Gestionnaire paie")
    assert steps[("2018", None)].startswith("Infirmière en soins généraux")
    reading = read_cv(
        "Suivi de l'exécution finan-\ncière des marchés".encode(), "cv.txt", "t", CvLimits.from_settings()
    )
    assert "financière" in reading.text


def test_grade_abbreviations_are_spelt_out_and_merged_columns_do_not_hide_the_name() -> None:
    assert "adjoint administratif principal 2e classe" in status_text("Adj. adm. ppal 2e cl. – FPT").lower()
    assert "adjoint des cadres hospitaliers" in status_text("ACH – cl. sup. – titulaire")
    assert status_text("Infirmière en soins généraux") == ""
    assert _heading_names("Sébastien DUQUESNOY          Technicien ppal 2e cl.\n") == ["Sébastien DUQUESNOY"]
    assert _heading_names("Brigitte VAYSSE - 06 88 41 25 60\n") == ["Brigitte VAYSSE"]


def test_status_diplomas_and_home_departement_as_cvs_state_them() -> None:
    # The current status comes first in a CV; "titulaire d'un diplôme" is no status; a grade held makes a titulaire.
    assert _titulaire(
        fold_compat("Titulaire, cat. B.\n2016-2021 : secrétaire contractuelle"), "titulaire_ou_contractuel", False
    )
    assert (
        _titulaire(fold_compat("titulaire d'un BTS ; vacataire depuis 2020"), "titulaire_ou_contractuel", False)
        is False
    )
    assert _titulaire("", None, True)
    assert _education_level(fold_compat("2013 Diplôme d'État d'infirmier"), None) == 3
    assert _education_level(fold_compat("CAP Cuisine (2010) – BP Arts de la cuisine"), -1) == 0
    assert _education_level(fold_compat("Master 1 Management des organisations"), 5) == 3
    assert _header_departement("Jean X\n52 bd Voltaire, 75011 Paris — 06 03 48 61 72\n") == "75"
    assert _header_departement("Olivier X\nPoitiers (86000) – 06 21 46 83 07\n") == "86"


def test_the_gold_cv_section_of_the_figures_file_is_replaced_in_place() -> None:
    block = f"{measure.CV_FIGURES_START}\nlatest figures\n{measure.CV_FIGURES_END}\n"
    text = f"# Figures\n\n{measure.CV_FIGURES_START}\nformer figures\n{measure.CV_FIGURES_END}\n\n## After\n"
    replaced = measure.replace_gold_cvs_block(text, block)
    assert "latest figures" in replaced and "former figures" not in replaced and replaced.endswith("## After\n")
    assert measure.replace_gold_cvs_block(replaced, block) == replaced
    assert measure.replace_gold_cvs_block("# Figures\n", block).endswith(block)


@pytest.mark.slow  # builds the text analyzer and reads the 202 CVs: ~1 min on the shared machine
def test_the_measure_reads_the_gold_no_identity_leaks_and_the_docs_carry_its_figures() -> None:
    figures = measure.measure_gold_cvs()
    assert figures["all"].cvs == 202 and figures["check"].cvs == 10 and figures["fresh"].cvs == 10
    agreement = figures["all"].agreement  # the second annotator's links, read and scored
    assert agreement is not None and (agreement.cvs, agreement.spans) == (20, 359)
    low, high = agreement.second_f1_interval()
    assert low <= (agreement.second.f1 or 0) <= high
    assert figures["all"].leaked == []  # no invented name, e-mail, phone or address reaches the records
    assert figures["all"].experiences == sum(len(r["experiences"]) for r in measure.read_gold_cvs())
    assert measure.gold_cvs_markdown(figures) in measure.FIGURES.read_text(encoding="utf-8")


def test_skills_are_not_read_from_dates_headings_or_the_heading_lines() -> None:
    text = (
        "Élodie GRANGER\nAssistante sociale\n06 93 28 50 14\n\n"
        "PARCOURS PROFESSIONNEL\n"
        "2014-2018 – Centre hospitalier de Morlaix, droit hospitalier\n"
        "Accueil, évaluation et accompagnement social ; protection de l'enfance ; veille juridique\n"
    )
    record = parse_cv(text.encode(), "cv.txt")
    lines = {record.cv_text.count("\n", 0, m.start) for m in record.skills}
    assert lines == {6}, [(m.text, m.source) for m in record.skills]  # the prose line only
    assert {"protection de l'enfance", "veille juridique"} <= {m.text.lower() for m in record.skills}


def test_abbreviated_job_titles_are_spelt_out_for_the_occupation_only() -> None:
    record = parse_cv("Isabelle C.\n\n2005 – 2017     IDE en néphrologie et dialyse, CH de Vichy\n".encode(), "cv.txt")
    (step,) = record.experiences
    assert step.position.startswith("IDE en néphrologie")  # the step keeps its words
    rome = [o.code for o in sorted(step.occupations, key=lambda o: o.rank) if o.scheme == "ROME"]
    assert rome[0].startswith("J150")  # a nursing fiche (J1501–J1507); « IDE » unread gave J1102 (médecin)
    assert "J1506" in rome  # general care (soins infirmiers généralistes), not only the specialised fiches


def test_a_step_title_is_also_read_by_its_character_n_grams() -> None:
    # words alone put « Chargé de communication, agence de communication » outside its fiche's top 3; the title's
    # character n-grams against each ROME label find it (E1103 Communication)
    occupations = default_analyzer().occupations
    (found,) = occupations.classify([""], ["Chargé de communication, agence de communication, Bordeaux"])
    assert next(o.code for o in found if o.scheme == "ROME") == "E1103"
    assert occupations.chars.max_df == CHAR_MAX_DF  # the most common n-grams (« ent », « eur ») are left out


def test_a_second_annotation_that_does_not_follow_the_gold_spans_is_refused(tmp_path: Path) -> None:
    rows = measure.read_gold_cvs()
    first = rows[0]
    links = [{"text": g["text"], "uri": g["uri"]} for g in first["skills"]][1:]  # one span missing
    path = tmp_path / "second.jsonl"
    path.write_text(json.dumps({"file": first["file"], "links": links}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1 \(cv01.txt\): field 'links'"):
        measure.read_second_skills(rows, path)
    assert set(measure.read_second_skills(rows)) <= {r["file"] for r in rows}


def test_an_identity_leaks_as_whole_words_only() -> None:
    # « Régis » inside « registre des passages » is no leak; « Régis » alone, or glued to a bracket, is one
    assert not measure._holds_whole("tenue du registre des passages", "regis")
    assert measure._holds_whole("contact : regis, eclusier", "regis")
    assert measure._holds_whole("[nom]regis thomas", "regis thomas")
