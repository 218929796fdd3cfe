"""The statutory situation a free-text CV states: its grade, cadre d'emplois or corps, catégorie and versant.

CVs state them on a few lines, often abbreviated (« adj. adm. ppal 2e cl. », « ACH cl. sup. », « ATSEM principale de
2e classe »), or name only the cadre (« Titulaire du cadre d'emplois des agents de police municipale », a heading
« Assistante de conservation du patrimoine et des bibliothèques »). In order, a grade is taken from:
1. the status lines spelt out (`status_text`), read by `loaders.grades` (class words, also inside a label);
2. the same lines read by the nomenclature's phrase matcher;
3. the whole text read by `loaders.grades` (class words, a grade after « grade »);
4. the matcher over the whole text, when the label names a grade rather than a job (`GRADE_LABEL`).
A grade is then taken in the CV's versant (`grade_in_versant`). Without a grade, the cadre is the one the text names
(`loaders.statutory.corps_named`, or a heading that is a cadre's whole name), resolved in the catalogue when its
name begins the labels of one cadre's grades.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from loaders.grades import QUALIFIED, GradeNames, grade_names, name_words, said_versant
from loaders.nlp import FEMININE
from loaders.records import StatutoryFacts
from loaders.statutory import CATEGORIE, CORPS_FACTS, corps_named, recently_folded
from ontology.text import fold_compat

if TYPE_CHECKING:
    from ontology.catalogue import Catalogue, GradeConcept

# Abbreviations of grades and cadres d'emplois as CVs write them, spelt out as the NEG nomenclature labels them
# ("adj. adm. ppal 2e cl." → "adjoint administratif principal 2e classe"); "territorial" is dropped, the
# nomenclature's grade labels do not carry it. Applied to the lines that hold one, read for the grade only.
GRADE_ABBREVIATIONS = (
    # « ATSEM principale de 2e classe »: the NEG label puts the class inside the name
    (
        re.compile(r"\bATSEM\s+(principale?\s+(?:de\s+)?[12]\S*\s+cl(?:asse\b|\.))", re.IGNORECASE),
        r"agent spécialisé \1 des écoles maternelles",
    ),
    (re.compile(r"\bATSEM\b"), "agent spécialisé des écoles maternelles"),
    (re.compile(r"\badj\.\s*", re.IGNORECASE), "adjoint "),
    (re.compile(r"\baux\.\s*", re.IGNORECASE), "auxiliaire "),
    (re.compile(r"\badm\.\s*", re.IGNORECASE), "administratif "),
    (re.compile(r"\br[ée]dac\.\s*", re.IGNORECASE), "rédacteur "),
    (re.compile(r"\btech\.\s*", re.IGNORECASE), "technique "),
    (re.compile(r"\bppale?\b\.?", re.IGNORECASE), "principal"),
    (re.compile(r"\bcl\.\s*sup\b\.?", re.IGNORECASE), "classe supérieure"),
    (re.compile(r"\bcl\.\s*(?:ex|exc)\b\.?", re.IGNORECASE), "classe exceptionnelle"),
    (re.compile(r"\bcl\b\.?", re.IGNORECASE), "classe"),
    (re.compile(r"\b1(?:re|ère|ere)\b", re.IGNORECASE), "1ere"),
    (re.compile(r"\bACH\b"), "adjoint des cadres hospitaliers"),
    (re.compile(r"\bEJE\b"), "éducateur de jeunes enfants"),
    (re.compile(r"\bATTEE\b"), "adjoint technique des établissements d'enseignement"),
    (re.compile(r"\bterr\.\s*|\bterritoria(?:l|le|ux|les)\b\s*", re.IGNORECASE), ""),
    # after « ppal », « 1re » and « cl. » are spelt out: « ETAPS ppal 1re cl. » is the NEG's « Educateur principal de
    # 1ere cl des aps »; the Éducation nationale's SAENES are « Secretaire administratif … »
    (re.compile(r"\bETAPS\s+(principal\s+(?:de\s+)?[12]\S*\s+classe)"), r"éducateur \1 des aps"),
    (re.compile(r"\bETAPS\b"), "éducateur des aps"),
    (re.compile(r"\bSAENES\b"), "secrétaire administratif"),
    (re.compile(r"\bASHQ\b"), "agent des services hospitaliers qualifié"),
    (re.compile(r"\bAEQ\b"), "agent d'entretien qualifié"),
    (re.compile(r"\bIADE\b"), "infirmier anesthésiste"),
    (re.compile(r"\bTSH\b"), "technicien supérieur hospitalier"),
    # not a status line's cue (`STATUS_LINE`): « OPQ magasinier » is as often an earlier step's title
    (re.compile(r"\bOPQ\b"), "ouvrier professionnel qualifié"),
)
# A status line worth spelling out: one abbreviation above, or a grade's class ("principal de 2e classe").
STATUS_LINE = re.compile(
    r"\b(?:adj|aux|adm|r[ée]dac|tech|ppale?|cl|terr)\.|\b(?:ACH|EJE|ATTEE|ATSEM|ETAPS|SAENES|ASHQ|AEQ|IADE|TSH)\b|\bppal\b|territoria(?:l|le|ux)\b"
    r"|principale? (?:de )?[12]",
    re.IGNORECASE,
)


def status_text(text: str) -> str:
    """The lines of a CV that state a grade in abbreviations, spelt out (empty when there are none)."""
    lines = [line for line in without_cadre_names(text).splitlines() if STATUS_LINE.search(line)]
    lines = [line for line in lines if not COMPETITION.search(line)]
    return "\n".join(spelt_out(line) for line in lines)


def spelt_out(text: str) -> str:
    for pattern, replacement in GRADE_ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    return text


# « 2014 · Concours d'attaché territorial (externe) », « Lauréate de l'examen professionnel de rédacteur principal »:
# a competition passed names the grade it opens, not the grade held
COMPETITION = re.compile(r"\bconcours\b|\blaur[ée]at|\bexamen professionnel", re.IGNORECASE)
# « cadre d'emplois des attachés territoriaux », « corps des conservateurs du patrimoine »: the cadre, not a grade in
# it (attaché and attaché principal both fit); the cadre readings (`named_cadre`) read these words, the grade ones not
CADRE_NAME = re.compile(r"\b(?:cadre d['’]emplois?|corps)\s+(?:des|du|de la|de l['’]|d['’]|de)\s*[^\n,;:()–—]+", re.I)


def without_cadre_names(text: str) -> str:
    return CADRE_NAME.sub(" ", text) if "cadre d" in text or "orps" in text else text


# In a free-text CV, grades whose NEG label is also what CVs call a job ("Agent d'animation", "Conducteur",
# "Adjoint administratif" as a former position) count from the whole text only when the label names a grade (a
# class, "principal", "territorial"); a grade read on a status line spelt out (`status_text`) always counts. Not
# for JSON Resumes: on the simulated ones it lost a third of the exact grades (78.0 % → 54.1 %, docs/ingestion.md).
GRADE_LABEL = re.compile(r"\bclasse\b|\bprincipal|territori|\bhors cl|\bcl\b|jeunes enfants|socio-educatif|maitrise")


def grade_in_versant(catalogue: Catalogue, facts: StatutoryFacts, versant: str | None) -> StatutoryFacts:
    """The grade as read when it is of the CV's versant (or the versant is unknown); else its namesake there
    ("Assistant socio-éducatif" is FPT and FPH; the State's « … principal 2eme classe » is the territorial « …
    principal 2e classe »): the same label first, then the same words (`loaders.grades.name_words`), a current
    grade before a replaced one. With no namesake (the NEG has no FPE attaché principal), only the catégorie holds:
    the grade, its cadre and its filière are another versant's."""
    found = catalogue.grades.get(facts.grade_uri or "")
    if found is None or versant is None or found.versant == versant:
        return facts
    names = grade_names(catalogue)
    label, words = fold_compat(found.label), names.label_words[found.uri]
    namesakes = [g for g in names.namesakes(words) if g.versant == versant]
    namesakes.sort(key=lambda g: (fold_compat(g.label) != label, g.replaced_by is not None, g.code))
    return _facts_of(namesakes[0]) if namesakes else StatutoryFacts(categorie=facts.categorie)


