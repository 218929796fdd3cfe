"""French text understanding with spaCy: one pipeline (`fr_core_news_md` tokenizer + a norm component) and
one cached `PhraseMatcher` over the ontology's skill labels and the grade nomenclature, run with `nlp.pipe`.

The matcher compares *lemmas*: each token's norm is its lemma in spaCy's French lookup table
(`spacy-lookups-data`), accent-folded, with articles and prepositions mapped to one token, so "il coordonne les
activités d'une équipe" meets the label "Coordonner l'activité d'une équipe". Why the lookup table and not the
statistical lemmatiser: on the 652 real offers, `fr_core_news_md` with tok2vec, morphologizer and lemmatizer runs
at ~50 offers/s on one core; the tokenizer alone at ~1,000. Light rules (plural, "-ez", feminine job titles) cover
words the table lacks. Paraphrases are caught by a vector-similarity fallback (the model's word vectors) against
the skills of the offer's top occupations."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import filter_spans

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
SIMILARITY_THRESHOLD = 0.92  # cosine of mean word vectors; read on samples: below it most pairs differ
# Of 15 sampled fallback mentions on the real offers about half named the right skill: their confidence says so.
SIMILARITY_TRUST = 0.6
MIN_SEGMENT_WORDS, MAX_SEGMENT_WORDS = 3, 12  # whole sentences average out to "similar to everything"
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
    for feminine, masculine in FEMININE:  # grade and job labels are masculine, CVs often feminine
        if len(norm) > len(feminine) + 2 and norm.endswith(feminine):
            norm = norm[: -len(feminine)] + masculine
            break
    return norm


@Language.component("vivier_norm")
def vivier_norm(doc: Doc) -> Doc:
    for token in doc:
        token.norm_ = norm_word(token.lower_)
    return doc


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
        self._skill_vectors, self._skill_uris = self._vectors_of_skills()
        self._skill_index = {uri: row for row, uri in enumerate(self._skill_uris)}

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
        seen: set[tuple[str, str]] = set()
        entries: list[tuple[str, str, str, float]] = []
        for uri, kind, label, confidence in self._labels():
            seen_key = (uri, fold_compat(label))
            if seen_key in seen or len(label) < 3 or len(label) > 120:
                continue
            seen.add(seen_key)
            entries.append((uri, kind, label, confidence))
        docs = self.nlp.pipe((label for _, _, label, _ in entries), batch_size=1000)
        for (uri, kind, _, confidence), doc in zip(entries, docs, strict=True):
            if all(t.norm_ == "_" for t in doc):
                continue
            # One-word labels ("Accueil", "Anglais") are ambiguous in running text: lower confidence.
            words = sum(1 for t in doc if t.norm_ != "_" and not t.is_punct)
            key = f"{kind}|{uri}|{confidence}"
            match_id = self.nlp.vocab.strings.add(key)
            self.patterns[match_id] = Pattern(uri, kind, round(confidence * (0.7 if words == 1 else 1.0), 3))
            self.matcher.add(key, [doc])

    def _vectors_of_skills(self) -> tuple[np.ndarray, list[str]]:
        uris = list(self.catalogue.skills)
        vectors = np.stack([self._mean_vector(self.catalogue.skills[u].label) for u in uris]) if uris else np.zeros(0)
        return vectors, uris

    def _mean_vector(self, text: str) -> np.ndarray:
        vectors = self.nlp.vocab.vectors
        rows = [
            vectors[key]
            for w in re.findall(r"\w+", text.lower())
            if len(w) > 2 and (key := self.nlp.vocab.strings.add(w)) in vectors
        ]
        if not rows:
            return np.zeros(vectors.shape[1], dtype=np.float32)
        mean = np.mean(rows, axis=0)
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm else mean

    def analyse(
        self, texts: Iterable[str], titles: Iterable[str] | None = None, offers: bool = False
    ) -> Iterator[TextAnalysis]:
        """One `TextAnalysis` per text, in order. `titles` (offer titles, CV positions) weigh in occupations;
        `offers` adds, to the occupations, the model learned from offers their publishers coded."""
        texts = list(texts)
        title_list = list(titles) if titles is not None else [""] * len(texts)
        docs = self.nlp.pipe(texts, batch_size=64)
        occupations = self.occupations.classify(texts, title_list, learned=offers)
        for text, doc, occs in zip(texts, docs, occupations, strict=True):
            yield self._analysis(text, doc, occs)

    def _analysis(self, text: str, doc: Doc, occupations: list[OccupationScore]) -> TextAnalysis:
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
            mention = SkillMention(
                pattern.uri, span.text, span.start_char, span.end_char, pattern.confidence, "matcher"
            )
            if pattern.uri not in best or best[pattern.uri].confidence < mention.confidence:
                best[pattern.uri] = mention
        for mention in self._similar_skills(text, occupations, set(best)):
            best[mention.uri] = mention
        analysis.skills = sorted(best.values(), key=lambda m: m.start)
        self._grade_facts(analysis, grade_hits)
        return analysis

    def _similar_skills(self, text: str, occupations: list[OccupationScore], found: set[str]) -> list[SkillMention]:
        """Paraphrase fallback: text segments (lines, bullet points) against the skills of the top occupations."""
        candidates = [u for o in occupations for u in self._skills_of(o.uri) if u not in found]
        if not candidates:
            return []
        rows = [self._skill_index[u] for u in dict.fromkeys(candidates) if u in self._skill_index]
        if not rows:
            return []
        matrix = self._skill_vectors[rows]
        mentions: dict[str, SkillMention] = {}
        for segment in re.finditer(r"[^\n.;•]+", text):
            if not MIN_SEGMENT_WORDS <= len(segment.group().split()) <= MAX_SEGMENT_WORDS:
                continue
            scores = matrix @ self._mean_vector(segment.group())
            best = int(np.argmax(scores))
            score = float(scores[best])
            uri = self._skill_uris[rows[best]]
            confidence = round(score * SIMILARITY_TRUST, 3)
            if score >= SIMILARITY_THRESHOLD and (uri not in mentions or mentions[uri].confidence < confidence):
                start, end = _stripped_span(segment)
                mentions[uri] = SkillMention(uri, text[start:end], start, end, confidence, "similarity")
        return list(mentions.values())

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


def _stripped_span(segment: re.Match[str]) -> tuple[int, int]:
    """The offsets of a segment without its surrounding blanks, so that `text == analysed[start:end]`."""
    raw = segment.group()
    return segment.start() + len(raw) - len(raw.lstrip()), segment.end() - len(raw) + len(raw.rstrip())


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
