"""One home per domain rule, each checked against a frozen copy of the code its callers used before, so that
moving it changed no output: text folding and slugs (`ontology.text`: ontology URIs, loaders' keys, simulator),
the statutory vocabulary and the profile / requirement built from the graph's facts (`ontology.eligibility`),
the CV file suffixes (`loaders.cvs`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pytest

from ontology import text
from ontology.eligibility import CONTRACTS, StatutoryProfile, StatutoryRequirement, diploma_level_from_bac_plus
from ontology.text import fold, fold_accents, fold_compat, slug, snake_slug

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ontology", "loaders", "graph", "gnn", "audit", "api", "simulator", "vivier")


# The former copies, verbatim: ontology/skills.py (with ontology/build.py's slug), loaders/values.py and
# simulator/repertory.py.
_OLD_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "œ": "oe", "Œ": "oe", "æ": "ae"})


def _old_ontology_fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.translate(_OLD_APOSTROPHES).lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", text).strip()


def _old_ontology_slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _old_ontology_fold(text)).strip("-")


def _old_loaders_fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("œ", "oe").replace("Œ", "oe"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _old_loaders_slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", _old_loaders_fold(text)).strip("_")


def _old_simulator_fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


PAIRS = [
    (fold, _old_ontology_fold),
    (slug, _old_ontology_slug),
    (fold_compat, _old_loaders_fold),
    (snake_slug, _old_loaders_slug),
    (fold_accents, _old_simulator_fold),
]
TRICKY = [
    "",
    "   ",
    "Œuvre d’art",
    "MANŒUVRE  du cœur",
    "Cæsar et ÆSIR",
    "l‘agent `x` l'été",
    "Jean-Pierre  L'Été",
    " Gérer\tles\ncontrats ",
    "ﬁnances publiques",
    "m² — ½ journée",
    "İstanbul",
    "Ǆemal",
    "\u00a0Paris\u202f(75)",
    "Adjoint technique territorial principal de 2ème classe",
    "Auxiliaire de puériculture – Hôpital",
    "Seine-Saint-Denis",
    "Côtes-d'Armor",
    "DIRECTEUR·RICE D'ÉTABLISSEMENT",
    "a\u034fb",  # a mark of canonical combining class 0
    "𝐀𝐁𝐂 ①",  # mathematical letters, circled digit (NFKD decomposes them)
]


@pytest.mark.parametrize(("new", "old"), PAIRS, ids=lambda f: getattr(f, "__name__", "?"))
def test_each_fold_and_slug_keeps_its_former_behaviour(new: Callable[[str], str], old: Callable[[str], str]) -> None:
    for sample in TRICKY:
        assert new(sample) == old(sample), sample
    # every character of the BMP and of the astral blocks NFKD decomposes (mathematical letters, enclosed and
    # full-width forms), alone, then between letters (whitespace collapsing and stripping depend on neighbours)
    for start in [*range(0, 0x10000, 0x400), 0x1D400, 0x1F000]:
        chars = [chr(cp) for cp in range(start, start + 0x400) if not 0xD800 <= cp <= 0xDFFF]
        assert [new(c) for c in chars] == [old(c) for c in chars]
        assert new("É" + " x ".join(chars) + "a") == old("É" + " x ".join(chars) + "a")


def test_the_folds_differ_where_their_callers_always_did() -> None:
    """The three folds are not interchangeable: each caller's stored or generated outputs depend on its own."""
    assert fold("Œuvre d’art") == fold_compat("Œuvre d’art") == "oeuvre d'art"
    assert fold_accents("Œuvre d’art") == "œuvre d’art"
    assert (fold("Cæsar"), fold_compat("Cæsar"), fold("ÆSIR")) == ("caesar", "cæsar", "æsir")
    assert (fold(" a  b\n"), fold_compat(" a  b\n"), fold_accents(" a  b\n")) == ("a b", " a  b\n", " a  b\n")
    assert (fold("ﬁn m²"), fold_compat("ﬁn m²")) == ("ﬁn m²", "fin m2")
    assert fold("l‘agent `x`") == "l'agent 'x'" and fold_compat("l‘agent `x`") == "l‘agent `x`"
    assert slug("Côtes-d'Armor  (22)") == "cotes-d-armor-22"
    assert snake_slug("Côtes-d'Armor  (22)") == "cotes_d_armor_22"
    assert snake_slug("Œuvres sociales") == "oeuvres_sociales" and slug("Œuvres sociales") == "oeuvres-sociales"


def test_callers_use_the_one_home() -> None:
    import graph.curation
    import graph.ontology_store
    import loaders.cvs
    import loaders.nlp
    import loaders.occupations
    import loaders.offers
    import loaders.statutory
    import loaders.tabular
    import loaders.values
    import ontology.build
    import ontology.collect
    import ontology.skills
    import simulator.repertory
    import simulator.text

    for module in (ontology.skills, ontology.collect, graph.curation, graph.ontology_store):
        assert module.fold is text.fold
    assert ontology.build.slug is text.slug
    for module in (loaders.values, loaders.cvs, loaders.nlp, loaders.occupations, loaders.statutory):
        assert module.fold_compat is text.fold_compat
    for module in (loaders.values, loaders.offers, loaders.tabular):
        assert module.snake_slug is text.snake_slug
    assert simulator.repertory.fold_accents is simulator.text.fold_accents is text.fold_accents