def grade_facts(
    catalogue: Catalogue, status: StatutoryFacts, whole: StatutoryFacts, text: str, versant: str | None
) -> StatutoryFacts:
    """The grade a free-text CV states, with what follows from it (module docstring: the order of the readings)."""
    names = grade_names(catalogue)
    text = without_cadre_names(text)
    # a « Grade : … » field states the grade held; the other status lines may be earlier grades
    labelled = GRADE_FIELD.search(recently_folded(text))
    if labelled and (named := names.named(labelled.group(), versant)):
        return _facts_of(named.grade)
    status_lines = status_text(text)
    # the class words first: the matcher reads « Technicien principal de 1re classe » as its shorter label; the
    # first status line alone before them all, since a « grade » cue anywhere would beat its class words (« … sur le
    # grade de rédactrice principale de 2e classe (2019-2021) » after the grade held today)
    first_line = status_lines.split("\n", 1)[0]
    for lines in dict.fromkeys((first_line, status_lines)):
        if lines and (named := names.named(recently_folded(lines), versant)):
            return _facts_of(named.grade)
        # the first status line naming a grade whole before its status (« Agent de maîtrise territorial – titulaire »,
        # « statut : AEQ titulaire (FPH) »), before earlier grades on the next lines (« adj. tech. 2e cl., puis … »)
        if lines is first_line and (grade := _status_line_grade(catalogue, recently_folded(first_line), versant)):
            return _facts_of(grade)
    if status.grade_uri:
        return status
    if named := names.named(CLASS_LINE.sub(" ", recently_folded(text)), versant):
        return _facts_of(named.grade)
    if grade := _status_line_grade(catalogue, recently_folded(text), versant):
        return _facts_of(grade)
    # then with the abbreviations spelt out on every status line (« OPQ – titulaire – 5e éch. »), not only on the lines
    # they mark; after, since spelling out drops « territorial » (« attachée territoriale titulaire »)
    if grade := _status_line_grade(catalogue, recently_folded(spelt_out(text)), versant):
        return _facts_of(grade)
    if whole.grade_uri and not GRADE_LABEL.search(fold_compat(catalogue.grades[whole.grade_uri].label)):
        return StatutoryFacts()  # a job title, not a grade: nothing follows from it
    return whole


