"""French text understanding (issue 4): lemma-based skill matching, the similarity fallback and its spans, the
top-3 occupations of career steps and the skill spans kept in Neo4j, filière and commune of offers and CVs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph.db import Database
from graph.writes import write_candidates, write_offers
from loaders.cvs import parse_cv
from loaders.nlp import SIMILARITY_THRESHOLD, SIMILARITY_TRUST, TextAnalyzer, default_analyzer, norm_word
from loaders.offers import parse_offer
from loaders.records import CandidateRecord, SkillMention, TextAnalysis
from loaders.statutory import statutory_facts

CVS = Path(__file__).parent / "data" / "ingestion" / "dataset" / "cvs"
# A free-text CV: a paraphrased skill on its own line (the similarity fallback), conjugated skills (the matcher),
# a stated filière, a postal code and city, two dated career steps.
TEXT_CV = """Camille Exemple
4 rue des Lilas, 35000 Rennes

Gestionnaire de l'administration du personnel
Filière administrative, titulaire de la fonction publique territoriale.
Je gère les contrats et je coordonne les activités d'une équipe.

2016 - aujourd'hui : Responsable des ressources humaines, Mairie de Rennes
2010 - 2016 : Assistant de direction, Conseil départemental d'Ille-et-Vilaine
"""
OFFER = {
    "offer_id": "T-1",
    "title": "Technicien bâtiment",
    "employer_id": "E1",
    "published_at": "2024-03-18",
    "contract": "titulaire",
    "departement": "35",
    "description": "Poste de la filière technique, catégorie B. Lieu : 35000 Rennes. Vous gérez les contrats.",
}


@pytest.fixture(scope="module")
def analyzer() -> TextAnalyzer:
    return default_analyzer()


def analyse(analyzer: TextAnalyzer, text: str, title: str = "") -> TextAnalysis:
    return next(analyzer.analyse([text], [title]))


def labels(analyzer: TextAnalyzer, mentions: list[SkillMention], source: str) -> set[str]:
    return {analyzer.catalogue.skills[m.uri].label for m in mentions if m.source == source}


def assert_spans(mentions: list[SkillMention], analysed: str) -> None:
    for m in mentions:
        assert m.text and m.text == analysed[m.start : m.end], m
        assert 0 < m.confidence <= 1, m


def test_norm_is_the_folded_lookup_lemma() -> None:
    assert norm_word("gérez") == norm_word("gère") == norm_word("gérer") == "gerer"
    assert norm_word("instruisez") == norm_word("instruire")  # irregular: beyond the old "-ez" → "-er" rule
    assert norm_word("contrôle") == norm_word("controle") == norm_word("contrôler")  # unaccented text too
    assert norm_word("ressources") == norm_word("ressource")  # a plural noun is not "tu ressources"
    assert norm_word("contrat") == "contrat"  # a lemma as written, not the folded "contrât" of "contrer"
    assert norm_word("proposés") != norm_word("proposer")  # "les postes proposés": an adjective, not the skill
    assert norm_word("rédactrice") == norm_word("rédacteur") and norm_word("2ème") == norm_word("deuxième")


def test_matcher_links_conjugated_and_unaccented_skills(analyzer: TextAnalyzer) -> None:
    text = "VOUS GÉREZ LES CONTRATS. Vous instruisez les dossiers. Il coordonne les activités d'une équipe.\n"
    text += "Controle de gestion. Les postes proposés sont ouverts."
    analysis = analyse(analyzer, text)
    found = labels(analyzer, analysis.skills, "matcher")
    assert {"Gérer des contrats", "Instruire des dossiers", "Coordonner l'activité d'une équipe"} <= found
    assert "Contrôle de gestion" in found and "Proposer" not in found
    assert_spans(analysis.skills, text)
    first = min((m for m in analysis.skills if m.source == "matcher"), key=lambda m: m.start)
    assert (first.text, first.start, first.confidence) == ("GÉREZ LES CONTRATS", 5, 1.0)  # a preferred label


def test_tools_and_licences_are_read_by_the_names_people_write(analyzer: TextAnalyzer) -> None:
    text = "Compétences\nLogiciels : InDesign, Photoshop\nSystèmes : Linux, Windows\nPermis B\n"
    analysis = analyse(analyzer, text)
    found = labels(analyzer, analysis.skills, "matcher")
    assert {"Logiciel InDesign", "Système d'exploitation Linux", "Permis de conduire"} <= found
    assert_spans(analysis.skills, text)


def test_office_tools_named_in_one_word_meet_the_label_that_lists_them(analyzer: TextAnalyzer) -> None:
    text = "Compétences\nBureautique : Word, Excel, PowerPoint\nPack Office, LibreOffice\nAndroid\nMéthode HACCP\n"
    analysis = analyse(analyzer, text)
    found = labels(analyzer, analysis.skills, "matcher")
    assert {
        "Logiciels de type, Word, Excel",
        "Microsoft Office PowerPoint (diaporama)",
        "Maîtrise des outils bureautiques (Pack Office / version libre) et des applications métiers",
        "Suite bureautique - LibreOffice",
        "Système d'exploitation informatique Android",
        "Système Hazard Analysis Critical Control Point (HACCP)",
    } <= found
    assert_spans(analysis.skills, text)


def test_a_noun_of_action_meets_the_verb_of_the_label(analyzer: TextAnalyzer) -> None:
    text = "Missions\n- Instruction des demandes de permis de construire\n- Rédaction des procès-verbaux\n"
    analysis = analyse(analyzer, text)
    found = labels(analyzer, analysis.skills, "matcher")
    assert "Instruire une demande de permis de construire" in found  # « instruction » read as « instruire »
    assert_spans(analysis.skills, text)


def test_a_bare_verb_counts_only_as_the_whole_clause(analyzer: TextAnalyzer) -> None:
    # « Rédaction de courriers » names what is written, not the bare verb *Rédiger*; « Rédiger » alone is the verb
    in_a_clause = analyse(analyzer, "Compétences\nRédaction de courriers\n")
    assert "Rédiger" not in labels(analyzer, in_a_clause.skills, "matcher")
    assert "Rédiger" in labels(analyzer, analyse(analyzer, "Qualités\n- Rédiger\n").skills, "matcher")


def test_a_written_name_is_an_alternative_label_whatever_other_labels_its_concept_has(analyzer: TextAnalyzer) -> None:
    # « Permis B » is an alternative label (0.9) of *Permis de conduire*, not one of its one-word labels (0.63)
    analysis = analyse(analyzer, "Divers\nPermis B\n")
    permis = [m for m in analysis.skills if analyzer.catalogue.skills[m.uri].label == "Permis de conduire"]
    assert [m.confidence for m in permis] == [0.9]


def test_a_cv_s_interests_and_section_names_hold_no_skill(analyzer: TextAnalyzer) -> None:
    text = (
        "Camille Exemple\n06 00 00 00 00\nAgent d'accueil\n\nFormation\n2010 Bac pro\n\nCompétences\n"
        "Accueil du public, couture\n\nCentres d'intérêt\nCouture, photographie, pêche\n"
        "Loisirs : couture\n"
    )
    record = parse_cv(text.encode(), "cand-interests.txt", "t", analyzer)
    assert isinstance(record, CandidateRecord)
    kept = "Accueil du public, couture"  # the one line of skills, under « Compétences »
    assert record.skills and all(m.text in kept for m in record.skills), record.skills
    assert "Former" not in labels(analyzer, record.skills, "matcher")  # « Formation » is a heading


def test_similarity_fallback_keeps_span_and_a_lower_confidence(analyzer: TextAnalyzer) -> None:
    clause = "Vous assurez le suivi des dossiers des agents"
    text = f"Missions :\n-  {clause}.\n"
    analysis = analyse(analyzer, text)
    similar = [m for m in analysis.skills if m.source == "similarity"]
    assert labels(analyzer, similar, "similarity") == {"Suivi et gestion des dossiers :"}  # no heading ("Missions")
    mention = similar[0]
    assert (mention.text, mention.start) == (clause, text.index(clause))  # the clause without bullet or full stop
    assert SIMILARITY_THRESHOLD * SIMILARITY_TRUST <= mention.confidence <= SIMILARITY_TRUST
    assert mention.confidence < 0.63  # below any matcher hit (a one-word alt label: 0.9 × 0.7)
    assert_spans(analysis.skills, text)


@pytest.mark.slow  # builds the text analyzer (spaCy, the catalogue's patterns): ~10 s on its own
def test_filiere_and_commune_of_offers() -> None:
    offer = parse_offer(OFFER)
    assert (offer.filiere, offer.commune, offer.categorie) == ("Technique", "Rennes", "B")
    grade = {"offer_id": "T-2", "title": "Gestionnaire", "description": "Rédactrice principale de 2e classe."}
    from_grade = parse_offer(OFFER | grade)
    assert (from_grade.filiere, from_grade.commune) == ("Administrative", None)  # the grade's filière
    hospital = statutory_facts("Fonction publique hospitalière, filière administrative. 29200 Brest")
    assert (hospital.filiere, hospital.commune, hospital.departement) == ("Administratif", "Brest", "29")
    assert statutory_facts("Acheteur de la filière achat").filiere is None  # a trade, not a statutory filière


def test_filiere_and_commune_of_cvs(analyzer: TextAnalyzer) -> None:
    resume = parse_cv((CVS / "cand-001.json").read_bytes(), "cand-001.json", "t", analyzer)
    assert (resume.filiere, resume.commune, resume.departement) == ("Administrative", "Lyon", "69")
    text = parse_cv(TEXT_CV.encode(), "cand-t1.txt", "t", analyzer)
    assert (text.filiere, text.commune, text.departement, text.titulaire) == ("Administrative", "Rennes", "35", True)
    assert "Lilas" not in text.cv_text  # the address goes; the commune is kept as a fact
    brest = parse_cv((CVS / "cand-003.txt").read_bytes(), "cand-003.txt", "t", analyzer)
    assert (brest.commune, brest.departement) == ("Brest", "29")


def cvs(analyzer: TextAnalyzer) -> list[CandidateRecord]:
    return [
        parse_cv((CVS / "cand-001.json").read_bytes(), "cand-001.json", "t", analyzer),
        parse_cv(TEXT_CV.encode(), "cand-t1.txt", "t", analyzer),
    ]


def test_held_keeps_top3_on_one_edge_per_step_and_scheme(db: Database, analyzer: TextAnalyzer) -> None:
    records = cvs(analyzer)
    write_candidates(db, records)
    for record in records:
        rows = db.execute_query(
            "MATCH (:Candidate {candidate_id: $cid})-[h:HELD]->(o) RETURN h.order AS order, h.scheme AS scheme, "
            "o.uri AS uri, h.score AS score, h.alternatives AS alts, h.alternative_scores AS alt_scores",
            cid=record.candidate_id,
        ).records
        assert len(rows) == 2 * len(record.experiences) > 0  # best RMFP and best ROME per step, no more edges
        for row in rows:
            step = record.experiences[row["order"]]
            ranked = sorted((o for o in step.occupations if o.scheme == row["scheme"]), key=lambda o: o.rank)
            assert [row["uri"], *row["alts"]] == [o.uri for o in ranked] and len(row["alts"]) == 2
            assert [row["score"], *row["alt_scores"]] == [o.score for o in ranked]
            assert row["alt_scores"] == sorted(row["alt_scores"], reverse=True) and row["alt_scores"][0] <= row["score"]


def test_held_of_a_step_with_a_single_occupation_has_no_alternatives(db: Database, analyzer: TextAnalyzer) -> None:
    record = cvs(analyzer)[1]
    step = record.experiences[0]
    step.occupations = [o for o in step.occupations if o.scheme == "ROME" and o.rank == 1]
    record.experiences = [step]
    write_candidates(db, [record])
    rows = db.execute_query("MATCH (:Candidate)-[h:HELD]->() RETURN h.alternatives AS a, h.alternative_scores AS s")
    assert [(r["a"], r["s"]) for r in rows.records] == [([], [])]


def test_has_skill_keeps_the_mention_span(db: Database, analyzer: TextAnalyzer) -> None:
    records = cvs(analyzer)
    write_candidates(db, records)
    rows = db.execute_query(
        "MATCH (c:Candidate)-[h:HAS_SKILL]->(k:Skill) RETURN c.cv_text AS cv, h.source AS source, h.text AS text, "
        "h.start AS start, h.end AS end, h.confidence AS confidence"
    ).records
    assert len(rows) == sum(len(r.skills) for r in records)
    assert {r["source"] for r in rows} == {"matcher", "similarity", "declared"}
    for row in rows:
        assert row["text"] and 0 <= row["start"] < row["end"] and 0 < row["confidence"] <= 1
        if row["source"] != "declared":  # declared skills: offsets in the CV's skills list, not in cv_text
            assert row["cv"][row["start"] : row["end"]] == row["text"]


def test_filiere_and_commune_reach_neo4j(db: Database, analyzer: TextAnalyzer) -> None:
    write_offers(db, [parse_offer(OFFER)])
    write_candidates(db, cvs(analyzer)[1:])
    offer = db.execute_query("MATCH (o:Offer {offer_id: 'T-1'}) RETURN o").records[0]["o"]
    candidate = db.execute_query("MATCH (c:Candidate) RETURN c").records[0]["c"]
    assert (offer["filiere"], offer["commune"]) == ("Technique", "Rennes")
    assert (candidate["filiere"], candidate["commune"]) == ("Administrative", "Rennes")


def test_remembered_token_match_gives_spacys_tokens() -> None:
    import spacy

    from loaders.nlp import MODEL, MemoisedMatch, pipeline

    nlp: Any = pipeline()
    assert isinstance(nlp.tokenizer.token_match, MemoisedMatch)
    plain: Any = spacy.load(MODEL, exclude=["tok2vec", "morphologizer", "parser", "lemmatizer", "ner"])  # as shipped
    assert not isinstance(plain.tokenizer.token_match, MemoisedMatch)
    texts = [
        "Aujourd'hui, l'adjoint·e administratif·ve peut-être au sous-sol : c'est-à-dire qu'il gère l'Île-de-France.",
        "Arrière-petit-fils, porte-parole, vice-président(e) ; e-mail : jean.dupont@example.org, https://www.x.fr/a-b",
        "Technicien(ne) territorial(e) — 2015-2020 : Mairie de Saint-Jean-de-Luz (64) ; Rédac. ppal 2e cl.",
        "",
    ] * 2  # the second time from what was remembered
    for text in texts:
        assert [t.text for t in nlp.tokenizer(text)] == [t.text for t in plain.tokenizer(text)]
    assert nlp.tokenizer.token_match("sous-sol") == bool(plain.tokenizer.token_match("sous-sol"))
    # spaCy saves a tokenizer with its token_match's pattern: the remembered one saves, and reloads as the plain one
    restored: Any = spacy.blank("fr").tokenizer
    restored.from_bytes(nlp.tokenizer.to_bytes())
    assert restored.token_match.__self__.pattern == plain.tokenizer.token_match.__self__.pattern


def test_norms_from_arrays_are_each_tokens_norm_word() -> None:
    """`vivier_norm` reads and writes the doc's arrays: every token's norm is still `norm_word` of its lower-case
    form, and inclusive writing glued to its word is one token (« H / F », spaced, and « x/y » are not)."""
    from loaders.nlp import _clauses, pipeline

    nlp: Any = pipeline()
    texts = [
        "Chargé(e) de mission H / F : directeur/trice des RH, technicien-ne, Mme Dupont, 1er adjoint",
        "Rédactrice ppal 2e cl. – Gérez les contrats ; (e) / - x/y-z",
        "",
        "Chargé(e) de mission H / F : directeur/trice des RH, technicien-ne, Mme Dupont, 1er adjoint",  # remembered
    ]
    for text in texts:
        doc = nlp(text)
        for token in doc:
            assert token.norm_ == norm_word(token.text.lower()), token
        assert all(words for _, words in _clauses(text, doc))
    assert [t.text for t in nlp("directeur/trice H / F, x/y")] == ["directeur/trice", "H", "/", "F", ",", "x", "/", "y"]
    assert [t.text for t in nlp("Chargé(e) de mission, technicien-ne")][:2] == ["Chargé(e)", "de"]
    assert "technicien-ne" in [t.text for t in nlp("Chargé(e) de mission, technicien-ne")]
