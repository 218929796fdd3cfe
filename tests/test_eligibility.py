"""Statutory eligibility rules (ontology/eligibility.py): pure functions, one test per rule."""

from __future__ import annotations

import pytest

from ontology.eligibility import (
    StatutoryProfile,
    StatutoryRequirement,
    check_eligibility,
    diploma_level_from_bac_plus,
    is_eligible,
)

REDACTEUR_FPT = StatutoryProfile("titulaire", 4, "FPT", "B", "REDAC", "G-RED-P2")
SECRETAIRE_FPE = StatutoryProfile("titulaire", 4, "FPE", "B", "SACDD", "G-SA-N")
ADJOINT_FPT = StatutoryProfile("titulaire", 3, "FPT", "C", "ADJADM", "G-ADJ-1")
CONTRACTUEL_LICENCE = StatutoryProfile("contractuel", 6)
PRIVE_BAC = StatutoryProfile("prive", 4)
PRIVE_SANS_DIPLOME = StatutoryProfile("prive", 0)


def test_mutation_same_versant_same_cadre() -> None:
    result = check_eligibility(REDACTEUR_FPT, StatutoryRequirement("titulaire", "FPT", "B", "REDAC"))
    assert result.eligible and result.route == "mutation"


def test_detachement_other_versant_same_categorie() -> None:
    result = check_eligibility(SECRETAIRE_FPE, StatutoryRequirement("titulaire", "FPT", "B", "REDAC"))
    assert result.eligible and result.route == "détachement"


def test_titulaire_post_needs_same_categorie() -> None:
    result = check_eligibility(ADJOINT_FPT, StatutoryRequirement("titulaire", "FPT", "B", "REDAC"))
    assert not result.eligible and "catégorie C" in result.reasons[0]


@pytest.mark.parametrize("profile", [CONTRACTUEL_LICENCE, PRIVE_BAC])
def test_titulaire_post_closed_to_non_fonctionnaires(profile: StatutoryProfile) -> None:
    result = check_eligibility(profile, StatutoryRequirement("titulaire", "FPT", "B"))
    assert not result.eligible and "concours" in result.reasons[0]


def test_required_grade_within_the_same_cadre() -> None:
    offer = StatutoryRequirement("titulaire", "FPT", "B", "REDAC", "G-RED-P1")
    assert not is_eligible(REDACTEUR_FPT, offer)
    assert is_eligible(StatutoryProfile("titulaire", 4, "FPT", "B", "REDAC", "G-RED-P1"), offer)
    # From another cadre d'emplois of the same catégorie: détachement onto the grade.
    assert check_eligibility(SECRETAIRE_FPE, offer).route == "détachement"


@pytest.mark.parametrize(
    ("categorie", "level", "expected"),
    [("A", 6, True), ("A", 5, False), ("B", 4, True), ("B", 3, False), ("C", 0, True)],
)
def test_contractuel_diploma_level_by_categorie(categorie: str, level: int, expected: bool) -> None:
    result = check_eligibility(StatutoryProfile("prive", level), StatutoryRequirement("contractuel", "FPE", categorie))
    assert result.eligible is expected
    assert result.route == ("contrat" if expected else None)


def test_fonctionnaire_categorie_counts_as_diploma_level() -> None:
    assert is_eligible(
        StatutoryProfile("titulaire", 0, "FPH", "A", "X", "Y"), StatutoryRequirement("contractuel", None, "A")
    )


def test_titulaire_ou_contractuel_accepts_either_route() -> None:
    offer = StatutoryRequirement("titulaire_ou_contractuel", "FPT", "B", "REDAC")
    assert check_eligibility(REDACTEUR_FPT, offer).route == "mutation"
    assert check_eligibility(PRIVE_BAC, offer).route == "contrat"
    refused = check_eligibility(PRIVE_SANS_DIPLOME, offer)
    assert not refused.eligible and len(refused.reasons) == 2


def test_unknown_contract_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown contract"):
        check_eligibility(PRIVE_BAC, StatutoryRequirement("cdi"))  # type: ignore[arg-type]


@pytest.mark.parametrize(("years", "level"), [(None, 0), (-1, 3), (0, 4), (2, 5), (3, 6), (5, 7), (8, 8)])
def test_diploma_level_from_years_after_the_bac(years: int | None, level: int) -> None:
    assert diploma_level_from_bac_plus(years) == level
