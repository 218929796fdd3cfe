"""Personal data out, pseudonyms in. A candidate's id is a keyed HMAC of where it comes from and the
exporter's reference, stable across loads; names, e-mails, phones, postal addresses and birth dates are
replaced in free text by placeholders before anything is stored."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

from vivier.settings import get_settings

EMAIL = re.compile(r"[\w.+-]+\s?(?:@|\[at\]|\(at\))\s?[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# French numbers (0X XX XX XX XX, +33 (0)X…, 0033…) in any spacing or punctuation.
PHONE = re.compile(r"(?<![\w])(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?|0)[1-9](?:[\s.\-/]?\d{2}){4}(?!\d)")
URL = re.compile(r"\b(?:https?://|www\.)\S+|\blinkedin\.com/\S+", re.IGNORECASE)
STREET = re.compile(
    r"\b\d{1,4}\s?(?:bis|ter|b)?,?\s+(?:rue|avenue|av\.?|boulevard|bd|bld|place|chemin|impasse|allée|allee|route|"
    r"quai|cours|square|résidence|residence|lotissement|lieu[- ]dit|voie|passage|sentier|rond-point|hameau|faubourg)"
    r"\b[^\n,;]{0,60}",
    re.IGNORECASE,
)
POSTAL_CITY = re.compile(r"\b(?:\d{5}|\d{2}\s\d{3})\s+[A-ZÉÈÀÂÎÔÛa-zéèêàâîôûç'\- ]{2,40}")
BIRTH = re.compile(
    r"(?:n[ée]e?\s+le|date\s+de\s+naissance|naissance|born(?:\s+on)?|DOB)\s*:?\s*"
    r"(?:\d{1,2}[\s/.\-]\d{1,2}[\s/.\-]\d{2,4}|\d{1,2}(?:er)?\s+[a-zéû]+\s+\d{4}|\d{4}-\d{2}-\d{2})"
    r"(?:\s+(?:à|a)\s+[A-ZÉ][\w\-']+(?:[\s\-][A-ZÉ][\w\-']+)*)?",
    re.IGNORECASE,
)
AGE = re.compile(r"\b\d{2}\s+ans\b(?=\s*(?:[,;\n)]|$))", re.IGNORECASE)
LABELLED_NAME = re.compile(r"(?:^|\n)\s*(?:nom(?:\s+et\s+pr[ée]nom)?|pr[ée]nom|name)\s*:\s*[^\n]+", re.IGNORECASE)


# Name particles are also French words ("Le Gall", "Da Silva"): removed with the whole name, never on their own.
PARTICLES = {
    "le",
    "la",
    "les",
    "de",
    "du",
    "des",
    "da",
    "di",
    "do",
    "dos",
    "van",
    "von",
    "der",
    "den",
    "el",
    "al",
    "ben",
    "bin",
    "mac",
    "mc",
    "st",
    "ste",
    "saint",
    "sainte",
}


def candidate_id(source: str, candidate_ref: str) -> str:
    key = get_settings().pseudonym_key.get_secret_value().encode()
    return hmac.new(key, f"{source}:{candidate_ref}".encode(), hashlib.sha256).hexdigest()


def scrub(text: str, names: Iterable[str] = (), phrases: Iterable[str] = ()) -> str:
    """Remove personal data from free text. `names` are the person's known names (JSON Resume basics, the CV's
    heading line): each of their words is removed wherever it appears. `phrases` (persons found by NER, less
    certain) are removed as whole phrases only."""
    text = EMAIL.sub("[email]", text)
    text = URL.sub("[lien]", text)
    text = BIRTH.sub("[date de naissance]", text)
    text = PHONE.sub("[téléphone]", text)
    text = STREET.sub("[adresse]", text)
    text = POSTAL_CITY.sub("[adresse]", text)
    text = LABELLED_NAME.sub("\n[nom]", text)
    text = AGE.sub("[âge]", text)
    for phrase in sorted({*phrases, *(n for n in names if n)}, key=len, reverse=True):
        text = re.sub(rf"(?<![\w]){re.escape(phrase)}(?![\w])", "[nom]", text)
    for word in _name_words(names):
        text = re.sub(rf"(?<![\w]){re.escape(word)}(?![\w])", "[nom]", text, flags=re.IGNORECASE)
    return text


def _name_words(names: Iterable[str]) -> list[str]:
    words: set[str] = set()
    for name in names:
        for word in re.split(r"[\s,]+", name or ""):
            word = word.strip(".-'’()")
            if len(word) >= 2 and not word.isdigit() and word.lower() not in PARTICLES:
                words.add(word)
                words.update(part for part in word.split("-") if len(part) >= 2)
    return sorted(words, key=len, reverse=True)  # longest first so that "Jean-Pierre" goes before "Jean"
