"""Any history, any language (issue 13), end to end at a reduced size: the sparse, mixed-language history of
`simulator/sparse.py` loaded through `vivier.ingest.load_dataset`, trained with `gnn.pipeline.train_model` and served
by `gnn.serving.Recommender`, over the catalogue's concepts. Sparse candidates load and are ranked, English offers get
candidates of their own occupation family, candidates who never applied reach the top 10, and `vivier evaluate`'s
report pairs the model with TF-IDF and the content-only MLP and has its cold-start table. Also, without a
database: the character n-gram space puts an English title near its French CV, and a candidate with no statutory fact
is never ineligible by default."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from gnn.career import CareerConfig
from gnn.evaluate import CONTENT_MLP, TFIDF, VIVIER, evaluate_model
from gnn.features import CHAR_TEXT_DIM, WORD_TEXT_DIM, FeatureSpec, fit_text_model, shared_text
from gnn.pipeline import train_model
from gnn.serving import Recommender
from gnn.train import TrainConfig
from gnn.truth import simulator_process, simulator_utility
from graph.db import Database
from loaders.pseudonym import candidate_id
from loaders.rejects import RejectLog
from ontology.eligibility import StatutoryProfile, StatutoryRequirement, check_eligibility
from simulator.sparse import simulate_sparse
from tests.conftest import wipe
from tests.support.ingestion import write_ontology_stubs
from tests.support.settings import environment
from vivier.ingest import load_dataset

CONFIG = TrainConfig(epochs=30, eval_every=5, patience=3, hidden=32, out=64, random_negatives=32)
# The career head is not this test's subject: a small one, as the API tests' model has (tests/support/api.py).
CAREER = CareerConfig(hidden=16, out=16, epochs=10, negatives=4)


@dataclass
class Served:
    database: Database
    recommender: Recommender
    folder: Path
    rejects: RejectLog
    offers: dict[str, dict[str, str]]  # offer_id → truth row
    candidates: dict[str, dict[str, str]]  # pseudonymous candidate_id → truth row


def _truth(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _ontology_stubs_with_mobility(database: Database) -> None:
    """The catalogue's concepts as stubs (the loaders link to them) and a chain of ROME mobility transitions for the
    career head: the whole ontology is not needed here, and parsing it doubles the test's memory."""
    write_ontology_stubs(database)
    database.execute_query(
        "MATCH (f:RomeFiche) WITH f ORDER BY f.uri LIMIT 60 WITH collect(f) AS fiches "
        "UNWIND range(0, size(fiches) - 2) AS i WITH fiches[i] AS a, fiches[i + 1] AS b, i "
        "MERGE (a)-[:MOBILITY {kind: 'proche', mobility_id: 'test-' + toString(i)}]->(b)"
    )


