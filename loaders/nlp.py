"""French text understanding with spaCy: one pipeline (`fr_core_news_md` tokenizer + a norm component) and
one cached `PhraseMatcher` over the ontology's skill labels and the grade nomenclature, run with `nlp.pipe`.

The matcher compares *lemmas*: each token's norm is its lemma in spaCy's French lookup table
(`spacy-lookups-data`), accent-folded, with articles and prepositions mapped to one token, so "il coordonne les
activités d'une équipe" meets the label "Coordonner l'activité d'une équipe". Why the lookup table and not the
statistical lemmatiser: on the 652 real offers, `fr_core_news_md` with tok2vec, morphologizer and lemmatizer runs
at ~50 offers/s on one core; the tokenizer alone at ~1,000. Light rules (plural, "-ez", feminine job titles) cover
words the table lacks. Paraphrases are caught by a similarity fallback: each clause of the text against every skill
label, by the cosine of TF-IDF vectors of their lemma norms."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

import numpy as np
import spacy
from spacy.attrs import IS_PUNCT, IS_SPACE, LOWER, NORM, SPACY
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from loaders.inclusive import INCLUSIVE_ENDINGS, masculine
from loaders.occupations import OccupationClassifier
from loaders.records import OccupationScore, SkillMention, TextAnalysis
from loaders.skill_ranker import (
    SIMILARITY_TRUST,
    Candidates,
    Closest,
    Hit,
    LabelIndex,
    SkillRanker,
    candidate_rows,
)
from loaders.statutory import statutory_facts
from ontology.text import fold_compat
from vivier.once import once

if TYPE_CHECKING:
    from ontology.catalogue import Catalogue

MODEL = "fr_core_news_md"
GLUE_WORDS = {"de", "des", "du", "d", "la", "le", "les", "l", "un", "une", "au", "aux", "en", "a", "et", "ou", "pour"}
# Grade labels write "2eme classe", texts "2e classe" or "deuxième classe".
ORDINALS = {
    "1er": "1e",
    "1ere": "1e",
    "1re": "1e",
    "premiere": "1e",
    "premier": "1e",
    "2eme": "2e",
    "deuxieme": "2e",
    "2nde": "2e",
    "3eme": "3e",
    "troisieme": "3e",
}
FEMININE = (("trice", "teur"), ("euse", "eur"), ("ienne", "ien"), ("iere", "ier"), ("ale", "al"))
VERB_ENDINGS = ("er", "ir", "re")
PARTICIPLE_ENDINGS = ("é", "ée", "és", "ées")
# Similarity fallback: each clause (a line, a bullet, a list item between commas) against every skill label, by the
# cosine of TF-IDF vectors of their lemma norms; the best label at or above the threshold gives a mention. 0.6 was
# chosen among 0.4–0.8 on the 40 development offers of data/gold/skills-offers.jsonl (5-fold cross-validated choice:
# docs/ingestion.md); below it most pairs name another skill.
SIMILARITY_THRESHOLD = 0.6
# Such mentions are less often right than the matcher's (docs/ingestion-figures.md): their confidence says so.
# (SIMILARITY_TRUST = 0.6, in loaders.skill_ranker, which writes mentions too)
# Clauses of 2 to 14 content words: longer ones are sentences about the service, not one skill; one word alone is
# mostly a heading ("Missions", "Profil"), and the matcher already reads one-word skills ("Rigueur").
MIN_SEGMENT_WORDS, MAX_SEGMENT_WORDS = 2, 14
BATCH = 64  # texts tokenised, then compared with the skill labels, together
# The ranker's candidates (loaders/skill_ranker.py): the 5 labels closest to each clause of 2 to 14 content words,
# from a cosine of 0.2, and the skills of the text's 6 best occupations as a prior.
CANDIDATE_LABELS, CANDIDATE_FLOOR, OCCUPATION_PRIOR = 5, 0.2, 6
# Sub-clauses (a clause's parts between « et », « ou », brackets, dashes) as candidates too: development F1 35.1 %
# against 29.7 % without, but 1–1.4 ms more per offer, below the ≥ 200 offers/s bar (docs/ingestion.md): off.
SUB_CLAUSES = False
SPLIT_MARKS = frozenset(["/", "-"])  # inclusive writing the tokenizer splits: "directeur/trice", "technicien-ne"
SUB_CLAUSE_TEXT = re.compile(r"\b(?:et|ou)\b|[()/–-]", re.IGNORECASE)
SUB_CLAUSE_BREAKS = frozenset(["et", "ou", "(", ")", "-", "–", "/"])
CLAUSE = re.compile(r"[^\n•;:.!?·*,]+")
# Words that open missions ("assurer le suivi de…", "vous participez à…") and say nothing of the skill itself.
MISSION_WORDS = frozenset(
    [
        *("assurer", "participer", "contribuer", "veiller", "garantir", "etre", "avoir", "pouvoir", "devoir"),
        *("permettre", "vous", "il", "elle", "nous", "titulaire", "poste", "agent", "charge", "chargee", "cadre"),
        *("ensemble", "different", "divers", "notamment", "sein", "lien", "tout"),
    ]
)
# A one-word label ("Contrôler", "Organisation", "Juridique") inside a longer clause is mostly a word of that clause,
# not the skill: on the development offers 3 of 4 such hits were wrong. Kept when the clause is that word and at
# most one other ("Polyvalence", "Grande disponibilité").
STANDALONE_WORDS = 2
# The RMFP's one-word savoir-faire are bare verbs (« Rédiger », « Former », « Accueillir »): in a clause of two words
# (« Rédaction de courriers », « Formation : BTS ») the object or the heading is what is meant, and the annotators link
# a more specific skill or none (the guidelines' « most specific skill »). Kept only when the clause is the verb.
BARE_VERB_KIND = "savoir_faire"
_norm_cache: dict[str, str] = {}


@dataclass(frozen=True)
class LemmaTables:
    written: dict[str, str]  # inflected form → lemma, as spaCy's table has them
    lemmas: frozenset[str]  # every lemma: a word that is one is left as it is
    folded: dict[str, str]  # accent-folded form → folded lemma, for texts typed without accents


@once
def lemma_tables() -> LemmaTables:
    """spaCy's French lookup lemmas (`spacy-lookups-data`: the table of the `lemmatizer` in lookup mode, 216,849
    forms). A folded form whose accented forms disagree ("marche" / "marché") is left out of the folded table."""
    import spacy_lookups_data
    from spacy.util import load_language_data

    raw = cast(dict[str, list[str]], load_language_data(spacy_lookups_data.fr["lemma_lookup"]))
    written = {form: lemmas[0] for form, lemmas in raw.items()}
    folded: dict[str, str | None] = {}
    for form, lemma in written.items():
        key, value = fold_compat(form), fold_compat(lemma)
        folded[key] = value if folded.get(key, value) == value else None
    clean = {form: lemma for form, lemma in folded.items() if lemma is not None}
    return LemmaTables(written, frozenset(written.values()), clean)


def lemma_of(lower: str) -> str:
    """The lookup lemma of a lower-case word, or the word itself when the table does not know it."""
    # spaCy's lookup-mode `lemmatizer` component looks `token.text` up as written: a capitalised "Gérez" opening a
    # line, or an unaccented "controle", would stay unlemmatised while the label's "Contrôle" is not. The folded
    # table only serves words the table does not know as written: "contrat" is a lemma, not the folded "contrât".
    tables = lemma_tables()
    lemma = tables.written.get(lower)
    if lemma is None:
        lemma = lower if lower in tables.lemmas else tables.folded.get(fold_compat(lower), lower)
    if lemma == lower or not lemma.endswith(VERB_ENDINGS):
        return lemma
    # Without a tagger the table cannot tell a noun or an adjective from a verb form. Past participles are mostly
    # adjectives in offers ("les postes proposés", "matériels commandés"), not the skill "Proposer": kept as
    # written. An "-s" form read as a verb is a plural noun ("ressources" is not "tu ressources": offers and CVs
    # never say "tu"): lemmatised as its singular, so that "ressources" and "ressource" agree.
    if lower.endswith(PARTICIPLE_ENDINGS):
        return lower
    if lower.endswith("s") and not lower.endswith("ss"):
        return lemma_of(lower[:-1])
    return lemma


def norm_word(lower: str) -> str:
    """The matching form of one lower-case token: its lookup lemma, accents folded, glue words merged; light rules
    (plural, "-ez", feminine) then cover words the lemma table lacks."""
    cached = _norm_cache.get(lower)
    if cached is not None:
        return cached
    word = fold_compat(lower).strip("'’")
    if word in ORDINALS:
        norm = ORDINALS[word]
    elif word in GLUE_WORDS:
        norm = "_"
    elif (plain := masculine(lower)) != lower:  # "attaché(e)", "rédacteur·rice": the masculine word's norm
        norm = norm_word(plain)
    else:
        norm = _light_rules(fold_compat(lemma_of(lower)).strip("'’"))
        norm = ACTION_VERBS.get(norm, norm)
    _norm_cache[lower] = norm
    return norm


# Nouns of action read as their verb: CVs and offers write « Rédaction des actes », « Instruction des demandes de
# permis de construire », the repertories « Rédiger des actes », « Instruire une demande de permis de construire ».
# Labels and texts share the norm, so a label written as a noun (« Gestion de la paie ») meets the verb too. What it
# gives on the skills gold, and the few nouns tried apart: docs/ingestion.md (CV rule group 26).
ACTION_VERBS = {
    "accompagnement": "accompagner", "accueil": "accueillir", "actualisation": "actualiser",
    "administration": "administrer", "amelioration": "ameliorer", "analyse": "analyser", "animation": "animer",
    "application": "appliquer", "archivage": "archiver", "classement": "classer", "conception": "concevoir",
    "conduite": "conduire", "constatation": "constater", "controle": "controler", "coordination": "coordonner",
    "creation": "creer", "definition": "definir", "developpement": "developper", "diffusion": "diffuser",
    "distribution": "distribuer", "elaboration": "elaborer", "encadrement": "encadrer", "entretien": "entretenir",
    "evaluation": "evaluer", "execution": "executer", "facturation": "facturer", "formation": "former",
    "gestion": "gerer", "information": "informer", "installation": "installer", "instruction": "instruire",
    "liquidation": "liquider", "livraison": "livrer", "maintenance": "maintenir", "mandatement": "mandater",
    "manipulation": "manipuler", "mise": "mettre", "montage": "monter", "negociation": "negocier",
    "nettoyage": "nettoyer", "numerisation": "numeriser", "optimisation": "optimiser", "organisation": "organiser",
    "orientation": "orienter", "participation": "participer", "passation": "passer", "pilotage": "piloter",
    "planification": "planifier", "preparation": "preparer", "prise": "prendre", "programmation": "programmer",
    "realisation": "realiser", "reception": "receptionner", "recouvrement": "recouvrer", "recrutement": "recruter",
    "redaction": "rediger", "relecture": "relire", "saisie": "saisir", "sensibilisation": "sensibiliser",
    "suivi": "suivre", "supervision": "superviser", "surveillance": "surveiller", "tenue": "tenir",
    "traitement": "traiter", "utilisation": "utiliser", "verification": "verifier",
}  # fmt: skip


def _light_rules(word: str) -> str:
    """Endings the lemma table leaves: words it lacks (unaccented, rare) and feminines it keeps ("principale")."""
    if len(word) > 4 and word.endswith("ez"):  # offers say "vous gérez", skill labels "gérer"
        norm = word[:-2] + "er"
    elif len(word) > 3 and word.endswith("aux"):
        norm = word[:-3] + "al"
    elif len(word) > 3 and word[-1] in "sx" and not word.endswith("ss"):
        norm = word[:-1]
    else:
        norm = word
    for feminine, male in FEMININE:  # grade and job labels are masculine, CVs often feminine
        if len(norm) > len(feminine) + 2 and norm.endswith(feminine):
            norm = norm[: -len(feminine)] + male
            break
    return norm


@Language.component("vivier_norm")
def vivier_norm(doc: Doc) -> Doc:
    """Every token's norm is `norm_word` of its lower-case form; inclusive writing is merged into one token. Read
    and written through the doc's arrays rather than one Python `Token` per word (docs/ingestion.md, Throughput)."""
    if not len(doc):
        return doc
    words = doc.to_array([LOWER, SPACY])
    norms = _NormTable.of(doc.vocab)
    norm_column = np.fromiter(map(norms.norm, words[:, 0].tolist()), dtype=np.uint64, count=len(doc))
    doc.from_array([NORM], cast(Any, norm_column.reshape(-1, 1)))
    pieces = [i for i in norms.marked(words[:, 0]) if _splits_a_word(i, words, norms.is_mark(words[i, 0]))]
    if pieces:
        _merge_inclusive(doc, pieces)
    return doc


