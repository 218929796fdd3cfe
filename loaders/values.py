"""Field values as they come: dates, départements, stages, employer kinds (contracts: `ontology.eligibility`; text
folding: `ontology.text`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime

from loaders.records import RecordError
from ontology.text import fold_compat, snake_slug

# INSEE départements (code → name), the public geography every French export refers to.
DEPARTEMENTS: dict[str, str] = {
    "01": "Ain",
    "02": "Aisne",
    "03": "Allier",
    "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes",
    "06": "Alpes-Maritimes",
    "07": "Ardèche",
    "08": "Ardennes",
    "09": "Ariège",
    "10": "Aube",
    "11": "Aude",
    "12": "Aveyron",
    "13": "Bouches-du-Rhône",
    "14": "Calvados",
    "15": "Cantal",
    "16": "Charente",
    "17": "Charente-Maritime",
    "18": "Cher",
    "19": "Corrèze",
    "2A": "Corse-du-Sud",
    "2B": "Haute-Corse",
    "21": "Côte-d'Or",
    "22": "Côtes-d'Armor",
    "23": "Creuse",
    "24": "Dordogne",
    "25": "Doubs",
    "26": "Drôme",
    "27": "Eure",
    "28": "Eure-et-Loir",
    "29": "Finistère",
    "30": "Gard",
    "31": "Haute-Garonne",
    "32": "Gers",
    "33": "Gironde",
    "34": "Hérault",
    "35": "Ille-et-Vilaine",
    "36": "Indre",
    "37": "Indre-et-Loire",
    "38": "Isère",
    "39": "Jura",
    "40": "Landes",
    "41": "Loir-et-Cher",
    "42": "Loire",
    "43": "Haute-Loire",
    "44": "Loire-Atlantique",
    "45": "Loiret",
    "46": "Lot",
    "47": "Lot-et-Garonne",
    "48": "Lozère",
    "49": "Maine-et-Loire",
    "50": "Manche",
    "51": "Marne",
    "52": "Haute-Marne",
    "53": "Mayenne",
    "54": "Meurthe-et-Moselle",
    "55": "Meuse",
    "56": "Morbihan",
    "57": "Moselle",
    "58": "Nièvre",
    "59": "Nord",
    "60": "Oise",
    "61": "Orne",
    "62": "Pas-de-Calais",
    "63": "Puy-de-Dôme",
    "64": "Pyrénées-Atlantiques",
    "65": "Hautes-Pyrénées",
    "66": "Pyrénées-Orientales",
    "67": "Bas-Rhin",
    "68": "Haut-Rhin",
    "69": "Rhône",
    "70": "Haute-Saône",
    "71": "Saône-et-Loire",
    "72": "Sarthe",
    "73": "Savoie",
    "74": "Haute-Savoie",
    "75": "Paris",
    "76": "Seine-Maritime",
    "77": "Seine-et-Marne",
    "78": "Yvelines",
    "79": "Deux-Sèvres",
    "80": "Somme",
    "81": "Tarn",
    "82": "Tarn-et-Garonne",
    "83": "Var",
    "84": "Vaucluse",
    "85": "Vendée",
    "86": "Vienne",
    "87": "Haute-Vienne",
    "88": "Vosges",
    "89": "Yonne",
    "90": "Territoire de Belfort",
    "91": "Essonne",
    "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis",
    "94": "Val-de-Marne",
    "95": "Val-d'Oise",
    "971": "Guadeloupe",
    "972": "Martinique",
    "973": "Guyane",
    "974": "La Réunion",
    "976": "Mayotte",
}

STAGE_ALIASES: dict[str, str] = {
    "received": "received",
    "recue": "received",
    "reception": "received",
    "nouvelle": "received",
    "new": "received",
    "applied": "received",
    "depose": "received",
    "deposee": "received",
    "shortlisted": "shortlisted",
    "preselectionne": "shortlisted",
    "preselectionnee": "shortlisted",
    "preselection": "shortlisted",
    "retenu": "shortlisted",
    "retenue": "shortlisted",
    "interviewed": "interviewed",
    "interview": "interviewed",
    "entretien": "interviewed",
    "offered": "offered",
    "offer": "offered",
    "proposition": "offered",
    "promesse": "offered",
    "hired": "hired",
    "recrute": "hired",
    "recrutee": "hired",
    "embauche": "hired",
    "embauchee": "hired",
    "rejected": "rejected",
    "refuse": "rejected",
    "refusee": "rejected",
    "rejete": "rejected",
    "rejetee": "rejected",
    "non_retenu": "rejected",
    "non_retenue": "rejected",
    "withdrawn": "withdrawn",
    "desiste": "withdrawn",
    "desistee": "withdrawn",
    "desistement": "withdrawn",
    "retire": "withdrawn",
    "retiree": "withdrawn",
    "abandon": "withdrawn",
}

EMPLOYER_KINDS: dict[str, str] = {
    "commune": "commune",
    "communes": "commune",
    "mairie": "commune",
    "ville": "commune",
    "epci": "epci",
    "intercommunalite": "epci",
    "communaute": "epci",
    "structures_de_cooperation_territoriale": "epci",
    "departement": "departement",
    "conseil_departemental": "departement",
    "region": "region",
    "conseil_regional": "region",
    "etat": "etat",
    "ministere": "etat",
    "administration_de_l_etat": "etat",
    "prefecture": "etat",
    "hopital": "hopital",
    "chu": "hopital",
    "ch": "hopital",
    "centre_hospitalier": "hopital",
    "ehpad": "hopital",
}

WORKING_TIMES = ("temps_complet", "temps_partiel")

_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S", "%d-%m-%Y", "%Y/%m/%d", "%Y-%m", "%Y")


FIRST_YEAR = 1950  # the earliest date a record accepts


def parse_date(value: object, field_name: str, required: bool = False) -> str | None:
    """ISO date string (yyyy-mm-dd) from the formats exports use; a clear RecordError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(field_name, "missing date")
        return None
    if not isinstance(value, str | date):
        raise RecordError(field_name, f"expected a date string, got {type(value).__name__}")
    if isinstance(value, date):
        return value.isoformat()[:10]
    text = value.strip()
    text = re.sub(r"(T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$", r"\1", text)
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if not FIRST_YEAR <= parsed.year <= 2100:
            raise RecordError(field_name, f"date out of range: {value!r}")
        return parsed.date().isoformat()[: {"%Y-%m": 7, "%Y": 4}.get(fmt, 10)]
    raise RecordError(field_name, f"not a date: {value!r} (expected yyyy-mm-dd or dd/mm/yyyy)")


