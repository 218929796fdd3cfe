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
    fresh = {measure.GOLD_STATUTORY_CHECK: [measure.FieldScore("versant", 37, 34, 32)]}
    flat = " ".join(measure.readme_block(figures, statutory=scores, statutory_sets=fresh).split())
    assert "statutory-offers-check.jsonl" in flat and "versant 94% / 86% (37 stated)" in flat
    assert "## Statutory facts against the hand-annotated gold: `statutory-offers-check.jsonl`" in (
        measure.statutory_sets_markdown(fresh)
    )


@pytest.mark.slow  # builds the text analyzer and reads the 100 gold offers: ~2 min on the shared machine
def test_the_measure_scores_every_gold_field_against_the_loader() -> None:
    scores = {s.field: s for s in measure.measure_statutory()}
    assert set(scores) == set(measure.STATUTORY_FIELDS)
    assert (scores["versant"].stated, scores["categorie"].stated, scores["working_time"].stated) == (94, 52, 33)
    assert all(s.right <= min(s.found, s.stated) for s in scores.values())
    assert scores["categorie"].precision is not None and scores["categorie"].precision >= 0.95


def test_the_fresh_gold_sets_name_development_offers_only() -> None:
    first = {str(r["offer_id"]) for r in measure.read_gold()}
    check, rare = measure.read_gold(measure.GOLD_STATUTORY_CHECK), measure.read_gold(measure.GOLD_STATUTORY_RARE)
    assert (len(check), len(rare)) == (50, 42)
    development = {str(raw.fields["offer_id"]) for raw in read_offer_file(measure.PEP_OFFERS)[0]} - first
    ids = [str(r["offer_id"]) for r in check + rare]
    assert len(set(ids)) == len(ids) and set(ids) <= development
    sets = [measure.GOLD_STATUTORY, measure.GOLD_STATUTORY_CHECK, measure.GOLD_STATUTORY_RARE]
    assert list(measure.GOLD_STATUTORY_SETS) == sets


def test_the_state_named_by_its_services_and_communes_only_as_employers() -> None:
    assert (
        offer_facts("Vous travaillerez dans un service des impôts des particuliers de 50 personnes.").versant == "FPE"
    )
    assert offer_facts("GSBdD de Toulon, organisme du SCA. Gérer les personnels civils et militaires.").versant == "FPE"
    assert offer_facts("Assurer la maintenance des infrastructures communes.").versant is None
    assert offer_facts("Projets de transition énergétique et de la ville durable.").versant is None
    assert offer_facts("L'EPF agit pour le compte des collectivités membres (communes).").versant == "FPT"


def test_status_lines_decrees_and_managed_cdd() -> None:
    assert offer_facts("Adjoint technique titulaire\ncontractuel\nCompétences : rigueur").contract == (
        "titulaire_ou_contractuel"
    )
    assert offer_facts("Type de contrat : CDI de droit public ou fonctionnaire en position d'activité").contract == (
        "titulaire_ou_contractuel"
    )
    decree = "Décret n° 96-1087 relatif au recrutement par voie contractuelle des travailleurs handicapés."
    assert offer_facts(decree).contract is None
    assert offer_facts("Paye du personnel (160 fonctionnaires, CDI et OPA, 70 CDD).").contract is None


def test_the_post_catégorie_not_the_team_and_corps_fields() -> None:
    assert offer_facts("Vous encadrez une équipe de 6 agents de catégorie A.").categorie is None
    assert offer_facts("Chef de bureau des personnels administratifs de catégorie A").categorie is None
    assert offer_facts("Le directeur de greffe est un fonctionnaire de catégorie A.").categorie == "A"
    assert offer_facts("Catégorie d'emploi : A\nRésidence : Metz").categorie == "A"
    facts = offer_facts("Fonctions : gestionnaire\nCatégorie : C\nCorps : ADJAENES/ATRF\nBAP : J")
    assert (facts.corps, facts.categorie) == ("adjaenes/atrf", "C")
    assert offer_facts("Corps : Technicien-ne de recherche et de formation").corps == (
        "technicien de recherche et de formation"
    )
    both = offer_facts("La Ville recrute (cadre d'emplois des Attachés / rédacteurs territoriaux) à temps complet")
    assert (both.corps, both.categorie, both.filiere) == ("attaches", None, "Administrative")
    managed = "Gestion des ressources humaines du corps des administrateurs des finances publiques."
    assert offer_facts(managed).corps is None
    open_to = offer_facts("Le poste convient à un(e) administrateur/administratrice civil(e) ou un(e) attaché(e).")
    assert (open_to.corps, open_to.categorie) == ("administrateur civil", "A")


def test_telework_statements_and_levels_demanded() -> None:
    assert offer_facts("Conditions particulières : poste télétravaillable").remote_work is True
    assert offer_facts("Contraintes : poste non télétravaillable").remote_work is False
    assert offer_facts("Il coordonne la mise en œuvre du télétravail (référent télétravail)").remote_work is None
    medecin = "Doctorat en médecine exigé.\nNiveau I (bac+5 et supérieur) - Expérience souhaitée : de 1 à 3 ans"
    assert offer_facts(medecin).education_level == 8
    assert offer_facts("Outils du système d'informations de la licence droit-économie").education_level is None
