"""Statutory facts stated in French text: versant, catégorie, filière, contract, education level, years of
experience, échelon, département and commune. Regular expressions over accent-folded text; the grade and cadre
d'emplois (which need the nomenclature) are matched in `loaders.nlp`."""

from __future__ import annotations

import re

from loaders.records import StatutoryFacts
from loaders.values import DEPARTEMENTS, departement_from_postal_code
from ontology.text import fold_compat

VERSANT_PATTERNS = (
    ("FPT", re.compile(r"fonction publique territoriale|\bfpt\b|collectivites? territoriales?|cadre d'emplois")),
    ("FPH", re.compile(r"fonction publique hospitaliere|\bfph\b|centre hospitalier|\bchu\b|etablissement de sante")),
    ("FPE", re.compile(r"fonction publique de l'etat|\bfpe\b|ministere|services? de l'etat|\bcorps des?\b")),
)
CATEGORIE = re.compile(r"\bcat(?:egorie|\.)?\s*:?\s*([abc])\b(?![\w'])")
FILIERE = re.compile(r"\bfilieres?\s*:?\s*(?:de la\s+|du\s+|des\s+|d')?([a-z][a-z' -]{2,40})")
# What follows "filière" → its name in the NEG nomenclature (the one a matched grade gives). "filière achat" or
# "filière bois" (trades, not statutory filières) match none.
FILIERE_NAMES = (
    (re.compile(r"administrati"), "Administrative"),
    (re.compile(r"medico[- ]?tech"), "Medico-technique"),
    (re.compile(r"(?:medico[- ]?)?social"), "Médico-sociale"),
    (re.compile(r"technique"), "Technique"),
    (re.compile(r"culturel"), "Culturelle"),
    (re.compile(r"sporti"), "Sportive"),
    (re.compile(r"police|securite"), "Police municipale"),
    (re.compile(r"animation"), "Animation"),
    (re.compile(r"sapeurs?[- ]pompiers?|incendie"), "Sapeurs-pompiers professionnels"),
    (re.compile(r"soignant|soins|educati"), "Personnel SOIGNANT ET EDUCATIF"),
    (re.compile(r"infirmi"), "Infirmier"),
)
HOSPITAL_FILIERES = {"Administrative": "Administratif"}  # the FPH nomenclature spells it so
CONTRACT = {
    "titulaire": re.compile(r"\b(?:titulaires?|fonctionnaires?|mutation|detachement|voie statutaire|stagiaire)\b"),
    "contractuel": re.compile(r"\b(?:contractuels?|cdd|cdi|contrat a duree|vacataires?)\b"),
}
NON_TITULAIRE = re.compile(r"\bnon[- ]titulaires?\b")
PRIVATE_SECTOR = re.compile(r"secteur prive|entreprise privee|entreprises? du prive|salarie(?:\(e\)|e)? du prive")
# Education: years after the baccalauréat (-1 below it), the scale the French "niveaux" express.
EDUCATION = (
    (8, re.compile(r"\bdoctorat|\bphd\b|\bbac\s*\+\s*8|\bniveau\s*8\b")),
    (5, re.compile(r"\bmaster|\bbac\s*\+\s*5|\bdiplome d'ingenieur|\bdess\b|\bdea\b|\bniveau (?:i|7)\b|\bmba\b")),
    (3, re.compile(r"\blicence|\bbac\s*\+\s*[34]|\bbachelor|\bmaitrise|\bniveau (?:ii|6)\b")),
    (2, re.compile(r"\bbts\b|\bdut\b|\bbut\b|\bdeug\b|\bbac\s*\+\s*2|\bniveau (?:iii|5)\b|\bdeust\b")),
    (0, re.compile(r"\bbaccalaureat|\bbac\b(?!\s*\+)|\bbac pro|\bniveau (?:iv|4)\b")),
    (-1, re.compile(r"\bcap\b|\bbep\b|\bbrevet des colleges|\bniveau (?:v|3)\b")),
)
NUMBERS = {
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "quinze": 15,
    "vingt": 20,
}
_N = r"(\d{1,2}(?:[.,]5)?|" + "|".join(NUMBERS) + r")"
EXPERIENCE = (
    re.compile(_N + r"\s*(?:\+\s*)?(?:ans|annees?)\s+(?:minimum\s+)?(?:d'|de\s+)?(?:une\s+)?experiences?"),
    re.compile(
        r"experiences?\s+(?:professionnelles?\s+)?(?:significatives?\s+|confirmees?\s+|reussies?\s+)?"
        r"(?:d'au moins|de plus de|d'environ|minimum de|de|d')\s*" + _N + r"\s*(?:ans|annees?)"
    ),
)
RANGE = re.compile(_N + r"\s*(?:a|-|–)\s*" + _N + r"\s*(?:ans|annees)")
ECHELON = re.compile(r"(\d{1,2})\s*(?:e|eme|er)?\s*echelon|echelon\s*:?\s*(\d{1,2})\b")
POSTAL = re.compile(r"\b(\d{5})\s+([a-z][a-z'\- ]{1,40}?)(?=\s*(?:cedex\b|[,.;\n(]|$))")
IN_BRACKETS = re.compile(r"\((\d{2,3}|2[ab])\)")


def statutory_facts(text: str) -> StatutoryFacts:
    folded = fold_compat(text)
    facts = StatutoryFacts()
    for code, pattern in VERSANT_PATTERNS:
        if pattern.search(folded):
            facts.versant = code
            break
    if match := CATEGORIE.search(folded):
        facts.categorie = match.group(1).upper()
    facts.filiere = filiere_of(folded, facts.versant)
    facts.contract = contract_of(folded)
    facts.education_level = education_level(folded)
    facts.years_experience = years_of_experience(folded)
    if match := ECHELON.search(folded):
        facts.echelon = int(match.group(1) or match.group(2))
    facts.departement, facts.commune = location(folded)
    return facts


def filiere_of(folded: str, versant: str | None) -> str | None:
    """The filière a text states ("filière administrative", "Filière : technique"), spelt as the nomenclature does."""
    match = FILIERE.search(folded)
    if match is None:
        return None
    for pattern, name in FILIERE_NAMES:
        if pattern.match(match.group(1)):
            return HOSPITAL_FILIERES.get(name, name) if versant == "FPH" else name
    return None


def contract_of(folded: str) -> str | None:
    folded = NON_TITULAIRE.sub(" contractuel ", folded)  # "non titulaire" is not "titulaire"
    found = [kind for kind, pattern in CONTRACT.items() if pattern.search(folded)]
    if len(found) == 2:
        return "titulaire_ou_contractuel"
    return found[0] if found else None


def education_level(folded: str) -> int | None:
    levels = [level for level, pattern in EDUCATION if pattern.search(folded)]
    return max(levels) if levels else None


def years_of_experience(folded: str) -> float | None:
    """Years of experience asked or stated; of a range ("3 à 5 ans d'expérience") the lower bound."""
    folded = RANGE.sub(r"\1 ans", folded)
    values: list[float] = []
    for pattern in EXPERIENCE:
        for match in pattern.finditer(folded):
            raw = match.group(1)
            value = NUMBERS.get(raw) or float(raw.replace(",", "."))
            if 0 < value <= 45:
                values.append(float(value))
    return max(values) if values else None


def location(folded: str) -> tuple[str | None, str | None]:
    if match := POSTAL.search(folded):
        return departement_from_postal_code(match.group(1)), match.group(2).strip().title()
    for match in IN_BRACKETS.finditer(folded):
        code = match.group(1).upper()
        if code in DEPARTEMENTS:
            return code, None
    return None, None
