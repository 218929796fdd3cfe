"""The career head: occupation → occupation next steps, learnt on the real ROME mobility transitions.

One learnt scorer ranks the moves A → B between ROME fiches. Its inputs for each pair are
- structural facts of the training mobility graph: common neighbours, Adamic-Adar, resource allocation, directed
  2- and 3-paths, personalised PageRank, the reverse transition, degrees (the target's popularity);
- content facts: skill overlap, feature cosine, the ROME code hierarchy (same grand domaine, same domaine), and
  "collaborative" content facts (how close B is to A's known targets, how often fiches like A move to B);
- the score of a small GNN over the ontology (occupations and skills, BROADER / EXACT_MATCH / REQUIRES_SKILL links
  and the training mobility edges): the dot product of A's source and B's target embeddings.

The scorer (gradient-boosted trees) is trained like the test: the training transitions are split again (inner
fit / inner validation, fixed seed); the features and the GNN see only the inner-fit transitions, and each
inner-validation transition A → B is a positive among every fiche except A and A's other known targets, which are
the negatives. 20 % of all transitions are held out (fixed seed) and ranked against every other fiche, filtered of
the source's known targets, with common neighbours, Adamic-Adar and skill overlap as baselines in the same harness
and a paired bootstrap of each method against Adamic-Adar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from torch import Tensor, nn

from gnn.export import GraphExport, reverse
from gnn.metrics import Estimate, ranks
from gnn.model import EdgeType, LinkGNN, sampled_softmax_loss

MOBILITY: EdgeType = ("occupation", "mobility", "occupation")
ONTOLOGY_RELATIONS: tuple[EdgeType, ...] = (
    ("occupation", "requires_skill", "skill"),
    ("occupation", "broader", "occupation"),
    ("occupation", "match", "occupation"),
)
HEAD = "career head (learnt scorer: graph facts + content + GNN)"
WITHOUT_GNN = "career head without its GNN score (ablation)"
GNN_ALONE = "career GNN alone (embedding dot product)"
ADAMIC_ADAR = "Adamic-Adar"
MIN_POSITIVES = 20  # fewer inner-validation transitions than this: too few to learn a scorer from


@dataclass
class CareerConfig:
    hidden: int = 64
    out: int = 64
    epochs: int = 200
    lr: float = 5e-3
    negatives: int = 64
    held_out: float = 0.2
    seed: int = 7
    inner_held_out: float = 0.25  # share of the training transitions the scorer learns from
    trees: int = 300
    bootstrap_samples: int = 2000


@dataclass
class Pool:
    """The ROME fiches (gids, sorted) with what the pair facts need about them."""

    gids: np.ndarray
    skills: np.ndarray  # [fiche, fiche] skill Jaccard
    cosine: np.ndarray  # [fiche, fiche] cosine of the node features
    letter: np.ndarray  # [fiche, fiche] same ROME grand domaine (first letter of the code)
    domaine: np.ndarray  # [fiche, fiche] same ROME domaine (first three characters)

    def local(self, gids: Tensor | np.ndarray) -> np.ndarray:
        return np.searchsorted(self.gids, np.asarray(gids))


def fiches(export: GraphExport) -> np.ndarray:
    labels = export.attributes["occupation"]["labels"]
    return np.array([i for i, ls in enumerate(labels) if ls and "RomeFiche" in ls], dtype=np.int64)


def make_pool(export: GraphExport) -> Pool:
    gids = fiches(export)
    n = len(gids)
    requires = export.data["occupation", "requires_skill", "skill"].edge_index.numpy()
    keep = np.isin(requires[0], gids)
    skill_ids, skill_cols = np.unique(requires[1][keep], return_inverse=True)
    incidence = np.zeros((n, len(skill_ids)))
    incidence[np.searchsorted(gids, requires[0][keep]), skill_cols] = 1.0
    shared = incidence @ incidence.T
    sizes = incidence.sum(1)
    union = sizes[:, None] + sizes[None, :] - shared
    x = export.data["occupation"].x[torch.from_numpy(gids)].numpy().astype(np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    codes = [str(export.ids["occupation"][g]).rsplit("/", 1)[-1] for g in gids]
    letters = np.array([c[:1] for c in codes])
    domaines = np.array([c[:3] for c in codes])
    return Pool(
        gids,
        np.divide(shared, union, out=np.zeros_like(shared), where=union > 0),
        x @ x.T,
        (letters[:, None] == letters[None, :]).astype(float),
        (domaines[:, None] == domaines[None, :]).astype(float),
    )


# --- pair facts -------------------------------------------------------------------------------------------------
def pair_facts(pool: Pool, edges: Tensor, gnn_scores: np.ndarray | None) -> dict[str, np.ndarray]:
    """[fiche, fiche] facts computed from the transitions `edges` only (gids; never the held-out ones)."""
    n = len(pool.gids)
    index = pool.local(edges)
    directed = np.zeros((n, n))
    directed[index[0], index[1]] = 1.0
    undirected = ((directed + directed.T) > 0).astype(float)
    degree = undirected.sum(1)
    out_degree, in_degree = directed.sum(1), directed.sum(0)
    inverse_log = np.where(degree > 1, 1.0 / np.log(np.maximum(degree, 2)), 0.0)
    inverse = np.where(degree > 0, 1.0 / np.maximum(degree, 1), 0.0)
    targets = directed / np.maximum(out_degree[:, None], 1)  # A's known targets, each weighing 1 / out-degree
    facts = {
        "common neighbours": undirected @ undirected,
        ADAMIC_ADAR: (undirected * inverse_log) @ undirected,
        "resource allocation": (undirected * inverse) @ undirected,
        "2-paths A→X→B": directed @ directed,
        "co-targets A→X←B": directed @ directed.T,
        "co-sources A←X→B": directed.T @ directed,
        "3-paths A→X→Y→B": np.log1p(directed @ directed @ directed),
        "undirected 3-paths": np.log1p(undirected @ undirected @ undirected),
        "personalised PageRank": personalised_pagerank(undirected),
        "directed personalised PageRank": personalised_pagerank(directed),
        "reverse transition B→A": directed.T.copy(),
        "target in-degree": np.broadcast_to(in_degree[None, :], (n, n)),
        "target out-degree": np.broadcast_to(out_degree[None, :], (n, n)),
        "source out-degree": np.broadcast_to(out_degree[:, None], (n, n)),
        "source in-degree": np.broadcast_to(in_degree[:, None], (n, n)),
        "skill Jaccard": pool.skills,
        "feature cosine": pool.cosine,
        "same grand domaine": pool.letter,
        "same domaine": pool.domaine,
        # Item-based collaborative facts: B close to A's targets; fiches close to A moving to B.
        "skills of A's targets vs B": targets @ pool.skills,
        "cosine of A's targets vs B": targets @ pool.cosine,
        "moves to B from fiches sharing A's skills": pool.skills @ directed,
        "moves to B from A's domaine": pool.domaine @ directed,
        "A's targets in B's domaine": targets @ pool.domaine,
    }
    if gnn_scores is not None:
        facts["GNN embedding score"] = gnn_scores
    return facts


def personalised_pagerank(adjacency: np.ndarray, restart: float = 0.15) -> np.ndarray:
    """[a, b]: the stationary probability of b for a walk restarting at a (dense inverse: a few hundred fiches)."""
    n = len(adjacency)
    degree = adjacency.sum(1, keepdims=True)
    transition = np.divide(adjacency, degree, out=np.zeros_like(adjacency), where=degree > 0)
    return restart * np.linalg.inv(np.eye(n) - (1 - restart) * transition)


def fact_matrix(facts: dict[str, np.ndarray], rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    return np.stack([f[rows, cols] for f in facts.values()], axis=1)


# --- the GNN part -----------------------------------------------------------------------------------------------
class CareerModel(nn.Module):
    """Source and target embeddings of every occupation from message passing over the ontology."""

    def __init__(self, in_dims: dict[str, int], relations: list[EdgeType], config: CareerConfig) -> None:
        super().__init__()
        self.gnn = LinkGNN(in_dims, relations, heads=("occupation",), hidden=config.hidden, out=config.out)
        self.target = nn.Linear(config.out, config.out, bias=False)

    def forward(self, x_dict: dict[str, Tensor], graph: dict[EdgeType, Tensor]) -> tuple[Tensor, Tensor]:
        z = self.gnn(x_dict, graph)["occupation"]
        return z, self.target(z)


def career_graph(export: GraphExport, mobility: Tensor) -> dict[EdgeType, Tensor]:
    graph = {}
    for et in ONTOLOGY_RELATIONS:
        graph[et] = export.data[et].edge_index
        graph[reverse(et)] = graph[et].flip(0)
    graph[MOBILITY] = mobility
    graph[reverse(MOBILITY)] = mobility.flip(0)
    return graph


def train_gnn(export: GraphExport, pool: Pool, fit_edges: Tensor, config: CareerConfig) -> CareerModel:
    """The GNN trained on `fit_edges` (message passing and supervision), negatives drawn from the fiches."""
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    graph = career_graph(export, fit_edges)
    x_dict = {t: export.data[t].x for t in ("occupation", "skill")}
    model = CareerModel({t: x.shape[1] for t, x in x_dict.items()}, list(graph), config)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    candidates = torch.from_numpy(pool.gids)
    s, t = fit_edges
    for _ in range(config.epochs if fit_edges.shape[1] and len(candidates) else 0):
        model.train()
        source, target = model(x_dict, graph)
        negatives = candidates[torch.randint(len(candidates), (len(s), config.negatives), generator=generator)]
        positive = (source[s] * target[t]).sum(-1)
        negative = (source[s].unsqueeze(1) * target[negatives]).sum(-1)
        loss = sampled_softmax_loss(positive, negative)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return model


def gnn_scores(model: CareerModel, export: GraphExport, pool: Pool, mobility: Tensor) -> np.ndarray:
    """[fiche, fiche] embedding scores with `mobility` as the message-passing transitions."""
    model.eval()
    with torch.no_grad():
        source, target = model({t: export.data[t].x for t in ("occupation", "skill")}, career_graph(export, mobility))
    rows = torch.from_numpy(pool.gids)
    return (source[rows] @ target[rows].T).numpy().astype(np.float64)


# --- the learnt scorer ------------------------------------------------------------------------------------------
def split_edges(edges: Tensor, share: float, seed: int) -> tuple[Tensor, Tensor]:
    """(kept, held) edges, a fixed-seed split holding out `share` of them."""
    order = torch.randperm(edges.shape[1], generator=torch.Generator().manual_seed(seed))
    n_held = round(edges.shape[1] * share)
    return edges[:, order[n_held:]], edges[:, order[:n_held]]


def split_mobility(export: GraphExport, config: CareerConfig) -> tuple[Tensor, Tensor]:
    """(train, held-out) mobility edges, a fixed-seed 80/20 split."""
    return split_edges(export.data[MOBILITY].edge_index, config.held_out, config.seed)


def known_targets(edges: Tensor) -> dict[int, set[int]]:
    known: dict[int, set[int]] = {}
    for a, b in edges.t().tolist():
        known.setdefault(a, set()).add(b)
    return known


def training_rows(pool: Pool, fit_edges: Tensor, positives: Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source rows, target rows, labels) like the test: each source of a positive against every fiche except
    itself and its known fit targets; its positives labelled 1."""
    known = known_targets(fit_edges)
    wanted = known_targets(positives)
    rows, cols, labels = [], [], []
    for a, targets in wanted.items():
        exclude = known.get(a, set()) - targets
        keep = np.array([p != a and p not in exclude for p in pool.gids.tolist()])
        candidates = pool.gids[keep]
        rows.append(np.full(len(candidates), a))
        cols.append(candidates)
        labels.append(np.isin(candidates, list(targets)).astype(int))
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, int)
    return pool.local(np.concatenate(rows)), pool.local(np.concatenate(cols)), np.concatenate(labels)


