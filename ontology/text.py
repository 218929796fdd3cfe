"""Folding and slugs of French text: the one home of the forms every layer matches labels and builds keys by.

There are three folds because three layers have always folded differently, and what they fold is stored or
generated from them (the ontology's URIs and `label_folded` properties, the loaders' employer ids and column keys,
the simulator's data sets): each keeps its exact behaviour under its own name.

=====================  ===========================  ===========================  ==================
                       `fold` (ontology, graph)      `fold_compat` (loaders)      `fold_accents`
                                                                                  (simulator)
=====================  ===========================  ===========================  ==================
accents                removed                      removed                      removed
upper case             lowered                      lowered                      lowered
’ ‘ `                  → '                          ’ → ' (‘ and ` kept)         kept
œ Œ / æ                → oe / ae (Æ → æ)            → oe / kept                  kept
ﬁ, ², ½, no-break sp.  kept                         → fi, 2, 1⁄2, space (NFKD)   kept
whitespace             runs → one space, stripped   kept                         kept
=====================  ===========================  ===========================  ==================

`slug` (ontology URIs: `-` between words, from `fold`) and `snake_slug` (loaders' keys: `_`, from `fold_compat`)
keep only ``a-z0-9`` runs.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata

# Typographic apostrophes and the French ligatures, as `fold` unifies them (applied before lowering, so that "Æ"
# stays "æ"); `ontology.skills.lemma_keys` applies it to labels before spaCy reads them.
TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "`": "'", "œ": "oe", "Œ": "oe", "æ": "ae"})


def fold(text: str) -> str:
    """Lower case, accents removed, apostrophes unified, whitespace collapsed: the search form of a label."""
    text = unicodedata.normalize("NFD", text.translate(TYPOGRAPHY).lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", text).strip()


def fold_compat(text: str) -> str:
    """Lower case, accents removed, typographic apostrophes unified, compatibility forms decomposed (NFKD:
    ligatures such as "ﬁ", superscripts, no-break spaces), whitespace kept: the key for matching French labels
    in loaded records."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("œ", "oe").replace("Œ", "oe"))
    return text.lower() if text.isascii() else text.translate(_combining_marks()).lower()


@functools.cache
def _combining_marks() -> dict[int, None]:
    """A `str.translate` table that deletes every combining character (accents once NFKD has split them off)."""
    return {code: None for code in range(sys.maxunicode + 1) if unicodedata.combining(chr(code))}


def fold_accents(text: str) -> str:
    """Lower case without accents, nothing else: the simulator's keyword matching."""
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


def slug(text: str) -> str:
    """The `-`-separated ``a-z0-9`` form of `fold(text)`: the last segment of the ontology's URIs."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def snake_slug(text: str) -> str:
    """The `_`-separated ``a-z0-9`` form of `fold_compat(text)`: the loaders' keys (column names, aliases, ids)."""
    return re.sub(r"[^a-z0-9]+", "_", fold_compat(text)).strip("_")
