"""Statutory facts stated in French text: versant, catégorie, filière, contract, education level, years of
experience, échelon, département and commune. Regular expressions over accent-folded text; the grade and cadre
d'emplois (which need the nomenclature) are matched in `loaders.nlp`."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from loaders.inclusive import masculine
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
_LEVEL = r"(?:niveau\s*{0}\s*[(:]|diplome (?:de )?niveau\s*{0}\b|titre de niveau\s*{0}\b)"
EDUCATION = (
    (8, re.compile(r"\bdoctorat|\bphd\b|\bbac\s*\+\s*8|" + _LEVEL.format("8"))),
    (
        5,
        re.compile(
            r"\bmasters?\b|\bmaster\s?[12]\b|\bmastere|\bbac\s*\+\s*5|\bdiplome d'ingenieur|\bdess\b|\bdea\b|\bmba\b|"
            + _LEVEL.format("(?:i|7)")
        ),
    ),
    (
        3,
        re.compile(
            r"\blicence\b|\bbac\s*\+\s*[34]|\bbachelor|\bmaitrise universitaire|\bmaitrise (?:en|de|d')\s*"
            r"(?:droit|sciences?|lettres|histoire|economie|gestion|aes|langues?|math|physique|chimie|biologie|psycho"
            r"|socio|geographie|informatique)|" + _LEVEL.format("(?:ii|6)")
        ),
    ),
    (2, re.compile(r"\bbtsa?\b|\bdut\b|\bdeug\b|\bbac\s*\+\s*2|\bdeust\b|" + _LEVEL.format("(?:iii|5)"))),
    (0, re.compile(r"\bbaccalaureat|\bbac\b(?!\s*\+)|\bbac pro|" + _LEVEL.format("(?:iv|4)"))),
    (
        -1,
        re.compile(
            r"\bcap\b(?=\s*(?:/|ou|,|-)?\s*bep)|\bbep\b|(?:diplome|titulaire|niveau|formation|type)\s+(?:d'un\s+|du\s+)?cap\b"
            r"|\bcap (?:petite enfance|aepe|cuisine|agent|maintenance|electric|menuis|plomb|peint|macon|jardin|paysag"
            r"|carrel|mecani|accompagnant)|\bbrevet des colleges|diplome national du brevet|"
            + _LEVEL.format("(?:v|vi|3)")
        ),
    ),
)
# Every EDUCATION expression contains one of these
DIPLOMA_WORDS: tuple[str, ...] = ("doctorat", "phd", "bac", "master", "diplome", "dess", "dea", "mba", "niveau")
DIPLOMA_WORDS += ("licence", "bachelor", "maitrise", "bts", "dut", "deug", "deust", "cap", "bep", "brevet", "titre")
# A line that asks for a diploma, rather than one that mentions diplomas as the work ("stages de licences et masters")
REQUIREMENT = re.compile(
    r"\bformation|diplom|titulaire|niveau|exige|requis|souhait|minimum|issue? d|profil|de type|equivalent|dispos"
    r"|vous (?:avez|etes|possedez|justifiez)"
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
ECHELON = re.compile(r"(\d{1,2})\s*(?:e|eme|er)?\s*(?:echelon|ech\.)|echelon\s*:?\s*(\d{1,2})\b")  # « 4e éch. »
POSTAL = re.compile(r"\b(\d{5})\s+([a-z][a-z'\- ]{1,40}?)(?=\s*(?:cedex\b|[,.;\n(]|$))")
IN_BRACKETS = re.compile(r"\((\d{2,3}|2[ab])\)")


@functools.lru_cache(maxsize=1024)
def recently_folded(text: str) -> str:
    """The accent-folded text, kept for the last 1,024 texts: the analyzer reads a batch's `statutory_facts`, then
    `enrich_offers` reads `offer_facts` of the same texts, and folding twice was a twentieth of an offer's reading.
    Inclusive writing is read as the masculine ("attaché(e)" → "attache": `loaders.inclusive`)."""
    return masculine(fold_compat(text))


def statutory_facts(text: str, place_only: bool = False) -> StatutoryFacts:
    """The statutory facts of a CV or any text. `place_only`: échelon, département and commune alone, all that
    `offer_facts` keeps of them (an offer's other facts have rules of their own; reading them here too was about a
    tenth of an offer's reading)."""
    folded = recently_folded(text)
    facts = StatutoryFacts()
    if place_only:
        if match := ECHELON.search(folded):
            facts.echelon = int(match.group(1) or match.group(2))
        facts.departement, facts.commune = location(folded)
        return facts
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
    # Only the lines naming a diploma word are scanned: the six expressions over a whole text took an eighth of
    # the reading of an offer (py-spy, docs/ingestion.md Throughput)
    lines = [line for line in folded.split("\n") if any(word in line for word in DIPLOMA_WORDS)]
    levels = [level for level, pattern in EDUCATION if any(pattern.search(line) for line in lines)]
    return max(levels) if levels else None


def years_of_experience(folded: str) -> float | None:
    """Years of experience asked or stated; of a range ("3 à 5 ans d'expérience") the lower bound."""
    if "experience" not in folded:  # both expressions need the word
        return None
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


# --- Offers: what the post requires, read from the PEP's structured lines first, then from the French text ------
# An offer states its requirements in a few places (an "Emploi ouvert aux …" line, "Catégorie C - Filière
# technique", "Niveau III (DUT, BTS, bac+2) - Expérience souhaitée : de 1 à 3 ans") and mentions the same words
# elsewhere for other reasons: "le titulaire du poste" (the holder), "gestion des fonctionnaires et des
# contractuels" (HR duties), "agents de catégorie A, B et C" (the people managed). The rules below read the
# former and skip the latter.
PEP_LEVELS = {"i": 5, "ii": 3, "iii": 2, "iv": 0, "v": -1, "vi": -1}  # the PEP's "Niveau I … VI" (old scale)
DEMANDED = re.compile(r"\bexige|\bobligatoire|\brequis")
PEP_LEVEL = re.compile(r"\bniveau\s+(vi|v|iv|iii|ii|i)\b\s*[(:]")
STATED_EXPERIENCE = re.compile(r"experience souhaitee\s*:\s*(?:moins d'un an|moins de 1 an|de\s+" + _N + r")")
DIPLOMA_LINE = re.compile(r"[^\n.;]*")
OFFER_CATEGORIE = re.compile(
    r"\bcat(?:egorie|\.)?(?: d'emploi| statutaire| hierarchique)?\s*:?\s*([abc])\b(?![\w'])"
    r"(?!\s*(?:,|/|et|ou|-)\s*[abc]\b)|\(cadre ([abc])\b|\b(?:poste|emploi) de cadre ([abc])\b"
)
# A catégorie on a line about the team or the people the post manages ("Effectif du bureau : … 1 chargée de
# mission de catégorie A", "chef de bureau des personnels administratifs de catégorie A") is not the post's.
TEAM_LINE = re.compile(r"effectif|repartition|encadr|equipe|compose")
PEOPLE_BEFORE = re.compile(r"(?:des|les) (?:\w+ )?(?:personnels|agents|fonctionnaires|gestionnaires)\b")
# Opening a post to a status: the sentence must speak of the recruitment ("ouvert", "recrutement", "voie") …
OPENING = re.compile(
    r"\bouvert|\baccessible|\breserve|par (?:la )?voie|voie (?:statutaire|contractuelle)|a defaut|type de recrutement"
    r"|recrutement (?:par|sur|statutaire|contractuel|ouvert)"
    r"|(?:poste|emploi) (?:ouvert|reserve|accessible|a pourvoir par)"
    r"|conditions (?:d'emploi|de recrutement)|statut (?:du poste|:)|cadre statutaire|type de contrat"
)
# Both statuses named side by side, as a line of their own ("Adjoint technique titulaire / contractuel")
BOTH_STATUSES = re.compile(r"(?<!le )(?<!la )(?<!du )\btitulaires?\s*(?:/|ou|et/ou|-|,)?\s*(?:ou\s+)?contractuel")
# A sentence citing a text ("décret n° 96-1087 relatif au recrutement par voie contractuelle des travailleurs
# handicapés") states the law, not this post's status.
CITED_TEXT = re.compile(r"\bdecret n|\bloi n|\brelatif au recrutement")
HOLDER = re.compile(
    r"\b(?:le|la|le-la|le/la|le ou la|du|au)\s+titulaire\b|\btitulaire\s+(?:du poste|d'une?|du permis|du diplome"
    r"|des? diplomes?|du ces|du des|de la fonction)"
)
OFFER_TITULAIRE = re.compile(r"\b(?:titulaires?|fonctionnaires?|voie statutaire|mutation|detachement)\b")
OFFER_CONTRACTUEL = re.compile(
    r"\b(?:contractuel(?:le)?s?|cdd|cdi|contrat (?:a duree|de \d+ mois|jusqu|de projet)|non[- ]titulaires?"
    r"|vacataires?|apprenti(?:e|s|ssage)?|voie contractuelle)\b"
)
ONLY_TITULAIRES = re.compile(r"uniquement (?:aux|a des) (?:agents )?(?:titulaires|fonctionnaires)")
FIXED_TERM = re.compile(
    r"(?<!\d )(?<!des )(?<!les )\bcdd\b|\bcontrat (?:a duree determinee|de \d+ mois|jusqu'au)|contrat d'apprentissage"
    r"|\ben apprentissage\b|\bl'apprentie?\b"
)
WORKING_TIME = (
    ("temps_partiel", re.compile(r"\btemps non complet\b|\b(?:a|poste a|emploi a) temps partiel\b|\bmi-temps\b")),
    ("temps_complet", re.compile(r"\btemps (?:complet|plein)\b(?!s)")),
)
WEEKLY_HOURS = re.compile(
    r"\b(\d{1,2})\s*(?:h|heures)(?:\s*\d{2})?\s*(?:/\s*semaine|par semaine|hebdomadaires?|sur \d)"
)
TELEWORK_NO = re.compile(
    r"(?:pas de|sans|aucun|non eligible au) teletravail|teletravail (?:non|impossible|exclu)|non teletravaillable"
)
TELEWORK_YES = re.compile(
    r"teletravaillable|(?:effectue|exerce|realise)e? en teletravail"
    r"|teletravail\s*(?::\s*(?:oui|possible)|possible|envisageable|autorise|ouvert|accorde|de \d|d'un|jusqu"
    r"|\d jours?|partiel)|(?:possibilite|eligible|ouvert|droit|jours?) (?:de |au |a du )?teletravail"
)
CORPS = re.compile(
    r"\b(?:cadre d'emplois?|corps)\s*(?::\s*|des\s+|de\s+l'|d'|de\s+)([a-z][a-z' -]{3,60}?)(?=\s*(?:[,.;:()\n]|-|$|ou\b"
    r"|et\b|d'ile|de la fonction|territoriaux d'|du ministere|\(|/))"
)
TERRITORIAL_NAME = re.compile(r"\b([a-z][a-z' -]{2,40}?) territori(?:al|aux|ale|ales)\b")
# "… en direction territoriale", "l'unité territoriale": a service, not a cadre d'emplois, says "territorial"
TERRITORIAL_SERVICE = re.compile(
    r"\b(?:direction|delegation|unite|antenne|agence|service|maison|action|collectivite|circonscription|inspection"
    r"|section|mission|structure|echelle|coherence|cohesion|organisation|equipe|dynamique|approche|fonction publique)$"
)
# The PEP's "Corps : ADJAENES/ATRF" or "Corps / Grade : TECH RF" line: the publisher's own field, taken as written
CORPS_FIELD = re.compile(r"^\s*corps\s*(?:/\s*grade\s*)?:\s*([a-z][^\n]{1,60}?)\s*$", re.MULTILINE)
# Abbreviations PEP titles open with ("ATTADM-Secrétaire général-…")
CORPS_ABBREVIATIONS = {
    "attadm": "attache d'administration",
    "ipcsr": "inspecteur du permis de conduire et de la securite routiere",
    "cpip": "conseiller penitentiaire d'insertion et de probation",
    "atasm": "adjoint technique d'accueil, de surveillance et de magasinage",
    "d3s": "directeur d'etablissement sanitaire, social et medico-social",
    "tsma": "technicien superieur du ministere charge de l'agriculture",
    "tsei": "technicien superieur de l'economie et de l'industrie",
}
ABBREVIATED_CORPS = re.compile(r"\b(" + "|".join(CORPS_ABBREVIATIONS) + r")\b")
# "gestion des ressources humaines du corps des administrateurs des finances publiques": the people managed
MANAGED = re.compile(r"gestion|\bgere|carrieres?|membres|avancement|recrutements? des|a l'egard d|appartenant a")
# A line opening with the cadre and the status sought ("Adjoint technique titulaire / contractuel")
STATUS_LINE_CORPS = re.compile(
    r"^\s*([a-z][a-z' ]{3,40}?)\s+(?:[–-]\s+)?(?:titulaire|contractuel|stagiaire)", re.MULTILINE
)
# "Le poste convient à un(e) magistrat/magistrate judiciaire, un(e) administrateur/administratrice civil(e) ou …"
OPEN_TO = re.compile(
    r"\b(?:poste|emploi) (?:convient|s'adresse|est ouvert|ouvert|accessible) (?:a|aux) ([^.;\n]{3,200})"
)
GRADE_OF = re.compile(r"\bsur le grade d(?:e |')([a-z][a-z' ]{3,50}?)(?=\s*(?:[,.;:()\n]|$))")


def offer_facts(text: str, read: StatutoryFacts | None = None) -> StatutoryFacts:
    """The requirements an offer states. Échelon and place as `statutory_facts` reads them (`read`: what it read
    already, as `TextAnalyzer.analyse` gives it), the rest with the offer's own rules (module comment above)."""
    folded = recently_folded(text)
    read = read or statutory_facts(text)
    facts = StatutoryFacts(echelon=read.echelon, departement=read.departement, commune=read.commune)
    facts.versant = offer_versant(folded)
    facts.filiere = filiere_of(folded, facts.versant)
    facts.categorie = offer_categorie(folded)
    facts.contract = offer_contract(folded)
    facts.education_level = offer_education(folded)
    facts.years_experience = offer_experience(folded)
    facts.working_time = working_time(folded)
    facts.remote_work = remote_work(folded)
    facts.corps = corps_named(folded)
    if facts.corps:
        filiere = corps_facts(facts.corps)[1]
        facts.categorie = facts.categorie or corps_categorie(folded, facts.corps)
        if facts.versant == "FPT" or "territori" in facts.corps:
            facts.filiere = facts.filiere or filiere
    return facts


def offer_categorie(folded: str) -> str | None:
    letters = set()
    for match in OFFER_CATEGORIE.finditer(folded):
        start = folded.rfind("\n", 0, match.start()) + 1
        end = folded.find("\n", match.end())
        line = folded[start : end if end >= 0 else len(folded)]
        before = folded[max(start, match.start() - 60) : match.start()]
        if (TEAM_LINE.search(line) or PEOPLE_BEFORE.search(before)) and not OPENING.search(line):
            continue
        letters.add(next(letter for letter in match.groups() if letter).upper())
    return letters.pop() if len(letters) == 1 else None  # "catégorie A ou B" elsewhere: no single answer


def only_titulaires(text: str) -> bool:
    """Whether an offer restricts the post to fonctionnaires ("ouvert uniquement aux titulaires")."""
    return bool(ONLY_TITULAIRES.search(recently_folded(text)))


def offer_contract(folded: str) -> str | None:
    if ONLY_TITULAIRES.search(folded):
        return "titulaire"
    titulaire = contractuel = bool(BOTH_STATUSES.search(folded))
    for sentence in re.split(r"[\n.;!?]+", folded):
        if not (OFFER_TITULAIRE.search(sentence) or OFFER_CONTRACTUEL.search(sentence)):
            continue  # most sentences name no status: skip the costlier tests
        sentence = HOLDER.sub(" ", sentence)
        if not OPENING.search(sentence) or CITED_TEXT.search(sentence):
            continue
        if OFFER_CONTRACTUEL.search(sentence):
            contractuel = True
            sentence = OFFER_CONTRACTUEL.sub(" ", sentence)  # "non titulaire" is not "titulaire"
        titulaire = titulaire or bool(OFFER_TITULAIRE.search(sentence))
    contractuel = contractuel or bool(FIXED_TERM.search(folded))
    if titulaire and contractuel:
        return "titulaire_ou_contractuel"
    return "titulaire" if titulaire else "contractuel" if contractuel else None


def offer_education(folded: str) -> int | None:
    """The PEP's "Niveau III (DUT, BTS…)" line; else the lowest diploma of the first line that names one (the
    lower bound of "bac + 3 à bac + 5", of "BTS ou licence")."""
    if match := PEP_LEVEL.search(folded):
        # … unless the text demands a higher diploma than the field's level ("Doctorat en médecine exigé" under
        # "Niveau I (bac+5 et supérieur)"): the more specific statement wins
        demanded = [lv for line in _diploma_lines(folded) if DEMANDED.search(line) for lv in _levels(line)]
        return max([PEP_LEVELS[match.group(1)], *demanded])
    for line in _diploma_lines(folded):
        if levels := _levels(line):
            return min(levels)
    return None


def _diploma_lines(folded: str) -> Iterator[str]:
    """Lines that ask for a diploma. A substring test first: the EDUCATION expressions cost a scan each."""
    for line in DIPLOMA_LINE.findall(folded):
        if any(word in line for word in DIPLOMA_WORDS) and REQUIREMENT.search(line):
            yield line


def _levels(line: str) -> list[int]:
    return [level for level, pattern in EDUCATION if pattern.search(line)]


def offer_experience(folded: str) -> float | None:
    """The PEP's "Expérience souhaitée : de 1 à 3 ans" (lower bound; "moins d'un an" = 0), else the text's."""
    if match := STATED_EXPERIENCE.search(folded):
        raw = match.group(1)
        return 0.0 if raw is None else float(NUMBERS.get(raw) or float(raw.replace(",", ".")))
    return years_of_experience(folded)


def working_time(folded: str) -> str | None:
    for value, pattern in WORKING_TIME:
        if pattern.search(folded):
            return value
    hours = [int(m.group(1)) for m in WEEKLY_HOURS.finditer(folded) if 1 <= int(m.group(1)) <= 48]
    if hours:
        return "temps_complet" if max(hours) >= 35 else "temps_partiel"
    return None


def remote_work(folded: str) -> bool | None:
    if TELEWORK_NO.search(folded):
        return False
    return True if TELEWORK_YES.search(folded) else None


def corps_named(folded: str) -> str | None:
    """The corps or cadre d'emplois an offer names ("cadre d'emplois des rédacteurs territoriaux", "Corps :
    attaché", "rémunération sur le grade d'adjoint technique"), as written; "corps de métier" is not one."""
    if match := CORPS_FIELD.search(folded):
        return re.sub(r"(?<=[a-z])-(?:ne|e)\b", "", match.group(1))  # "technicien-ne" → "technicien"
    if match := ABBREVIATED_CORPS.search(folded):
        return CORPS_ABBREVIATIONS[match.group(1)]
    for match in OPEN_TO.finditer(folded):
        for name in re.split(r",|\bou\b|\bet\b", match.group(1)):
            name = re.sub(r"\((?:e|ve|ne)\)|/\s*[a-z]+|^\s*(?:un|une|des|les|l')\b", "", name.strip()).strip()
            if corps_facts(name) != (None, None):
                return name
    # each expression only where its word is (the lazy name before "territorial" is costly to try everywhere)
    cues = ((CORPS, ("corps", "cadre d'emploi")), (GRADE_OF, ("sur le grade",)), (TERRITORIAL_NAME, ("territori",)))
    found = [pattern for pattern, words in cues if any(word in folded for word in words)]
    found += [STATUS_LINE_CORPS] if "titulaire" in folded or "contractuel" in folded or "stagiaire" in folded else []
    for match in [m for pattern in found for m in pattern.finditer(folded)]:
        if MANAGED.search(folded[max(0, match.start() - 60) : match.start()]):
            continue
        name = match.group(1).strip(" -'")
        if match.re is TERRITORIAL_NAME and TERRITORIAL_SERVICE.search(name):
            continue
        name = re.sub(r"^(?:l'|les?\s|la\s|un\s|une\s|des\s)", "", name)
        if corps_facts(name) != (None, None) or re.search(r"territori|de l'etat|hospitali", name):
            return name
    return None


# The employer names its versant more often than the text states it: a ministry, a university or the armed forces
# are the State's; a commune, a département or an EPCI are territorial; a hospital is hospital. The cue found first
# wins (the employer usually comes first; partners and "collectivités territoriales" as users come later). Explicit
# words ("fonction publique territoriale") win over employers.
VERSANT_STATED = (
    (
        "FPT",
        re.compile(r"fonction publique territoriale|\bfpt\b|cadre d'emplois|loi (?:n. ?84-53 )?du 26 janvier 1984"),
    ),
    ("FPH", re.compile(r"fonction publique hospitaliere|\bfph\b")),
    ("FPE", re.compile(r"fonction publique de l'etat|fonction publique d'etat|\bfpe\b")),
)
VERSANT_EMPLOYERS = (
    (
        "FPE",
        re.compile(
            r"\bministere|\bministeriel|\buniversite|\brectorat|\bacademie d|\bdsden|\bprefecture|\bsous-prefe"
            r"|\bprefet|\bcorps prefectora|\barmees?\b|\barmee de|\bgendarmerie|\bmarine nationale|\bbase de defense"
            r"|\bgsbdd\b|\bsca\b|\bdga\b|\bbase aerienne|\bregiment\b|\bmilitaires?\b|\bdirisi\b|\bminarm\b"
            r"|\bdgfip\b|\bdrfip\b|\bddfip\b|\bdireccte\b|\bdreets?\b|\bdreal\b|\bddt(?:m)?\b|\bddpp\b|\bdgccrf\b"
            r"|\bdouanes?\b|\bservices? de l'etat|\bniveau de l'etat|\bagence regionale de sante|\bars\b|\bcnrs\b"
            r"|\binserm\b|\binrae?\b|\bcrous\b|\bcommissariat des armees|\bpolice nationale|\bdggn\b|\bdgpn\b"
            r"|\bsgami\b|\betablissement public (?:national|de l'etat)|\bgreffes?\b|\btribunal|\bjuridictions?\b"
            r"|\bcour d'appel|\bdgac\b|\bdsac\b|\becole nationale|\bensa\b|\bcese\b|\bconseil d'etat|\bcour des comptes"
            r"|\binsee\b|\bmeteo-france|\bign\b"
            # the State's services and bodies by their usual names (finance, justice, police, education, research)
            r"|\bservices? des impots|\bfinances publiques|\bservice national universel|\bsnu\b|\bspip\b"
            r"|\bpenitentiaire|\bparquet\b|\bprocureur|\bmagistrats\b|\bcrs\b|\bddsp\b|\bdzsp\b|\bdtpn\b"
            r"|\beducation nationale|\benseignants?[- ]chercheurs?|\bepscp\b|\bufr\b|\bcnam\b|\bcaisse des depots"
            r"|\binrap\b|\bonf\b|\bofb\b|\bademe\b|\bcerema\b|\bfranceagrimer\b|\bdinum\b|\bsgpi\b|\bpremier ministre"
            r"|\bsecretaires? administratifs?|\battaches? d'administration|\bconseillers? d'administration"
            r"|\beleves? fonctionnaires"
        ),
    ),
    (
        "FPT",
        re.compile(
            r"\bmairie|\b(?:la|notre|une|cette|chaque) commune\b|\bcommune (?:de|d')|\bcommunes? (?:membres|rurales)"
            r"|\bcommunaux|\bcommunal|\bmunicipa|\bville de\b|\bla ville\b(?! durable| intelligente)"
            r"|\bconseil departemental|\bconseil regional|\bcommunaute d'agglomeration|\bcommunautes? de"
            r" communes|\bcollectivites? membres|\bmetropole\b|\bintercommuna|\bepci\b|\bcentre de gestion"
            r"|\bcollectivites? (?:et etablissements )?affilie|\bsyndicat (?:mixte|intercommunal|interdepartemental)"
            r"|\bs\.[im]\.|\bccas\b|\bcias\b"
            r"|\bautorite territoriale|\bcollectivite\b|\bterritoire de\b|\bcnas\b"
        ),
    ),
    (
        "FPH",
        re.compile(
            r"\bcentre hospitalier|\bchu\b|\bchr\b|\bhopita|\behpad\b|\bgroupement hospitalier|\bap-hp\b"
            r"|\betablissement de sante"
        ),
    ),
)


def _first_of(patterns: tuple[tuple[str, re.Pattern[str]], ...]) -> re.Pattern[str]:
    """One expression for several (code, expression) pairs: its first match is the earliest of theirs, ties going
    to the code first in alphabetical order (FPE, FPH, FPT), and one scan of the text replaces three."""
    ordered = sorted(patterns, key=lambda pair: pair[0])
    return re.compile("|".join(f"(?P<{code}>{pattern.pattern})" for code, pattern in ordered))


FIRST_STATED, FIRST_EMPLOYER = _first_of(VERSANT_STATED), _first_of(VERSANT_EMPLOYERS)


def offer_versant(folded: str) -> str | None:
    match = FIRST_STATED.search(folded) or FIRST_EMPLOYER.search(folded)
    return match.lastgroup if match else None


# The corps and cadres d'emplois offers name most, and what the name tells: catégorie, and for a territorial cadre
# its filière (the gold and the NEG nomenclature give filières for the territorial versant only).
CORPS_FACTS = (
    # the State's research and higher-education corps (ITRF, and the EPST's « … de la recherche »): named in full,
    # before the shorter territorial names they begin with; no territorial filière
    (re.compile(r"adjoints? techniques? (?:de recherche et de formation|de la recherche)"), "C", None),
    (re.compile(r"techniciens? (?:de recherche et de formation|de la recherche)"), "B", None),
    (re.compile(r"ingenieurs? (?:de recherche|d'etudes)|assistants? ingenieurs?"), "A", None),
    # the industry ministry's technicians (TSEI: DREAL inspectors of classified sites), before the territorial ones
    (re.compile(r"techniciens? superieurs? (?:principaux? |en chef )?de l'economie et de l'industrie"), "B", None),
    (re.compile(r"adjoints? techniques?"), "C", "Technique"),
    (re.compile(r"adjoints? administratifs?"), "C", "Administrative"),
    (re.compile(r"adjoints? d'animation"), "C", "Animation"),
    (re.compile(r"adjoints? (?:territoriaux )?du patrimoine"), "C", "Culturelle"),
    (re.compile(r"agents? de maitrise"), "C", "Technique"),
    (re.compile(r"agents? sociaux"), "C", "Médico-sociale"),
    (re.compile(r"agents? (?:territoriaux )?specialises des ecoles|atsem"), "C", "Médico-sociale"),
    (re.compile(r"auxiliaires? de puericulture"), "C", "Médico-sociale"),
    (re.compile(r"aides?[- ]soignants?"), "C", None),  # FPH corps (B since 2022: `reformed_categorie`)
    (re.compile(r"educateurs? (?:territoriaux )?de jeunes enfants"), "B", "Médico-sociale"),  # A since 2019
    (re.compile(r"(?:agents? de )?police municipale|gardiens?[- ]brigadiers?"), "C", "Police municipale"),
    (re.compile(r"redacteurs?"), "B", "Administrative"),
    (re.compile(r"techniciens?"), "B", "Technique"),
    (re.compile(r"animateurs?"), "B", "Animation"),
    (re.compile(r"assistants? (?:territoriaux )?de conservation"), "B", "Culturelle"),
    (re.compile(r"educateurs? (?:territoriaux )?des activites physiques"), "B", "Sportive"),
    (re.compile(r"chefs? de service de police"), "B", "Police municipale"),
    (re.compile(r"secretaires? administratifs?"), "B", None),
    (re.compile(r"attaches?"), "A", "Administrative"),
    (re.compile(r"ige\b|igr\b|asi\b"), "A", None),  # ingénieurs d'études / de recherche, assistants ingénieurs
    (re.compile(r"tech rf\b"), "B", None),
    (re.compile(r"adjaenes\b|atrf\b"), "C", None),
    (re.compile(r"ingenieurs?"), "A", "Technique"),
    (re.compile(r"administrateurs?"), "A", "Administrative"),
    (re.compile(r"magistrats?"), "A", None),
    (re.compile(r"cadres? de sante"), "A", None),  # FPH corps (cadres de santé paramédicaux)
    (re.compile(r"infirmiers? (?:en soins generaux|de bloc|anesthesistes?)"), "A", None),  # FPH corps (A since 2010)
    (re.compile(r"assistants? medico-administratifs?"), "B", None),  # FPH corps
    # State corps the NEG has no grade of: university libraries' BIBAS and magasiniers, the police nationale's
    # corps d'encadrement et d'application (gardiens de la paix, brigadiers; catégorie B since 2004)
    (re.compile(r"bibliothecaires? assistants? specialises?|bibas\b"), "B", None),
    (re.compile(r"magasiniers? (?:principaux? )?des bibliotheques"), "C", None),
    (re.compile(r"greffiers? des services judiciaires|greffiers?$"), "B", None),
    (re.compile(r"inspecteurs? des finances publiques"), "A", None),
    (re.compile(r"geometres?[- ]cadastreurs?(?: des finances publiques)?"), "B", None),
    # the Éducation nationale's CPE and IEN, the road-safety ministry's driving-test examiners (IPCSR)
    (re.compile(r"conseill(?:er|ere)s? principa(?:l|le|ux|les) d'education"), "A", None),
    (re.compile(r"inspecteurs? de l'education nationale"), "A", None),
    (re.compile(r"inspecteurs? du permis de conduire(?: et de la securite routiere)?"), "B", None),
    # the Justice ministry's probation officers (CPIP, catégorie A since 2019)
    (re.compile(r"conseill(?:er|ere)s? penitentiaires? d'insertion et de probation"), "A", None),
    # the labour inspectorate's corps (A and B); the Culture ministry's museum wardens (C); the hospital directors
    # of social and medico-social establishments (D3S, A)
    (re.compile(r"inspect(?:eur|rice)s? du travail"), "A", None),
    (re.compile(r"controle(?:ur|use)s? du travail"), "B", None),
    (re.compile(r"techniciens? superieurs? (?:principaux? )?du ministere (?:charge )?de l'agriculture"), "B", None),
    (re.compile(r"adjoints? techniques? d'accueil, de surveillance et de magasinage"), "C", None),
    (re.compile(r"directeurs? d'etablissements? sanitaires?, soci(?:al|aux) et medico-soci(?:al|aux)"), "A", None),
    # the hospital corps of the SAMU's call handlers (2019, catégorie B)
    (re.compile(r"assistants? de regulation medicale"), "B", None),
    # the DGDDI's B corps
    (re.compile(r"controleurs? (?:principaux? )?des douanes(?: et droits indirects)?"), "B", None),
    (
        re.compile(
            r"encadrement(?: et d'application)?\b|gardiens? de la paix|brigadiers?(?:[- ]chefs?)? de police\b(?! m)"
        ),
        "B",
        None,
    ),
    (re.compile(r"bibliothecaires?"), "A", "Culturelle"),
    (re.compile(r"conservateurs?"), "A", "Culturelle"),
)


# Cadres d'emplois and corps whose catégorie changed after the repository's NEG nomenclature was compiled: the NEG
# still files their grades in the old catégorie. A CV states a person's situation today, so its catégorie follows
# the reform (offers keep the rules of their publication date: the PEP offers are from 2020–2021). Matched at the
# start of the cadre's name, accent-folded, singular or plural, masculine (as `corps_named` and the NEG write it).
REFORMED_CATEGORIES = (
    # Ségur de la santé: the aides-soignants and auxiliaires de puériculture corps (FPH) and cadres (FPT), 1 Jan 2022
    # (the territorial aides-soignants are the cadre d'emplois des auxiliaires de soins territoriaux)
    (re.compile(r"aides?[- ]soignants?|auxiliaires? (?:territoriaux )?de (?:puericulture|soins)"), "B"),
    # the hospital manipulateurs d'électroradiologie médicale (filière médico-technique), 2017
    (re.compile(r"manipulateurs? (?:d'|en )?electroradiologie"), "A"),
    # the socio-educative cadres and corps (FPT and FPH), 1 Feb 2019
    (re.compile(r"educateurs? (?:territoriaux )?(?:de|des) jeunes enfants"), "A"),
    (re.compile(r"assistants? (?:territoriaux )?socio-educatifs?"), "A"),
    (re.compile(r"conseillers? en economie sociale"), "A"),
    # puéricultrices territoriales (2014) and hospital ones, with the infirmiers en soins généraux
    (re.compile(r"(?:infirmiers? )?puericult"), "A"),
)


def reformed_categorie(cadre: str | None) -> str | None:
    """The catégorie of a cadre or corps (its name or the NEG's cadre label) since a reform the NEG does not carry."""
    folded = fold_compat(cadre or "")
    return next((categorie for pattern, categorie in REFORMED_CATEGORIES if pattern.match(folded)), None)


def corps_categorie(folded: str, corps: str) -> str | None:
    """The catégorie of the corps named, when the alternatives named with it share it: "cadre d'emplois des attachés
    / rédacteurs territoriaux" opens the post at A and B, so to no single catégorie; "IGE ou IGR" both at A."""
    start = folded.find(corps)
    if start < 0:  # an abbreviation spelt out ("ATTADM")
        return corps_facts(corps)[0]
    end = folded.find("\n", start)
    names = re.split(r"\s*(?:/|\bou\b|\bet\b|,)\s*", folded[start : end if end >= 0 else start + 100][:100])
    letters = {corps_facts(re.split(r"[()]", name)[0].strip())[0] for name in names} - {None}
    return letters.pop() if len(letters) == 1 else None


def is_cadre_name(line: str) -> bool:
    """Whether a heading line is a cadre's or corps' name (a CV's title), not a person's."""
    folded = recently_folded(line.strip())
    return any(pattern.match(folded) for pattern, _, _ in CORPS_FACTS)


def corps_facts(corps: str) -> tuple[str | None, str | None]:
    """(catégorie, territorial filière) of a corps or cadre d'emplois named as `corps_named` returns it."""
    spelt_out = corps in CORPS_ABBREVIATIONS.values()  # « D3S » spelt out is longer than a name read in a sentence
    for pattern, categorie, filiere in CORPS_FACTS:
        if pattern.match(corps) and (len(corps) < 50 or spelt_out):
            return categorie, filiere
    return None, None


def statutory_grade_label(label: str) -> bool:
    """Whether a grade label of the NEG nomenclature, found in an offer, names a grade rather than a job: "Rédacteur
    principal de 2e classe" or "Adjoint technique territorial" do; "Technicien", "Chef de bureau" or "Standardiste"
    (labels of some grades too) are what offers call the job."""
    return bool(re.search(r"\bclasse\b|\bprincipal|territori|\bhors cl|\bcl\b", fold_compat(label)))