def grade_in_categorie(catalogue: Catalogue, facts: StatutoryFacts, letter: str | None) -> StatutoryFacts:
    """The grade as read, or its namesake of the same versant in the catégorie the CV states (« Ergothérapeute de
    classe normale … (catégorie A) » is 1119, « Ergotherapeute cl nor (cat sedentaire) », of the corps the 2015
    reform put in A, not 0079 of the former B corps, whose label has no note and so comes first)."""
    found = catalogue.grades.get(facts.grade_uri or "")
    if found is None or letter is None or found.categorie == letter:
        return facts
    names = grade_names(catalogue)
    words = names.label_words[found.uri]
    namesakes = [g for g in names.namesakes(words) if g.versant == found.versant and g.categorie == letter]
    return _facts_of(namesakes[0]) if namesakes else facts


# A line that opens with a class continues the title above it (« Manipulateur d'électroradiologie médicale (MERM) » /
# « Classe supérieure – catégorie A »): joined, without the acronym in brackets, they name the grade.
CLASS_LINE = re.compile(
    r"(?:\s*\([^()\n]{1,12}\))?[ \t]*\n[ \t]*"
    r"(?=(?:hors classe|classe (?:normale|superieure|exceptionnelle)|principale? de [12]))"
)


GRADE_FIELD = re.compile(r"^[ \t]*grade[ \t]*:[^\n]+", re.MULTILINE)


def _status_line_grade(catalogue: Catalogue, folded: str, versant: str | None) -> GradeConcept | None:
    """A grade named whole, without class words, on a line that states a status (« Assistante socio-éducative
    titulaire – fonction publique hospitalière »): a job title there is the grade held. Elsewhere such a name is
    often only a job (« Agent d'animation »)."""
    names = grade_names(catalogue)
    for line in folded.splitlines():
        if not (STATUS_WORDS.search(line) or ECHELON_PLACE.search(line) or VERSANT_SAID.search(line)):
            continue
        if ENDED_RANGE.search(line):
            continue  # « 2015 → 2020 (attachée stagiaire en 2015, titularisée en 2016) »: a step that has ended
        line = FIELD_NAME.sub("", line)  # « statut : … », « situation actuelle : … »
        # each part of the line in turn: the grade may follow the job (« PEINTRE EN BÂTIMENT – maître ouvrier (FPH),
        # titulaire »)
        for part in re.split(r"\s[-–—|]\s|,|\(|\)|:", STATUS_WORDS.sub(" ", line).strip()):
            if grade := _grade_named_whole(names, part, versant):
                return grade
        if grade := _grade_before_status(names, line, versant):
            return grade
    return None


