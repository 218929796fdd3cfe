"""The skills gold (data/gold/skills-offers.jsonl) and the RMFP truth (data/gold/rmfp-offers.jsonl) that
`vivier load measure` reads, how it scores them, and that the figures in docs/ingestion-figures.md are its own."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from loaders import measure, skill_ranker
from loaders.nlp import TextAnalyzer, default_analyzer
from loaders.records import SkillMention


def test_the_skills_gold_holds_60_offers_split_40_20_outside_the_statutory_gold() -> None:
    rows = measure.read_skills_gold()
    assert [r["split"] for r in rows] == ["dev"] * 40 + ["heldout"] * 20  # in the order of the stated draw
    statutory = {(str(r["file"]), str(r["offer_id"])) for r in measure.read_gold()}
    assert not statutory & {(r["file"], r["offer_id"]) for r in rows}
    mentions = [m for r in rows for m in r["mentions"]]
    assert len(mentions) > 500 and sum(bool(m["concepts"]) for m in mentions) > 400
    for row in rows:
        for mention in row["mentions"]:
            assert mention["text"] and mention["end"] - mention["start"] == len(mention["text"])


def test_a_gold_line_with_an_unknown_split_or_overlapping_mentions_is_refused(tmp_path: Path) -> None:
    row = json.loads(measure.GOLD_SKILLS.read_text(encoding="utf-8").splitlines()[1])
    bad = tmp_path / "gold.jsonl"
    bad.write_text(json.dumps(row | {"split": "test"}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1 .*'split'"):
        measure.read_skills_gold(bad)
    first = row["mentions"][0]
    bad.write_text(json.dumps(row | {"mentions": [first, first]}), encoding="utf-8")
    with pytest.raises(ValueError, match="overlaps"):
        measure.read_skills_gold(bad)


def test_the_rmfp_truth_names_100_offers_with_rmfp_emplois() -> None:
    rows = measure.read_rmfp_gold()
    assert len(rows) == len({r["offer_id"] for r in rows}) == 100
    skills = {r["offer_id"] for r in measure.read_skills_gold()}
    assert skills <= {r["offer_id"] for r in rows}  # the 60 skills offers, and 40 more
    assert all(e["uri"].endswith("/" + e["code"]) and e["label"] for r in rows for e in r["emplois"])


def mention(uri: str, start: int, end: int) -> SkillMention:
    return SkillMention(uri, "x" * (end - start), start, end, 1.0, "matcher")


def test_spans_count_by_overlap_and_concepts_by_sets_of_alternatives() -> None:
    gold = {
        "split": "dev",
        "mentions": [
            {"start": 0, "end": 10, "text": "", "concepts": [{"uri": "a"}, {"uri": "b"}]},  # alternatives
            {"start": 20, "end": 30, "text": "", "concepts": [{"uri": "c"}]},
            {"start": 40, "end": 50, "text": "", "concepts": [{"uri": "b"}, {"uri": "a"}]},  # the same set again
            {"start": 60, "end": 70, "text": "", "concepts": []},  # no catalogue concept: spans only
        ],
    }
    found = [mention("b", 5, 12), mention("z", 65, 80), mention("d", 31, 35)]
    score = measure.score_skills(gold, found)
    assert (score.gold_spans, score.spans_hit, score.found, score.found_hit) == (4, 2, 3, 2)
    assert (score.gold_sets, score.sets_hit, score.concepts, score.concepts_right) == (2, 1, 3, 1)
    assert (score.concept_precision, score.concept_recall) == (1 / 3, 1 / 2)
    assert score.concept_f1 == pytest.approx(2 * (1 / 3) * 0.5 / (1 / 3 + 0.5))
    # concepts count per offer, wherever found: "c" found away from its span still satisfies its set
    assert measure.score_skills(gold, [mention("c", 80, 90)]).sets_hit == 1


@pytest.fixture(scope="module")
def analyzer() -> TextAnalyzer:
    return default_analyzer()


@pytest.mark.slow  # builds the text analyzer (spaCy, the catalogue's patterns)
def test_one_word_labels_count_only_where_they_stand_alone(analyzer: TextAnalyzer) -> None:
    text = "Qualités :\nRigueur\nVous participez à l'organisation des élections professionnelles."
    analysis = next(analyzer.analyse([text]))
    found = {analyzer.catalogue.skills[m.uri].label for m in analysis.skills if m.source == "matcher"}
    assert "Rigueur" in found  # a list item of its own
    assert "Organisation" not in found  # a word of a longer clause


def test_skills_and_rmfp_markdown_and_readme_sentence() -> None:
    scores = [measure.SkillScore("dev", 40, 300, 120, 250, 140, 200, 50, 250, 60)]
    scores += [measure.SkillScore("heldout", 20, 200, 80, 150, 90, 150, 30, 120, 30)]
    scores += [measure.SkillScore("all", 60, 500, 200, 400, 230, 350, 80, 370, 90)]
    figures = {"all mentions": scores, "matcher only": scores}
    table = measure.skills_markdown(figures)
    assert "| development (40 offers), all mentions | 300 | 250 | 56.0% | 40.0% | 200 | 250 | 24.0% | 25.0% |" in table
    rmfp = measure.RmfpScore(100, 40, 70)
    assert "| offer → RMFP emploi-référence, top-3 | 70.0% (70 of 100) |" in measure.rmfp_markdown(rmfp)
    f = measure.Figures(650, 2, 0.5, 0.6, 7.0, 0.03, 0.1, 0.3, 0.3, 0.1, 0.01, 400, 600, 1.0, 30)
    flat = " ".join(measure.readme_block(f, skills=figures, rmfp=rmfp).split())
    assert "held-out offers 25.0% / 20.0% / 22.2%" in flat and "top-1 40.0%, top-3 70.0%" in flat


@pytest.mark.slow  # builds the text analyzer and reads the 60 + 100 gold offers: ~3 min on the shared machine
def test_the_figures_in_the_docs_are_the_commands() -> None:
    written = measure.FIGURES.read_text(encoding="utf-8")
    skills = measure.measure_skills()
    assert measure.skills_markdown(skills) in written
    assert measure.rmfp_markdown(measure.measure_rmfp()) in written
    held = {s.split: s for s in skills["all mentions"]}["heldout"]
    assert held.offers == 20 and held.found_hit <= held.found and held.sets_hit <= held.gold_sets


def _synthetic_candidates(texts: int, seed: int = 16) -> tuple[list[skill_ranker.Candidates], list[set[str]]]:
    """Texts whose candidate concepts are right when their first feature is high: a ranker can learn it."""
    rng = np.random.default_rng(seed)
    candidates, gold = [], []
    for t in range(texts):
        uris = [f"https://id.vivier.fr/skill/t{t}c{c}" for c in range(12)]
        features = rng.normal(size=(12, len(skill_ranker.FEATURES)))
        hits = [skill_ranker.Hit(u, 10 * c, 10 * c + 5, "mot", 1.0, False) for c, u in enumerate(uris)]
        candidates.append(
            skill_ranker.Candidates(uris, features, [-1] * 12, list(hits), skill_ranker.Closest.empty(), "x" * 200)
        )
        gold.append({u for u, f in zip(uris, features, strict=True) if f[0] > 0.5})
    return candidates, gold


def test_the_skill_ranker_scores_each_offer_with_a_ranker_fitted_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    candidates, gold = _synthetic_candidates(15)

    def f1(ids: list[int], found: list[list[SkillMention]]) -> float:
        right = sum(len({m.uri for m in mentions} & gold[i]) for i, mentions in zip(ids, found, strict=True))
        return 2 * right / max(sum(len(gold[i]) for i in ids) + sum(len(m) for m in found), 1)

    fitted_on: list[set[int]] = []
    real_fit = skill_ranker.fit_ranker

    def spy(c: list[skill_ranker.Candidates], g: list[set[str]], ids: list[int], score: object) -> object:
        fitted_on.append(set(ids))
        return real_fit(c, g, ids, f1)

    monkeypatch.setattr(skill_ranker, "fit_ranker", spy)
    kept = skill_ranker.cross_validated(candidates, gold, range(15), f1)
    assert sorted(kept) == list(range(15)) and len(fitted_on) == skill_ranker.FOLDS
    for train in fitted_on:  # each text is left out of exactly one fit: the one that scores it
        assert len(train) == 12
    assert sum(i not in train for train in fitted_on for i in range(15)) == 15
    right = sum(len({m.uri for m in kept[i]} & gold[i]) for i in range(15))
    assert right > 0.6 * sum(len(g) for g in gold)  # it learned the rule, on texts it had not seen


@pytest.mark.slow  # builds the text analyzer and its ranker
def test_a_learnt_ranker_ranks_offer_skills_and_keeps_the_rules_for_cvs() -> None:
    analyzer = default_analyzer()
    assert analyzer.ranker is None  # the shipped loader reads offers by the rules (loaders.nlp.OFFER_SKILL_RANKER)
    text = "Gestionnaire RH\nAssurer la gestion administrative du personnel et la paie des agents. Rigueur."
    # Reading by the rules never builds the ranker's label index (a test before this one may have fitted a ranker
    # on the shared analyzer: its index is dropped first, as in a process that never fitted one).
    vars(analyzer).pop("ranker_labels", None)
    assert next(analyzer.analyse([text], ["Gestionnaire RH"], offers=True)).skills
    assert next(analyzer.analyse([text])).skills
    assert "ranker_labels" not in vars(analyzer)
    analyzer.ranker = skill_ranker.learn_skill_ranker(analyzer)
    try:
        assert analyzer.ranker is not None and 0.0 < analyzer.ranker.threshold < 1.0
        assert "ranker_labels" in vars(analyzer)  # built by the fit, on first use
        offer = next(analyzer.analyse([text], ["Gestionnaire RH"], offers=True))
        cv = next(analyzer.analyse([text]))
    finally:
        analyzer.ranker = None
    assert offer.skills and cv.skills
    assert all(text[m.start : m.end] == m.text for m in offer.skills + cv.skills)
