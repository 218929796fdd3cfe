"""Statutory eligibility of a candidate for a public-sector post (pure functions, no database).

The rules, simplified from the Code général de la fonction publique and explained in `docs/simulation.md`:

* **Titulaire posts** are open to fonctionnaires only (a contractuel or a private-sector profile would need a
  concours first). The post's catégorie must be the candidate's catégorie: moving up a catégorie takes a concours
  or a promotion interne, not an application. Within the same versant the move is a *mutation*; into another
  versant it is a *détachement*, which is open between corps / cadres d'emplois of the same catégorie.
  When the post names a cadre d'emplois, a candidate of another cadre d'emplois comes by détachement (same
  catégorie); when it names a grade, a candidate of the same cadre d'emplois must hold that grade (a different
  grade means an avancement first), while a candidate of another cadre d'emplois comes by détachement.
* **Contractuel posts** are open to everyone who has the diploma level of the catégorie: A needs a licence
  (bac+3, level 6), B the baccalauréat (level 4), C nothing. A fonctionnaire's own catégorie counts as that level.
* **Titulaire-ou-contractuel posts** accept whoever passes either rule.

Diploma levels follow the French nomenclature of 2019: 3 CAP/BEP, 4 bac, 5 bac+2, 6 licence, 7 master, 8 doctorat;
0 means no diploma.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

Status = Literal["titulaire", "contractuel", "prive"]
Contract = Literal["titulaire", "contractuel", "titulaire_ou_contractuel"]
Versant = Literal["FPE", "FPT", "FPH"]
Categorie = Literal["A", "B", "C"]

# The one statutory vocabulary: loaders, API schemas, GNN and simulator import these. The simulator draws and
# stores them by index, so their order is part of them.
STATUSES: tuple[Status, ...] = get_args(Status)
CONTRACTS: tuple[Contract, ...] = get_args(Contract)
VERSANTS: tuple[Versant, ...] = get_args(Versant)
CATEGORIES: tuple[Categorie, ...] = get_args(Categorie)
# Diploma level (nomenclature 2019) a contractuel needs for each catégorie.
MIN_DIPLOMA_LEVEL = {"A": 6, "B": 4, "C": 0}


@dataclass(frozen=True)
class StatutoryProfile:
    """What a candidate's status allows: `status` is titulaire (fonctionnaire), contractuel or prive."""

    status: Status
    diploma_level: int = 0
    versant: str | None = None
    categorie: str | None = None
    cadre_emplois: str | None = None
    grade: str | None = None
    # False when the profile states no statutory fact at all (a sparse profile, a foreign CV): the rules cannot
    # tell, so such a candidate is never ineligible by default; the recruiter checks (issue 13).
    known: bool = True

    @classmethod
    def from_facts(
        cls, *, titulaire: Any, education_level: Any, versant: Any, categorie: Any, cadre_emplois: Any, grade: Any
    ) -> StatutoryProfile:
        """A candidate's profile from the facts the graph stores: `titulaire` true for a fonctionnaire, otherwise
        contractuel (false or unknown; the graph stores no private-sector status), `education_level` in years after
        the baccalauréat (the loaders' scale, None when unknown)."""
        return cls(
            status="titulaire" if titulaire else "contractuel",
            diploma_level=diploma_level_from_bac_plus(None if education_level is None else int(education_level)),
            versant=versant,
            categorie=categorie,
            cadre_emplois=cadre_emplois,
            grade=grade,
            known=any(f is not None for f in (titulaire, education_level, versant, categorie, cadre_emplois, grade)),
        )