def _grade_before_status(names: GradeNames, line: str, versant: str | None) -> GradeConcept | None:
    """A grade named whole by the last words before « titulaire » or « stagiaire » in a sentence (« je suis aujourd'hui
    attachée territoriale titulaire, au 5e échelon »): the longest run of two to five words that is one."""
    for match in BEFORE_STATUS.finditer(line):
        words = match.group(1).split()
        for size in range(min(5, len(words)), 1, -1):
            if grade := _grade_named_whole(names, " ".join(words[-size:]), versant):
                return grade
    return None


BEFORE_STATUS = re.compile(r"([^\W\d_][\w' -]{3,80}?)\s+(?:titulaire|stagiaire)\b")


def _grade_named_whole(names: GradeNames, part: str, versant: str | None) -> GradeConcept | None:
    bare = FEMININE_END.sub(_masculine, re.sub(r"\s+", " ", part).strip())  # « ingénieure » is « ingénieur »
    found = names.resolve(name_words(bare), versant or said_versant(bare), bare=False)
    # not a special case (« … (condition reclassement option) ») nor a label the NEG keeps without a pay scale,
    # unless the NEG has the grade under that name only with a note (« Ingenieur (subdivisionnaire) », FPT)
    if found and found.grade.indices and ("(" not in found.grade.label or _only_with_a_note(names, found.grade)):
        return found.grade
    return None


FIELD_NAME = re.compile(r"^\s*(?:statut|situation(?: actuelle| administrative)?|position(?: statutaire)?)\s*:\s*")
# A line that places its title at an échelon (« Ingénieure territoriale – 4e échelon »): the title is the grade.
# « 5e échelon », « 5ème éch. »
ECHELON_PLACE = re.compile(r"\b\d{1,2}(?:e|eme|er)\s+(?:echelon|ech)\b")
ENDED_RANGE = re.compile(r"\b(?:19|20)\d\d\s*(?:-|–|—|→|->|/|a|au)\s*(?:\d{2}[/.])?(?:19|20)\d\d\b")
# a line that states its versant (« Maître ouvrier – FPH ») states a status too
VERSANT_SAID = re.compile(r"\bfp[eth]\b|\bfonction publique (?:territoriale|hospitaliere|de l'etat|d'etat)\b")


def _only_with_a_note(names: GradeNames, grade: GradeConcept) -> bool:
    words = names.label_words[grade.uri]
    return all("(" in g.label for g in names.namesakes(words) if g.versant == grade.versant)


def detached_grade(catalogue: Catalogue, text: str) -> StatutoryFacts | None:
    """The host grade of a civil servant « détaché(e) … sur le grade d'attaché territorial principal »: it is the
    grade held today, and its versant the CV's, whatever the corps of origin the CV also states."""
    folded = recently_folded(text)
    match = DETACHED_ON.search(folded)
    if match and DETACHMENT_OVER.search(folded[match.start() : match.end() + 80]):
        return None
    named = grade_names(catalogue).named(match.group(), None) if match else None
    return _facts_of(named.grade) if named else None


DETACHED_ON = re.compile(r"\bdetache\w*\b[^\n]{0,120}?\bsur (?:le|un) grade d(?:e |')[^\n,.;]+")
# A détachement that has ended: dated with its end (« (2019-2021) »), or followed by the integration into the host
# cadre (« intégration dans le cadre d'emplois … en 2021 »), after which the CV names the grade held since.
DETACHMENT_OVER = re.compile(r"\(\s*(?:19|20)\d\d\s*[-–/]\s*(?:19|20)\d\d\s*\)|\bintegr(?:ation|ee?)\b")


def unique_grade_versant(catalogue: Catalogue, grade_uri: str | None) -> str | None:
    """The versant of a grade whose name no other versant's grade shares (« Auxiliaire de soins principal de 2eme
    classe » is territorial only; « Adjoint administratif principal 2eme classe » is not)."""
    grade = catalogue.grades.get(grade_uri or "")
    if grade is None:
        return None
    names = grade_names(catalogue)
    words = names.label_words[grade.uri]
    versants = {g.versant for g in names.namesakes(words)}
    return grade.versant if len(versants) == 1 else None


