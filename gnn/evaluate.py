"""`evaluate_model`: the temporal test of a stored version against baselines, written as a Markdown report
with plots under `settings.data_dir/reports/<version>/` (and `docs/` on request).

Every method ranks all statutorily eligible candidates (plus the offer's selected ones) for each test offer,
on the same split, with the same tie-breaking and the same bootstrap over offers.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import matplotlib
import numpy as np
import torch
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from gnn import artifacts, baselines
from gnn.eligibility import Eligibility, candidate_profiles, eligibility_sets, offer_requirements
from gnn.export import GraphExport, export_graph
from gnn.metrics import METRICS, Estimate, bootstrap, markdown_table, ranks, summarise
from gnn.ranker import WIDE_FACTS, JointFit, RankerConfig, fit_joint, joint_scores
from gnn.rerank import (
    PairFacts,
    RerankConfig,
    Reranker,
    evaluation_pools,
    fit_and_score,
    gnn_embedder,
    offer_pool,
    score_pools,
)
from gnn.sampling import NeighbourSampler, layerwise_embeddings
from gnn.serving import RERANK_DEPTH
from gnn.train import (
    OFFER_CHUNK,
    Split,
    TrainConfig,
    fit,
    message_graph,
    node_counts,
    rank_offers,
    sample_offers,
    temporal_split,
    uses_minibatch,
    visible_embeddings,
)
from gnn.triage import TRIAGE_METRICS, triage_metrics, triage_section
from graph.db import Database
from vivier.settings import REPO_ROOT, get_settings

matplotlib.use("Agg")
import matplotlib.pyplot as plt

console = Console()
GNN = "the model's GNN part alone (HeteroConv SAGE, cosine)"
VIVIER = "Vivier: one model (message passing + pair facts, trained jointly)"
SERVED = f"Vivier as served (the model on its GNN's top {RERANK_DEPTH:,})"
NO_MESSAGES = "the same model without message passing"
FACTS_ONLY = "facts-only logistic regression"
UPPER = "simulator: latent utility (who is selected, not who applies)"
ORACLE = "simulator: its own process (applies × selected), oracle"
NOT_BASELINES = (VIVIER, SERVED, GNN, NO_MESSAGES, UPPER, ORACLE)
CONTENT_MLP = "content-only MLP (same features)"
TFIDF = "TF-IDF cosine"
PAIRED_WITH = (TFIDF, CONTENT_MLP)  # always reported paired with the served ranking (issue 13), beside the best
# The bars of issue 13: paired differences over the same test offers, and the share of the oracle.
PAIRED = ((VIVIER, FACTS_ONLY), (VIVIER, NO_MESSAGES))
ORACLE_SHARE = 0.85
# Past the mini-batch size (gnn.train.MINIBATCH_NODES), the test ranks a fixed sample of this many test offers
# (`vivier evaluate --offers`), each against all its eligible candidates, OFFER_CHUNK offers' scores at a time.
TEST_OFFERS = 2_000
FACTS_ONLY_OFFERS = 5_000  # training offers of the facts-only baseline past the mini-batch size (its rows in memory)
# A method's scores for some test offers (rows of the split's test) and their rows of the eligibility matrix.
Scorer = Callable[[np.ndarray, torch.Tensor], np.ndarray]


@dataclass
class ColdStartRecall:
    """Recall@10 over selected (candidate, test offer) pairs, by whether the candidate had applied before."""

    cold: float  # NaN when no pair is cold
    warm: float
    pairs_cold: int
    pairs_warm: int


@dataclass
class Evaluation:
    version: str
    split: dict[str, int]
    results: dict[str, dict[str, Estimate]] = field(default_factory=dict)
    cold: dict[str, ColdStartRecall] = field(default_factory=dict)
    # As `metrics.json` of the version holds them (JSON, read back as is): method → metric → value, and per epoch.
    career: dict[str, dict[str, float]] = field(default_factory=dict)
    history: list[dict[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    recall_by_offer: dict[str, np.ndarray] = field(default_factory=dict)  # method → Recall@10 of each test offer
    inductive: dict[str, float] = field(default_factory=dict)  # path → Recall@10 of the test offers embedded alone
    seconds: dict[str, float] = field(default_factory=dict)  # method → seconds to fit (when refitted) and score
    # method → metric → its value on each triage offer (gnn/triage.py: an offer's own applicants ranked)
    triage: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    test_offers: list[str] = field(default_factory=list)  # their ids, in the split's order


def evaluate_model(
    db: Database,
    version: str | None = None,
    truth: Callable[[GraphExport, np.ndarray], np.ndarray] | None = None,
    to_docs: bool = False,
    progress: bool = True,
    oracle: Callable[[GraphExport, np.ndarray], np.ndarray] | None = None,
    offers: int | None = None,
) -> Path:
    """Evaluate `version` (latest when None); `truth` scores test offers × candidates with the simulator's
    latent utility (the upper bound). `offers`: how many test offers to rank, a fixed sample (seeded by the
    training seed); None: all of them, or TEST_OFFERS past the mini-batch size. Returns the report's path."""
    stored = artifacts.load(version or artifacts.latest_version(db))
    config = TrainConfig(**stored.config["train"])
    torch.set_num_threads(config.threads)
    export = export_graph(db, spec=stored.spec, progress=progress)
    split = temporal_split(export, config)
    large = uses_minibatch(export, config)
    test = sample_offers(split.test, offers if offers is not None else TEST_OFFERS if large else 0, config.seed)
    sampled = len(test) < len(split.test)
    split = replace(split, test=test)  # history_test is unchanged: the other test offers stay hidden
    eligible = eligibility_sets(candidate_profiles(export), offer_requirements(export), test)
    graph = message_graph(export, split.history_test)
    test_embeddings = cache(lambda: visible_embeddings(stored.model, export, split.history_test, large))
    content_only = cache(
        lambda: visible_embeddings(
            fit(export, split, config, layers=0, progress=progress).model, export, split.history_test, large
        )
    )
    bm25, tfidf = cache(lambda: baselines.bm25_index(export)), cache(lambda: baselines.tfidf_model(export))
    scorers: dict[str, Scorer] = {
        **reranked_scorers(stored, export, split, eligible, progress, test_embeddings, large),
        GNN: lambda o, _: baselines.embedding_scores(test_embeddings(), o),
        CONTENT_MLP: lambda o, _: baselines.embedding_scores(content_only(), o),
        "skill overlap (Jaccard)": lambda o, _: baselines.jaccard_scores(export, o),
        "skill overlap (BM25)": lambda o, _: baselines.bm25_scores(export, o, bm25()),
        TFIDF: lambda o, _: baselines.tfidf_scores(export, o, tfidf()),
        "popularity": lambda o, _: baselines.popularity_scores(export, o, split),
        "random": lambda o, _: baselines.random_scores(export, o),
    }
    if truth is not None:
        scorers[UPPER] = lambda o, _: truth(export, o)
    if oracle is not None:
        scorers[ORACLE] = lambda o, _: oracle(export, o)
    evaluation = Evaluation(stored.version, {"train": len(split.train), "val": len(split.val), "test": len(test)})
    evaluation.test_offers = export.ids["offer"][test].tolist()
    if sampled:
        evaluation.notes.append(
            f"Test offers: a fixed sample of {len(test):,} of the {len(split.test):,} test offers (seed "
            f"{config.seed}), each ranked against all its eligible candidates."
        )
    evaluation.history = json.loads((stored.path / "metrics.json").read_text()).get("history", [])
    evaluation.career = json.loads((stored.path / "metrics.json").read_text()).get("career", {})
    _score_methods(evaluation, scorers, export, split, eligible, progress)
    evaluation.inductive["Vivier, inductive path (each test offer embedded alone, as a new offer)"] = inductive_recall(
        stored, export, split, graph, eligible, large
    )
    return write_report(evaluation, to_docs)