@dataclass(frozen=True)
class StatutoryRequirement:
    """What a post requires; None means the offer does not say."""

    contract: Contract
    versant: str | None = None
    categorie: str | None = None
    cadre_emplois: str | None = None
    grade: str | None = None

    @classmethod
    def from_facts(
        cls, *, contract: Any, versant: Any, categorie: Any, cadre_emplois: Any, grade: Any
    ) -> StatutoryRequirement:
        """An offer's requirement from the facts the graph stores; a missing or unknown contract is read as
        titulaire_ou_contractuel (the offer does not restrict it)."""
        return cls(
            contract=contract if contract in CONTRACTS else "titulaire_ou_contractuel",
            versant=versant,
            categorie=categorie,
            cadre_emplois=cadre_emplois,
            grade=grade,
        )


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: list[str] = field(default_factory=list)
    route: str | None = None  # mutation, détachement, contrat


def _titulaire_route(candidate: StatutoryProfile, offer: StatutoryRequirement) -> tuple[str | None, list[str]]:
    """The statutory route onto a titulaire post, or None with the reasons why there is none."""
    if candidate.status != "titulaire":
        return None, ["poste réservé aux fonctionnaires titulaires (concours requis)"]
    if offer.categorie and candidate.categorie != offer.categorie:
        return None, [f"catégorie {candidate.categorie or '?'} ≠ catégorie {offer.categorie} du poste"]
    same_versant = offer.versant is None or candidate.versant == offer.versant
    same_cadre = offer.cadre_emplois is None or candidate.cadre_emplois == offer.cadre_emplois
    if offer.cadre_emplois and same_cadre and offer.grade and candidate.grade != offer.grade:
        return None, [f"grade {candidate.grade or '?'} ≠ grade {offer.grade} requis (avancement de grade préalable)"]
    if same_versant and same_cadre:
        return "mutation", [f"mutation ({candidate.versant}, catégorie {candidate.categorie})"]
    return "détachement", [f"détachement catégorie {candidate.categorie} ({candidate.versant} → {offer.versant})"]


def _contract_route(candidate: StatutoryProfile, offer: StatutoryRequirement) -> tuple[str | None, list[str]]:
    required = MIN_DIPLOMA_LEVEL.get(offer.categorie or "C", 0)
    level = candidate.diploma_level
    if candidate.status == "titulaire" and candidate.categorie in CATEGORIES:
        # A fonctionnaire's catégorie vouches for the level it was recruited at.
        level = max(level, MIN_DIPLOMA_LEVEL[candidate.categorie])
    if level >= required:
        return "contrat", [f"niveau de diplôme {level} ≥ {required} (catégorie {offer.categorie or 'non précisée'})"]
    return None, [f"niveau de diplôme {level} < {required} requis pour la catégorie {offer.categorie}"]


def check_eligibility(candidate: StatutoryProfile, offer: StatutoryRequirement) -> Eligibility:
    """Whether `candidate` may be appointed on `offer`, with the route and the reasons (in French)."""
    if offer.contract not in CONTRACTS:
        raise ValueError(f"unknown contract {offer.contract!r}; expected one of {CONTRACTS}")
    if not candidate.known:
        return Eligibility(True, ["aucun fait statutaire connu du candidat : éligibilité à vérifier"], None)
    reasons: list[str] = []
    if offer.contract in ("titulaire", "titulaire_ou_contractuel"):
        route, why = _titulaire_route(candidate, offer)
        if route:
            return Eligibility(True, why, route)
        reasons += why
    if offer.contract in ("contractuel", "titulaire_ou_contractuel"):
        route, why = _contract_route(candidate, offer)
        if route:
            return Eligibility(True, why, route)
        reasons += why
    return Eligibility(False, reasons, None)


def diploma_level_from_bac_plus(years: int | None) -> int:
    """The 2019 nomenclature level of a diploma given as years after the baccalauréat (-1 = CAP/BEP, 0 = bac,
    2 = BTS/DUT, 3 = licence, 5 = master, 8 = doctorat: the scale `loaders.statutory.education_level` uses)."""
    if years is None:
        return 0
    if years < 0:
        return 3
    return {0: 4, 1: 5, 2: 5, 3: 6, 4: 6}.get(years, 7 if years < 8 else 8)


def is_eligible(candidate: StatutoryProfile, offer: StatutoryRequirement) -> bool:
    return check_eligibility(candidate, offer).eligible