def _definitions(pattern: str) -> list[str]:
    """The path of the module of every line of the project's packages that matches `pattern`, once a line."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if re.search(pattern, line):
                    found.append(str(path.relative_to(ROOT)))
    return found


def test_text_rules_are_defined_once() -> None:
    assert _definitions(r"^\s*def (fold|slug)\w*\(|^\s*def \w*_slug\(") == ["ontology/text.py"] * 5
    assert _definitions(r"unicodedata\.(normalize|combining|category)") == ["ontology/text.py"] * 5


def test_ontology_text_imports_no_project_package() -> None:
    source = (ROOT / "ontology" / "text.py").read_text(encoding="utf-8")
    assert not re.findall(r"^\s*(?:from|import) (?:ontology|loaders|graph|gnn|api|simulator|vivier)\b", source, re.M)


# --- statutory vocabulary and the profile / requirement built from the graph's facts (ontology.eligibility) ---


def test_statutory_vocabulary_is_the_ontologys() -> None:
    import api.schemas
    import loaders.offers
    import simulator.dataset
    import simulator.offers
    import simulator.population
    import simulator.process
    import simulator.repertory
    import simulator.text
    from ontology.eligibility import CATEGORIES, CONTRACTS, STATUSES, VERSANTS, Categorie, Contract, Status, Versant

    # the simulator draws by index (CONTRACT_SHARE, STATUS_SHARE): the order is part of the vocabulary
    assert CONTRACTS == get_args(Contract) == ("titulaire", "contractuel", "titulaire_ou_contractuel")
    assert STATUSES == get_args(Status) == ("titulaire", "contractuel", "prive")
    assert loaders.offers.CONTRACTS is simulator.offers.CONTRACTS is CONTRACTS
    assert VERSANTS == get_args(Versant) == ("FPE", "FPT", "FPH")
    assert CATEGORIES == get_args(Categorie) == ("A", "B", "C")
    assert simulator.population.STATUSES is simulator.dataset.STATUSES is simulator.text.STATUSES is STATUSES
    for module in (loaders.offers, simulator.repertory, simulator.dataset, simulator.population, simulator.text):
        assert module.VERSANTS is VERSANTS
    for module in (loaders.offers, simulator.repertory, simulator.dataset, simulator.offers, simulator.process):
        assert module.CATEGORIES is CATEGORIES
    assert {loaders.offers.CONTRACT_ALIASES[c] for c in CONTRACTS} == set(CONTRACTS)
    properties = api.schemas.OfferIn.model_json_schema()["properties"]
    assert properties["contract"]["enum"] == list(CONTRACTS)
    assert [kind.get("enum") for kind in properties["versant"]["anyOf"]] == [list(VERSANTS), None]
    assert [kind.get("enum") for kind in properties["categorie"]["anyOf"]] == [list(CATEGORIES), None]
    assert _definitions(r'"titulaire", "contractuel"') == ["ontology/eligibility.py"] * 2
    assert (
        _definitions(r'[(\[]("FP[ETH]", ){2}"FP[ETH]"[)\]]|[(\[]("[ABC]", ){2}"[ABC]"[)\]]')
        == ["ontology/eligibility.py"] * 2
    )


def _old_profile(titulaire: Any, education: Any, row: dict[str, Any]) -> StatutoryProfile:
    """What gnn/eligibility.py (twice) and api/service.py built before, from the same facts."""
    years = None if education is None else int(education)
    return StatutoryProfile(
        status="titulaire" if titulaire else "contractuel",
        diploma_level=diploma_level_from_bac_plus(years),
        **row,
    )


def _old_requirement(contract: Any, row: dict[str, Any]) -> StatutoryRequirement:
    contracts = ("titulaire", "contractuel", "titulaire_ou_contractuel")
    return StatutoryRequirement(contract=contract if contract in contracts else "titulaire_ou_contractuel", **row)


def test_profiles_and_requirements_are_built_as_every_former_site_did() -> None:
    row = {"versant": "FPT", "categorie": "B", "cadre_emplois": "uri:cadre", "grade": None}
    for titulaire in (True, False, None, 1, 0, np.bool_(True), np.bool_(False)):
        for education in (None, -1, 0, 2, 3.0, 5, 8, 12, np.int64(3), np.float64(5.0)):
            new = StatutoryProfile.from_facts(titulaire=titulaire, education_level=education, **row)
            assert new == _old_profile(titulaire, education, row), (titulaire, education)
    assert StatutoryProfile.from_facts(titulaire=None, education_level=None, **row).status == "contractuel"
    assert StatutoryProfile.from_facts(titulaire=True, education_level=3, **row).diploma_level == 6
    for contract in (*CONTRACTS, None, "", "cdd", "Titulaire", "prive"):
        new_requirement = StatutoryRequirement.from_facts(contract=contract, **row)
        assert new_requirement == _old_requirement(contract, row), contract
    assert StatutoryRequirement.from_facts(contract=None, **row).contract == "titulaire_ou_contractuel"
    assert _definitions(r"in contracts else|in CONTRACTS else") == ["ontology/eligibility.py"]
    assert _definitions(r"\bStatutory(Profile|Requirement)\(") == []  # every site goes through from_facts


# --- CV file suffixes (loaders.cvs) ---


def test_cv_suffixes_are_the_loaders_everywhere() -> None:
    import api.routers.candidates
    from loaders.cvs import CV_SUFFIXES, _text_of

    assert api.routers.candidates.CV_SUFFIXES is CV_SUFFIXES
    assert _definitions(r"\bCV_SUFFIXES\s*=") == ["loaders/cvs.py"]
    # the upload takes what the parser reads: every text suffix decodes (JSON, PDF, DOCX have their own readers)
    for suffix in set(CV_SUFFIXES) - {".json", ".pdf", ".docx"}:
        assert _text_of("Infirmière, catégorie A".encode(), suffix) == "Infirmière, catégorie A"