def _score_methods(
    evaluation: Evaluation,
    scorers: dict[str, Scorer],
    export: GraphExport,
    split: Split,
    eligible: Eligibility,
    progress: bool,
) -> None:
    """Each method's metrics and cold-start recall over the test offers, OFFER_CHUNK offers' scores at a time (the
    same figures as one matrix: one tie-breaking generator per method through the chunks)."""
    test, warm = split.test, warm_candidates(export, split)
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("Scoring methods", total=len(scorers))
        for name, scorer in scorers.items():
            ties, cold_ties, triage_ties = (np.random.default_rng(0) for _ in range(3))
            per_query: list[dict[str, float]] = []
            per_triage: list[dict[str, float]] = []
            hits: dict[str, list[float]] = {"cold": [], "warm": []}
            for start in range(0, len(test), OFFER_CHUNK):
                offers, rows = test[start : start + OFFER_CHUNK], eligible[start : start + OFFER_CHUNK].dense()
                scores = scorer(offers, rows)
                per_query += rank_offers(export, offers, scores, rows, ties)
                _cold_hits(export, warm, offers, scores, rows, cold_ties, hits)
                per_triage += triage_metrics(export, offers, scores, triage_ties)
            evaluation.results[name] = summarise(per_query)
            evaluation.recall_by_offer[name] = np.array([q["recall@10"] for q in per_query])
            evaluation.cold[name] = _cold_recall(hits)
            evaluation.triage[name] = {m: np.array([q[m] for q in per_triage]) for m in TRIAGE_METRICS}
            bar.advance(task)