def _splits_a_word(i: int, words: np.ndarray, mark: bool) -> bool:
    """A "/" or "-" glued to the token before and after it (not "H / F"), or a token "chargé(e" ending in an
    inclusive ending after its bracket."""
    if not mark:
        return True
    return i > 0 and not words[i - 1, 1] and not words[i, 1]


class _NormTable:
    """The norm of each lower-case form the vocabulary has seen, by their string-store hashes, and which forms may
    be a piece of inclusive writing (`vivier_norm`)."""

    _of_vocab: ClassVar[dict[int, tuple[Any, _NormTable]]] = {}

    def __init__(self, strings: Any) -> None:
        self.strings = strings
        self.norms: dict[int, int] = {}
        self.marks: set[int] = set()  # "/" and "-"
        self.pieces: set[int] = set()  # the marks, and "chargé(e": a word, a bracket and an inclusive ending

    @classmethod
    def of(cls, vocab: Any) -> _NormTable:
        known = cls._of_vocab.get(id(vocab))
        if known is None:  # the vocab is kept with its table, so that its id is not reused
            known = cls._of_vocab[id(vocab)] = (vocab, cls(vocab.strings))
        return known[1]

    def norm(self, lower: int) -> int:
        norm = self.norms.get(lower)
        if norm is None:
            text = self.strings[lower]
            norm = self.norms[lower] = self.strings.add(norm_word(text))
            if text in SPLIT_MARKS:
                self.marks.add(lower)
            if text in SPLIT_MARKS or ("(" in text and text.rpartition("(")[2] in INCLUSIVE_ENDINGS):
                self.pieces.add(lower)
        return norm

    def marked(self, lowers: np.ndarray) -> list[int]:
        """The positions of the forms that may be a piece of inclusive writing (rare: most texts have none)."""
        pieces = self.pieces.intersection(lowers.tolist())
        if not pieces:
            return []
        return np.flatnonzero(np.isin(lowers, np.fromiter(pieces, dtype=np.uint64))).tolist()

    def is_mark(self, lower: int) -> bool:
        return int(lower) in self.marks


