"""The GNN on a small synthetic graph in the real Neo4j: export, training that learns, cold start, stored
versions that reproduce their predictions, the serving interface, and the metric functions by hand."""

from __future__ import annotations

import json
import math
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

from api.state import Recommender as ServedRecommender
from gnn import ranker
from gnn.artifacts import ModelVersion, weights_hash
from gnn.career import rank_held_out
from gnn.eligibility import candidate_profiles, eligibility_matrix, eligibility_sets, offer_requirements
from gnn.export import GraphExport, export_graph, shared_text_columns
from gnn.features import shared_text_row
from gnn.metrics import bootstrap, query_metrics, ranks
from gnn.model import LinkGNN
from gnn.pipeline import final_states, train_model
from gnn.ranker import RankerConfig, validation_sample
from gnn.rerank import (
    FEATURES,
    History,
    IncompatibleArtifact,
    PairFacts,
    RerankingArtifact,
    evaluation_pools,
    offer_facts,
    pair_features,
)
from gnn.sampling import NeighbourSampler
from gnn.serving import Recommender, _Side
from gnn.train import TrainConfig, edge_types, fit, message_graph, node_counts, rank_offers, temporal_split
from graph.db import Database
from graph.training_data import neighbourhood
from ontology.eligibility import is_eligible
from tests.support.settings import environment
from tests.support.synthetic import write_synthetic_graph
from tests.test_sampling import assert_same_sampler
from vivier.settings import Settings

CONFIG = TrainConfig(epochs=40, eval_every=5, patience=4, hidden=32, out=64, random_negatives=32)


@dataclass
class Trained:
    database: Database
    version: ModelVersion
    export: GraphExport