def reranked_scorers(
    stored: artifacts.Artifacts,
    export: GraphExport,
    split: Split,
    eligible: torch.Tensor | Eligibility,
    progress: bool,
    test_embeddings: Callable[[], dict[str, torch.Tensor]] | None = None,
    large: bool = False,
) -> dict[str, Scorer]:
    """The stored model on the test offers (whole pool, and as served), the same model refitted without message
    passing, and the facts-only logistic regression; each scores the test offers it is given (with their rows of
    `eligible`). `test_embeddings`: the stored GNN's, when the caller computes them already; `large`: past the
    mini-batch size (layer-wise embeddings, the facts-only baseline fitted on a sample of the training offers)."""
    if stored.reranking is None:
        return {}
    reranker = stored.reranking.reranker
    facts = PairFacts.from_export(export)
    embed = gnn_embedder(stored.model, export, large)
    known = split.history_test
    embedded = test_embeddings or cache(lambda: embed(known))  # one forward pass for the rows below
    last: dict[tuple[int, int], np.ndarray] = {}  # the latest offers' whole-pool scores, read again as served

    def whole_pool(offers: np.ndarray, rows: torch.Tensor) -> np.ndarray:
        key = (int(offers[0]) if len(offers) else -1, len(offers))
        if key not in last:
            last.clear()
            last[key] = score_pools(reranker, export, facts, offers, known, rows, embedded())
        return last[key]

    @cache
    def refitted() -> tuple[JointFit, dict[str, torch.Tensor]]:
        """The same joint training (gnn/pipeline.py) with no message-passing layer: the GNN part sees each node's
        own features only (and its log-degrees)."""
        config = TrainConfig(**stored.config["train"])
        # A version stored before the lagged history (gnn.rerank.history_lags) was trained without it.
        ranker = RankerConfig(**{"lagged_history": False, **stored.config.get("ranker", {})})
        fitted = fit_joint(export, facts, split, config, ranker, layers=0, progress=progress)
        return fitted, visible_embeddings(fitted.gnn, export, known, large)

    def without_messages(offers: np.ndarray, rows: torch.Tensor) -> np.ndarray:
        fitted, emb = refitted()
        return joint_scores(fitted, export, facts, offers, known, rows, emb)

    @cache
    def facts_model() -> Reranker:
        """A logistic regression over the wide part's facts alone (no GNN anywhere), fitted on the training offers
        (past the mini-batch size, a fixed sample of FACTS_ONLY_OFFERS of them: its rows are held in memory)."""
        seed = int(stored.config["train"]["seed"])
        # Its training rows' history read as the stored model's were (gnn.rerank.history_lags).
        lagged_history = bool(stored.config.get("ranker", {}).get("lagged_history", False))
        config = RerankConfig(seed=seed, features=WIDE_FACTS, lagged_history=lagged_history)
        train = replace(split, train=sample_offers(split.train, FACTS_ONLY_OFFERS, seed)) if large else split
        nothing = np.zeros(0, dtype=np.int64)
        none = torch.zeros((0, export.data["candidate"].num_nodes), dtype=torch.bool)
        model, _ = fit_and_score(export, facts, train, embed, config, nothing, known, none, embedded())
        return model

    def facts_only(offers: np.ndarray, rows: torch.Tensor) -> np.ndarray:
        return score_pools(facts_model(), export, facts, offers, known, rows, embedded())

    def as_served(offers: np.ndarray, rows: torch.Tensor) -> np.ndarray:
        """Serving re-ranks only the GNN's top RERANK_DEPTH by cosine: the rest of the pool cannot reach the list."""
        scores = whole_pool(offers, rows).copy()
        pools = evaluation_pools(export, offers, rows)
        cosine = np.where(pools.numpy(), baselines.embedding_scores(embedded(), offers), -np.inf)
        outside = np.argsort(-cosine, axis=1, kind="stable")[:, min(RERANK_DEPTH, cosine.shape[1]) :]
        np.put_along_axis(scores, outside, -np.inf, axis=1)
        return scores

    return {VIVIER: whole_pool, SERVED: as_served, NO_MESSAGES: without_messages, FACTS_ONLY: facts_only}


