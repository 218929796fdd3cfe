"""Personal data out, pseudonyms in. A candidate's id is a keyed HMAC of where it comes from and the
exporter's reference, stable across loads; names, e-mails, phones, postal addresses and birth dates are
replaced in free text by placeholders before anything is stored."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Iterable

from vivier.settings import Settings, get_settings

log = logging.getLogger(__name__)
DEMO_KEY_WARNING = (
    "VIVIER_PSEUDONYM_KEY is not set: candidate pseudonyms use Vivier's public demo key, so anyone holding a "
    "candidate reference can recompute its id. Fine for the demo and tests; set VIVIER_PSEUDONYM_KEY to a secret "
    "before loading real CVs (changing it later gives every candidate a new id)."
)
_warned = False  # once per process: a load of 5,000 CVs says it once, not 5,000 times

EMAIL = re.compile(r"[\w.+-]+\s?(?:@|\[at\]|\(at\))\s?[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# French numbers (0X XX XX XX XX, +33 (0)X…, 0033…) in any spacing or punctuation.
PHONE = re.compile(r"(?<![\w])(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?|0)[1-9](?:[\s.\-/]?\d{2}){4}(?!\d)")
URL = re.compile(r"\b(?:https?://|www\.)\S+|\blinkedin\.com/\S+", re.IGNORECASE)
STREET = re.compile(
    r"\b\d{1,4}\s?(?:bis|ter|b)?,?\s+(?:grande?\s+|grand['’]\s*)?"  # "12 Grande Rue"
    r"(?:rue|avenue|av\.?|boulevard|bd|bld|place|chemin|impasse|allée|allee|route|"
    r"quai|cours|square|résidence|residence|lotissement|lieu[- ]dit|voie|passage|sentier|rond-point|hameau|faubourg)"
    r"\b[^\n,;]{0,60}",
    re.IGNORECASE,
)
# Rural addresses have no number: « Lieu-dit La Borie, 24750 Trélissac », « Hameau de Vaux ».
NUMBERLESS_STREET = re.compile(r"\b(?:lieu[- ]?dit|hameau)\s+[^\n,;]{2,60}", re.IGNORECASE)
POSTAL_CITY = re.compile(r"\b(?:\d{5}|\d{2}\s\d{3})\s+[A-ZÉÈÀÂÎÔÛa-zéèêàâîôûç'\- ]{2,40}")
# A postal code on its own ("Brest (29200)", "CP : 75013"): in a CV a lone five-digit number from 01000 to 98999 is
# an address far more often than anything else; amounts and counts followed by their unit are kept.
POSTAL_CODE = re.compile(
    r"(?:\b(?:code\s+postal|CP)\s*:?\s*\d{2}\s?\d{3}\b)"
    r"|(?<![\w.,])(?:0[1-9]|[1-8]\d|9[0-8])\d{3}(?![\w,.]|\s*(?:€|euros?\b|k€|habitants|agents|heures|h\b|km|%))",
    re.IGNORECASE,
)
# In the contact block (lines near a phone or an e-mail), what comes before « 12330 Salles-la-Source » is the street
# part of the address, whatever its words: « Le Bourg », « La Grange Neuve, », « Résidence Les Capucines, appt 12 – ».
CONTACT_POSTAL = re.compile(r"(?<![\w.,])(?:\d{5}|\d{2}\s\d{3})\s+[A-ZÉÈÂÎÔ]")
CONTACT_SEPARATOR = re.compile(r"\s[–—|/•·-]\s|\t|\s{3,}|:\s")
# A line above a line-initial postal code is taken only if it reads as an address, not as a job title.
ADDRESS_LINE = re.compile(
    r"^\s*(?:\S*\d|(?:le|la|les|l['’]|chez|domaine|résidence|residence|quartier|cité|cite|bâtiment|bât\.?|"
    r"mas|ferme|moulin|clos|villa|lotissement|ZA|ZAC|BP)\s)",
    re.IGNORECASE,
)
_DATE = r"(?:\d{1,2}[\s/.\-]\d{1,2}[\s/.\-]\d{2,4}|\d{1,2}(?:er)?\s+[a-zéû]+\s+\d{4}|\d{4}-\d{2}-\d{2})"
# A birthplace: capitalised words joined by spaces, hyphens or "sur", "de"… ("Boulogne sur Mer"), then maybe "(29)".
# Case-sensitive inside the case-insensitive BIRTH, or it would eat the lower-case words that follow the city.
_PLACE = (
    r"(?-i:[A-ZÉÈÂÎÔ][\w'’]*(?:(?:[ \t\-](?:sur|sous|en|de|du|des|la|le|les|lès|l'|d'))*[ \t\-][A-ZÉÈÂÎÔ][\w'’]*)*)"
    r"(?:\s*\((?:\d{2,3}|2[AB])\))?"
)
_BORN = r"\bn[ée]{1,2}(?:\(e\))?"  # né, née, nee, né(e)
BIRTH = re.compile(
    rf"(?:{_BORN}\s+le|date\s+(?:et\s+lieu\s+)?de\s+naissance|naissance|born(?:\s+on)?|DOB)\s*:?\s*{_DATE}"
    rf"(?:\s*,?\s+(?:à|a|in)\s+{_PLACE})?"
    rf"|{_BORN}\s+(?:en\s+\d{{4}}\s+)?(?:à|a)\s+{_PLACE}(?:\s*,?\s+le\s+{_DATE})?"  # "née à Quimper le 3 mars 1990"
    rf"|(?:lieu|ville|commune)\s+de\s+naissance\s*:?\s*{_PLACE}"
    rf"|\bborn\s+in\s+{_PLACE}",
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


def uses_demo_key() -> bool:
    default = Settings.model_fields["pseudonym_key"].default
    return bool(get_settings().pseudonym_key.get_secret_value() == default.get_secret_value())


def warn_if_demo_key(show: Callable[[str], None] | None = None) -> bool:
    """Say once per process, through `show` (a shell's console) or else the log, that the demo key is in use:
    the demo works without a key, but pseudonyms made with a public key protect nobody. True when it said so."""
    global _warned
    if _warned or not uses_demo_key():
        return False
    _warned = True
    (show or log.warning)(DEMO_KEY_WARNING)
    return True


def candidate_id(source: str, candidate_ref: str) -> str:
    warn_if_demo_key()
    key = get_settings().pseudonym_key.get_secret_value().encode()
    return hmac.new(key, f"{source}:{candidate_ref}".encode(), hashlib.sha256).hexdigest()


def scrub(text: str, names: Iterable[str] = (), phrases: Iterable[str] = ()) -> str:
    """Remove personal data from free text. `names` are the person's known names (JSON Resume basics, the CV's
    heading line): each of their words is removed wherever it appears. `phrases` (persons found by NER, less
    certain) are removed as whole phrases only."""
    lower = text.lower()
    if "@" in text or "at)" in lower or "at]" in lower:  # the e-mail pattern is slow to scan
        text = EMAIL.sub("[email]", text)
    text = URL.sub("[lien]", text)
    text = BIRTH.sub("[date de naissance]", text)
    text = _contact_block_addresses(text)
    text = PHONE.sub("[téléphone]", text)
    text = STREET.sub("[adresse]", text)
    text = NUMBERLESS_STREET.sub("[adresse]", text)
    text = POSTAL_CITY.sub("[adresse]", text)
    text = POSTAL_CODE.sub("[adresse]", text)
    text = LABELLED_NAME.sub("\n[nom]", text)
    text = AGE.sub("[âge]", text)
    names = tuple(n for n in names if n)
    if whole := _whole_phrases(frozenset({*(p for p in phrases if p), *names})):
        text = whole.sub("[nom]", text)
    if words := _name_word_pattern(names):
        text = words.sub("[nom]", text)
    return text


def _contact_block_addresses(text: str) -> str:
    """Replace the street part of the person's address, read by its place in the contact block rather than by its
    words: rural and residence addresses have no street word and no number to match."""
    lines = text.split("\n")
    contact = [i for i, line in enumerate(lines) if "@" in line or PHONE.search(line)]
    for i in sorted({j for c in contact for j in range(c - 2, c + 3) if 0 <= j < len(lines)}):
        postal = CONTACT_POSTAL.search(lines[i])
        if not postal:
            continue
        before = lines[i][: postal.start()].rstrip(" ,")
        cuts = [0, *(m.end() for m in CONTACT_SEPARATOR.finditer(before))]
        start = max(cut for cut in cuts if cut < len(before)) if before.strip() else 0
        if before[start:].strip(" ,–—|/•·-"):
            lines[i] = f"{before[:start]}[adresse], {lines[i][postal.start() :]}"
            continue
        above = next((k for k in range(i - 1, max(i - 3, -1), -1) if lines[k].strip()), None)
        if not before.strip() and above is not None and len(lines[above]) <= 60 and ADDRESS_LINE.match(lines[above]):
            lines[above] = "[adresse]"
    return "\n".join(lines)


# One pattern for all of a person's names, compiled once per person: a CV's text, declared skills and every job
# title are scrubbed with the same names, and one alternation scans a text once where a pattern per name did not.
@functools.lru_cache(maxsize=1024)
def _whole_phrases(phrases: frozenset[str]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    longest_first = sorted(phrases, key=lambda phrase: (-len(phrase), phrase))
    return re.compile(rf"(?<![\w])(?:{'|'.join(map(re.escape, longest_first))})(?![\w])")


@functools.lru_cache(maxsize=1024)
def _name_word_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    words = _name_words(names)
    if not words:
        return None
    return re.compile(rf"(?<![\w])(?:{'|'.join(map(re.escape, words))})(?![\w])", re.IGNORECASE)


def _name_words(names: Iterable[str]) -> list[str]:
    words: set[str] = set()
    for name in names:
        for word in re.split(r"[\s,]+", name or ""):
            word = word.strip(".-'’()")
            if len(word) >= 2 and not word.isdigit() and word.lower() not in PARTICLES:
                words.add(word)
                words.update(part for part in word.split("-") if len(part) >= 2)
    return sorted(words, key=len, reverse=True)  # longest first so that "Jean-Pierre" goes before "Jean"
