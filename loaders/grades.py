"""The grade an offer names, resolved in the NEG nomenclature where the phrase matcher cannot reach it.

Two ways offers name grades escape a matcher over the nomenclature's labels:
- a cadre d'emplois named as a grade: « rémunération sur le grade d'adjoint technique territorial ». Since 2007 (and
  PPCR in 2017) no grade bears that bare name; the nomenclature has « Adjoint technique de 2eme classe », « … principal
  de 1ere classe ». After the word « grade », a name that is no grade's label but begins the labels of a cadre's
  grades (the rest being class words: principal, 1re classe, hors classe…) is read as that cadre's entry grade: the
  lowest rank of `ontology.ladder.grade_ranks`, preferring the offer's versant.
- qualifiers inserted or shared: « rédacteur principal de 1re classe » (the label has no « de »), « attaché(e) hors
  classe ou principal(e) » (two grades, the second elided). Around each class qualifier, the words before it plus
  the qualifier are compared with the labels, word by word (lemma norms, glue words and « territorial » left out).

Names are compared through `loaders.nlp.norm_word`, the matcher's own norm, on text whose inclusive writing is
already read as masculine (`loaders.inclusive`, done by `loaders.statutory.recently_folded`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loaders.nlp import norm_word
from loaders.statutory import OPENING, PEOPLE_BEFORE, TEAM_LINE

if TYPE_CHECKING:
    from ontology.catalogue import Catalogue, GradeConcept

# Words a grade's name does not need: glue (norm "_"), the versant's adjective, the nomenclature's abbreviations.
_DROP = {"_", "territorial", "hospitalier", "hosp", "etat", "*"}
# The nomenclature's labels are cut to 50 characters ("Adjoint technique principal 2eme cl etabts enseignt"): each
# cut word is read as the word texts write in full, on both sides of the comparison.
_ABBREVIATIONS = {
    "cl": "classe", "cla": "classe", "ppal": "principal", "princ": "principal", "terr": "territorial",
    "sup": "superieure", "super": "superieure", "excep": "exceptionnelle", "except": "exceptionnelle",
    "norm": "normale", "nor": "normale", "etab": "etablissement", "etabs": "etablissements", "etabts": "etablissements",
    "etbts": "etablissements", "ets": "etablissements", "enseigt": "enseignement", "enseignt": "enseignement",
    "conserv": "conservation", "biblio": "bibliotheques", "patr": "patrimoine", "techn": "technique",
    "tech": "technique", "assist": "assistant", "adj": "adjoint", "adm": "administratif", "artistiq": "artistique",
    "serv": "service",
}  # fmt: skip
_CLASS_WORDS = ("principal", "classe", "1e", "2e", "3e", "hors", "superieure", "normale", "exceptionnelle", "chef")
# After « grade »: the name, up to twelve words of the same clause, glue words included ("grade d'adjoint technique
# territorial. …"; « Adjoint technique principal de 1re classe de recherche et de formation » has twelve).
GRADE_CUE = re.compile(r"\bgrades?\s*(?::\s*|d'|de\s+|des\s+)((?:[a-z0-9']+[ \-]?){1,12})")
_Q = (
    r"(?:hors classe|principale?(?: de (?:1|2|premiere|deuxieme)\w* classe)?"
    r"|(?:de )?(?:1|2|premiere|deuxieme)\w* classe|(?:de )?classe (?:normale|superieure|exceptionnelle)"
    # the hospital conducteurs ambulanciers' grades are « de 1re / 2e catégorie » and « hors catégorie »
    r"|(?:de )?(?:1|2|premiere|deuxieme)\w* categorie\b(?! [abc]\b)|hors categorie)"
)
# A class qualifier, and a second one coordinated with it ("hors classe ou principal", "de 1re ou 2e classe" aside)
QUALIFIED = re.compile(r"\b(" + _Q + r")\b(?:\s*(?:ou|et|/|,)\s*(?:d'|de |l')?(" + _Q + r")\b)?")
HEAD_WORDS = 4
# After the qualifier, the rest of a label that puts its class in the middle ("Adjoint technique principal de 2e
# classe des établissements d'enseignement", "Attaché principal d'administration de l'État"): up to this many words.
TAIL_WORDS = 4
SPECIAL_ECHELON = re.compile(r"\((?:echelon|ech)\.? special\)")
PLURAL_END = re.compile(r"(?<!hor)[sx]\s*$")


def _about_the_team(folded: str, line_start: int, before: str) -> bool:
    """A line about the team or the people managed ("Effectif du bureau : 1 attaché principal, 3 attachés"), as
    `loaders.statutory.offer_categorie` skips it, unless it opens the post to someone."""
    end = folded.find("\n", line_start)
    line = folded[line_start : end if end >= 0 else len(folded)]
    return bool((TEAM_LINE.search(line) or PEOPLE_BEFORE.search(before)) and not OPENING.search(line))


def said_versant(name: str) -> str | None:
    """The versant a grade's name says: « adjoint administratif territorial », « … hospitalier »."""
    return "FPT" if "territori" in name else "FPH" if "hospitali" in name else None