def warm_candidates(export: GraphExport, split: Split) -> np.ndarray:
    """Per candidate: whether they applied to anything before the test period (warm) or not (cold: a new candidate
    known by their profile only)."""
    apps = export.applications
    warm = np.zeros(export.data["candidate"].num_nodes, dtype=bool)
    warm[apps.candidate[np.isin(apps.offer, split.history_test)]] = True
    return warm


def _cold_hits(
    export: GraphExport,
    warm: np.ndarray,
    offers: np.ndarray,
    scores: np.ndarray,
    eligible: torch.Tensor,
    rng: np.random.Generator,
    hits: dict[str, list[float]],
) -> None:
    """Adds each selected (candidate, offer) pair of `offers` to `hits`, cold or warm (`warm_candidates`), hit when
    ranked in the top 10 (ties broken by `rng`, as `rank_offers` does)."""
    for i, offer in enumerate(offers.tolist()):
        pool, selected = offer_pool(export, offer, eligible[i])
        positives = np.unique(selected)
        index = np.nonzero(pool)[0]
        positive_ranks = ranks(scores[i][index], np.searchsorted(index, positives), rng)  # same ties as rank_offers
        for c, rank in zip(positives.tolist(), positive_ranks.tolist(), strict=True):
            hits["warm" if warm[c] else "cold"].append(float(rank <= 10))


def _cold_recall(hits: dict[str, list[float]]) -> ColdStartRecall:
    return ColdStartRecall(
        cold=float(np.mean(hits["cold"])) if hits["cold"] else float("nan"),
        warm=float(np.mean(hits["warm"])) if hits["warm"] else float("nan"),
        pairs_cold=len(hits["cold"]),
        pairs_warm=len(hits["warm"]),
    )


@torch.no_grad()
def inductive_recall(
    stored: artifacts.Artifacts,
    export: GraphExport,
    split: Split,
    graph: dict[tuple[str, str, str], torch.Tensor],
    eligible: torch.Tensor | Eligibility,
    large: bool = False,
) -> float:
    """Recall@10 of the served model when each test offer is embedded alone by the serving path (`embed_one`) from
    its features and its links, as a brand-new offer would be, instead of by the full-graph forward pass. `large`:
    the other nodes' states layer by layer, each offer's in-neighbours read from a CSR by destination."""
    model = stored.model
    x_dict = {t: export.data[t].x for t in export.data.node_types}
    into = [et for et in stored.relations if et[2] == "offer"]
    if large:
        sampler = NeighbourSampler(graph, node_counts(export), model.into)
        emb, states = layerwise_embeddings(model, x_dict, sampler)
        relations = {et: sampler.relations[et] for et in into if et in sampler.relations}

        def links(offer: int) -> dict[tuple[str, str, str], torch.Tensor]:
            return {
                et: r.sources[int(r.pointer[offer]) : int(r.pointer[offer + 1])].long() for et, r in relations.items()
            }
    else:
        states = model.states(x_dict, graph)
        emb = model.embed(states[-1], x_dict)

        def links(offer: int) -> dict[tuple[str, str, str], torch.Tensor]:
            return {et: graph[et][0][graph[et][1] == offer] for et in into if et in graph}

    for offer in split.test.tolist():
        emb["offer"][offer] = model.embed_one(
            "offer", x_dict["offer"][offer], links(offer), states[:-1], stored.relations
        )
    facts = PairFacts.from_export(export) if stored.reranking is not None else None
    rng, per_query = np.random.default_rng(0), []
    for start in range(0, len(split.test), OFFER_CHUNK):
        offers, rows = split.test[start : start + OFFER_CHUNK], eligible[start : start + OFFER_CHUNK]
        if stored.reranking is None or facts is None:
            scores = (emb["offer"][torch.from_numpy(offers)] @ emb["candidate"].T).numpy()
        else:
            dense = rows.dense() if isinstance(rows, Eligibility) else rows
            scores = score_pools(stored.reranking.reranker, export, facts, offers, split.history_test, dense, emb)
        per_query += rank_offers(export, offers, scores, rows, rng)
    return float(np.mean([q["recall@10"] for q in per_query]))


