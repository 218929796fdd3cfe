"""French inclusive writing read as the masculine form the nomenclatures and the skill labels use.

Offers write « attaché(e) principal(e) », « rédacteur·rice », « chargé.e de mission », « technicien-ne »,
« attaché/e »: the suffix glued to the word hides it from every lexical match (the grade nomenclature writes
« Attache principal », the tokenizer keeps « principal(e » and « ) » apart). `masculine` removes those suffixes from
a text (used on the accent-folded text the statutory rules read); the tokenizer's norm component reads a token
without its suffix and merges the tokens it splits (`loaders.nlp`), so that the text's offsets stay as written.

A suffix counts only right after a letter and before a non-letter, and only the feminine and plural endings
(e, ne, le, se, ve, fe, rice, trice, euse, es, s, x): « et/ou », « e-mail », « Île-de-France », « km/h » are left
alone. The dotted form (« chargé.e ») is lower case only, so that a sentence ending before « Ne » is not read as one.
"""

from __future__ import annotations

import re

INCLUSIVE_ENDINGS = frozenset(["e", "ne", "le", "se", "ve", "fe", "rice", "trice", "euse"])
_ENDINGS = r"(?:" + "|".join(sorted(INCLUSIVE_ENDINGS, key=len, reverse=True)) + r")"
SUFFIX = re.compile(
    r"(?<=[^\W\d_])"
    r"(?:\((?i:" + _ENDINGS + r"|es|s|x)\)(?:s\b)?"  # attaché(e), agent(e)s, principal(e)
    r"|[·•⋅∙](?i:" + _ENDINGS + r")(?:[·•⋅∙.]?(?i:s))?"  # rédacteur·rice, agent·e·s
    r"|\.(?-i:" + _ENDINGS + r")(?:\.s)?"  # chargé.e, agent.e.s
    r"|/(?i:" + _ENDINGS + r")"  # attaché/e, directeur/rice
    r"|-(?i:e|ne|rice|trice|euse))"  # technicien-ne
    r"(?![^\W_])"
)


def masculine(text: str) -> str:
    """The text with inclusive-writing suffixes removed (« attaché(e) hors classe » → « attaché hors classe »)."""
    if not any(mark in text for mark in "(·•⋅∙./-"):
        return text
    return SUFFIX.sub("", text)