def _merge_inclusive(doc: Doc, pieces: list[int]) -> None:
    """One token for a word and its inclusive-writing suffix, which the tokenizer splits (« chargé(e » « ) »,
    « directeur » « / » « trice », « technicien » « - » « ne »), so that « chargé(e) de mission » is three words
    for the matcher, as written; its norm is the masculine's. From the tokens, not `doc.text` (rebuilding the text
    of every document cost more than the rest of the norm component)."""
    spans = []
    for i in pieces:
        token = doc[i]
        if token.lower_ in SPLIT_MARKS:  # "/" or "-" glued between a word and an ending
            if _glued_ending(doc, i):
                spans.append(doc[i - 1 : i + 2])
        elif i < len(doc) - 1 and doc[i + 1].text == ")" and not token.whitespace_:  # "chargé(e" + ")"
            spans.append(doc[i : i + 2])
    if spans:
        with doc.retokenize() as retokenizer:
            for span in filter_spans(spans):
                retokenizer.merge(span, attrs={"NORM": norm_word(span.text.lower())})


def _glued_ending(doc: Doc, i: int) -> bool:
    """Whether the mark at `i` joins a word and a feminine ending with no space: « directeur/trice »."""
    if not 0 < i < len(doc) - 1 or doc[i - 1].whitespace_ or doc[i].whitespace_:
        return False
    return doc[i - 1].is_alpha and doc[i + 1].lower_ in INCLUSIVE_ENDINGS