def write_report(evaluation: Evaluation, to_docs: bool) -> Path:
    folder = get_settings().data_dir / "reports" / evaluation.version
    folder.mkdir(parents=True, exist_ok=True)
    _plot_recall(evaluation, folder / "evaluation_recall.png")
    _plot_history(evaluation, folder / "evaluation_training.png")
    report = folder / "evaluation.md"
    report.write_text(render(evaluation))
    (folder / "evaluation.json").write_text(
        json.dumps({m: {k: vars(v) for k, v in r.items()} for m, r in evaluation.results.items()}, indent=1)
    )
    # Each method's figure on each test offer, in the split's order: versions evaluated on the same graph can be
    # compared offer by offer (paired), not only by their means.
    per_offer = {
        "test_offers": evaluation.test_offers,
        "recall@10": {name: values.tolist() for name, values in evaluation.recall_by_offer.items()},
        "triage": {name: {m: v.tolist() for m, v in metrics.items()} for name, metrics in evaluation.triage.items()},
    }
    (folder / "per_offer.json").write_text(json.dumps(per_offer))
    _print_table(evaluation)
    if to_docs:
        docs = REPO_ROOT / "docs"
        shutil.copy(report, docs / "evaluation.md")
        for png in folder.glob("*.png"):
            shutil.copy(png, docs / png.name)
    return report


def best_baseline(evaluation: Evaluation, metric: str = "recall@10") -> str:
    return max(
        (n for n in evaluation.results if n not in NOT_BASELINES), key=lambda n: evaluation.results[n][metric].mean
    )


def headline(evaluation: Evaluation) -> str:
    """The method Vivier serves: the joint model when the version has its wide part (older versions: the GNN)."""
    return VIVIER if VIVIER in evaluation.results else GNN


