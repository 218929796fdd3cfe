"""ROME 4.0 (v4.60), the edition in force, beside ROME v3.44: fiches, appellations, texts, ranked moves, and the
skills of its fiches, derived because the source publishes no fiche ↔ compétence links.

v3.44 stays the edition of the PEP offers (they carry v3 appellations); each v4 fiche names its v3 parent
(`code_rome_parent`; the 532 fiches that keep their v3 code are their own parent), so a v3 code resolves to its v4
fiches (`Rome4.children_of`).

Derived skills (`SKILL_METHOD`): a v4 fiche that keeps its v3 code takes that fiche's skills as they are; a new one
takes those of its parent's skills that its own texts (label, appellations, definition, accès au métier) support:
each parent skill is scored by the cosine of word TF-IDF vectors (folded words, French stop words left out) between
the skill's label and the fiche's texts; the skills scoring ≥ `TEXT_THRESHOLD` are kept, at least the
`MIN_SKILLS` best ones, each with its score as confidence.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ontology.catalogue import Catalogue, load_catalogue
from ontology.sources import SOURCES_DIR, SourceError, read_csv
from ontology.text import fold

ROME4_DIR = SOURCES_DIR / "rome-v4.60"
FILES = {
    "fiches": "unix_referentiel_code_rome_v460_utf8.csv",
    "appellations": "unix_referentiel_appellation_v460_utf8.csv",
    "texts": "unix_texte_v460_utf8.csv",
    "moves": "unix_rubrique_mobilite_v460_utf8.csv",
}
SKILL_METHOD = "rome4-skills/1: same code = v3 skills; new fiche = parent's skills supported by its texts (TF-IDF)"
SAME_CODE, PARENT_TEXT = "same-code", "parent+text"
TEXT_THRESHOLD = 0.12
MIN_SKILLS = 8
# Words too common in fiche texts and skill labels to tell two skills apart (French function words first).
FUNCTION_WORDS = (
    "a au aux avec ce ces chez d dans de des dont du elle elles en est et etre il ils l la le les leur leurs ou "
    "par peut plus pour que qui sa se selon ses son sont sur tous tout un une"
)
STOP_WORDS = sorted({*FUNCTION_WORDS.split(), "type", "regles", "procedures", "activite", "activites"})


@dataclass(frozen=True)
class Rome4Fiche:
    code: str
    label: str
    parent: str  # v3.44 fiche code (code_rome_parent)
    appellations: tuple[tuple[str, str], ...]  # (OGR code, libellé long)
    definition: str
    access: str
    skills: tuple[tuple[str, float], ...] = ()  # (skill URI, confidence), derived
    skill_method: str = ""  # SAME_CODE | PARENT_TEXT

    @property
    def keeps_v3_code(self) -> bool:
        return self.code == self.parent

    def text(self) -> str:
        """Everything the fiche says of itself, for text matching."""
        return " ".join([self.label, *(label for _, label in self.appellations), self.definition, self.access])


@dataclass(frozen=True)
class Rome4Move:
    source: str
    target: str
    rank: int  # numero_ordre: 1 = the first move the fiche proposes


@dataclass
class Rome4:
    fiches: dict[str, Rome4Fiche]  # by code
    moves: list[Rome4Move]
    children: dict[str, list[str]] = field(default_factory=dict)  # v3 code -> v4 codes

    def children_of(self, v3_code: str) -> list[str]:
        """The v4 fiches a v3.44 code resolves to (itself where it was kept, then the fiches split from it)."""
        return self.children.get(v3_code, [])


def _read(name: str, required: tuple[str, ...], directory: Path) -> list[dict]:
    path = directory / FILES[name]
    if not path.exists():
        raise SourceError(path, "file", "-", "ROME 4.0 file not found")
    return read_csv(path, required=required)


def read_rome4(directory: Path = ROME4_DIR) -> Rome4:
    """Fiches with their appellations and texts, and the ranked moves (skills not yet derived)."""
    rows = _read("fiches", ("code_rome", "libelle_rome", "code_rome_parent"), directory)
    appellations: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in _read("appellations", ("code_ogr", "libelle_appellation_long", "code_rome"), directory):
        appellations[row["code_rome"]].append((row["code_ogr"], row["libelle_appellation_long"]))
    texts: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for row in _read("texts", ("code_rome", "libelle_type_texte", "position_phrase", "libelle_texte"), directory):
        position = row["position_phrase"]
        if not position.isdigit():
            raise SourceError(directory / FILES["texts"], row["code_rome"], "position_phrase", "not a number")
        texts[(row["code_rome"], row["libelle_type_texte"])].append((int(position), row["libelle_texte"]))

    def joined(code: str, kind: str) -> str:
        return " ".join(sentence for _, sentence in sorted(texts.get((code, kind), [])))

    fiches = {
        r["code_rome"]: Rome4Fiche(
            code=r["code_rome"],
            label=r["libelle_rome"],
            parent=r["code_rome_parent"],
            appellations=tuple(appellations.get(r["code_rome"], ())),
            definition=joined(r["code_rome"], "definition"),
            access=joined(r["code_rome"], "acces_metier"),
        )
        for r in rows
    }
    moves = []
    for row in _read("moves", ("code_rome", "code_rome_cible", "numero_ordre"), directory):
        record = f"{row['code_rome']} -> {row['code_rome_cible']}"
        for fld in ("code_rome", "code_rome_cible"):
            if row[fld] not in fiches:
                raise SourceError(directory / FILES["moves"], record, fld, "unknown ROME 4.0 fiche")
        if not row["numero_ordre"].isdigit():
            raise SourceError(directory / FILES["moves"], record, "numero_ordre", "not a rank")
        moves.append(Rome4Move(row["code_rome"], row["code_rome_cible"], int(row["numero_ordre"])))
    children: dict[str, list[str]] = defaultdict(list)
    for fiche in sorted(fiches.values(), key=lambda f: (not f.keeps_v3_code, f.code)):
        children[fiche.parent].append(fiche.code)
    return Rome4(fiches, moves, dict(children))


def derive_skills(rome4: Rome4, catalogue: Catalogue) -> Rome4:
    """The fiches with their derived skills (see the module's docstring)."""
    from dataclasses import replace

    skill_label = {uri: s.label for uri, s in catalogue.skills.items()}
    new = [f for f in rome4.fiches.values() if not f.keeps_v3_code]
    vectorizer = TfidfVectorizer(preprocessor=fold, stop_words=STOP_WORDS, sublinear_tf=True)
    vectorizer.fit([f.text() for f in rome4.fiches.values()] + list(skill_label.values()))
    fiches = dict(rome4.fiches)
    for fiche in rome4.fiches.values():
        parent = catalogue.occupations.get(_v3_uri(fiche.parent))
        if parent is None:
            continue
        inherited = list(dict.fromkeys((*parent.essential_skills, *parent.optional_skills)))
        if fiche.keeps_v3_code:
            fiches[fiche.code] = replace(fiche, skills=tuple((u, 1.0) for u in inherited), skill_method=SAME_CODE)
    if new:
        texts = vectorizer.transform([f.text() for f in new])
        for row, fiche in enumerate(new):
            parent = catalogue.occupations.get(_v3_uri(fiche.parent))
            if parent is None:
                continue
            inherited = list(dict.fromkeys((*parent.essential_skills, *parent.optional_skills)))
            if not inherited:
                continue
            scores = (vectorizer.transform([skill_label[u] for u in inherited]) @ texts[row].T).toarray().ravel()
            order = np.argsort(-scores, kind="stable")
            kept = [i for i in order if scores[i] >= TEXT_THRESHOLD] or []
            kept = kept if len(kept) >= MIN_SKILLS else [int(i) for i in order[:MIN_SKILLS]]
            skills = tuple((inherited[i], round(float(scores[i]), 3)) for i in kept)
            fiches[fiche.code] = replace(fiche, skills=skills, skill_method=PARENT_TEXT)
    return Rome4(fiches, rome4.moves, rome4.children)


def _v3_uri(code: str) -> str:
    from ontology import uris

    return uris.rome_fiche(code)


@functools.cache
def load_rome4() -> Rome4:
    """ROME 4.0 with its derived skills (a few seconds; the catalogue gives the v3 skills)."""
    return derive_skills(read_rome4(), load_catalogue())