@once
def pipeline() -> Language:
    """The shared pipeline: tokenizer, then the lemma norm component; statistical components excluded (see above)."""
    nlp = load_spacy(exclude=["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "ner"])
    nlp.add_pipe("vivier_norm")
    return nlp


@once
def ner_pipeline() -> Language:
    """Only for CVs: the statistical NER finds person names to remove (speed matters less there)."""
    # The NER of fr_core_news_md has its own embedding layer: the shared tok2vec is not needed (4x faster).
    return load_spacy(exclude=["tok2vec", "parser", "lemmatizer", "morphologizer", "attribute_ruler"])


def load_spacy(exclude: list[str]) -> Language:
    """`fr_core_news_md` without the components `exclude` names, its tokenizer's `token_match` remembered per string
    (`MemoisedMatch`)."""
    nlp = spacy.load(MODEL, exclude=exclude)
    tokenizer = cast(Tokenizer, nlp.tokenizer)
    match = tokenizer.token_match
    if match is not None and hasattr(getattr(match, "__self__", None), "pattern"):
        tokenizer.token_match = MemoisedMatch(match)
    return nlp


class MemoisedMatch:
    """The French tokenizer's `token_match`, remembered per string. It is one regular expression of several hundred
    alternatives (hyphenated and elided words), which the tokenizer tries on every piece of text it splits, its own
    cache notwithstanding: about 60 % of the tokenizer's time on CV texts (docs/ingestion.md). It is a pure
    function of the string, so the tokens are the same (tests/test_text_understanding.py); the tokenizer reads only
    whether it matched."""

    LIMIT = 1 << 19  # strings remembered before starting afresh: under a hundred megabytes

    def __init__(self, match: Any) -> None:
        self.__self__ = match.__self__  # spaCy saves a token_match as `token_match.__self__.pattern`
        self._match = match
        self._known: dict[str, bool] = {}

    def __call__(self, text: str) -> bool:
        known = self._known.get(text)
        if known is None:
            if len(self._known) >= self.LIMIT:
                self._known.clear()
            known = self._known[text] = self._match(text) is not None
        return known


# A tool or a licence as people write it: the repertories' « Logiciel InDesign », « Système d'exploitation Linux »
# and « Permis de conduire B » are « InDesign », « Linux » and « Permis B » in CVs. Tool names that are also common
# words are left out, and so are lists and notes (« StopMotion / iStopMotion », « Gantt Project (Gestion) »).
TOOL_LABEL = re.compile(
    r"^(?:(?:[Ll]ogiciels?|[Pp]rogiciels?)(?: professionnels?)? (?P<tool>[A-Z0-9][^/()]{2,})"
    r"|[Ss]yst[eè]me d'exploitation (?:informatique )?(?P<system>[^/()]{3,}))$"
)
TOOL_COMMON_WORDS = frozenset({"amadeus", "arnold", "chorus", "flash", "galileo", "gerber", "houdini", "maya", "nuke",
                               "painter", "socrate", "type 3"})  # fmt: skip
LICENCE_LABEL = re.compile(r"^permis de conduire (?P<category>(?:[abcde]1?e?))$", re.IGNORECASE)
# Office tools and a method CVs name in one word, whose repertory labels are lists or sentences the name alone never
# matches: each name linked to the label that states it, as the gold's linking rule does (data/gold/README.md:
# « Pack Office » → *Maîtrise des outils bureautiques (Pack Office …)*). A label missing from the catalogue is skipped.
NAMED_IN_LABEL = (
    ("Word", "Logiciels de type, Word, Excel"),
    ("Excel", "Logiciels de type, Word, Excel"),
    ("Pack Office", "Maîtrise des outils bureautiques (Pack Office / version libre) et des applications métiers"),
    ("LibreOffice", "Suite bureautique - LibreOffice"),
    ("PowerPoint", "Microsoft Office PowerPoint (diaporama)"),
    ("HACCP", "Système Hazard Analysis Critical Control Point (HACCP)"),
)


def written_name(label: str) -> str | None:
    """The short name CVs and offers write for a repertory's tool or driving-licence label, or None."""
    if tool := TOOL_LABEL.match(label):
        name = (tool.group("tool") or tool.group("system")).strip()
        return None if name.lower() in TOOL_COMMON_WORDS else name
    if licence := LICENCE_LABEL.match(label):
        return f"Permis {licence.group('category').upper()}"
    return None


@dataclass(frozen=True)
class Pattern:
    uri: str
    kind: str  # skill, grade, cadre
    confidence: float
    standalone_words: int = STANDALONE_WORDS  # a one-word label counts in a clause of at most this many content words


class TextAnalyzer:
    """Skills, occupations (top-3 RMFP and ROME) and statutory facts of French texts, linked to the catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.nlp = pipeline()
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="NORM")
        self.patterns: dict[int, Pattern] = {}
        self._add_patterns()
        self.occupations = OccupationClassifier(catalogue)
        self._skill_ids_of: dict[str, np.ndarray] = {}
        self.ranker: SkillRanker | None = None  # fitted by `learn_skill_ranker`; without it, the fixed rules

    def _labels(self) -> Iterator[tuple[str, str, str, float]]:
        for uri, skill in self.catalogue.skills.items():
            yield uri, "skill", skill.label, 1.0
            for alt in skill.alt_labels:
                yield uri, "skill", alt, 0.9
            for label in (skill.label, *skill.alt_labels):
                if name := written_name(label):
                    yield uri, "skill", name, 0.9
        by_label = {skill.label: uri for uri, skill in self.catalogue.skills.items()}
        for name, label in NAMED_IN_LABEL:
            if label in by_label:
                yield by_label[label], "skill", name, 0.9
        for uri, grade in self.catalogue.grades.items():
            yield uri, "grade", re.sub(r"\s*\([^)]*\)", "", grade.label), 1.0
            if grade.cadre_uri and grade.cadre_label:
                yield grade.cadre_uri, "cadre", grade.cadre_label, 1.0

    def _add_patterns(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        seen: set[tuple[str, str]] = set()
        entries: list[tuple[str, str, str, float]] = []
        for uri, kind, label, confidence in self._labels():
            seen_key = (uri, fold_compat(label))
            if seen_key in seen or len(label) < 3 or len(label) > 120:
                continue
            seen.add(seen_key)
            entries.append((uri, kind, label, confidence))
        docs = self.nlp.pipe((label for _, _, label, _ in entries), batch_size=1000)
        label_words: list[list[str]] = []
        self.label_skills: list[str] = []  # the skill URI of each row of `label_matrix`
        for (uri, kind, _, confidence), doc in zip(entries, docs, strict=True):
            if kind == "skill" and (label_norms := content_words(doc)):
                label_words.append(label_norms)
                self.label_skills.append(uri)
            if all(t.norm_ == "_" for t in doc):
                continue
            # One-word labels ("Accueil", "Anglais") are ambiguous in running text: lower confidence.
            words = sum(1 for t in doc if t.norm_ != "_" and not t.is_punct)
            given = round(confidence * (0.7 if words == 1 else 1.0), 3)
            # A skill's key holds the confidence given, so one concept's one-word and longer labels stay two patterns
            # (« Permis B » had taken the one-word confidence of another label). Grades keep theirs: the key orders
            # the matcher's ties between grades of one name, which the statutory rules were tuned on.
            key = f"{kind}|{uri}|{given if kind == 'skill' else confidence}"
            match_id = self.nlp.vocab.strings.add(key)
            bare_verb = words == 1 and kind == "skill" and self.catalogue.skills[uri].kind == BARE_VERB_KIND
            self.patterns[match_id] = Pattern(uri, kind, given, 1 if bare_verb else STANDALONE_WORDS)
            self.matcher.add(key, [doc])
        self.label_vectorizer = TfidfVectorizer(analyzer=_same, sublinear_tf=True)
        self.label_matrix = self.label_vectorizer.fit_transform(label_words).T.tocsr()

    @cached_property
    def ranker_labels(self) -> LabelIndex:
        """The ranker's view of the skill labels, built on its first use (reading offers with a fitted ranker,
        `skill_candidates` when one is fitted or measured): the fixed rules never read it, so a process that reads
        offers by the rules does not build it (docs/ingestion.md, "What the ranker costs at start-up")."""
        kinds = {uri: skill.kind for uri, skill in self.catalogue.skills.items()}
        return LabelIndex.of(self.label_skills, self.label_matrix, kinds)

    def analyse(
        self,
        texts: Iterable[str],
        titles: Iterable[str] | None = None,
        offers: bool = False,
        occupations: bool = True,
    ) -> Iterator[TextAnalysis]:
        """One `TextAnalysis` per text, in order. `titles` (offer titles, CV positions) weigh in occupations;
        `offers` adds, to the occupations, the model learned from offers their publishers coded. Without
        `occupations` (a CV's whole text: its steps are classified one by one) the analyses have none."""
        texts = list(texts)
        title_list = list(titles) if titles is not None else [""] * len(texts)
        docs = self.nlp.pipe(texts, batch_size=BATCH)
        found = self.occupations.classify(texts, title_list, learned=offers) if occupations else [[] for _ in texts]
        rows = zip(texts, docs, found, strict=True)
        while chunk := list(islice(rows, BATCH)):
            # The similarity fallback compares the clauses of a whole batch at once: one TF-IDF transform and one
            # sparse product instead of one per text (on the real offers 0.4–0.5 ms per offer instead of 3).
            clauses = [_clauses(text, doc) for text, doc, _ in chunk]
            if self.ranker is not None and offers:  # on the hand-written CVs it lowered concept F1 (docs/ingestion.md)
                closest = self._closest_labels([text for text, _, _ in chunk], clauses)
                for (text, doc, occs), text_clauses, text_closest in zip(chunk, clauses, closest, strict=True):
                    yield self._ranked_analysis(text, doc, occs, text_clauses, text_closest)
                continue
            similar = self._similar_skills(clauses)
            for (text, doc, occs), text_clauses, text_similar in zip(chunk, clauses, similar, strict=True):
                yield self._analysis(text, doc, occs, text_clauses, text_similar, place_only=offers)

    def skill_candidates(self, texts: list[str], titles: list[str] | None = None) -> list[Candidates]:
        """Each text's candidate concepts and their evidence, as the ranker weighs them (offers: `titles`)."""
        title_list = titles if titles is not None else [""] * len(texts)
        docs = list(self.nlp.pipe(texts, batch_size=BATCH))
        occupations = self.occupations.classify(texts, title_list, learned=titles is not None)
        clauses = [_clauses(text, doc) for text, doc in zip(texts, docs, strict=True)]
        closest = self._closest_labels(texts, clauses)
        rows = zip(texts, title_list, docs, occupations, clauses, closest, strict=True)
        return [
            self._candidates(text, _title_length(text), doc, occs, text_clauses, text_closest)[0]
            for text, _, doc, occs, text_clauses, text_closest in rows
        ]

    def _analysis(
        self,
        text: str,
        doc: Doc,
        occupations: list[OccupationScore],
        clauses: list[tuple[Span, list[str]]],
        similar: list[SkillMention],
        place_only: bool = False,
    ) -> TextAnalysis:
        # An offer's versant, catégorie, contract and the rest have rules of their own (`offer_facts`): of these
        # facts it keeps the place and échelon only, as with a fitted ranker (`_ranked_analysis`).
        analysis = TextAnalysis(occupations=occupations, facts=statutory_facts(text, place_only=place_only))
        spans = []
        for match_id, start, end in self.matcher(doc):
            span = doc[start:end]
            span.label_ = str(match_id)
            spans.append(span)
        best: dict[str, SkillMention] = {}
        grade_hits: list[Pattern] = []
        for span in filter_spans(spans):
            pattern = self.patterns[int(span.label_)]
            if pattern.kind != "skill":
                grade_hits.append(pattern)
                continue
            if pattern.confidence < ONE_WORD and not _standalone(span, clauses, pattern.standalone_words):
                continue
            mention = SkillMention(
                pattern.uri, span.text, span.start_char, span.end_char, pattern.confidence, "matcher"
            )
            if pattern.uri not in best or best[pattern.uri].confidence < mention.confidence:
                best[pattern.uri] = mention
        for mention in similar:
            if mention.uri not in best:
                best[mention.uri] = mention
        analysis.skills = sorted(best.values(), key=lambda m: m.start)
        self._grade_facts(analysis, grade_hits)
        return analysis

    def _ranked_analysis(
        self,
        text: str,
        doc: Doc,
        occupations: list[OccupationScore],
        clauses: list[tuple[Span, list[str]]],
        closest: Closest,
    ) -> TextAnalysis:
        candidates, grade_hits = self._candidates(text, _title_length(text), doc, occupations, clauses, closest)
        analysis = TextAnalysis(occupations=occupations, facts=statutory_facts(text, place_only=True))
        assert self.ranker is not None
        analysis.skills = self.ranker.keep(candidates)
        self._grade_facts(analysis, grade_hits)
        return analysis

    def _candidates(
        self,
        text: str,
        title_length: int,
        doc: Doc,
        occupations: list[OccupationScore],
        clauses: list[tuple[Span, list[str]]],
        closest: Closest,
    ) -> tuple[Candidates, list[Pattern]]:
        """Every matcher hit and every close label, grouped by concept into the ranker's rows; and the grade hits."""
        spans = []
        for match_id, start, end in self.matcher(doc):
            span = doc[start:end]
            span.label_ = str(match_id)
            spans.append(span)
        hits, grade_hits = [], []
        for span in filter_spans(spans):
            pattern = self.patterns[int(span.label_)]
            if pattern.kind != "skill":
                grade_hits.append(pattern)
                continue
            # read for one-word labels only
            standalone = pattern.confidence < ONE_WORD and _standalone(span, clauses, pattern.standalone_words)
            hits.append(Hit(pattern.uri, span.start_char, span.end_char, span.text, pattern.confidence, standalone))
        prior = [self._skill_ids(o.uri) for o in occupations[:OCCUPATION_PRIOR]]
        rows = candidate_rows(
            closest, hits, self.ranker_labels.concepts, np.concatenate([np.zeros(0, int), *prior]), text, title_length
        )
        return rows, grade_hits

    def _closest_labels(self, texts: list[str], texts_clauses: list[list[tuple[Span, list[str]]]]) -> list[Closest]:
        """For each text, the `CANDIDATE_LABELS` labels closest to each clause and sub-clause (TF-IDF cosine of lemma
        norms, from `CANDIDATE_FLOOR`), as candidates for the ranker: one batch, one sparse product, the choice of
        each clause's closest labels with numpy (a loop over clauses cost more than the rest of the reading)."""
        kept = [
            (text, start, end, words, sub)
            for text, clauses in enumerate(texts_clauses)
            for clause, clause_words in clauses
            for start, end, words, sub in [
                (clause.start_char, clause.end_char, clause_words, False),
                *((*part, True) for part in (_sub_clauses(texts[text], clause) if SUB_CLAUSES else ())),
            ]
            if MIN_SEGMENT_WORDS <= len(words) <= MAX_SEGMENT_WORDS
        ]
        if not kept:
            return [Closest.empty() for _ in texts_clauses]
        labels = self.ranker_labels
        vectors = self.label_vectorizer.transform([words for *_, words, _ in kept]).tocsr().astype(np.float32)
        scores = (vectors @ labels.label_matrix32).tocsr()  # single precision: half the memory traffic, same choices
        close = np.flatnonzero(scores.data >= CANDIDATE_FLOOR)  # most pairs share one common word
        row = np.searchsorted(scores.indptr, close, side="right") - 1
        label, cosine = scores.indices[close], scores.data[close]
        order = np.lexsort((-cosine, row))  # by clause, the closest label first
        row, label, cosine = row[order], label[order], cosine[order]
        first = np.r_[0, np.flatnonzero(np.diff(row)) + 1] if len(row) else np.zeros(0, dtype=int)
        rank = np.arange(len(row)) - np.repeat(first, np.diff(np.r_[first, len(row)])) + 1
        top = rank <= CANDIDATE_LABELS
        row, label, cosine, rank = row[top], label[top], cosine[top], rank[top]
        vectors.data[:] = 1.0  # the words each kept pair shares, counted on the pairs only
        common = np.asarray(vectors[row].multiply(labels.label_words_by_row[label]).sum(axis=1)).ravel()
        best = np.zeros(len(kept))
        best[row[rank == 1]] = cosine[rank == 1]
        clause_words = np.array([len(words) for *_, words, _ in kept])
        clause_set = np.diff(vectors.indptr)
        label_set = labels.label_set_sizes[label]
        columns = {
            "skill": labels.label_skill_ids[label],
            "cosine": cosine,
            "rank": rank,
            "margin": best[row] - cosine,
            "clause_words": clause_words[row],
            "label_words": label_set,
            "sub_clause": np.array([sub for *_, sub in kept], dtype=bool)[row],
            "label_cover": common / np.maximum(label_set, 1),
            "clause_cover": common / np.maximum(clause_set[row], 1),
            "start": np.array([start for _, start, *_ in kept])[row],
            "end": np.array([end for _, _, end, *_ in kept])[row],
        }
        text_of_row = np.array([text for text, *_ in kept])
        bounds = np.searchsorted(text_of_row[row], np.arange(len(texts_clauses) + 1))
        return [Closest(**{k: v[lo:hi] for k, v in columns.items()}) for lo, hi in itertools.pairwise(bounds)]

    def _similar_skills(self, texts_clauses: list[list[tuple[Span, list[str]]]]) -> list[list[SkillMention]]:
        """Paraphrase fallback, for each text: each clause against every skill label (TF-IDF of lemma norms), the
        best label kept when its cosine reaches the threshold; one mention per skill (the most confident)."""
        kept = [
            (text, span, words)
            for text, clauses in enumerate(texts_clauses)
            for span, words in clauses
            if MIN_SEGMENT_WORDS <= len(words) <= MAX_SEGMENT_WORDS
        ]
        mentions: list[dict[str, SkillMention]] = [{} for _ in texts_clauses]
        if not kept:
            return [[] for _ in texts_clauses]
        scores = (self.label_vectorizer.transform([words for _, _, words in kept]) @ self.label_matrix).tocsr()
        for row, (text, span, _) in enumerate(kept):
            start, end = scores.indptr[row], scores.indptr[row + 1]
            if start == end:
                continue
            best = start + int(scores.data[start:end].argmax())
            score = float(scores.data[best])
            uri = self.label_skills[int(scores.indices[best])]
            confidence = round(score * SIMILARITY_TRUST, 3)
            found = mentions[text]
            if score >= SIMILARITY_THRESHOLD and (uri not in found or found[uri].confidence < confidence):
                found[uri] = SkillMention(uri, span.text, span.start_char, span.end_char, confidence, "similarity")
        return [list(found.values()) for found in mentions]

    def _skill_ids(self, occupation_uri: str) -> np.ndarray:
        """An occupation's skills as the ranker's concept indices, kept per occupation (its prior feature)."""
        if occupation_uri not in self._skill_ids_of:
            index = self.ranker_labels.concepts.index
            found = (index.get(u, -1) for u in self._skills_of(occupation_uri))
            self._skill_ids_of[occupation_uri] = np.array([i for i in found if i >= 0], dtype=int)
        return self._skill_ids_of[occupation_uri]

    def _skills_of(self, occupation_uri: str) -> list[str]:
        occupation = self.catalogue.occupations.get(occupation_uri)
        if occupation is None:
            return []
        return [*occupation.essential_skills, *occupation.optional_skills]

    def _grade_facts(self, analysis: TextAnalysis, hits: list[Pattern]) -> None:
        facts = analysis.facts
        for hit in hits:
            if hit.kind == "grade" and facts.grade_uri is None:
                grade = self.catalogue.grades[hit.uri]
                facts.grade_uri = hit.uri
                facts.cadre_uri = facts.cadre_uri or grade.cadre_uri
                facts.categorie = facts.categorie or grade.categorie
                facts.filiere = facts.filiere or grade.filiere
                facts.versant = facts.versant or grade.versant
            elif hit.kind == "cadre" and facts.cadre_uri is None:
                facts.cadre_uri = hit.uri


ONE_WORD = 0.75  # one-word labels get 0.7 (preferred) or 0.63 (alternative): see `_add_patterns`


def content_words(tokens: Iterable[Token]) -> list[str]:
    """The lemma norms that say what a clause or a label is about: no glue word, punctuation or mission verb."""
    return [word for t in tokens if not (t.is_punct or t.is_space) and (word := _content_word(t.norm_))]


def _same(words: list[str]) -> list[str]:
    return words  # the TF-IDF of already analysed words (a named function: a lambda would not pickle)


def _clauses(text: str, doc: Doc) -> list[tuple[Span, list[str]]]:
    """Lines, bullets and list items (between commas) of the text, as spans with their content words."""
    words, blank = _token_words(doc)
    clauses = []
    for found in CLAUSE.finditer(text):
        span = doc.char_span(found.start(), found.end(), alignment_mode="contract")
        if span is not None and (clause_words := [w for w in words[span.start : span.end] if w]):
            # the clause without its bullet or blanks (a content word is neither, so one token is kept)
            kept = [i for i in range(span.start, span.end) if not blank[i]]
            clauses.append((doc[kept[0] : kept[-1] + 1], clause_words))
    return clauses


def _token_words(doc: Doc) -> tuple[list[str], list[bool]]:
    """Each token's content word (`content_words`, "" for a token that is none) and whether it is punctuation or
    space, from the doc's arrays: a Python `Token` per word for every clause was a tenth of an offer's reading."""
    if not len(doc):
        return [], []
    array = doc.to_array([NORM, IS_PUNCT, IS_SPACE])
    strings = doc.vocab.strings
    blank = ((array[:, 1] + array[:, 2]) > 0).tolist()
    words = [
        "" if is_blank else _content_word(strings[norm])
        for norm, is_blank in zip(array[:, 0].tolist(), blank, strict=True)
    ]
    return words, blank


def _content_word(norm: str) -> str:
    """The norm when it is a content word (`content_words`), else ""."""
    return norm if norm != "_" and len(norm) > 1 and norm not in MISSION_WORDS else ""


def _title_length(text: str) -> int:
    """An offer's analysed text is its title, a line break and its description: the title is the first line."""
    return max(text.find("\n"), 0)


def _sub_clauses(text: str, clause: Span) -> list[tuple[int, int, list[str]]]:
    """The parts of a clause between « et », « ou », brackets and dashes, when there are several: their offsets
    in `text` and content words (as `content_words`), in one pass over the clause's tokens."""
    if not SUB_CLAUSE_TEXT.search(text, clause.start_char, clause.end_char):
        return []
    parts: list[tuple[int, int, list[str]]] = []
    first, last, words = -1, -1, list[str]()
    for token in clause:
        if token.lower_ in SUB_CLAUSE_BREAKS:
            if first >= 0 and words:
                parts.append((first, last, words))
            first, words = -1, []
            continue
        first = token.idx if first < 0 else first
        last = token.idx + len(token)
        if not (token.is_punct or token.is_space) and (word := _content_word(token.norm_)):
            words.append(word)
    if first >= 0 and words:
        parts.append((first, last, words))
    return parts if len(parts) > 1 else []


def _standalone(span: Span, clauses: list[tuple[Span, list[str]]], most_words: int) -> bool:
    return any(c.start <= span.start and span.end <= c.end and len(w) <= most_words for c, w in clauses)


# Offers' skills by the learnt ranker (loaders/skill_ranker.py) instead of the fixed rules. Off: on the real gold it
# gains within noise (concept F1 +2.6 / +3.0 points on 40 / 20 offers), on the simulator's 1,000 label-worded offers
# it loses 29 points (F1 47 % against 76 %: twice the skills, half the precision), and the demo's skill-based
# rankings fell with it (Recall@10 −0.02); keeping the rules' hits and adding the ranker's mentions of confidence
# ≥ 0.5 gives about the rules' figures on both (bench/simulated_offer_skills.py; docs/ingestion.md, "What the ranker
# costs on the simulator's offers").
OFFER_SKILL_RANKER = False


@once
def default_analyzer() -> TextAnalyzer:
    """The analyzer over the ontology catalogue, built once per process (patterns and TF-IDF are cached here);
    concurrent first callers, such as a server's upload threads, wait for that one build."""
    from loaders.skill_ranker import learn_skill_ranker
    from ontology.catalogue import load_catalogue

    analyzer = TextAnalyzer(load_catalogue())
    learn_offer_coding(analyzer)
    analyzer.ranker = learn_skill_ranker(analyzer) if OFFER_SKILL_RANKER else None
    return analyzer


def learn_offer_coding(analyzer: TextAnalyzer, path: Path | None = None) -> None:
    """Fit the ROME model of offers their publishers coded (`loaders.occupations.OfferCoding`) on the real PEP
    offers the repository ships (each carries the OGR appellation its publisher chose)."""
    from loaders.occupations import OfferCoding
    from loaders.offers import PEP_OFFERS_FILE, coded_offers

    titles, texts, codes = coded_offers(path or PEP_OFFERS_FILE, analyzer.catalogue)
    if len(set(codes)) > 1:
        analyzer.occupations.learned["ROME"] = OfferCoding(titles, texts, codes)