def parse_departement(value: object, field_name: str = "departement", required: bool = False) -> str | None:
    """An INSEE département code from a code, a postal code, "Paris (75)" or a name."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(field_name, "missing département")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"{value:02d}"
    if not isinstance(value, str):
        raise RecordError(field_name, f"expected a département code, got {type(value).__name__}")
    code = departement_from_text(value)
    if code is None:
        raise RecordError(field_name, f"unknown département: {value!r}")
    return code


_NAME_TO_CODE = {snake_slug(name): code for code, name in DEPARTEMENTS.items()} | {
    "reunion": "974",
    "belfort": "90",
    "corse": "2A",
    "cote_d_or": "21",
    "cotes_d_armor": "22",
}


def departement_from_text(value: str) -> str | None:
    text = value.strip().upper()
    if text in DEPARTEMENTS:
        return text
    if re.fullmatch(r"\d", text):
        return "0" + text
    if re.fullmatch(r"\d{5}", text):
        return departement_from_postal_code(text)
    in_brackets = re.search(r"\(\s*(\d{2,3}|2[AB])\s*\)", text)
    if in_brackets and in_brackets.group(1) in DEPARTEMENTS:
        return in_brackets.group(1)
    return _NAME_TO_CODE.get(snake_slug(value))


def departement_from_postal_code(postal_code: str) -> str | None:
    if not re.fullmatch(r"\d{5}", postal_code):
        return None
    if postal_code.startswith("97"):
        return postal_code[:3] if postal_code[:3] in DEPARTEMENTS else None
    if postal_code.startswith("20"):
        return "2A" if int(postal_code) < 20200 else "2B"
    return postal_code[:2] if postal_code[:2] in DEPARTEMENTS else None


def parse_choice(value: object, field_name: str, aliases: dict[str, str], required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(field_name, "missing value")
        return None
    if not isinstance(value, str):
        raise RecordError(field_name, f"expected text, got {type(value).__name__}")
    key = snake_slug(value)
    if key not in aliases:
        raise RecordError(field_name, f"unknown value {value!r} (expected one of {sorted(set(aliases.values()))})")
    return aliases[key]


def parse_int(value: object, field_name: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise RecordError(field_name, "expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        return int(value)
    raise RecordError(field_name, f"expected an integer, got {value!r}")


def required_text(row: Mapping[str, object], field_name: str) -> str:
    value = row.get(field_name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RecordError(field_name, "missing")
    if isinstance(value, int | float) and not isinstance(value, bool) and field_name.endswith("_id"):
        return str(value)
    if not isinstance(value, str):
        raise RecordError(field_name, f"expected text, got {type(value).__name__}")
    return value.strip()


def optional_text(row: Mapping[str, object], field_name: str) -> str | None:
    value = row.get(field_name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise RecordError(field_name, f"expected text, got {type(value).__name__}")
    return value.strip()


# The kind of a public employer from its name, first match wins ("Centre hospitalier", "Mairie de …").
EMPLOYER_NAME_KINDS = (
    # a commune's or an intercommunality's social action centre employs the staff of the EHPAD it runs
    ("commune", re.compile(r"\b(?:ccas|centre communal d'action sociale)\b")),
    ("epci", re.compile(r"\b(?:cias|centre intercommunal d'action sociale)\b")),
    # the acronyms end at a word's end: "CH de Vichy" is a hospital, "Chargée de mission" is not
    ("hopital", re.compile(r"\b(?:(?:chu|chr|ch|ap-hp|aphp|ehpad)\b|hopita|hospitali|centre hospitalier|clinique)")),
    ("region", re.compile(r"\b(?:region|conseil regional)\b")),
    # « Département des Deux-Sèvres », « du Nord », « d'Ille-et-Vilaine »
    ("departement", re.compile(r"\b(?:conseil departemental|departement (?:de|du|des|d')|sdis)\b")),
    # « Valence Romans Agglo », « Agglo du Pays de Dreux »: the communauté d'agglomération's usual short name
    ("epci", re.compile(r"\b(?:communaute|metropole|agglomeration|agglo\b|syndicat|sivom|sivu|epci|intercommunal)")),
    # « boutique de centre-ville » names no town as employer
    ("commune", re.compile(r"\b(?:mairie|(?<!centre-)ville|commune|ccas|centre communal|police municipale)\b")),
    (
        "etat",
        re.compile(
            r"\b(?:ministere|prefecture|rectorat|direction departementale|direction regionale|"
            r"dreal|dreets|ddets|ddetspp|ddt|ddtm|ddpp|draaf|drac|dgfip|ddfip|drfip|academie|tresor|douane|police|gendarmerie|armee"
            r"|universite|etat|dsden|tribunal|cour d'appel|prud'hommes|direction interdepartementale des routes"
            # the Justice ministry's probation services and school, the Éducation nationale's inclusion hubs (not
            # « pénitentiaire » or « Éducation nationale »: « Infirmière de l'Éducation nationale » is a job title)
            r"|spip|enap|pial"
            # the State's public bodies by their names (VNF, the waterways; Météo-France; the ONF)
            r"|vnf|voies navigables de france|meteo-france|office national des forets"
            r"|dir (?:atlantique|centre|est|ile-de-france|massif|mediterranee|nord|ouest|sud))\b"
        ),
    ),
)


def employer_kind_of(name: str) -> str | None:
    folded = fold_compat(name)
    return next((kind for kind, pattern in EMPLOYER_NAME_KINDS if pattern.search(folded)), None)


def opens_with_employer(name: str) -> bool:
    """Whether a line's first part opens with a public employer (« CHU de Nîmes », « Région Occitanie »), not a job
    that holds an employer's word (« Attachée d'administration hospitalière »)."""
    folded = " ".join(fold_compat(name).lstrip(" ■•·-–").split())
    starts = [m.start() for _, pattern in EMPLOYER_NAME_KINDS if (m := pattern.search(folded))]
    if not starts:
        return False
    first_word = folded.split(" ", 1)[0]
    # « la Ville de … », « Sous-préfecture de Riom », « Vitré Communauté », « Rennes Métropole » (not « Agent
    # hospitalier », « Agent intercommunal »: a job)
    return min(starts) <= max(EMPLOYER_OPENING, len(first_word)) or TOWN_THEN_EPCI.match(folded) is not None


EMPLOYER_OPENING = 4  # characters before the employer's word: « la », « le », « l' », « 1re »
TOWN_THEN_EPCI = re.compile(r"\S+ (?:communaute|metropole|agglo)")