def name_words(name: str) -> tuple[str, ...]:
    """A grade's name as the matcher's norms, without glue words, « territorial » or parenthesised notes."""
    words = re.findall(r"[^\W_]+", re.sub(r"\([^)]*\)", " ", name.lower()))
    # a feminine participle as its masculine before the lemma table reads it as a verb ("attachee" → "attacher")
    words = [w[:-1] if len(w) > 4 and w.endswith("ee") else w for w in words]
    norms = (norm_word(_ABBREVIATIONS.get(w, w)) for w in words)
    return tuple(n for n in norms if n not in _DROP)


def _special_case(label: str) -> bool:
    """Whether a grade's label holds a note other than its rank in the cadre (« (e05) », « (a p de paris) », not
    « (2eme grade) »)."""
    return "(" in RANK_NOTE.sub("", label)


RANK_NOTE = re.compile(r"\(\s*\d+\s*(?:er|e|eme|ere)\s+grade\s*\)")


@dataclass(frozen=True)
class NamedGrade:
    grade: GradeConcept
    versant: str | None  # the versant the name gives, when every grade it could be shares one


class GradeNames:
    """The catalogue's grades by name: among namesakes, a label without a special case's note first (the NEG repeats
    grades for one employer or a special case, « Maitre ouvrier princ (a p de paris)(e06) », « … (echelon
    special) »: a text that names the grade means the general one; a rank's note, « (2eme grade) », is none), then
    a grade in force before one the NEG replaced (0459 « Orthophoniste cl normale (1er grade) » before 0087
    « Orthophoniste classe normale »: a CV names the grade held now), then by rank in their cadre and code."""

    def __init__(self, catalogue: Catalogue) -> None:
        from ontology.ladder import grade_ranks

        ranks = grade_ranks(catalogue)
        self.class_words = {norm_word(w) for w in _CLASS_WORDS}
        self.entries: list[tuple[tuple[str, ...], tuple[bool, bool, int, str], GradeConcept]] = []
        for grade in catalogue.grades.values():
            key = (_special_case(grade.label), grade.replaced_by is not None, ranks.get(grade.uri, 99), grade.code)
            self.entries.append((name_words(grade.label), key, grade))
        self.entries.sort(key=lambda e: e[1])
        # each grade's and each cadre's name as `name_words` reads it, computed once (CV reading compares them often)
        self.label_words = {grade.uri: words for words, _, grade in self.entries}
        self.by_words: dict[tuple[str, ...], list[GradeConcept]] = {}  # namesakes, in `entries` order
        for words, _, grade in self.entries:
            self.by_words.setdefault(words, []).append(grade)
        self.cadre_words = {g.cadre_uri: name_words(g.cadre_label) for g in catalogue.grades.values() if g.cadre_uri}

    def namesakes(self, words: tuple[str, ...]) -> list[GradeConcept]:
        """The grades whose name reads as `words` (`name_words`), general ones first (the class docstring)."""
        return self.by_words.get(words, [])

    def resolve(self, words: tuple[str, ...], versant: str | None, bare: bool) -> NamedGrade | None:
        """The grade of that name; with `bare`, also a cadre's entry grade when the name is the start of its grades'
        labels followed by class words only. In the offer's `versant` when the name has a grade there."""
        if not words:
            return None
        found = self.namesakes(words)
        if not found and bare:
            found = [g for w, _, g in self.entries if w[: len(words)] == words and self._class_only(w[len(words) :])]
        if not found:
            return None
        versants = {g.versant for g in found}
        in_versant = [g for g in found if g.versant == versant]
        grade = self._not_special((in_versant or found)[0], words)
        return NamedGrade(grade, versants.pop() if len(versants) == 1 else None)

    def _not_special(self, grade: GradeConcept, words: tuple[str, ...]) -> GradeConcept:
        """An échelon spécial is an échelon of its grade, which a name means (« Brigadier-chef principal » is 0495,
        « … de police municipale », not 1124, « … (echelon special) », which the NEG files in B): the grade of the
        same cadre whose label begins with the same words, when there is one."""
        if not SPECIAL_ECHELON.search(grade.label.lower()):
            return grade
        same = [
            g
            for w, _, g in self.entries
            if g.cadre_uri == grade.cadre_uri and g is not grade and w[: len(words)] == words
        ]
        plain = [g for g in same if "(" not in g.label and g.replaced_by is None]
        return plain[0] if plain else grade

    def _whole_but_one(self, words: tuple[str, ...], versant: str | None) -> NamedGrade | None:
        """The whole clause as a grade's name but for one word the NEG's label lacks (« technicienne de laboratoire
        médical de classe supérieure » is 0483 « Technicien de laboratoire cl sup », not the cadre's entry grade that
        its start names), when the clause is no name as it stands."""
        if len(words) < 3 or self.namesakes(words):
            return None
        for skip in range(1, len(words)):
            if found := self.resolve(words[:skip] + words[skip + 1 :], versant, bare=False):
                return found
        return None

    def _class_only(self, words: tuple[str, ...]) -> bool:
        return all(w in self.class_words for w in words)

    def named(self, folded: str, versant: str | None) -> NamedGrade | None:
        """The grade `folded` (accent-folded, inclusive writing read as masculine) names after « grade », else by
        a class qualifier; None when neither names a grade of the nomenclature."""
        if "grade" in folded:
            for match in GRADE_CUE.finditer(folded):
                words, said = name_words(match.group(1)), said_versant(match.group(1))
                if found := self._whole_but_one(words, said or versant):
                    return found
                for end in range(len(words), 0, -1):  # the longest start of the clause that is a name
                    if found := self.resolve(words[:end], said or versant, bare=True):
                        return NamedGrade(found.grade, found.grade.versant) if said == found.grade.versant else found
        for match in QUALIFIED.finditer(folded):
            line_start = folded.rfind("\n", 0, match.start()) + 1
            before = folded[max(line_start, match.start() - 80) : match.start()]
            if PLURAL_END.search(before) or _about_the_team(folded, line_start, before):
                continue  # "des adjoints techniques principaux de 2e classe": the people managed, not the post
            head = name_words(before)[-HEAD_WORDS:]
            line_end = folded.find("\n", match.end())
            after = name_words(folded[match.end() : line_end if line_end >= 0 else len(folded)])[:TAIL_WORDS]
            for qualifier in filter(None, match.groups()):
                tail = name_words(qualifier)
                for start in range(len(head)):  # the longest head that, with the qualifier, is a grade's name
                    for end in range(len(after), -1, -1):  # and the longest rest of the label after it
                        if found := self.resolve(head[start:] + tail + after[:end], versant, bare=False):
                            return found
                if found := self._qualifier_inside(head, tail, versant):
                    return found
        return None

    def _qualifier_inside(self, head: tuple[str, ...], tail: tuple[str, ...], versant: str | None) -> NamedGrade | None:
        """The grade a text names with its class after the whole name where the nomenclature puts it inside (« chef
        de service de police municipale principal de 1re classe » is « Chef de service princ 1ere cl police
        municipale »)."""
        for start in range(len(head)):
            for middle in range(len(head) - 1, start, -1):
                if found := self.resolve(head[start:middle] + tail + head[middle:], versant, bare=False):
                    return found
        return None


_names: dict[int, GradeNames] = {}


def grade_names(catalogue: Catalogue) -> GradeNames:
    """One index per catalogue (built in about a second, on first use)."""
    if id(catalogue) not in _names:
        _names[id(catalogue)] = GradeNames(catalogue)
    return _names[id(catalogue)]