@pytest.fixture(scope="module")
def trained(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    with environment(VIVIER_DATA_DIR=str(tmp_path_factory.mktemp("gnn-data"))):
        database.execute_query("MATCH (n) WHERE NOT n:SchemaMigration DETACH DELETE n")
        write_synthetic_graph(database, candidates=150, offers=60, seed=1)
        version = train_model(database, CONFIG, progress=False)
        yield Trained(database, version, export_graph(database, progress=False))


# --- metrics, by hand ---------------------------------------------------------------------------------------
def test_ranks_and_query_metrics_by_hand() -> None:
    scores = np.array([0.9, 0.1, 0.5, 0.7, 0.3])
    positive_ranks = ranks(scores, np.array([2, 4]))  # 0.5 is 3rd, 0.3 is 4th
    assert positive_ranks.tolist() == [3, 4]
    m = query_metrics(positive_ranks, pool_size=5)
    assert m["recall@10"] == 1.0
    assert m["mrr"] == pytest.approx(1 / 3)
    ideal = 1 + 1 / math.log2(3)
    assert m["ndcg@10"] == pytest.approx((1 / math.log2(4) + 1 / math.log2(5)) / ideal)
    # Negatives 0.9, 0.7 above both positives, 0.1 below both: AUC = 1/3.
    assert m["auc"] == pytest.approx(1 / 3)


def test_checkpointed_layers_give_the_same_gradients() -> None:
    """Recomputing each layer in the backward pass (for the `large` graph's memory) changes nothing learnt."""
    from gnn.model import LinkGNN

    sizes = {"candidate": 30, "offer": 12, "skill": 9}
    relations = [
        ("candidate", "has_skill", "skill"),
        ("offer", "requires_skill", "skill"),
        ("skill", "rev_has_skill", "candidate"),
        ("skill", "rev_requires_skill", "offer"),
    ]
    generator = torch.Generator().manual_seed(0)
    x = {t: torch.randn(n, 5, generator=generator) for t, n in sizes.items()}
    edges = {}
    for src, rel, dst in relations:
        pairs = torch.stack(
            [
                torch.randint(sizes[src], (40,), generator=generator),
                torch.randint(sizes[dst], (40,), generator=generator),
            ]
        ).unique(dim=1)
        edges[(src, rel, dst)] = pairs
    grads = []
    for checkpoint in (False, True):
        torch.manual_seed(1)
        model = LinkGNN({t: 5 for t in sizes}, relations, hidden=8, out=4, dropout=0.3, checkpoint=checkpoint)
        model.train()
        torch.manual_seed(2)  # the same dropout masks: checkpoint replays the RNG state
        emb = model(x, edges)
        (emb["candidate"][:12] * emb["offer"]).sum().backward()
        grads.append({name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None})
    assert grads[0].keys() == grads[1].keys() and grads[0]
    for name, grad in grads[0].items():
        assert torch.allclose(grad, grads[1][name], atol=1e-6), name


def test_best_first_selects_like_a_full_stable_sort() -> None:
    from gnn.serving import best_first

    rng = np.random.default_rng(0)
    scores = rng.integers(0, 20, 500).astype(np.float32)  # many ties
    full = np.argsort(-scores, kind="stable")
    for k in (1, 10, 499, 500, 800):
        assert best_first(scores, k).tolist() == full[:k].tolist()


def test_folded_reranker_gives_the_pipelines_log_odds() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from gnn.rerank import Reranker, _linear_terms

    rng = np.random.default_rng(1)
    x = rng.gamma(2.0, 1.0, (300, len(FEATURES))).astype(np.float32)
    x[:, 3] = 0.0  # a constant fact: the scaler's zero variance
    y = (x[:, 0] + rng.normal(0, 1, 300) > 2).astype(int)
    model = make_pipeline(FunctionTransformer(_linear_terms), StandardScaler(), LogisticRegression(max_iter=500))
    reranker = Reranker(model.fit(x, y))
    assert np.allclose(reranker.score(x), model.decision_function(x), atol=1e-5)


def test_ties_are_broken_at_random_not_in_favour() -> None:
    constant = np.zeros(1000)
    r = ranks(constant, np.arange(10))
    assert 200 < r.mean() < 800  # a constant scorer ranks like a random one


def test_bootstrap_interval_contains_mean() -> None:
    estimate = bootstrap(np.array([0.0, 1.0] * 50))
    assert estimate.mean == 0.5
    assert estimate.low < 0.5 < estimate.high


def test_career_ranking_by_hand() -> None:
    pool = np.array([0, 1, 2, 3])
    train = torch.tensor([[0], [1]])
    held = torch.tensor([[0], [3]])
    result = rank_held_out(lambda a: np.array([0.0, 9.0, 1.0, 2.0]), pool, train, held)
    # Fiche 1 (a known target) and 0 (the source) are filtered: 3 ranks first among {2, 3}.
    assert result["hits@10"] == 1.0
    assert result["mrr"] == 1.0


# --- export ---------------------------------------------------------------------------------------------------
def test_export_shapes_and_contiguous_gids(trained: Trained) -> None:
    data, ids = trained.export.data, trained.export.ids
    assert data["candidate"].num_nodes == 150
    assert data["offer"].num_nodes == 60
    assert sorted(ids["offer"]) == [f"O{i:05d}" for i in range(60)]
    records, _, _ = trained.database.execute_query("MATCH (o:Offer) RETURN o.offer_id AS id, o.gid AS gid")
    assert sorted(r["gid"] for r in records) == list(range(60))
    assert all(ids["offer"][r["gid"]] == r["id"] for r in records)
    for edge_type in data.edge_types:
        src, _, dst = edge_type
        edge_index = data[edge_type].edge_index
        assert edge_index.shape[0] == 2
        if edge_index.numel():
            assert int(edge_index[0].max()) < data[src].num_nodes
            assert int(edge_index[1].max()) < data[dst].num_nodes
    assert data["candidate", "has_skill", "skill"].edge_index.shape[1] > 0
    assert data["skill", "rev_has_skill", "candidate"].edge_index.shape[1] > 0
    assert trained.export.applications.positive.sum() == 60 * 3


def test_new_nodes_are_appended_without_moving_gids(trained: Trained) -> None:
    database = trained.database
    database.execute_query("MERGE (:Skill:Concept {uri: 'urn:skill:new', label: 'compétence nouvelle'})")
    again = export_graph(database, progress=False)
    assert again.ids["skill"][: len(trained.export.ids["skill"])].tolist() == trained.export.ids["skill"].tolist()
    assert again.ids["skill"][-1] == "urn:skill:new"
    database.execute_query("MATCH (s:Skill {uri: 'urn:skill:new'}) DETACH DELETE s")


def test_eligibility_matrix_agrees_with_the_rules(trained: Trained) -> None:
    export = trained.export
    profiles, requirements = candidate_profiles(export), offer_requirements(export)
    offers = np.arange(5)
    matrix = eligibility_matrix(profiles, requirements, offers)
    for i, o in enumerate(offers.tolist()):
        for j in range(0, len(profiles), 17):
            assert bool(matrix[i, j]) == is_eligible(profiles[j], requirements[o])


def test_eligibility_counts_are_the_rows_sums(trained: Trained) -> None:
    export = trained.export
    profiles, requirements = candidate_profiles(export), offer_requirements(export)
    eligible = eligibility_sets(profiles, requirements, np.arange(export.data["offer"].num_nodes))
    assert eligible.counts().tolist() == eligible.dense().sum(1).tolist()


def test_full_batch_validation_is_bounded_by_rows(trained: Trained, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every validation offer while their pools fit VALIDATION_ROWS; past it a fixed sample of at least
    `validation_offers`, whose pools fit on average (at 50,000 candidates the whole validation was 16.9 M rows)."""
    export = trained.export
    split = temporal_split(export, CONFIG)
    eligible = eligibility_sets(candidate_profiles(export), offer_requirements(export), split.val)
    sizes = eligible.counts()
    assert validation_sample(eligible, RankerConfig(), CONFIG).tolist() == list(range(len(split.val)))
    monkeypatch.setattr(ranker, "VALIDATION_ROWS", int(sizes.sum()) // 2)
    sample = validation_sample(eligible, RankerConfig(validation_offers=1), CONFIG)
    assert 1 <= len(sample) < len(split.val) and set(sample.tolist()) <= set(range(len(split.val)))
    assert sample.tolist() == sorted(set(sample.tolist()))  # kept in the split's (time) order, each once
    assert len(sample) == int(sizes.sum() // 2 // sizes.mean())
    assert validation_sample(eligible, RankerConfig(validation_offers=1), CONFIG).tolist() == sample.tolist()
    assert eligible[sample].dense().tolist() == eligible.dense()[torch.from_numpy(sample)].tolist()
    floor = validation_sample(eligible, RankerConfig(validation_offers=len(split.val) - 1), CONFIG)
    assert len(floor) == len(split.val) - 1


# --- training -------------------------------------------------------------------------------------------------
def test_training_learns_and_beats_random(trained: Trained) -> None:
    history = trained.version.metrics["history"]
    assert history[-1]["loss"] < history[0]["loss"] or min(h["loss"] for h in history) < history[0]["loss"]
    best = max(h["val_recall@10"] for h in history)
    # 150 candidates, 3 selected per offer: random Recall@10 is about 10 / 150.
    assert best > 3 * 10 / 150


def test_content_only_model_trains_too(trained: Trained) -> None:
    export = trained.export
    split = temporal_split(export, CONFIG)
    result = fit(export, split, TrainConfig(**{**vars(CONFIG), "epochs": 10}), layers=0, progress=False)
    assert len(result.model.convs) == 0
    assert result.history


def test_minibatch_training_learns_and_beats_random(trained: Trained) -> None:
    """The bounded-memory scheme (sampled sub-graphs, layer-wise validation embeddings) learns too."""
    export = trained.export
    split = temporal_split(export, CONFIG)
    config = TrainConfig(**{**vars(CONFIG), "minibatch": True, "batch_pairs": 128, "fanouts": (5, 5)})
    result = fit(export, split, config, progress=False)
    losses = [h["loss"] for h in result.history]
    assert min(losses[1:]) < losses[0]
    assert max(h["val_recall@10"] for h in result.history) > 3 * 10 / 150


def test_sampled_subgraphs_never_pass_validation_or_test_applications(trained: Trained) -> None:
    export = trained.export
    split = temporal_split(export, CONFIG)
    model = fit(export, split, TrainConfig(**{**vars(CONFIG), "epochs": 1}), progress=False).model
    sampler = NeighbourSampler(message_graph(export, split.history_val), node_counts(export), model.into)
    held_out = torch.from_numpy(np.concatenate([split.val, split.test])).long()
    seeds = {"offer": held_out.unique(), "candidate": torch.arange(export.data["candidate"].num_nodes)}
    sub = sampler.sample(seeds, [1_000, 1_000], torch.Generator().manual_seed(0))
    passing = 0
    for (src, rel, dst), local in sub.edges.items():
        if "selected" in rel or "applied" in rel:
            offers = sub.nodes["offer"][local[1] if dst == "offer" else local[0]] if "offer" in (src, dst) else None
            if offers is not None:
                passing += len(offers)
                assert not bool(torch.isin(offers, held_out).any()), rel
    assert passing > 0  # training applications do pass


# --- stored versions and serving ------------------------------------------------------------------------------
def test_stored_version_reproduces_its_predictions(trained: Trained) -> None:
    recommender = Recommender.load(trained.database, trained.version.version)
    assert recommender.version == trained.version.version
    stored = recommender._stored
    _, recomputed = final_states(stored.model, export_graph(trained.database, spec=stored.spec, progress=False))
    assert torch.allclose(recomputed["candidate"], stored.embeddings["candidate"], atol=1e-5)
    # Layer by layer over chunks (the path of graphs too large for one forward): the same states and embeddings.
    states, layerwise = final_states(stored.model, trained.export, layerwise=True)
    full_states, _ = final_states(stored.model, trained.export)
    for t in ("candidate", "offer"):
        assert torch.allclose(layerwise[t], recomputed[t], atol=1e-5), t
    for ours, theirs in zip(states, full_states, strict=True):
        assert all(torch.allclose(ours[t], theirs[t], atol=1e-5) for t in theirs)
    again = Recommender.load(trained.database)  # latest = the same version
    assert again.recommend_candidates(trained.database, "O00050", k=5) == recommender.recommend_candidates(
        trained.database, "O00050", k=5
    )


def test_serving_interface(trained: Trained) -> None:
    database = trained.database
    recommender = Recommender.load(database)
    top = recommender.recommend_candidates(database, "O00055", k=10)
    assert len(top) == 10
    assert [s for _, s in top] == sorted((s for _, s in top), reverse=True)
    assert all(0.0 <= s <= 1.0 for _, s in top)  # the re-ranker's chance of being shortlisted
    eligible = recommender.recommend_candidates(database, "O00055", k=5, eligible_only=True)
    assert len(eligible) == 5  # synthetic candidates are all eligible for contractuel C posts
    offers = recommender.recommend_offers(database, "C00007", k=3)
    assert len(offers) == 3
    pair = recommender.score_pair(database, top[0][0], "O00055")
    assert pair == pytest.approx(top[0][1], abs=1e-5)
    steps = recommender.next_steps(database, "urn:rome:F003", k=3)
    assert len(steps) == 3
    assert "urn:rome:F003" not in [uri for uri, _ in steps]
    records, _, _ = database.execute_query("MATCH (c:Candidate) WHERE c.embedding IS NOT NULL RETURN count(c) AS n")
    assert records[0]["n"] == 150


def test_neo4j_vector_index_serves_the_written_embeddings(trained: Trained) -> None:
    """Cypher users search the same embeddings: the index must declare their width (step 5's 256 did not)."""
    database = trained.database
    database.execute_query("CALL db.awaitIndexes(300)")
    records, _, _ = database.execute_query(
        "MATCH (o:Offer {offer_id: 'O00055'}) "
        "CALL db.index.vector.queryNodes('candidate_embedding', 10, o.embedding) YIELD node, score "
        "RETURN node.candidate_id AS candidate, score"
    )
    assert len(records) == 10
    assert len(trained.export.data["candidate"].x) == 150
    stored = Recommender.load(database)._stored.embeddings
    offer = stored["offer"][int(np.nonzero(trained.export.ids["offer"] == "O00055")[0][0])]
    cosine = stored["candidate"] @ offer  # rows are unit vectors
    best = trained.export.ids["candidate"][int(torch.argmax(cosine))]
    assert records[0]["candidate"] == best  # HNSW's first hit is the exact nearest neighbour on 150 nodes


def test_cold_start_matches_the_full_graph_and_embeds_new_offers(trained: Trained) -> None:
    database = trained.database
    recommender = Recommender.load(database)
    # An offer known at training time: the one-node inductive path gives the full-graph embedding.
    stored = recommender._stored.embeddings["offer"][int(np.nonzero(trained.export.ids["offer"] == "O00010")[0][0])]
    assert torch.allclose(recommender.embed(database, "offer", "O00010"), stored, atol=1e-5)
    # A brand-new offer, linked like the others, gets an embedding without retraining.
    database.execute_query(
        "MATCH (e:Employer {employer_id: 'E1'}), (f:RomeFiche {uri: 'urn:rome:F002'}), (d:Departement {code: '02'}) "
        "CREATE (o:Offer {offer_id: 'NEW-1', title: 'Poste de métier 2', description: 'agent', versant: 'FPT', "
        "categorie: 'C', contract: 'contractuel', published_at: date('2030-01-01')}) "
        "CREATE (o)-[:POSTED_BY]->(e), (o)-[:OF_OCCUPATION {rank: 1, score: 1.0}]->(f), (o)-[:LOCATED_IN]->(d)"
    )
    top = recommender.recommend_candidates(database, "NEW-1", k=5)
    assert len(top) == 5
    records, _, _ = database.execute_query(
        "MATCH (o:Offer {offer_id: 'NEW-1'}) RETURN size(o.embedding) AS dim, o.embedding_version AS v"
    )
    assert records[0]["dim"] == CONFIG.out + CONFIG.wide
    assert records[0]["v"] == recommender.version
    database.execute_query("MATCH (o:Offer {offer_id: 'NEW-1'}) DETACH DELETE o")


def test_neighbourhood_in_one_round_trip_is_the_exported_graph(trained: Trained) -> None:
    """What a CV upload or a new offer reads of its node (one query) is what the training export holds."""
    data, ids, apps = trained.export.data, trained.export.ids, trained.export.applications
    posted_by = data["offer", "posted_by", "employer"].edge_index
    employer_of = dict(zip(posted_by[0].tolist(), posted_by[1].tolist(), strict=True))
    read_applications = 0
    for node_type, gids in (("candidate", [0, 7, 42, 149]), ("offer", [0, 13, 59])):
        for gid in gids:
            found = neighbourhood(trained.database, node_type, str(ids[node_type][gid]))
            assert found.props.get("gid") == gid and found.props.get("embedding") is None
            for edge_type, neighbours in found.neighbours.items():
                edge_index = data[edge_type].edge_index
                assert neighbours == sorted(set(edge_index[1][edge_index[0] == gid].tolist())), edge_type
            mine = (apps.candidate if node_type == "candidate" else apps.offer) == gid
            others = apps.offer if node_type == "candidate" else apps.candidate
            assert found.selected == sorted(set(others[mine & apps.positive].tolist()))
            assert found.applied == sorted(set(others[mine & ~apps.positive].tolist()))
            read_applications += len(found.selected) + len(found.applied)
            if node_type == "candidate":
                assert found.selected_by == sorted({employer_of[o] for o in found.selected if o in employer_of})
    assert read_applications > 0  # the comparisons above were not all of empty lists
    with pytest.raises(KeyError, match="no candidate"):
        neighbourhood(trained.database, "candidate", "NOT-A-CANDIDATE")


def test_top_skips_holes_left_by_deleted_nodes() -> None:
    side = _Side(["a", "", "c"], torch.tensor([[1.0], [9.0], [0.5]]))
    assert [key for key, _ in side.top(torch.tensor([1.0]), 3)] == ["a", "c"]
    side.put("d", torch.tensor([2.0]))
    assert [key for key, _ in side.top(torch.tensor([1.0]), 2)] == ["d", "a"]


def test_approximate_retrieval_reads_the_location_block_as_one_hot() -> None:
    from gnn.export import GEO_DIM

    rng = np.random.default_rng(3)
    rows, dense = 2_000, 64
    matrix = np.zeros((rows, dense + GEO_DIM), dtype=np.float32)
    matrix[:, :dense] = rng.standard_normal((rows, dense))
    homes = rng.integers(-1, GEO_DIM, rows)  # -1: no département, an all-zero block
    matrix[homes >= 0, dense + homes[homes >= 0]] = rng.uniform(0.5, 2.0, (homes >= 0).sum())
    side = _Side([f"c{i}" for i in range(rows)], torch.from_numpy(matrix))
    query = torch.from_numpy(matrix[7] + matrix[11])
    picked, scores = side.top_rows(query, 50, approximate=True)
    assert side.one_hot_column is not None and side.half is not None and side.half.shape[1] == dense
    exact = matrix @ query.numpy()
    assert np.allclose(scores, exact[picked], rtol=0.02, atol=0.1)  # bfloat16 on the dense part only
    assert len(set(picked.tolist()) & set(np.argsort(-exact)[:50].tolist())) >= 45
    side.put("new", torch.from_numpy(matrix[7] * 3))  # a new row: appended to the parts, and it comes first
    assert side.top(query, 1, approximate=True)[0][0] == "new"
    matrix[0, dense : dense + 2] = 1.0  # two non-zeros in a row: not one-hot, the plain bfloat16 product
    side = _Side([f"c{i}" for i in range(rows)], torch.from_numpy(matrix))
    picked, scores = side.top_rows(query, 50, approximate=True)
    exact = matrix @ query.numpy()
    assert side.one_hot_column is None and np.allclose(scores, exact[picked], rtol=0.02, atol=0.1)


def test_relation_types_cover_the_issue(trained: Trained) -> None:
    relations = {rel for _, rel, _ in edge_types(trained.export)}
    for rel in ("has_skill", "requires_skill", "held", "mobility", "of_occupation", "posted_by", "applied"):
        assert rel in relations and f"rev_{rel}" in relations


def test_validation_recall_of_stored_model(trained: Trained) -> None:
    recommender = Recommender.load(trained.database)
    export = trained.export
    split = temporal_split(export, CONFIG)
    from gnn.rerank import score_pools
    from gnn.train import embeddings, message_graph, rank_offers

    eligible = eligibility_matrix(candidate_profiles(export), offer_requirements(export), split.val)
    stored = recommender._stored
    assert stored.reranking is not None
    # The served score (the joint model's wide part + its GNN's cosine) gives the validation figure training kept.
    emb = embeddings(stored.model, export, message_graph(export, split.history_val))
    scores = score_pools(
        stored.reranking.reranker, export, PairFacts.from_export(export), split.val, split.history_val, eligible, emb
    )
    per_query = rank_offers(export, split.val, scores, eligible)
    recall = {"recall@10": float(np.mean([q["recall@10"] for q in per_query]))}
    history = trained.version.metrics["history"]
    best = next(h for h in history if h["epoch"] == trained.version.metrics["best_epoch"])
    assert recall["recall@10"] == pytest.approx(best["val_recall@10"], abs=1e-6)


# --- re-ranker ----------------------------------------------------------------------------------------------
def test_pair_facts_by_hand(trained: Trained) -> None:
    export = trained.export
    facts = PairFacts.from_export(export)
    offer = int(np.nonzero(export.ids["offer"] == "O00010")[0][0])
    target = facts.offer_occupations[offer]
    holders = np.unique(facts.held[:, target].nonzero()[0])
    hops, current = facts.career_hops(target, np.arange(facts.held.shape[0]))
    assert len(holders) and (hops[holders] == 0).all()  # holding the offer's occupation: no step to make
    assert (current >= hops).all()  # the current job is one of the occupations held
    # The steps are kept per set of targets (the same as searched anew), and never pickled with the facts.
    again = facts.career_hops(target.copy(), np.arange(facts.held.shape[0]))
    assert np.array_equal(again[0], hops) and np.array_equal(again[1], current)
    assert len(facts.__dict__["_steps"]) == 1 and "_steps" not in pickle.loads(pickle.dumps(facts)).__dict__
    everyone = np.arange(facts.held.shape[0])
    emb = {"offer": torch.zeros(0), "candidate": torch.zeros(len(everyone), 4)}
    history = History.known(export, facts, np.arange(export.data["offer"].num_nodes))
    x = pair_features(facts, history, offer_facts(facts, offer), everyone, torch.zeros(4), emb["candidate"])
    column = {name: x[:, i] for i, name in enumerate(FEATURES)}
    home = facts.candidate_departement == facts.offer_departement[offer]
    assert (column["same_departement"] == home).all()
    assert (column["same_region"] >= column["same_departement"]).all()
    assert ((column["skill_coverage"] >= 0) & (column["skill_coverage"] <= 1)).all()
    # History counts only offers published before this one: never this offer's own applications.
    apps = export.applications
    own = np.isin(everyone, apps.candidate[apps.offer == offer])
    before = history.published < facts.offer_published[offer]
    assert (column["past_applications"] == np.bincount(history.candidate[before], minlength=len(everyone))).all()
    assert own.any()
    # A new offer comes after the whole history: the cached totals give what a full scan gives.
    fresh = History(history.candidate, history.offer, history.positive, history.published)
    employer = int(facts.offer_employer[offer])
    fast = fresh.counts(facts, float("inf"), employer, everyone)
    here = facts.offer_employer[history.offer] == employer
    assert (fast[0] == np.bincount(history.candidate, minlength=len(everyone))).all()
    assert (fast[3] == np.bincount(history.candidate[here & history.positive], minlength=len(everyone))).all()
    # The text fact is the mean of the two halves' cosines in the shared text space, as exported.
    text = {t: shared_text_columns(export.data[t].x).numpy() for t in ("candidate", "offer")}
    expected = text["candidate"] @ text["offer"][offer] / 2.0
    assert np.allclose(column["text_similarity"], expected, atol=2e-3) and expected.std() > 0
    assert ((column["text_similarity"] >= -1.001) & (column["text_similarity"] <= 1.001)).all()
    # Recency multiplies the text match: exp(-days since the latest application before this offer / 90), by a
    # pass over the history; 0 for a candidate who never applied before it, whatever their text.
    for c in everyone[::7].tolist():
        dates = history.published[(history.candidate == c) & before]
        decay = np.exp(-(facts.offer_published[offer] - dates.max()) / 90.0) if len(dates) else 0.0
        assert column["recent_text_match"][c] == pytest.approx(column["text_similarity"][c] * decay, abs=1e-6)
    never = ~np.isin(everyone, history.candidate[before])
    assert never.any() and (column["recent_text_match"][never] == 0).all()
    assert (column["recent_text_match"][~never] != 0).any()
    after = fresh.days_since(float(history.published.max()) + 1.0, everyone)  # serving: after the whole history
    assert after.min() == pytest.approx(1.0) and (after[np.setdiff1d(everyone, history.candidate)] == 3_650).all()


def test_stored_reranker_serves_and_reproduces_the_evaluation_order(trained: Trained) -> None:
    database = trained.database
    recommender = Recommender.load(database)
    stored = recommender._stored
    assert stored.reranking is not None and "reranker" in trained.version.metrics
    top = recommender.recommend_candidates(database, "O00050", k=5)
    # The same pairs scored one by one give the same scores (score_pair and the ranking agree).
    for candidate_id, score in top:
        assert recommender.score_pair(database, candidate_id, "O00050") == pytest.approx(score, abs=1e-5)
    facts, reranker = stored.reranking.facts, stored.reranking.reranker
    offer = int(np.nonzero(trained.export.ids["offer"] == "O00050")[0][0])
    rows = np.array([recommender._candidates.index[c] for c, _ in top])
    x = pair_features(
        facts,
        stored.reranking.history,
        offer_facts(facts, offer),
        rows,
        stored.embeddings["offer"][offer],
        stored.embeddings["candidate"],
    )
    assert np.allclose(1 / (1 + np.exp(-reranker.score(x))), [s for _, s in top], atol=1e-5)


def test_new_candidate_gets_reranker_facts(trained: Trained) -> None:
    database = trained.database
    recommender = Recommender.load(database)
    assert recommender._stored.reranking is not None
    facts = recommender._stored.reranking.facts
    before = facts.held.shape[0]
    database.execute_query(
        "MATCH (f:RomeFiche {uri: 'urn:rome:F002'}), (d:Departement {code: '02'}) "
        "CREATE (c:Candidate {candidate_id: 'NEW-C', cv_text: 'agent', years_experience: 4, titulaire: false, "
        "education_level: 2}) CREATE (c)-[:HELD {order: 0}]->(f), (c)-[:LIVES_IN]->(d)"
    )
    try:
        recommender.embed_new_candidate(database, "NEW-C")
        assert facts.held.shape[0] == facts.holds_now.shape[0] == before + 1
        assert facts.years_experience[-1] == 4.0 and facts.candidate_departement[-1] >= 0
        assert facts.held[before].nnz == 1
        # Its text row is the one its features carry (the shared text space of the stored spec).
        text = shared_text_row("candidate", {"cv_text": "agent"}, recommender._stored.spec)
        assert facts.candidate_text.shape[0] == before + 1 and text.any()
        assert np.allclose(facts.candidate_text[before], text, atol=1e-3)
        assert 0.0 <= recommender.score_pair(database, "NEW-C", "O00050") <= 1.0
    finally:
        database.execute_query("MATCH (c:Candidate {candidate_id: 'NEW-C'}) DETACH DELETE c")


def test_forget_candidate_leaves_memory_and_rankings(trained: Trained) -> None:
    database = trained.database
    recommender = Recommender.load(database)
    served: ServedRecommender = recommender  # gnn.serving implements every method the API's protocol names
    top = served.recommend_candidates(database, "O00050", 10, False)
    gone, kept = top[0][0], top[1][0]
    row = recommender._candidates.index[gone]
    rows_before = recommender._candidates.matrix.shape[0]
    assert gone in served.score_factors(database, "O00050", [gone, kept])
    served.forget_candidate(gone)
    served.forget_candidate("NOT-A-CANDIDATE")  # unknown: nothing to do
    assert gone not in recommender._candidates.index
    assert not recommender._candidates.matrix[row].any()  # the embedding is gone from memory
    assert recommender._candidates.matrix.shape[0] == rows_before  # rows keep their numbers (re-ranker facts)
    after = served.recommend_candidates(database, "O00050", 10, False)
    assert gone not in [c for c, _ in after] and len(after) == 10
    assert after[0] == pytest.approx(top[1])  # the others keep their scores
    assert gone not in [c for c, _ in served.recommend_candidates(database, "O00050", 10, True)]
    assert list(served.score_factors(database, "O00050", [gone, kept])) == [kept]
    facts = recommender._reranking.facts if recommender._reranking is not None else None
    assert facts is not None and not facts.candidate_skills[row].nnz and not facts.held[row].nnz
    assert not facts.candidate_text[row].any()  # nor its text
    assert gone not in served.candidate_ids() and kept in served.candidate_ids()


def test_forgotten_row_is_a_hole_in_exact_and_approximate_top_k() -> None:
    side = _Side(["a", "b", "c"], torch.eye(3))
    side.top_rows(torch.ones(3), 3, approximate=True)  # builds the bfloat16 copy, which forgetting must update
    assert side.forget("b") and not side.forget("b")
    assert side.vector("b") is None and not side.matrix[1].any()
    assert side.half is not None and not side.half[1].any()
    assert [key for key, _ in side.top(torch.ones(3), 3)] == ["a", "c"]
    assert side.top_rows(torch.ones(3), 3, approximate=True)[0].tolist() == [0, 2]
    side.put("b", torch.ones(3))  # the same id embedded again is a new row; the hole stays one
    assert side.index["b"] == 3 and side.top(torch.ones(3), 1) == [("b", 3.0)]


def test_allowed_rows_are_masked_before_the_top_k_is_cut() -> None:
    scores = torch.tensor([[5.0], [4.0], [3.0], [2.0], [1.0]])
    side = _Side(["a", "b", "c", "d", "e"], scores)
    allowed = np.array([False, False, True, False, True])  # the best rows are not allowed: k allowed still come
    assert [key for key, _ in side.top(torch.ones(1), 2, allowed=allowed)] == ["c", "e"]
    assert side.top_rows(torch.ones(1), 2, approximate=True, allowed=allowed)[0].tolist() == [2, 4]
    assert [key for key, _ in side.top(torch.ones(1), 5, allowed=allowed)] == ["c", "e"]  # fewer exist: all
    side.forget("c")
    assert [key for key, _ in side.top(torch.ones(1), 2, allowed=allowed)] == ["e"]


def test_erasure_rewrites_every_stored_version_without_the_candidate(trained: Trained) -> None:
    from gnn.artifacts import erase_candidates_from_versions, load

    recommender = Recommender.load(trained.database)
    stored = recommender._stored
    gone = stored.ids["candidate"][3]
    row = 3
    assert stored.reranking is not None and stored.reranking.facts.candidate_skills[row].nnz
    backup = {name: (stored.path / name).read_bytes() for name in ("embeddings.pt", "states.pt", "reranker.pkl")}
    try:
        rewritten = erase_candidates_from_versions({gone})
        assert {p.name for p in rewritten} >= {"embeddings.pt", "states.pt", "reranker.pkl"}
        again = load(stored.version)
        assert gone not in again.ids["candidate"] and again.ids["candidate"][row] == ""
        assert not again.embeddings["candidate"][row].any()
        assert all(not layer["candidate"][row].any() for layer in again.states if "candidate" in layer)
        assert again.reranking is not None
        facts, history = again.reranking.facts, again.reranking.history
        assert not facts.candidate_skills[row].nnz and not facts.held[row].nnz and row not in history.candidate
        assert not facts.candidate_text[row].any() and stored.reranking.facts.candidate_text[row].any()
        assert len(again.ids["candidate"]) == len(stored.ids["candidate"])  # rows keep their numbers
        assert erase_candidates_from_versions({gone}) == []  # nothing left to erase
    finally:
        for name, data in backup.items():
            (stored.path / name).write_bytes(data)


def test_reranking_artifact_reads_its_stored_form_and_names_what_it_cannot(trained: Trained) -> None:
    recommender = Recommender.load(trained.database)
    artifact = recommender._stored.reranking
    assert artifact is not None
    again = RerankingArtifact.from_stored(artifact.to_stored())
    assert again.reranker is artifact.reranker and again.facts is artifact.facts and again.history is artifact.history
    with pytest.raises(IncompatibleArtifact, match="found a list"):
        RerankingArtifact.from_stored([artifact.reranker])
    with pytest.raises(IncompatibleArtifact, match="history"):
        RerankingArtifact.from_stored({"reranker": artifact.reranker, "facts": artifact.facts})
    # A version trained on a fact since taken out (its columns now point at other facts) is refused, not misread.
    import copy

    stale = copy.copy(artifact.reranker)
    stale.features = (*artifact.reranker.features[:-1], "days_since_application")
    with pytest.raises(IncompatibleArtifact, match="days_since_application"):
        RerankingArtifact.from_stored({**artifact.to_stored(), "reranker": stale})


def test_paired_difference_resamples_offers_together() -> None:
    from gnn.evaluate import Evaluation, paired_difference

    evaluation = Evaluation("v", {})
    evaluation.recall_by_offer = {"a": np.array([1.0, 0.5, 0.5, 1.0]), "b": np.array([0.5, 0.0, 0.0, 0.5])}
    # Every offer gains exactly 0.5: the paired interval is a point, although the two intervals overlap.
    assert "0.500 [0.500, 0.500]" in paired_difference(evaluation, "a", "b")
    assert "excludes 0" in paired_difference(evaluation, "a", "b")
    assert paired_difference(evaluation, "a", "missing") == ""


# --- the joint ranker (gnn/ranker.py) ---------------------------------------------------------------------------
def test_listwise_loss_by_hand() -> None:
    from gnn.ranker import listwise_loss

    scores = torch.tensor([2.0, 0.0, 1.0, 3.0, 1.0])
    log_weight = torch.tensor([0.0, 0.0, np.log(4.0), 0.0, 0.0])  # the third row stands for four pool members
    offer, label = np.array([0, 0, 0, 1, 1]), np.array([True, False, False, False, True])
    first = -2.0 + np.log(np.exp(2.0) + 1.0 + 4 * np.exp(1.0))
    second = -1.0 + np.log(np.exp(3.0) + np.exp(1.0))
    assert float(listwise_loss(scores, log_weight, offer, label)) == pytest.approx((first + second) / 2, rel=1e-5)


def test_joint_ranker_contributions_add_up_and_the_gnn_has_its_term(trained: Trained) -> None:
    from gnn.ranker import COSINE, WIDE_FACTS, JointRanker

    stored = Recommender.load(trained.database)._stored
    assert stored.reranking is not None
    ranker = stored.reranking.reranker
    assert isinstance(ranker, JointRanker) and ranker.cosine_scale > 0
    facts, offer = stored.reranking.facts, 5
    rows = np.arange(40)
    x = pair_features(
        facts,
        stored.reranking.history,
        offer_facts(facts, offer),
        rows,
        stored.embeddings["offer"][offer],
        stored.embeddings["candidate"],
    )
    contributions = ranker.contributions(x)
    assert set(contributions[0]) == {COSINE, *WIDE_FACTS}
    totals = np.array([sum(c.values()) for c in contributions])
    # Each row's terms sum to its score minus the same constant (the score of an average training pair).
    offsets = ranker.score(x) - totals
    assert np.allclose(offsets, offsets[0], atol=1e-6)


def test_employer_affinity_term_is_served_as_trained(trained: Trained) -> None:
    """With the optional affinity term, the served ranker (reading the "employer_affinity" column that serving fills
    from the embeddings) gives the scores the training path gives, and its contributions still add up."""
    from gnn.ranker import AFFINITY, COSINE, WIDE_FACTS, RankerConfig, fit_joint, joint_scores, served_ranker
    from gnn.rerank import gnn_embedder, score_pools

    export = trained.export
    split = temporal_split(export, CONFIG)
    facts = PairFacts.from_export(export)
    config = TrainConfig(**{**vars(CONFIG), "epochs": 10})
    fitted = fit_joint(export, facts, split, config, RankerConfig(affinity=True), progress=False)
    assert fitted.wide.affinity is not None and float(fitted.wide.affinity.detach()) != 0.0  # it was trained
    ranker = served_ranker(fitted)
    eligible = eligibility_matrix(candidate_profiles(export), offer_requirements(export), split.test)
    trained_path = joint_scores(fitted, export, facts, split.test, split.history_test, eligible)
    emb = gnn_embedder(fitted.gnn, export)(split.history_test)
    served_path = score_pools(ranker, export, facts, split.test, split.history_test, eligible, emb)
    assert np.array_equal(np.isfinite(trained_path), np.isfinite(served_path))
    assert np.allclose(trained_path[np.isfinite(trained_path)], served_path[np.isfinite(served_path)], atol=1e-4)
    history = History.known(export, facts, split.history_test)
    offer = int(split.test[0])
    x = pair_features(facts, history, offer_facts(facts, offer), np.arange(40), emb["offer"][offer], emb["candidate"])
    contributions = ranker.contributions(x)
    assert set(contributions[0]) == {COSINE, AFFINITY, *WIDE_FACTS}
    offsets = ranker.score(x) - np.array([sum(c.values()) for c in contributions])
    assert np.allclose(offsets, offsets[0], atol=1e-6)


def test_training_pools_mark_the_applicants_the_selection_loss_reads(trained: Trained) -> None:
    """The selection loss ranks each training offer's applicants only: the pools flag exactly them."""
    from gnn.ranker import training_pools

    export = trained.export
    split = temporal_split(export, CONFIG)
    facts = PairFacts.from_export(export)
    history = History.known(export, facts, split.history_val)
    eligible = eligibility_matrix(candidate_profiles(export), offer_requirements(export), split.train)
    pools = training_pools(export, facts, history, split.train, eligible, 20, np.random.default_rng(0))
    apps = export.applications
    applied = set(zip(apps.candidate.tolist(), apps.offer.tolist(), strict=True))
    offers = pools.offers[pools.offer]
    expected = [(c, o) in applied for c, o in zip(pools.candidate.tolist(), offers.tolist(), strict=True)]
    assert pools.applicant.tolist() == expected
    assert pools.label[pools.applicant].any() and not pools.label[~pools.applicant].any()


def test_lagged_history_reads_the_applications_before_the_lag(trained: Trained) -> None:
    """Training rows whose history lags their offer by `lag` days count the applications to offers published
    before that date, as a test offer's facts miss its own period's applications; no lag: up to the offer's eve."""
    from gnn.ranker import training_pools
    from gnn.rerank import history_lags

    export = trained.export
    split = temporal_split(export, CONFIG)
    facts = PairFacts.from_export(export)
    history = History.known(export, facts, split.history_val)
    eligible = eligibility_matrix(candidate_profiles(export), offer_requirements(export), split.train)
    lags = history_lags(export, split, split.train, seed=7)
    span = export.offer_published[split.val].max() - split.cutoff_val
    assert ((lags >= 0) & (lags <= span)).all() and lags.std() > 0
    assert np.array_equal(lags, history_lags(export, split, split.train, seed=7))  # its own generator, seeded
    plain = training_pools(export, facts, history, split.train, eligible, 20, np.random.default_rng(0))
    late = training_pools(export, facts, history, split.train, eligible, 20, np.random.default_rng(0), lags)
    assert np.array_equal(plain.candidate, late.candidate)  # the same rows: the lag draws nothing else
    column = FEATURES.index("past_applications")
    for i in (0, len(split.train) // 2, len(split.train) - 1):
        rows = np.flatnonzero(late.offer == i)
        horizon = facts.offer_published[split.train[i]] - lags[i]
        expected = [np.sum((history.candidate == c) & (history.published < horizon)) for c in late.candidate[rows]]
        assert late.x[rows, column].tolist() == expected
        assert (late.x[rows, column] <= plain.x[rows, column]).all()
        # Recency is counted from the latest application before the horizon to the offer itself, as at test time.
        published = facts.offer_published[split.train[i]]
        text, recent = (late.x[rows, FEATURES.index(name)] for name in ("text_similarity", "recent_text_match"))
        for c, t, r in zip(late.candidate[rows].tolist(), text.tolist(), recent.tolist(), strict=True):
            dates = history.published[(history.candidate == c) & (history.published < horizon)]
            decay = np.exp(-(published - dates.max()) / 90.0) if len(dates) else 0.0
            assert r == pytest.approx(t * decay, abs=1e-6)
    assert late.x[:, column].sum() < plain.x[:, column].sum()


def test_minibatch_joint_training_scores_every_pool(trained: Trained) -> None:
    """`fit_joint` past the mini-batch threshold (forced here): steps on sampled sub-graphs around the pools of a
    few offers, validation from layer-wise embeddings over a sample of offers; the scores it serves are finite on
    every pool and -inf elsewhere, with the shape of the full-batch path's."""
    from gnn.ranker import RankerConfig, fit_joint, joint_scores
    from gnn.sampling import layerwise_embeddings

    export = trained.export
    split = temporal_split(export, CONFIG)
    facts = PairFacts.from_export(export)
    config = TrainConfig(**{**vars(CONFIG), "epochs": 10, "minibatch": True, "fanouts": (5, 3)})
    fitted = fit_joint(export, facts, split, config, RankerConfig(batch_offers=4, validation_offers=5), progress=False)
    assert [h["epoch"] for h in fitted.history] == [5, 10] and fitted.best_epoch in (5, 10)
    assert all(np.isfinite(h["loss"]) and 0 <= h["val_recall@10"] <= 1 for h in fitted.history)
    assert np.isfinite(fitted.average_cosine)
    graph = NeighbourSampler(message_graph(export, split.history_test), node_counts(export), fitted.gnn.into)
    emb = layerwise_embeddings(fitted.gnn, {t: export.data[t].x for t in export.data.node_types}, graph)[0]
    eligible = eligibility_matrix(candidate_profiles(export), offer_requirements(export), split.test)
    scores = joint_scores(fitted, export, facts, split.test, split.history_test, eligible, emb)
    assert scores.shape == (len(split.test), export.data["candidate"].num_nodes)
    assert np.array_equal(np.isfinite(scores), evaluation_pools(export, split.test, eligible).numpy())
    assert not np.isnan(scores).any()


def test_masked_history_graph_gives_the_fit_of_rebuilding_it_each_epoch(
    trained: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mini-batch joint fit with the history's CSR built once and masked each epoch is the fit that rebuilt
    `message_graph(export, context)` and its CSR each epoch: the same neighbours and draws, the same numbers up to
    float rounding (the two paths build their tensors apart; one path run twice is equal to the bit, see
    `test_training_twice_gives_the_same_weights_to_the_bit`)."""
    from gnn.ranker import RankerConfig, fit_joint
    from gnn.train import HistoryGraph

    export = trained.export
    split = temporal_split(export, CONFIG)
    model = fit(export, split, TrainConfig(**{**vars(CONFIG), "epochs": 1}), progress=False).model
    history = HistoryGraph(export, split.history_val, model.into)
    rng = np.random.default_rng(1)
    for trial in range(5):
        visible = np.sort(rng.choice(split.history_val, size=len(split.history_val) // 2, replace=False))
        rebuilt = NeighbourSampler(message_graph(export, visible), node_counts(export), model.into)
        assert_same_sampler(history.context(visible), rebuilt, model, trial)
    facts = PairFacts.from_export(export)
    config = TrainConfig(**{**vars(CONFIG), "epochs": 10, "minibatch": True, "fanouts": (5, 3)})
    ranker = RankerConfig(batch_offers=4, validation_offers=5)
    masked = fit_joint(export, facts, split, config, ranker, progress=False)

    def rebuild(self: HistoryGraph, visible: np.ndarray) -> NeighbourSampler:
        return NeighbourSampler(message_graph(export, visible), node_counts(export), self.sampler.into)

    monkeypatch.setattr(HistoryGraph, "context", rebuild)
    rebuilt_fit = fit_joint(export, facts, split, config, ranker, progress=False)
    assert len(masked.history) == len(rebuilt_fit.history) and masked.best_epoch == rebuilt_fit.best_epoch
    for ours, theirs in zip(masked.history, rebuilt_fit.history, strict=True):
        assert ours == pytest.approx(theirs, rel=1e-5)
    for ours, theirs in zip(masked.gnn.state_dict().values(), rebuilt_fit.gnn.state_dict().values(), strict=True):
        assert torch.allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_training_twice_gives_the_same_weights_to_the_bit(trained: Trained) -> None:
    """The same graph, configuration, seed and two threads give the same model, full batch and mini-batch: with
    two threads the backward of a gather with repeated rows used to add in a varying order, and the demo's one
    model moved by 0.02 Recall@10 between two identical runs (`gnn.train.seed_everything`)."""
    from gnn.ranker import RankerConfig, fit_joint

    export = trained.export
    split = temporal_split(export, CONFIG)
    facts = PairFacts.from_export(export)
    for minibatch in (False, True):
        config = TrainConfig(**{**vars(CONFIG), "epochs": 5, "threads": 2, "minibatch": minibatch, "fanouts": (5, 3)})
        ranker = RankerConfig(batch_offers=4, validation_offers=5)
        first, again = (fit_joint(export, facts, split, config, ranker, progress=False) for _ in range(2))
        assert first.history == again.history
        for module in ("gnn", "wide"):
            ours, theirs = getattr(first, module).state_dict(), getattr(again, module).state_dict()
            assert all(torch.equal(ours[name], theirs[name]) for name in ours), (minibatch, module)
        assert weights_hash(first.gnn, first.wide) == weights_hash(again.gnn, again.wide)
    # Each stored version records what reproducing it needs: its weights' digest and the libraries that trained it.
    stored = json.loads((trained.version.path / "config.json").read_text())
    assert stored["software"]["deterministic_algorithms"] is True and torch.__version__.startswith(
        stored["software"]["torch"]
    )
    assert len(trained.version.metrics["weights_hash"]) == 64


def test_chunked_and_compact_matrices_equal_the_whole_ones(trained: Trained) -> None:
    """Compact eligibility gives the dense matrix's rows, and ranking pools a chunk of offers at a time gives the
    metrics of one [offers × candidates] matrix, ties included."""
    from gnn.eligibility import eligibility_sets
    from gnn.ranker import pool_matrix, rank_pools, whole_pools

    export = trained.export
    split = temporal_split(export, CONFIG)
    profiles, requirements = candidate_profiles(export), offer_requirements(export)
    offers = np.concatenate([split.val, split.test])
    dense = eligibility_matrix(profiles, requirements, offers)
    compact = eligibility_sets(profiles, requirements, offers)
    assert torch.equal(compact.dense(), dense) and compact.shape == tuple(dense.shape)
    assert all(torch.equal(compact[i], dense[i]) for i in range(len(offers)))
    assert torch.equal(compact[3:7].dense(), dense[3:7])
    facts = PairFacts.from_export(export)
    history = History.known(export, facts, split.history_test)
    pools = whole_pools(export, facts, history, offers, compact)
    assert np.array_equal(
        np.isfinite(pool_matrix(pools, np.zeros(len(pools.offer)), export)),
        evaluation_pools(export, offers, dense).numpy(),
    )
    scores = np.round(np.random.default_rng(0).normal(size=len(pools.offer)), 1)  # rounded: ties to break
    whole = rank_offers(export, offers, pool_matrix(pools, scores, export), dense)
    assert rank_pools(pools, scores, export, compact, chunk=4) == whole
    assert np.array_equal(pool_matrix(pools, scores, export, 4, 9), pool_matrix(pools, scores, export)[4:9])


def test_evaluation_sample_of_offers_is_deterministic() -> None:
    from gnn.train import sample_offers

    offers = np.arange(1000, 6000, 3)
    first, again, other = (sample_offers(offers, 200, seed) for seed in (7, 7, 8))
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert len(first) == 200 and len(np.unique(first)) == 200 and set(first) <= set(offers)
    assert np.all(np.diff(first) > 0)  # kept in the split's (time) order
    assert np.array_equal(sample_offers(offers, len(offers) + 5, 7), offers)


def test_evaluation_in_chunks_of_offers_gives_the_whole_matrix_figures(
    trained: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`vivier evaluate` scores and ranks OFFER_CHUNK test offers at a time: the metrics, the per-offer recalls and
    the cold-start figures are those of one [offers × candidates] matrix; the inductive path through layer-wise
    states and a CSR (national scale) gives the full-batch path's recall."""
    from gnn import baselines
    from gnn import evaluate as evaluation_module
    from gnn.eligibility import eligibility_sets
    from gnn.evaluate import Evaluation, _score_methods, inductive_recall

    export = trained.export
    stored = Recommender.load(trained.database)._stored
    split = temporal_split(export, CONFIG)
    eligible = eligibility_sets(candidate_profiles(export), offer_requirements(export), split.test)
    model = fit(export, split, TrainConfig(**{**vars(CONFIG), "epochs": 5}), progress=False).model
    cosines = baselines.embedding_scores(embeddings_of(model, export, split.history_test), split.test)
    rows = {int(o): i for i, o in enumerate(split.test)}
    scorers = {
        "jaccard": lambda o, _: baselines.jaccard_scores(export, o),
        "ties": lambda o, _: np.round(cosines[[rows[int(x)] for x in o]], 1),  # many ties to break
    }
    figures = []
    for chunk in (10_000, 3):
        monkeypatch.setattr(evaluation_module, "OFFER_CHUNK", chunk)
        evaluation = Evaluation("v", {})
        _score_methods(evaluation, scorers, export, split, eligible, progress=False)
        figures.append(evaluation)
    whole, chunked = figures
    assert {n: {m: vars(e) for m, e in r.items()} for n, r in whole.results.items()} == {
        n: {m: vars(e) for m, e in r.items()} for n, r in chunked.results.items()
    }
    assert all(np.array_equal(whole.recall_by_offer[n], chunked.recall_by_offer[n]) for n in scorers)
    assert whole.cold == chunked.cold
    assert all(np.array_equal(whole.triage[n][m], chunked.triage[n][m]) for n in scorers for m in whole.triage[n])
    graph = message_graph(export, split.history_test)
    full = inductive_recall(stored, export, split, graph, eligible)
    assert inductive_recall(stored, export, split, graph, eligible, large=True) == pytest.approx(full, abs=1e-9)


def embeddings_of(model: LinkGNN, export: GraphExport, visible: np.ndarray) -> dict[str, torch.Tensor]:
    from gnn.train import visible_embeddings

    return visible_embeddings(model, export, visible)


def test_history_counts_before_a_date_equal_a_pass_over_every_application() -> None:
    """`History.counts` finds the applications before an offer by binary search: the counts of a plain pass."""
    from types import SimpleNamespace

    rng = np.random.default_rng(0)
    n = 5_000
    dates = rng.choice([-np.inf, 10.0, 11.0, 12.5, 20.0, 30.0], size=n)
    history = History(rng.integers(300, size=n), rng.integers(50, size=n), rng.random(n) < 0.2, dates)
    facts = SimpleNamespace(offer_employer=rng.integers(7, size=50))
    candidates = np.concatenate([rng.integers(320, size=200), [0, 0, 319]])
    for published in (-np.inf, 10.0, 12.0, 12.5, 29.9, 30.0, np.nan):
        counts = history.counts(facts, published, 3, candidates)  # type: ignore[arg-type]
        before = history.published < published
        size = int(candidates.max()) + 1
        assert np.array_equal(counts[0], np.bincount(history.candidate[before], minlength=size)[candidates])
        chosen = before & history.positive
        assert np.array_equal(counts[1], np.bincount(history.candidate[chosen], minlength=size)[candidates])


def test_days_since_application_equal_a_pass_over_every_application() -> None:
    """Random histories, candidates with none among them: the latest application strictly before a date."""
    from gnn.rerank import NO_APPLICATION

    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(1, 40))
        history = History(
            rng.integers(1, 12, n), rng.integers(0, 5, n), rng.random(n) < 0.3, rng.integers(0, 30, n).astype(float)
        )
        candidates = np.arange(14)  # 0, 12 and 13 never apply: before and after every other candidate's keys
        for published in (-np.inf, 0.0, 7.0, 15.5, 29.0, 30.0, 31.0):
            few = candidates[:3]  # fewer candidates than the history holds first (the cache's size)
            assert np.array_equal(history.days_since(published, few), history.days_since(published, candidates)[:3])
            got = history.days_since(published, candidates)
            for c in candidates.tolist():
                dates = history.published[(history.candidate == c) & (history.published < published)]
                expected = min(published - dates.max(), NO_APPLICATION) if len(dates) else NO_APPLICATION
                assert got[c] == pytest.approx(expected), (published, c)
        # Read up to an earlier date (a lagged training row), still counted to the offer's publication.
        lagged = history.days_since(29.0, candidates, until=12.0)
        for c in candidates.tolist():
            dates = history.published[(history.candidate == c) & (history.published < 12.0)]
            expected = min(29.0 - dates.max(), NO_APPLICATION) if len(dates) else NO_APPLICATION
            assert lagged[c] == pytest.approx(expected)


def test_similar_selections_equal_a_pass_over_every_application() -> None:
    """Random histories and offer texts: per candidate, the best of their selections before the horizon, as
    cos(offer, offer applied to) / 2 · exp(−days between the publications / spell); 0 for none or no earlier one."""
    from types import SimpleNamespace

    from gnn.features import SHARED_TEXT_DIM
    from gnn.rerank import OfferFacts

    rng = np.random.default_rng(5)
    for _ in range(10):
        n, offers = int(rng.integers(1, 60)), 8
        texts = rng.normal(size=(offers, SHARED_TEXT_DIM)).astype(np.float32)
        facts = SimpleNamespace(offer_text=texts.astype(np.float16))
        offer_of = rng.integers(0, offers, n)
        dates = rng.integers(0, 30, offers).astype(float)
        history = History(rng.integers(1, 12, n), offer_of, rng.random(n) < 0.5, dates[offer_of])
        candidates = rng.permutation(15)  # 0, 12, 13 and 14 never apply; any order
        query = rng.normal(size=SHARED_TEXT_DIM).astype(np.float32)
        for until in (-1.0, 10.0, 30.0):
            offer = OfferFacts(np.zeros(0, int), np.zeros(0, int), -1, -1, 31.0, query, lag=31.0 - until)
            got = history.similar_selections(facts, offer, candidates, 90.0)  # type: ignore[arg-type]
            for c, value in zip(candidates.tolist(), got.tolist(), strict=True):
                mine = np.flatnonzero((history.candidate == c) & (history.published < until) & history.positive)
                scores = [
                    float(texts[history.offer[a]].astype(np.float16).astype(np.float32) @ query)
                    / 2.0
                    * np.exp(-(31.0 - history.published[a]) / 90.0)
                    for a in mine
                ]
                assert value == pytest.approx(max([0.0, *scores]), rel=1e-4, abs=1e-5), (until, c)


def test_applications_of_an_offer_equal_a_pass_over_every_application() -> None:
    """`Applications.of_offer` (a sort by offer once, then a binary search) gives the indices, in order, that the
    former mask over every application gave, and so the same pools (`offer_pool`)."""
    from gnn.export import Applications
    from gnn.rerank import offer_pool

    rng = np.random.default_rng(0)
    n = 3_000
    apps = Applications(rng.integers(200, size=n), rng.integers(60, size=n), np.zeros(n, np.int64), rng.random(n) < 0.2)
    export = GraphExport(None, {}, apps, np.zeros(70), None)  # type: ignore[arg-type]
    eligible = torch.from_numpy(rng.random(200) < 0.3)
    for offer in range(70):  # offers 60-69 have no application
        assert np.array_equal(apps.of_offer(offer), np.flatnonzero(apps.offer == offer))
        pool, selected = offer_pool(export, offer, eligible)
        assert np.array_equal(selected, apps.candidate[apps.positive & (apps.offer == offer)])
        expected = eligible.numpy().copy()
        expected[selected] = True
        assert np.array_equal(pool, expected)


def test_cold_share_and_the_automatic_supervision_scheme() -> None:
    from types import SimpleNamespace

    from torch_geometric.data import HeteroData

    from gnn.coldstart import COLD_SHARE_FOR_TEMPORAL, choose_scheme, cold_share
    from gnn.export import Applications

    data = HeteroData()
    data["candidate"].num_nodes = 4
    # Offers 0–1 are the known history; offer 2 selects candidates 0 (applied to offer 0 before) and 2 and 3 (new).
    apps = Applications(
        candidate=np.array([0, 1, 0, 2, 3, 1]),
        offer=np.array([0, 1, 2, 2, 2, 2]),
        stage=np.zeros(6, dtype=np.int64),
        positive=np.array([True, True, True, True, True, False]),
    )
    export = SimpleNamespace(data=data, applications=apps)
    cold = cold_share(export, np.array([2]), np.array([0, 1]))  # type: ignore[arg-type]
    assert cold == pytest.approx(2 / 3)
    assert math.isnan(cold_share(export, np.array([3]), np.array([0, 1])))  # type: ignore[arg-type]
    assert cold > COLD_SHARE_FOR_TEMPORAL and choose_scheme("auto", cold) == "temporal"
    assert choose_scheme("random", cold) == "random"
    warm = cold_share(export, np.array([2]), np.array([0, 1, 2]))  # type: ignore[arg-type]  # every one known
    assert warm == 0.0 and choose_scheme("auto", warm) == "random"


@pytest.mark.slow  # loads spaCy's vectors and forks two workers: ~15 s
def test_text_features_in_forked_workers_are_the_single_process_rows(
    monkeypatch: pytest.MonkeyPatch, env: Callable[..., Settings]
) -> None:
    import multiprocessing

    from gnn import features

    words = [
        "agent",
        "gestionnaire",
        "paie",
        "carrière",
        "infirmier",
        "urgence",
        "bibliothèque",
        "voirie",
        "jardinier",
        "comptable",
    ]
    texts = [" ".join(words[(i * k) % len(words)] for k in range(1, 8)) + f" poste {i}" for i in range(230)]
    texts[7] = ""  # an empty profile keeps its zeros
    rows = {"candidate": [{"cv_text": t} for t in texts], "offer": [{"title": t, "description": t} for t in texts]}
    spec = features.FeatureSpec(text_model=features.fit_text_model(rows))
    single = features.text_features(texts, spec, True, True)
    contexts: list[str | None] = []
    get_context = multiprocessing.get_context

    def recorded(method: str | None = None) -> Any:
        contexts.append(method)
        return get_context(method)

    monkeypatch.setattr(multiprocessing, "get_context", recorded)
    monkeypatch.setattr(features, "MIN_TEXTS_PER_PROCESS", 50)
    monkeypatch.setattr(features, "TEXTS_PER_TASK", 40)  # six tasks, the last one short
    env(VIVIER_LOAD_PROCESSES="2")
    forked = features.text_features(texts, spec, True, True)
    assert contexts == ["fork"]
    for one, two in zip(single, forked, strict=True):
        assert one is not None and two is not None and one.shape == two.shape == (230, one.shape[1])
        np.testing.assert_array_equal(one, two)
    assert features.text_features(texts, spec, False, True)[0] is None