def render(evaluation: Evaluation) -> str:
    best, served = best_baseline(evaluation), headline(evaluation)
    gnn, base = evaluation.results[served]["recall@10"], evaluation.results[best]["recall@10"]
    lift = (gnn.mean / base.mean - 1.0) * 100 if base.mean > 0 else float("inf")
    lines = [
        f"# Evaluation of model {evaluation.version}",
        "",
        "Written by `vivier evaluate` (gnn/evaluate.py). Temporal split of the offers that have at least one "
        f"selected applicant: {evaluation.split['train']} train, {evaluation.split['val']} validation, "
        f"{evaluation.split['test']} test (the most recent). For each test offer every method ranks all "
        "statutorily eligible candidates (ontology/eligibility.py) plus the offer's selected ones; the "
        "targets are the applications that reached *shortlisted* or later. Applications of test offers never "
        "pass messages. Means over test offers with 95 % bootstrap intervals (1,000 resamples of offers).",
        "",
        *markdown_table(METRICS, {name: [result[m] for m in METRICS] for name, result in evaluation.results.items()}),
    ]
    lines += [
        "",
        f"**{served} vs the best baseline ({best}) on Recall@10: {lift:+.1f} % relative; intervals "
        f"{'do not overlap' if gnn.low > base.high else 'overlap'}.** "
        f"{paired_difference(evaluation, served, best)}",
        "",
        *[
            f"- {served} minus {other}: {paired_difference(evaluation, served, other)}"
            for other in PAIRED_WITH
            if other != best and other in evaluation.results
        ],
        "",
        "![Recall@10 by method](evaluation_recall.png)",
        "",
        *bars(evaluation),
        *triage_section(evaluation.triage, PAIRED, UPPER),
        "## Cold start",
        "",
        "Test offers are all cold (no application is known when they are scored). Candidates are *cold* when "
        "they never applied before the test period. Recall@10 over selected (candidate, offer) pairs:",
        "",
        "| method | recall@10 cold | recall@10 warm | pairs cold | pairs warm |",
        "|---|---|---|---|---|",
    ]
    for name, cold in evaluation.cold.items():
        lines.append(f"| {name} | {cold.cold:.3f} | {cold.warm:.3f} | {cold.pairs_cold} | {cold.pairs_warm} |")
    for name, recall in evaluation.inductive.items():
        lines.append(f"\n{name}: Recall@10 = {recall:.3f} (macro over test offers).")
    lines += ["", "## Career next steps (real ROME mobility transitions)", ""]
    lines += [
        "20 % of the ROME v3.44 mobility transitions are held out (fixed seed); the career head is trained "
        "without them; each held-out A → B is ranked among all ROME fiches except A and A's other known "
        "targets. Paired against Adamic-Adar over the same transitions (hit or not for each method): the "
        "difference in Hits@10 and the ratio, each with its 95 % bootstrap interval.",
        "",
        "| method | Hits@10 | MRR | held-out transitions | minus Adamic-Adar | ratio to Adamic-Adar |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in evaluation.career.items():
        lines.append(
            f"| {name} | {r['hits@10']:.3f} | {r['mrr']:.3f} | {r['n']:.0f} "
            f"| {_paired(r, 'vs_aa_difference')} | {_paired(r, 'vs_aa_ratio')} |"
        )
    lines += ["", "## Training", "", "![validation Recall@10 by epoch](evaluation_training.png)", ""]
    lines += evaluation.notes
    return "\n".join(lines) + "\n"


def _paired(result: dict[str, float], key: str) -> str:
    """A career method's paired figure against Adamic-Adar with its interval ("" for Adamic-Adar itself)."""
    if key not in result:
        return ""
    return f"{result[key]:.3f} [{result[key + '_low']:.3f}, {result[key + '_high']:.3f}]"


def bars(evaluation: Evaluation) -> list[str]:
    """The bars of issue 13: paired differences in Recall@10 with their intervals, and the share of the oracle."""
    lines = [
        "## Bars (issue 13)",
        "",
        "| comparison | paired difference in Recall@10 [95 % bootstrap] | bar met |",
        "|---|---|---|",
    ]
    for method, baseline in PAIRED:
        a, b = evaluation.recall_by_offer.get(method), evaluation.recall_by_offer.get(baseline)
        if a is None or b is None:
            continue
        diff = bootstrap(a - b)
        lines.append(f"| {method} − {baseline} | {diff} | {'yes' if diff.low > 0 else 'no'} (bar: interval above 0) |")
    full, oracle = evaluation.recall_by_offer.get(VIVIER), evaluation.recall_by_offer.get(ORACLE)
    if full is not None and oracle is not None and oracle.mean() > 0:
        share = full.mean() / oracle.mean()
        lines.append(
            f"| {VIVIER} / oracle | {share:.3f} × the oracle | {'yes' if share >= ORACLE_SHARE else 'no'} (bar: "
            f"≥ {ORACLE_SHARE}) |"
        )
    return [*lines, ""]


def paired_difference(evaluation: Evaluation, method: str, baseline: str) -> str:
    """The difference of two methods on the *same* test offers, with its own bootstrap interval (the offers are
    resampled together): a sharper test than comparing two separate intervals."""
    a, b = evaluation.recall_by_offer.get(method), evaluation.recall_by_offer.get(baseline)
    if a is None or b is None or len(a) != len(b):
        return ""
    diff = bootstrap(a - b)
    verdict = "excludes 0" if diff.low > 0 or diff.high < 0 else "includes 0"
    return f"Paired difference in Recall@10 over the same test offers: {diff} (95 % bootstrap; {verdict})."


def _plot_recall(evaluation: Evaluation, path: Path) -> None:
    names = list(evaluation.results)
    values = [evaluation.results[n]["recall@10"] for n in names]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.2))
    ax.barh(
        names,
        [v.mean for v in values],
        xerr=[[v.mean - v.low for v in values], [v.high - v.mean for v in values]],
        color=[
            "#c0392b" if n in (GNN, VIVIER, SERVED) else "#2980b9" if n in (UPPER, ORACLE) else "#7f8c8d" for n in names
        ],
    )
    ax.invert_yaxis()
    ax.set_xlabel("Recall@10 (95 % bootstrap interval)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_history(evaluation: Evaluation, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.2))
    epochs = [h["epoch"] for h in evaluation.history]
    ax.plot(epochs, [h["val_recall@10"] for h in evaluation.history], marker="o", label="validation Recall@10")
    ax2 = ax.twinx()
    ax2.plot(epochs, [h["loss"] for h in evaluation.history], color="#7f8c8d", label="training loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation Recall@10")
    ax2.set_ylabel("training loss")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _print_table(evaluation: Evaluation) -> None:
    table = Table(title=f"Temporal test, model {evaluation.version}")
    table.add_column("method")
    for metric in METRICS:
        table.add_column(metric)
    for name, result in evaluation.results.items():
        table.add_row(name, *(str(result[m]) for m in METRICS))
    console.print(table)
