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

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, cast

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from loaders.inclusive import SUFFIX, masculine
from loaders.occupations import OccupationClassifier
from loaders.records import OccupationScore, SkillMention, TextAnalysis
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
SIMILARITY_TRUST = 0.6
# Clauses of 2 to 14 content words: longer ones are sentences about the service, not one skill; one word alone is
# mostly a heading ("Missions", "Profil"), and the matcher already reads one-word skills ("Rigueur").
MIN_SEGMENT_WORDS, MAX_SEGMENT_WORDS = 2, 14
BATCH = 64  # texts tokenised, then compared with the skill labels, together
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
    _norm_cache[lower] = norm
    return norm


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
    _merge_inclusive(doc)
    for token in doc:
        token.norm_ = norm_word(token.lower_)
    return doc


def _merge_inclusive(doc: Doc) -> None:
    """One token for a word and its inclusive-writing suffix (« attaché(e) », « attaché/e », « technicien-ne »: the
    tokenizer splits them), so that « attaché(e) hors classe » is three words for the matcher, as written."""
    spans = []
    for match in SUFFIX.finditer(doc.text):
        span = doc.char_span(match.start() - 1, match.end(), alignment_mode="expand")
        if span is not None and len(span) > 1:
            spans.append(span)
    if spans:
        with doc.retokenize() as retokenizer:
            for span in filter_spans(spans):
                retokenizer.merge(span)


@once
def pipeline() -> Language:
    """The shared pipeline: tokenizer, then the lemma norm component; statistical components excluded (see above)."""
    nlp = spacy.load(MODEL, exclude=["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "ner"])
    nlp.add_pipe("vivier_norm")
    return nlp


@once
def ner_pipeline() -> Language:
    """Only for CVs: the statistical NER finds person names to remove (speed matters less there)."""
    # The NER of fr_core_news_md has its own embedding layer: the shared tok2vec is not needed (4x faster).
    return spacy.load(MODEL, exclude=["tok2vec", "parser", "lemmatizer", "morphologizer", "attribute_ruler"])


@dataclass(frozen=True)
class Pattern:
    uri: str
    kind: str  # skill, grade, cadre
    confidence: float


class TextAnalyzer:
    """Skills, occupations (top-3 RMFP and ROME) and statutory facts of French texts, linked to the catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.nlp = pipeline()
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="NORM")
        self.patterns: dict[int, Pattern] = {}
        self._add_patterns()
        self.occupations = OccupationClassifier(catalogue)

    def _labels(self) -> Iterator[tuple[str, str, str, float]]:
        for uri, skill in self.catalogue.skills.items():
            yield uri, "skill", skill.label, 1.0
            for alt in skill.alt_labels:
                yield uri, "skill", alt, 0.9
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
            key = f"{kind}|{uri}|{confidence}"
            match_id = self.nlp.vocab.strings.add(key)
            self.patterns[match_id] = Pattern(uri, kind, round(confidence * (0.7 if words == 1 else 1.0), 3))
            self.matcher.add(key, [doc])
        self.label_vectorizer = TfidfVectorizer(analyzer=_same, sublinear_tf=True)
        self.label_matrix = self.label_vectorizer.fit_transform(label_words).T.tocsr()

    def analyse(
        self, texts: Iterable[str], titles: Iterable[str] | None = None, offers: bool = False
    ) -> Iterator[TextAnalysis]:
        """One `TextAnalysis` per text, in order. `titles` (offer titles, CV positions) weigh in occupations;
        `offers` adds, to the occupations, the model learned from offers their publishers coded."""
        texts = list(texts)
        title_list = list(titles) if titles is not None else [""] * len(texts)
        docs = self.nlp.pipe(texts, batch_size=BATCH)
        occupations = self.occupations.classify(texts, title_list, learned=offers)
        rows = zip(texts, docs, occupations, strict=True)
        while chunk := list(islice(rows, BATCH)):
            # The similarity fallback compares the clauses of a whole batch at once: one TF-IDF transform and one
            # sparse product instead of one per text (on the real offers 0.4–0.5 ms per offer instead of 3).
            clauses = [_clauses(text, doc) for text, doc, _ in chunk]
            similar = self._similar_skills(clauses)
            for (text, doc, occs), text_clauses, text_similar in zip(chunk, clauses, similar, strict=True):
                yield self._analysis(text, doc, occs, text_clauses, text_similar)

    def _analysis(
        self,
        text: str,
        doc: Doc,
        occupations: list[OccupationScore],
        clauses: list[tuple[Span, list[str]]],
        similar: list[SkillMention],
    ) -> TextAnalysis:
        analysis = TextAnalysis(occupations=occupations, facts=statutory_facts(text))
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
            if pattern.confidence < ONE_WORD and not _standalone(span, clauses):
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
    return [
        t.norm_
        for t in tokens
        if t.norm_ != "_" and len(t.norm_) > 1 and not (t.is_punct or t.is_space) and t.norm_ not in MISSION_WORDS
    ]


def _same(words: list[str]) -> list[str]:
    return words  # the TF-IDF of already analysed words (a named function: a lambda would not pickle)


def _clauses(text: str, doc: Doc) -> list[tuple[Span, list[str]]]:
    """Lines, bullets and list items (between commas) of the text, as spans with their content words."""
    clauses = []
    for found in CLAUSE.finditer(text):
        span = doc.char_span(found.start(), found.end(), alignment_mode="contract")
        if span is not None and (words := content_words(span)):
            tokens = [t for t in span if not (t.is_punct or t.is_space)]  # the clause without its bullet or blanks
            clauses.append((doc[tokens[0].i : tokens[-1].i + 1], words))
    return clauses


def _standalone(span: Span, clauses: list[tuple[Span, list[str]]]) -> bool:
    return any(c.start <= span.start and span.end <= c.end and len(w) <= STANDALONE_WORDS for c, w in clauses)


def fork_is_safe() -> bool:
    """Whether texts may be read in forked workers. Not once PyTorch is loaded in this process (a server, a test
    session that trained a model): its OpenMP and BLAS thread pools do not survive a fork, and the children's first
    matrix product then waits forever on a lock copied held. The `vivier` commands that load data never import it."""
    return "torch" not in sys.modules


@once
def default_analyzer() -> TextAnalyzer:
    """The analyzer over the ontology catalogue, built once per process (patterns and TF-IDF are cached here);
    concurrent first callers, such as a server's upload threads, wait for that one build."""
    from ontology.catalogue import load_catalogue

    analyzer = TextAnalyzer(load_catalogue())
    learn_offer_coding(analyzer)
    return analyzer


def learn_offer_coding(analyzer: TextAnalyzer, path: Path | None = None) -> None:
    """Fit the ROME model of offers their publishers coded (`loaders.occupations.OfferCoding`) on the real PEP
    offers the repository ships (each carries the OGR appellation its publisher chose)."""
    from loaders.occupations import OfferCoding
    from loaders.offers import PEP_OFFERS_FILE, coded_offers

    titles, texts, codes = coded_offers(path or PEP_OFFERS_FILE, analyzer.catalogue)
    if len(set(codes)) > 1:
        analyzer.occupations.learned["ROME"] = OfferCoding(titles, texts, codes)