def ministry_grade_corps(catalogue: Catalogue, grade_uri: str | None) -> str | None:
    """For a State grade the NEG files under a ministry instead of its corps (docs/ontology.md, known limits), the
    corps as the grade's label names it, class words aside: « Secretaire administratif classe superieure » →
    « secretaire administratif ». None for any other grade."""
    grade = catalogue.grades.get(grade_uri or "")
    if grade is None or not fold_compat(grade.cadre_label or "").startswith("ministere"):
        return None
    bare = QUALIFIED.sub(" ", re.sub(r"\([^)]*\)", " ", fold_compat(grade.label)))
    return re.sub(r"\s+", " ", bare).strip() or None


def _facts_of(grade: GradeConcept) -> StatutoryFacts:
    return StatutoryFacts(
        versant=grade.versant,
        categorie=grade.categorie,
        filiere=grade.filiere,
        cadre_uri=grade.cadre_uri,
        grade_uri=grade.uri,
    )


# The lines a CV states its status on: a statutory word, and no driving licence or weapon class (« permis cat. B »)
# « titulaire d'un diplôme », « titulaire du permis » name no status; « titulaire de la fonction publique » does
TITULAIRE = r"\btitulaire\b(?! (?:du |de |des |d')(?!la fonction publique))|\bfonctionnaire\b"
STATUS_WORDS = re.compile(TITULAIRE + r"|\bstagiaire\b|\bcadre d'emplois?\b|\bcorps\b")
HEADING_LINES = 4
# A class or an échelon: a line that places the person in a grade (« Classe supérieure – catégorie A – 4e échelon »)
GRADE_PLACE = re.compile(r"\bechelon\b|\bclasse (?:normale|superieure|exceptionnelle)\b|\bhors classe\b")
NOT_A_CATEGORIE = re.compile(r"\bpermis\b|\barmement\b|\bcaces\b")  # a licence's, a weapon's, a machine's


def stated_categorie(folded: str) -> str | None:
    """The catégorie a status line states (« ASE cat. A – filière médico-sociale – titulaire »): it beats the
    grade's, since the nomenclature lags reforms (the socio-educative cadres moved from B to A in 2019)."""
    for line in folded.splitlines():
        stating = STATUS_WORDS.search(line) or GRADE_PLACE.search(line)
        if stating and not NOT_A_CATEGORIE.search(line) and (match := CATEGORIE.search(line)):
            return match.group(1).upper()
    return None


def named_cadre(catalogue: Catalogue, text: str) -> tuple[str | None, str | None]:
    """(catalogue cadre uri or None, the name as written) of the cadre d'emplois or corps a CV names without a
    grade: after « cadre d'emplois » or « corps » and the other cues offers use, else a heading line that is a
    cadre's name (« Assistante de conservation du patrimoine et des bibliothèques »)."""
    folded = recently_folded(text)
    name = _masculine_head(corps_named(folded)) or _heading_cadre(catalogue, folded)
    if name is None:
        return None, None
    return cadre_uri(catalogue, name), name


def _masculine_head(name: str | None) -> str | None:
    """A cadre's name as written, its first word in the masculine the cadres are named in (« Technicienne de
    recherche et de formation – titulaire » names the corps of the techniciens de recherche et de formation)."""
    if not name:
        return name
    head, _, rest = name.partition(" ")
    return " ".join(filter(None, (FEMININE_END.sub(_masculine, head), rest)))


def title_versant(catalogue: Catalogue, text: str) -> str | None:
    """The versant the cadre's name in a CV's title or status lines says (« Ingénieur territorial – chef de projet
    SI », « Attachée principale d'administration de l'État »): as plain as « FPT », whatever the employers."""
    name = _heading_cadre(catalogue, recently_folded(text))
    said = VERSANT_END.search(name or "")
    if said is None:
        return None
    return "FPT" if said.group().startswith("territori") else "FPH" if said.group().startswith("hospitali") else "FPE"


# `title_versant` and `named_cadre` read the same CV's heading cadre: the last reading is kept (one tuple, replaced
# whole, so a reading in another thread is never mixed with this one)
_last_heading: tuple[int, str, str | None] = (0, "", None)