@pytest.fixture(scope="module")
def served(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("any-language") / "sparse"
    with environment(VIVIER_DATA_DIR=str(folder.parent / "data")):
        # From an empty database: what earlier modules left (a whole ontology, the API tests' graph) would change
        # the exported graph, hence the model; a later test that needs the ontology reloads it (its marker is gone).
        wipe(database, keep_labels=("SchemaMigration",))
        _ontology_stubs_with_mobility(database)
        simulate_sparse(folder, scale=300, seed=3)
        rejects = RejectLog(folder.parent / "rejects.jsonl")
        load_dataset(database, folder, rejects=rejects)
        train_model(database, CONFIG, CAREER, progress=False)
        offers = {row["offer_id"]: row for row in _truth(folder / "truth" / "offers.csv")}
        refs = _truth(folder / "truth" / "candidates.csv")
        candidates = {candidate_id(folder.name, r["candidate_ref"]): r for r in refs}
        yield Served(database, Recommender.load(database), folder, rejects, offers, candidates)
        database.execute_query("MATCH (n) WHERE n:Offer OR n:Candidate OR n:Employer DETACH DELETE n")


def test_every_profile_and_application_loads_the_sparse_ones_flagged(served: Served) -> None:
    assert [r for r in served.rejects.rejects if r.kind in ("cv", "application")] == []
    rows = served.database.execute_query(
        "MATCH (c:Candidate) "
        "RETURN c.candidate_id AS id, c.sparse_profile AS sparse, c.embedding IS NOT NULL AS embedded"
    ).records
    loaded = {r["id"]: r for r in rows}
    assert set(loaded) == set(served.candidates)  # place only, job titles only, and empty ones who applied
    thin = {c for c, t in served.candidates.items() if t["profile"] in ("place_only", "titles_only", "empty")}
    assert all(loaded[c]["sparse"] for c in thin)
    assert all(r["embedded"] for r in rows)  # every candidate, sparse or not, gets a vector to be ranked by


def test_sparse_candidates_are_ranked_and_english_offers_get_their_family(served: Served) -> None:
    english = [o for o, t in served.offers.items() if t["language"] == "en"]
    assert len(english) >= 5
    same_family, sparse_listed = [], 0
    sparse = {c for c, t in served.candidates.items() if t["profile"] != "summary"}
    for offer in english:
        top = [c for c, _ in served.recommender.recommend_candidates(served.database, offer, k=10)]
        assert len(top) == 10
        family = served.offers[offer]["family"]
        same_family.append(np.mean([served.candidates[c]["family"] == family for c in top]))
        sparse_listed += len(sparse.intersection(top))
    base_rate = np.mean(
        [t["family"] == served.offers[o]["family"] for o in english for t in served.candidates.values()]
    )
    assert sparse_listed > 0
    # A sensible list: candidates of the offer's own family several times more often than at random.
    assert np.mean(same_family) >= 2.5 * base_rate, (np.mean(same_family), base_rate)


def test_candidates_who_never_applied_reach_the_top_ten(served: Served) -> None:
    rows = served.database.execute_query(
        "MATCH (c:Candidate) WHERE NOT (c)-[:APPLIED]->() RETURN c.candidate_id AS id"
    ).records
    never_applied = {r["id"] for r in rows}
    assert len(never_applied) > 20
    listed: set[str] = set()
    for offer in served.offers:
        listed |= {c for c, _ in served.recommender.recommend_candidates(served.database, offer, k=10)}
    assert len(never_applied & listed) >= 5


def test_the_report_pairs_the_model_with_tfidf_and_the_mlp_and_has_a_cold_start_table(served: Served) -> None:
    path = evaluate_model(
        served.database,
        truth=simulator_utility(served.folder),
        oracle=simulator_process(served.folder),
        progress=False,
    )
    report = path.read_text()
    # Each test offer's figures beside the report, for paired comparisons of versions (bench/compare_versions.py).
    per_offer = json.loads((path.parent / "per_offer.json").read_text())
    lengths = {len(v) for v in per_offer["recall@10"].values()}
    assert VIVIER in per_offer["recall@10"] and lengths == {len(per_offer["test_offers"])} and lengths.pop() > 0
    assert "## Triage: ranking an offer's own applicants" in report and VIVIER in per_offer["triage"]
    number = r"-?\d+\.\d+"
    paired = rf"Paired difference in Recall@10 over the same test offers: {number} \[{number}, {number}\]"
    for baseline in (TFIDF, CONTENT_MLP):  # beside the best baseline, or in its sentence when it is the best
        written = rf"- {re.escape(VIVIER)} minus {re.escape(baseline)}: {paired}"
        assert re.search(written, report) or re.search(rf"best baseline \({re.escape(baseline)}\).*{paired}", report)
    cold = re.search(rf"^\| {re.escape(VIVIER)} \| ({number}) \| ({number}) \| (\d+) \| (\d+) \|$", report, re.M)
    assert cold is not None, "the cold-start table has no row for the model"
    assert int(cold[3]) > 0 and int(cold[4]) >= 0  # cold (candidate, offer) targets exist in the test


def test_character_ngrams_match_an_english_title_with_its_french_profile() -> None:
    offers = [
        {"title": "Research engineer", "description": "Machine learning."},
        {"title": "Nurse", "description": "Ward nursing care."},
        {"title": "Comptable", "description": "Exécution budgétaire."},
    ]
    candidates = [{"cv_text": "Ingénieur de recherche"}, {"cv_text": "Infirmière, nurse"}, {"cv_text": "Accountant"}]
    spec = FeatureSpec(text_model=fit_text_model({"offer": offers, "candidate": candidates}))
    o = shared_text([f"{r['title']} {r['description']}" for r in offers], spec)[:, WORD_TEXT_DIM:]
    c = shared_text([r["cv_text"] for r in candidates], spec)[:, WORD_TEXT_DIM:]
    assert o.shape[1] == CHAR_TEXT_DIM
    similarity = o @ c.T
    assert np.argmax(similarity[0]) == 0 and np.argmax(similarity[1]) == 1  # across languages, by n-grams


def test_unknown_statutory_facts_never_make_a_candidate_ineligible() -> None:
    unknown = StatutoryProfile.from_facts(
        titulaire=None, education_level=None, versant=None, categorie=None, cadre_emplois=None, grade=None
    )
    for contract in ("titulaire", "contractuel", "titulaire_ou_contractuel"):
        verdict = check_eligibility(unknown, StatutoryRequirement(contract, versant="FPE", categorie="A"))
        assert verdict.eligible and "à vérifier" in verdict.reasons[0]
    offer_without_facts = StatutoryRequirement.from_facts(
        contract=None, versant=None, categorie=None, cadre_emplois=None, grade=None
    )
    known = StatutoryProfile.from_facts(
        titulaire=False, education_level=None, versant=None, categorie=None, cadre_emplois=None, grade=None
    )
    assert check_eligibility(known, offer_without_facts).eligible  # an offer that states nothing restricts nothing
