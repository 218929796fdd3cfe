"""Statutory facts of offers (loaders.statutory.offer_facts) and the hand-annotated gold the measure reads."""

from __future__ import annotations

import pytest

from loaders import measure
from loaders.offers import read_offer_file
from loaders.statutory import offer_facts


def test_the_pep_structured_lines_are_read_first() -> None:
    facts = offer_facts(
        "Agent de fleurissement\nNiveau IV (bac,bac pro, bac techno) - Expérience souhaitée : de 3 à 5 ans\n"
        "Vous avez un master en paysage."
    )
    assert (facts.education_level, facts.years_experience) == (0, 3.0)
    assert offer_facts("Niveau III (DUT,BTS,bac+2,...) - Expérience souhaitée : Moins de 1 an").years_experience == 0


def test_the_holder_of_the_post_and_the_people_managed_are_not_the_contract_nor_the_categorie() -> None:
    facts = offer_facts(
        "Le titulaire du poste assure la gestion RH des agents de catégorie A, B et C, fonctionnaires et "
        "contractuels, et suit les demandes de mutation. Rémunération statutaire."
    )
    assert (facts.contract, facts.categorie) == (None, None)


def test_who_may_apply() -> None:
    assert offer_facts("Poste ouvert aux titulaires et aux contractuels.").contract == "titulaire_ou_contractuel"
    assert offer_facts("Recrutement par voie statutaire ou, à défaut, contractuelle").contract == (
        "titulaire_ou_contractuel"
    )
    assert offer_facts("Campagne de mobilité : candidatures réservées aux titulaires de la FP").contract == "titulaire"
    assert offer_facts("Employé à l'agence postale - CDD de 3 mois").contract == "contractuel"


def test_corps_named_gives_categorie_and_territorial_filiere() -> None:
    facts = offer_facts(
        "Mairie de Rouen. Poste ouvert aux agents titulaires du cadre d'emplois des rédacteurs territoriaux."
    )
    assert (facts.versant, facts.corps, facts.categorie, facts.filiere) == (
        "FPT",
        "redacteurs territoriaux",
        "B",
        "Administrative",
    )
    assert offer_facts("Aide ponctuelle tout corps d'état, corps de métier du bâtiment").corps is None


def test_working_time_remote_work_and_versant_from_the_employer() -> None:
    facts = offer_facts("Ministère de l'Intérieur. Durée de travail hebdomadaire 38h sur 5 jours. Télétravail possible")
    assert (facts.versant, facts.working_time, facts.remote_work) == ("FPE", "temps_complet", True)
    assert offer_facts("Temps de travail : temps non complet : 6.30 heures/semaine").working_time == "temps_partiel"
    assert offer_facts("Poste sans télétravail.").remote_work is False


def test_diplomas_mentioned_as_the_work_are_not_asked() -> None:
    assert offer_facts("Superviser les stages de licences et masters. Dépannage de niveau 3.").education_level is None
    assert offer_facts("De formation bac + 3 à bac + 5, spécialisée en logistique").education_level == 3


def test_the_gold_names_real_offers_and_known_fields() -> None:
    rows = measure.read_gold()
    assert len(rows) == 100
    ids = {
        name: {str(raw.fields["offer_id"]) for raw in read_offer_file(measure.PEP_OFFERS.parent / name)[0]}
        for name in {str(r["file"]) for r in rows}
    }
    assert all(str(r["offer_id"]) in ids[str(r["file"])] for r in rows)
    stated = {f: sum(f in r["facts"] for r in rows) for f in measure.STATUTORY_FIELDS}  # type: ignore[operator]
    assert stated["versant"] == 94 and stated["categorie"] == 52 and stated["remote_work"] == 0


def test_names_compare_folded_singular_and_by_prefix() -> None:
    assert measure.same_fact("corps", "Rédacteurs territoriaux", ["redacteur"])
    assert measure.same_fact("grade", "Attaché principal de 2e classe", ["attache hors classe", "attache principal"])
    assert not measure.same_fact("corps", "Agents techniques territoriaux", ["adjoint technique"])
    assert measure.same_fact("years_experience", 3.0, 3)


def test_the_statutory_table_and_readme_sentence_carry_the_scores() -> None:
    scores = [measure.FieldScore("versant", 94, 82, 82), measure.FieldScore("remote_work", 0, 0, 0)]
    table = measure.statutory_markdown(scores)
    assert "| versant | 94 | 82 | 82 | 100.0% | 87.2% |" in table and "| remote_work | 0 | 0 | 0 | — | — |" in table
    figures = measure.Figures(650, 2, 0.5, 0.6, 7.0, 0.03, 0.1, 0.3, 0.3, 0.1, 0.01, 400, 600, 1.0, 30)
    flat = " ".join(measure.readme_block(figures, statutory=scores).split())
    assert "versant 100% / 87%" in flat and "not stated in any gold offer: remote work" in flat


@pytest.mark.slow  # builds the text analyzer and reads the 100 gold offers: ~2 min on the shared machine
def test_the_measure_scores_every_gold_field_against_the_loader() -> None:
    scores = {s.field: s for s in measure.measure_statutory()}
    assert set(scores) == set(measure.STATUTORY_FIELDS)
    assert (scores["versant"].stated, scores["categorie"].stated, scores["working_time"].stated) == (94, 52, 33)
    assert all(s.right <= min(s.found, s.stated) for s in scores.values())
    assert scores["categorie"].precision is not None and scores["categorie"].precision >= 0.95