def _heading_cadre(catalogue: Catalogue, folded: str) -> str | None:
    global _last_heading
    if _last_heading[0] == id(catalogue) and _last_heading[1] == folded:
        return _last_heading[2]
    name = _read_heading_cadre(catalogue, folded)
    _last_heading = (id(catalogue), folded, name)
    return name


def _read_heading_cadre(catalogue: Catalogue, folded: str) -> str | None:
    """The first of a CV's opening lines (the name, the title, the status) or of its status lines that is a cadre's
    name, up to a dash or a comma, class words aside (« Assistante médico-administrative », « Attachée principale
    d'administration de l'État, catégorie A, titulaire »); a job title that is no cadre's name is not one."""
    lines = folded.splitlines()
    # the opening lines without the blank and the contact lines (« Né le … », « 12330 … », the phone): a title may
    # come under a long contact block
    opening = [line for line in lines if line.strip() and not re.search(r"\d|@", _first_part(line))][:HEADING_LINES]
    for line in opening + [line for line in lines if STATUS_WORDS.search(line) and line not in opening]:
        # « Situation : greffière titulaire (catégorie B) »: the label and the status words are no part of the name
        line = STATUS_WORDS.sub(" ", re.sub(r"^\s*[a-z ]{2,20}:\s*", "", line))
        part = re.split(r"\s[-–—|]\s|,|\(", line.strip())[0].strip()
        if not part or len(part) > 70 or re.search(r"\d|@", part):
            continue
        bare = re.sub(r"\s+", " ", QUALIFIED.sub(" ", part)).strip()  # the cadre: no class words (before the
        for name in (FEMININE_END.sub(_masculine, bare), bare):  # masculine, which would make « normale » « normal »)
            if _names_a_cadre(catalogue, name):
                return name
    return None


def _first_part(line: str) -> str:
    """A line up to its first dash, comma or bracket: « Inspectrice des finances publiques – 6e échelon »."""
    return re.split(r"\s[-–—|]\s|,|\(", line.strip())[0]


def _names_a_cadre(catalogue: Catalogue, name: str) -> bool:
    """A cadre's whole name, not a job title that begins with one (« Animateur périscolaire », « Ingénieur d'études
    en analyse de données »): a known name to its end, a name the catalogue resolves, or one that ends with its
    versant (« attaché d'administration de l'État »)."""
    for pattern, _, _ in CORPS_FACTS:
        if match := pattern.match(name):
            rest = name[match.end() :].strip()
            return not rest or VERSANT_END.search(rest) is not None or cadre_uri(catalogue, name) is not None
    return False


# A cadre's name ends with its versant, or for State corps with their ministry's domain (« technicien supérieur du
# développement durable », « secrétaire administratif de l'intérieur et de l'outre-mer »): the NEG lacks most of them.
VERSANT_END = re.compile(
    r"(?:de l'etat|territori\w*|hospitali\w*|du developpement durable|des finances publiques|de l'interieur"
    r"(?: et de l'outre-mer)?|de l'agriculture|de l'education nationale|de la culture|des affaires sociales"
    r"|de la justice|de la defense|de l'enseignement superieur|de la police nationale)$"
)


# A title's feminine words, as the masculine the cadres are named in (« assistante », « attachée », « rédactrice »)
# (the analyzer's endings, and those of titles the lemma table reads otherwise)
MASCULINE_END = dict(FEMININE) | {"ante": "ant", "ee": "e", "ive": "if", "enieure": "enieur"}  # « ingénieure »
FEMININE_END = re.compile(r"\b([a-z'-]{2,}?)(" + "|".join(MASCULINE_END) + r")\b")


def _masculine(match: re.Match[str]) -> str:
    return match.group(1) + MASCULINE_END[match.group(2)]


def cadre_uri(catalogue: Catalogue, name: str) -> str | None:
    """The one cadre whose grades' labels all begin with the name (singular), class words aside; or whose own label
    is the name."""
    words = name_words(name)  # lemma norms: singular, masculine
    if not words:
        return None
    names = grade_names(catalogue)
    found = {
        g.cadre_uri
        for label, _, g in names.entries
        if g.cadre_uri and (label[: len(words)] == words or names.cadre_words[g.cadre_uri] == words)
    }
    return found.pop() if len(found) == 1 else None
