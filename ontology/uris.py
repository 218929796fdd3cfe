"""URI minting for every concept of the knowledge base.

One function per kind of concept, so that every package (loaders, simulator, API) mints the same URI for the same
source identifier. Codes are percent-encoded: some ROME / NEG codes carry characters that are not URI-safe.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

BASE = "https://id.vivier.fr/"
VOCAB = "https://id.vivier.fr/vocab#"
ESCO_PREFIX = "http://data.europa.eu/esco/"


def _mint(kind: str, code: str) -> str:
    code = str(code).strip()
    if not code:
        raise ValueError(f"cannot mint a {kind} URI from an empty code")
    return f"{BASE}{kind}/{quote(code, safe='')}"


def repertory(code: str) -> str:
    """A concept scheme: RMFP, ROME, ESCO, NEG, FAP, PCS."""
    return _mint("scheme", code.upper())


def rmfp_domaine(slug: str) -> str:
    return _mint("rmfp/domaine", slug)


def rmfp_famille(slug: str) -> str:
    return _mint("rmfp/famille", slug)


def rmfp_emploi(code: str) -> str:
    """RMFP emploi-référence, e.g. FPEAS001."""
    return _mint("rmfp/emploi", code.upper())


def rome_grand_domaine(code: str) -> str:
    return _mint("rome/grand-domaine", code.upper())


def rome_domaine(code: str) -> str:
    return _mint("rome/domaine", code.upper())


def rome_fiche(code: str) -> str:
    """ROME fiche, e.g. K1401."""
    return _mint("rome/fiche", code.upper())


def rome_appellation(ogr: str) -> str:
    return _mint("rome/appellation", ogr)


def rome_item(ogr: str) -> str:
    """A ROME savoir or activité (savoir-faire) item, by its OGR code (source identifier, before de-duplication)."""
    return _mint("rome/item", ogr)


def _esco_id(esco_uri_or_id: str) -> str:
    value = esco_uri_or_id.strip()
    return value[len(ESCO_PREFIX) :] if value.startswith(ESCO_PREFIX) else value


def esco_occupation(esco_uri_or_id: str) -> str:
    """ESCO occupation, from its official URI (http://data.europa.eu/esco/occupation/<uuid>) or its uuid."""
    value = _esco_id(esco_uri_or_id)
    return _mint("esco/occupation", value.removeprefix("occupation/"))


def esco_skill(esco_uri_or_id: str) -> str:
    value = _esco_id(esco_uri_or_id)
    return _mint("esco/skill", value.removeprefix("skill/"))


def isco_group(code: str) -> str:
    return _mint("esco/isco", code)


def skill(key: str) -> str:
    """A de-duplicated skill concept, minted from its normalised key (stable as long as the key is)."""
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
    return _mint("skill", digest)


def grade(neg_code: str) -> str:
    """NEG grade (code_grade_NEG)."""
    return _mint("grade", neg_code)


def cadre_emplois(code_cadre_corps: str) -> str:
    """Cadre d'emplois (FPT) or corps (FPE, FPH), by code_cadre_corps."""
    return _mint("cadre", code_cadre_corps)


def filiere(slug: str) -> str:
    return _mint("filiere", slug)


def categorie(letter: str) -> str:
    """Catégorie A, B, C (and D, abolished in the 1990s but present in old NEG grades)."""
    return _mint("categorie", letter.upper())


def versant(code: str) -> str:
    """FPT, FPE, FPH."""
    return _mint("versant", code.upper())


def fap(code: str) -> str:
    return _mint("fap", code.upper())


def pcs(code: str) -> str:
    return _mint("pcs", code.lower())


def vocab(term: str) -> str:
    return f"{VOCAB}{term}"


def rome4_fiche(code: str) -> str:
    """ROME 4.0 fiche, e.g. K1401 (a v3 code kept in v4 names two concepts: one per edition)."""
    return _mint("rome4/fiche", code.upper())


def rome4_appellation(ogr: str) -> str:
    return _mint("rome4/appellation", ogr)
