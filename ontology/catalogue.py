"""The catalogue: every occupation, skill, grade and mobility of the knowledge base as plain Python objects.

This is the API that loaders, the simulator and the GNN code against; the RDF graph (`ontology.build`) is made
from the same objects. `load_catalogue()` builds it from data/sources/ once (about a minute: spaCy lemmatises
~25k skill labels) and caches it in `<data_dir>/ontology/catalogue.pkl`, keyed by the sources' sizes and dates.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from ontology import uris
from ontology.sources import SOURCES_DIR
from vivier.once import once
from vivier.settings import get_settings

CATALOGUE_FORMAT = 1  # bump when the objects' shape or the build rules change: invalidates the disk cache

SKILL_KINDS = ("connaissance", "savoir_faire", "savoir_etre", "rome_savoir", "rome_savoir_faire", "esco")
SCHEMES = ("RMFP", "ROME", "ESCO")
# NEG `code_FP` → versant. 110 = fonction publique territoriale (stated by the source); 510 and 610 carry the
# hospital corps (infirmiers, aides-soignants, AP-HP ouvriers) and match grilles_clean's "FONCTION PUBLIQUE
# HOSPITALIERE"; 800 carries the État corps (ministères, Cour des comptes). Other codes have no cadre / corps.
VERSANT_OF_CODE_FP = {"110": "FPT", "510": "FPH", "610": "FPH", "800": "FPE"}
VERSANT_LABELS = {
    "FPT": "Fonction publique territoriale",
    "FPE": "Fonction publique de l'État",
    "FPH": "Fonction publique hospitalière",
}


@dataclass(frozen=True)
class SkillConcept:
    uri: str
    label: str
    alt_labels: tuple[str, ...]
    kind: str  # one of SKILL_KINDS
    sources: tuple[str, ...]  # source identifiers merged into this concept


@dataclass(frozen=True)
class OccupationConcept:
    uri: str
    scheme: str  # "RMFP" | "ROME" | "ESCO"
    code: str
    label: str
    alt_labels: tuple[str, ...]  # for a ROME fiche: its appellations' labels
    family: str  # RMFP famille / ROME domaine / ISCO group label
    essential_skills: tuple[str, ...]  # skill URIs
    optional_skills: tuple[str, ...]
    domain: str = ""  # RMFP domaine fonctionnel / ROME grand domaine / ISCO major group
    family_code: str = ""  # ROME domaine code (e.g. K14) / ISCO group code


@dataclass(frozen=True)
class GradeConcept:
    uri: str
    code: str
    label: str
    cadre_uri: str
    cadre_code: str
    cadre_label: str
    categorie: str | None
    versant: str
    filiere: str | None
    indices: tuple[int, ...]  # indice by échelon (latest grille in grilles_clean.csv; it gives the indice brut)
    replaced_by: str | None = None  # NEG code of the successor grade (neg_grades_supp.csv)


@dataclass(frozen=True)
class Mobility:
    source_code: str  # ROME fiche codes
    target_code: str
    kind: str  # "proche" | "evolution"
    source_appellation: str | None
    target_appellation: str | None


@dataclass
class Catalogue:
    skills: dict[str, SkillConcept]  # by URI (after de-duplication)
    occupations: dict[str, OccupationConcept]  # by URI
    grades: dict[str, GradeConcept]  # by URI
    mobilities: list[Mobility]
    rmfp_to_rome: dict[str, list[str]]  # RMFP code -> ROME fiche codes (crosswalk)
    appellation_to_fiche: dict[str, str]  # OGR code -> ROME fiche code
    appellation_labels: dict[str, str] = field(default_factory=dict)  # OGR code -> libellé long
    skill_by_source: dict[str, str] = field(default_factory=dict)  # source identifier -> skill URI
    stats: dict[str, int] = field(default_factory=dict)  # counts for the README and the tests

    def occupation(self, scheme: str, code: str) -> OccupationConcept:
        uri = _occupation_uri(scheme, code)
        try:
            return self.occupations[uri]
        except KeyError:
            raise KeyError(f"no {scheme} occupation with code {code!r} in the catalogue") from None

    def occupations_of(self, scheme: str) -> list[OccupationConcept]:
        return [o for o in self.occupations.values() if o.scheme == scheme]

    def grade(self, neg_code: str) -> GradeConcept:
        try:
            return self.grades[uris.grade(neg_code)]
        except KeyError:
            raise KeyError(f"no grade with NEG code {neg_code!r} in the catalogue") from None


def _occupation_uri(scheme: str, code: str) -> str:
    minters = {"RMFP": uris.rmfp_emploi, "ROME": uris.rome_fiche, "ESCO": uris.esco_occupation}
    if scheme not in minters:
        raise KeyError(f"unknown occupation scheme {scheme!r} (expected one of {', '.join(SCHEMES)})")
    return minters[scheme](code)


def sources_fingerprint(sources_dir: Path = SOURCES_DIR) -> str:
    digest = hashlib.sha1(f"format={CATALOGUE_FORMAT}".encode())
    for module in ("catalogue", "collect", "skills", "sources", "text", "uris"):  # the build rules are part of the key
        digest.update((Path(__file__).parent / f"{module}.py").read_bytes())
    for path in sorted(p for p in sources_dir.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(sources_dir)}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()


def cache_path() -> Path:
    return get_settings().data_dir / "ontology" / "catalogue.pkl"


@once
def load_catalogue() -> Catalogue:
    """The catalogue, from the disk cache when the sources have not changed, else built (and cached), once per
    process: concurrent first callers (a server's request threads) wait for that one build."""
    return _load_or_build()


def _load_or_build() -> Catalogue:
    path, fingerprint = cache_path(), sources_fingerprint()
    if path.exists():
        try:
            with path.open("rb") as handle:
                cached_fingerprint, catalogue = pickle.load(handle)
            if cached_fingerprint == fingerprint and isinstance(catalogue, Catalogue):
                return catalogue
        except (pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            pass  # a stale or truncated cache is rebuilt
    from ontology.collect import build_catalogue

    catalogue = build_catalogue()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")  # concurrent builders (tests, CLI) must not share a temp file
    with tmp.open("wb") as handle:
        pickle.dump((fingerprint, catalogue), handle, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return catalogue