def fit_scorer(
    facts: dict[str, np.ndarray], rows: np.ndarray, cols: np.ndarray, labels: np.ndarray, config: CareerConfig
) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    """Gradient-boosted trees over the pair facts; with too few positives, Adamic-Adar plus the rest as ties."""
    if labels.sum() < MIN_POSITIVES:
        return lambda f: f[ADAMIC_ADAR] + 1e-3 * f["resource allocation"] + 1e-6 * f["skill Jaccard"]
    model = HistGradientBoostingClassifier(
        max_iter=config.trees, learning_rate=0.05, max_leaf_nodes=15, l2_regularization=1.0, random_state=config.seed
    )
    model.fit(fact_matrix(facts, rows, cols), labels)
    names = list(facts)

    def score(f: dict[str, np.ndarray]) -> np.ndarray:
        n = len(f[ADAMIC_ADAR])
        a, b = np.divmod(np.arange(n * n), n)
        x = np.stack([f[name][a, b] for name in names], axis=1)
        return model.decision_function(x).reshape(n, n)

    return score


def learn_head(
    export: GraphExport, pool: Pool, edges: Tensor, config: CareerConfig
) -> Callable[[Tensor], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The head learnt from the transitions `edges` only; it maps the transitions known when it scores (those
    `edges` for the evaluation, every transition when serving) to [fiche, fiche] scores of the head, of the head
    without its GNN score, and of the GNN alone."""
    fit_edges, inner = split_edges(edges, config.inner_held_out, config.seed + 1)
    gnn = train_gnn(export, pool, fit_edges, config)
    rows, cols, labels = training_rows(pool, fit_edges, inner)
    inner_facts = pair_facts(pool, fit_edges, gnn_scores(gnn, export, pool, fit_edges))
    head = fit_scorer(inner_facts, rows, cols, labels, config)
    without = {k: v for k, v in inner_facts.items() if k != "GNN embedding score"}
    ablation = fit_scorer(without, rows, cols, labels, config)

    def score(known: Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        graph_scores = gnn_scores(gnn, export, pool, known)
        facts = pair_facts(pool, known, graph_scores)
        return head(facts), ablation(pair_facts(pool, known, None)), graph_scores

    return score


# --- the harness ------------------------------------------------------------------------------------------------
def held_out_hits(
    score_rows: Callable[[int], np.ndarray], pool: np.ndarray, train_edges: Tensor, held: Tensor
) -> tuple[np.ndarray, np.ndarray]:
    """Rank of each held-out A → B among all fiches, excluding A and A's other known targets: (hit@10, 1/rank)
    per held-out transition, in the order of `held`."""
    known = known_targets(torch.cat([train_edges, held], dim=1))
    rng = np.random.default_rng(0)
    hits, reciprocal = [], []
    cache: dict[int, np.ndarray] = {}
    for a, b in held.t().tolist():
        if a not in cache:
            cache[a] = score_rows(a)
        scores = cache[a]
        keep = np.array([p == b or (p != a and p not in known[a]) for p in pool.tolist()])
        candidates = pool[keep]
        rank = ranks(scores[keep], np.array([int(np.searchsorted(candidates, b))]), rng)[0]
        hits.append(float(rank <= 10))
        reciprocal.append(1.0 / float(rank))
    return np.array(hits), np.array(reciprocal)


def rank_held_out(
    score_rows: Callable[[int], np.ndarray], pool: np.ndarray, train_edges: Tensor, held: Tensor
) -> dict[str, float]:
    """Hits@10 and MRR of each held-out A → B among all fiches, excluding A and A's other known targets."""
    hits, reciprocal = held_out_hits(score_rows, pool, train_edges, held)
    return {"hits@10": float(np.mean(hits)), "mrr": float(np.mean(reciprocal)), "n": float(len(hits))}


def paired_comparison(
    method: np.ndarray, baseline: np.ndarray, samples: int = 2000, seed: int = 0
) -> tuple[Estimate, Estimate]:
    """Difference and ratio of Hits@10 of two methods on the same held-out transitions (per transition: hit or
    not for each), with 95 % percentile bootstrap intervals resampling the transitions together."""
    method, baseline = np.asarray(method, float), np.asarray(baseline, float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(method), size=(samples, len(method)))
    a, b = method[draws].mean(1), baseline[draws].mean(1)
    ratio = np.divide(a, b, out=np.full_like(a, np.nan), where=b > 0)
    mean_b = baseline.mean()

    def estimate(point: float, values: np.ndarray) -> Estimate:
        return Estimate(point, float(np.nanpercentile(values, 2.5)), float(np.nanpercentile(values, 97.5)))

    return (
        estimate(float(method.mean() - mean_b), a - b),
        estimate(float(method.mean() / mean_b) if mean_b > 0 else float("nan"), ratio),
    )


def baseline_scorers(
    export: GraphExport, train_edges: Tensor, pool: np.ndarray
) -> dict[str, Callable[[int], np.ndarray]]:
    """Common neighbours and Adamic-Adar on the undirected training mobility graph; skill Jaccard."""
    graph = nx.Graph()
    graph.add_nodes_from(pool.tolist())
    graph.add_edges_from(train_edges.t().tolist())
    skills: dict[int, set[int]] = {}
    for o, s in export.data["occupation", "requires_skill", "skill"].edge_index.t().tolist():
        skills.setdefault(o, set()).add(s)

    def common(a: int) -> np.ndarray:
        return np.array([len(list(nx.common_neighbors(graph, a, p))) if p != a else 0 for p in pool.tolist()], float)

    def adamic(a: int) -> np.ndarray:
        pairs = [(a, p) for p in pool.tolist() if p != a]
        values = {v: s for _, v, s in nx.adamic_adar_index(graph, pairs)}
        return np.array([values.get(p, 0.0) for p in pool.tolist()])

    def jaccard(a: int) -> np.ndarray:
        mine = skills.get(a, set())
        return np.array([len(mine & skills.get(p, set())) / (len(mine | skills.get(p, set())) or 1) for p in pool])

    return {"common neighbours": common, ADAMIC_ADAR: adamic, "skill overlap (Jaccard)": jaccard}


def evaluate_career(export: GraphExport, config: CareerConfig) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Metrics of the career head, its ablations and its baselines on the held-out transitions (each with its
    paired difference and ratio against Adamic-Adar), and the head to serve (`fiches` gids, `scores`: the
    [fiche, fiche] logits with every transition known)."""
    train_edges, held = split_mobility(export, config)
    pool = make_pool(export)
    learnt = learn_head(export, pool, train_edges, config)
    head, ablation, gnn = learnt(train_edges)

    def rows_of(matrix: np.ndarray) -> Callable[[int], np.ndarray]:
        return lambda a: matrix[int(np.searchsorted(pool.gids, a))]

    scorers = {
        HEAD: rows_of(head),
        WITHOUT_GNN: rows_of(ablation),
        GNN_ALONE: rows_of(gnn),
        **baseline_scorers(export, train_edges, pool.gids),
    }
    per_transition = {name: held_out_hits(fn, pool.gids, train_edges, held) for name, fn in scorers.items()}
    results = {}
    for name, (hits, reciprocal) in per_transition.items():
        results[name] = {"hits@10": float(np.mean(hits)), "mrr": float(np.mean(reciprocal)), "n": float(len(hits))}
        if name != ADAMIC_ADAR and len(hits):
            difference, ratio = paired_comparison(hits, per_transition[ADAMIC_ADAR][0], config.bootstrap_samples)
            results[name] |= {
                "vs_aa_difference": difference.mean,
                "vs_aa_difference_low": difference.low,
                "vs_aa_difference_high": difference.high,
                "vs_aa_ratio": ratio.mean,
                "vs_aa_ratio_low": ratio.low,
                "vs_aa_ratio_high": ratio.high,
            }
    # Served: the same learnt head, its facts and messages over every known transition (held-out ones included).
    served, _, _ = learnt(export.data[MOBILITY].edge_index)
    return results, {"fiches": pool.gids, "scores": torch.from_numpy(served).float()}


def career_scores(head: dict[str, Any], row: int) -> Tensor:
    """Logits of every fiche as the next step from fiche `row` (rows of the head's tensors)."""
    return head["scores"][row].clone()
