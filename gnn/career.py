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

from collections.abc import Callable, Sequence
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
from gnn.train import seed_everything
from ontology import uris
from ontology.catalogue import Catalogue
from ontology.mappings import Candidate, derive_rmfp_moves
from ontology.rome4 import Rome4

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
class CareerData:
    """What the career head reads: node features, the ontology relations its GNN passes messages over (each with its
    reverse), and each occupation row's code (ROME letter and domaine facts). From an export (`from_export`) or
    from the ontology's own objects (`whole_ontology`)."""

    x: dict[str, Tensor]  # "occupation", "skill"
    relations: dict[EdgeType, Tensor]  # ONTOLOGY_RELATIONS, plus any context moves (the other edition's, RMFP's)
    codes: list[str]

    @property
    def requires(self) -> Tensor:
        return self.relations[ONTOLOGY_RELATIONS[0]]


def from_export(export: GraphExport) -> CareerData:
    codes = [str(u).rsplit("/", 1)[-1] for u in export.ids["occupation"]]
    x = {t: export.data[t].x for t in ("occupation", "skill")}
    return CareerData(x, {et: export.data[et].edge_index for et in ONTOLOGY_RELATIONS}, codes)


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


def make_pool(data: CareerData, gids: np.ndarray) -> Pool:
    """The fiches `gids` (occupation rows, sorted) with their skill Jaccard, feature cosine and code facts."""
    n = len(gids)
    requires = data.requires.numpy()
    keep = np.isin(requires[0], gids)
    skill_ids, skill_cols = np.unique(requires[1][keep], return_inverse=True)
    incidence = np.zeros((n, len(skill_ids)))
    incidence[np.searchsorted(gids, requires[0][keep]), skill_cols] = 1.0
    shared = incidence @ incidence.T
    sizes = incidence.sum(1)
    union = sizes[:, None] + sizes[None, :] - shared
    x = data.x["occupation"][torch.from_numpy(gids)].numpy().astype(np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    codes = [data.codes[g] for g in gids]
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
def pair_facts(
    pool: Pool, edges: Tensor, gnn_scores: np.ndarray | None, context: dict[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """[fiche, fiche] facts computed from the transitions `edges` only (gids; never the held-out ones), plus the
    `context` facts (the other ROME edition's training moves, for the whole graph)."""
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
    facts |= context or {}
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


def career_graph(data: CareerData, mobility: Tensor) -> dict[EdgeType, Tensor]:
    graph = {}
    for et, index in data.relations.items():
        graph[et] = index
        graph[reverse(et)] = index.flip(0)
    graph[MOBILITY] = mobility
    graph[reverse(MOBILITY)] = mobility.flip(0)
    return graph


def train_gnn(data: CareerData, pool: Pool, fit_edges: Tensor, config: CareerConfig) -> CareerModel:
    """The GNN trained on `fit_edges` (message passing and supervision), negatives drawn from the fiches."""
    seed_everything(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    graph = career_graph(data, fit_edges)
    x_dict = data.x
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


def gnn_scores(model: CareerModel, data: CareerData, pool: Pool, mobility: Tensor) -> np.ndarray:
    """[fiche, fiche] embedding scores with `mobility` as the message-passing transitions."""
    model.eval()
    with torch.no_grad():
        source, target = model(data.x, career_graph(data, mobility))
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
    data: CareerData, pool: Pool, edges: Tensor, config: CareerConfig, context: dict[str, np.ndarray] | None = None
) -> Callable[[Tensor], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The head learnt from the transitions `edges` only; it maps the transitions known when it scores (those
    `edges` for the evaluation, every transition when serving) to [fiche, fiche] scores of the head, of the head
    without its GNN score, and of the GNN alone. `context`: fixed [fiche, fiche] facts from outside `edges`."""
    fit_edges, inner = split_edges(edges, config.inner_held_out, config.seed + 1)
    gnn = train_gnn(data, pool, fit_edges, config)
    rows, cols, labels = training_rows(pool, fit_edges, inner)
    inner_facts = pair_facts(pool, fit_edges, gnn_scores(gnn, data, pool, fit_edges), context)
    head = fit_scorer(inner_facts, rows, cols, labels, config)
    without = {k: v for k, v in inner_facts.items() if k != "GNN embedding score"}
    ablation = fit_scorer(without, rows, cols, labels, config)

    def score(known: Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        graph_scores = gnn_scores(gnn, data, pool, known)
        facts = pair_facts(pool, known, graph_scores, context)
        return head(facts), ablation(pair_facts(pool, known, None, context)), graph_scores

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


def baseline_scorers(requires: Tensor, train_edges: Tensor, pool: np.ndarray) -> dict[str, Callable[[int], np.ndarray]]:
    """Common neighbours and Adamic-Adar on the undirected training mobility graph; skill Jaccard."""
    graph = nx.Graph()
    graph.add_nodes_from(pool.tolist())
    graph.add_edges_from(train_edges.t().tolist())
    skills: dict[int, set[int]] = {}
    for o, s in requires.t().tolist():
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
    data = from_export(export)
    pool = make_pool(data, fiches(export))
    mobility = export.data[MOBILITY].edge_index
    results, learnt = evaluate_moves(data, pool, mobility, config)
    # Served: the same learnt head, its facts and messages over every known transition (held-out ones included).
    served, _, _ = learnt(mobility)
    return results, {"fiches": pool.gids, "scores": torch.from_numpy(served).float()}


def evaluate_moves(
    data: CareerData, pool: Pool, moves: Tensor, config: CareerConfig, context: dict[str, np.ndarray] | None = None
) -> tuple[dict[str, dict[str, float]], Callable[[Tensor], tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """The protocol of every career figure: `config.held_out` of `moves` held out (fixed seed), the head learnt
    from the rest, each held-out A → B ranked among the pool's fiches except A and A's other known targets, with
    the baselines in the same harness and each method paired against Adamic-Adar. Returns the metrics and the
    learnt head."""
    train_edges, held = split_edges(moves, config.held_out, config.seed)
    learnt = learn_head(data, pool, train_edges, config, context)
    head, ablation, gnn = learnt(train_edges)

    def rows_of(matrix: np.ndarray) -> Callable[[int], np.ndarray]:
        return lambda a: matrix[int(np.searchsorted(pool.gids, a))]

    scorers = {
        HEAD: rows_of(head),
        WITHOUT_GNN: rows_of(ablation),
        GNN_ALONE: rows_of(gnn),
        **baseline_scorers(data.requires, train_edges, pool.gids),
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
    return results, learnt


def career_scores(head: dict[str, Any], row: int) -> Tensor:
    """Logits of every fiche as the next step from fiche `row` (rows of the head's tensors)."""
    return head["scores"][row].clone()


# --- the whole graph: both ROME editions, RMFP moves, every repertory (issue 18, part 3) ----------------------
EDITIONS = ("ROME v3.44", "ROME 4.0")
OTHER_EDITION_MOVE: EdgeType = ("occupation", "other_edition_move", "occupation")
JOB_MOVE: EdgeType = ("occupation", "job_move", "occupation")


@dataclass
class WholeGraph:
    """The ontology as the career head reads it, from the ontology's own objects (no Neo4j): every occupation of
    RMFP, ROME v3.44 (fiches and appellations), ROME 4.0 (fiches) and ESCO, every skill; per edition its fiches
    (`pools`: sorted occupation rows) and its moves; each ROME 4.0 fiche's v3.44 parent; and `rmfp_moves(v4)`, the
    RMFP → RMFP moves derived from the given ROME 4.0 moves only, so that held-out moves never reach the graph."""

    data: CareerData  # relations: requires_skill, broader, match (crosswalks, v4 → v3 parent, rank-1 mappings)
    pools: dict[str, np.ndarray]
    moves: dict[str, Tensor]
    parent: np.ndarray  # [ROME 4.0 pool, ROME v3.44 pool]: 1 where the v3 fiche is the v4 fiche's parent
    rmfp_moves: Callable[[Tensor], Tensor]


def evaluate_editions(
    whole: WholeGraph, config: CareerConfig, cross_edition: bool = True
) -> dict[str, dict[str, dict[str, float]]]:
    """Per edition, `evaluate_moves`' protocol and learnt head (that of docs/evaluation.md's v3 figure) on the whole
    graph: the GNN's messages also cross the other edition's *training* moves and the RMFP moves derived from the
    training ROME 4.0 moves; the scorer also reads the other edition's training moves between the two fiches'
    parents (v4) or children (v3). `cross_edition=False` (an ablation) leaves the other edition's moves out of
    both the messages and the scorer."""
    train = {e: split_edges(whole.moves[e], config.held_out, config.seed)[0] for e in EDITIONS}
    context_relations = dict(whole.data.relations) | {JOB_MOVE: whole.rmfp_moves(train["ROME 4.0"])}
    results = {}
    for edition, other in zip(EDITIONS, reversed(EDITIONS), strict=True):
        relations = context_relations | ({OTHER_EDITION_MOVE: train[other]} if cross_edition else {})
        data = CareerData(whole.data.x, relations, whole.data.codes)
        pool = make_pool(data, whole.pools[edition])
        context = cross_edition_facts(whole, edition, train[other]) if cross_edition else None
        results[edition], _ = evaluate_moves(data, pool, whole.moves[edition], config, context)
    return results


def cross_edition_facts(whole: WholeGraph, edition: str, other_moves: Tensor) -> dict[str, np.ndarray]:
    """[fiche, fiche] facts of the other edition's training moves: for ROME 4.0 the moves between the two fiches'
    v3 parents and whether they share one; for v3.44 the moves between the two fiches' v4 children."""
    other = whole.pools[EDITIONS[1 - EDITIONS.index(edition)]]
    index = np.searchsorted(other, other_moves.numpy())
    directed = np.zeros((len(other), len(other)))
    directed[index[0], index[1]] = 1.0
    if edition == "ROME 4.0":
        return {
            "v3.44 move between the parents": whole.parent @ directed @ whole.parent.T,
            "same v3.44 parent": whole.parent @ whole.parent.T,
        }
    return {"ROME 4.0 moves between the children": np.log1p(whole.parent.T @ directed @ whole.parent)}


def whole_ontology(catalogue: Catalogue, rome4: Rome4, candidates: Sequence[Candidate]) -> WholeGraph:
    """The career graph of the whole ontology (see WholeGraph)."""
    occupations = sorted(catalogue.occupations.values(), key=lambda o: (o.scheme, o.code))
    appellations = sorted(catalogue.appellation_to_fiche)
    fiches4 = sorted(rome4.fiches)
    uri_list = [o.uri for o in occupations] + [uris.rome_appellation(ogr) for ogr in appellations]
    uri_list += [uris.rome4_fiche(code) for code in fiches4]
    codes = [o.code for o in occupations] + appellations + fiches4
    row = {u: i for i, u in enumerate(uri_list)}
    tokens = [_tokens(o.scheme, o.code, o.family_code, o.domain) for o in occupations]
    tokens += [_tokens("ROME-appellation", catalogue.appellation_to_fiche[ogr], "", "") for ogr in appellations]
    tokens += [_tokens("ROME4", code, "", "") for code in fiches4]
    skills = sorted(catalogue.skills)
    skill_row = {u: i for i, u in enumerate(skills)}
    kinds = sorted({s.kind for s in catalogue.skills.values()})
    x = {
        "occupation": _multi_hot(tokens),
        "skill": nn.functional.one_hot(
            torch.tensor([kinds.index(catalogue.skills[u].kind) for u in skills]), len(kinds)
        ).float(),
    }
    requires = [(row[o.uri], skill_row[s]) for o in occupations for s in (*o.essential_skills, *o.optional_skills)]
    requires += [(row[uris.rome4_fiche(f.code)], skill_row[s]) for f in rome4.fiches.values() for s, _ in f.skills]
    fiche_of = {ogr: uris.rome_fiche(code) for ogr, code in catalogue.appellation_to_fiche.items()}
    broader = [(row[uris.rome_appellation(ogr)], row[fiche_of[ogr]]) for ogr in appellations if fiche_of[ogr] in row]
    match = [
        (row[uris.rmfp_emploi(e)], row[uris.rome_fiche(f)]) for e, fs in catalogue.rmfp_to_rome.items() for f in fs
    ]
    match += [(row[uris.rome4_fiche(f.code)], row[uris.rome_fiche(f.parent)]) for f in rome4.fiches.values()]
    match += [(row[uris.rmfp_emploi(c.emploi)], row[c.target_uri]) for c in candidates if c.rank == 1]
    v3 = [(row[uris.rome_fiche(m.source_code)], row[uris.rome_fiche(m.target_code)]) for m in catalogue.mobilities]
    v4 = [(row[uris.rome4_fiche(m.source)], row[uris.rome4_fiche(m.target)]) for m in rome4.moves]
    pools = {
        "ROME v3.44": np.array(sorted(row[o.uri] for o in occupations if o.scheme == "ROME"), dtype=np.int64),
        "ROME 4.0": np.array(sorted(row[uris.rome4_fiche(c)] for c in fiches4), dtype=np.int64),
    }
    parent = np.zeros((len(pools["ROME 4.0"]), len(pools["ROME v3.44"])))
    for i, gid in enumerate(pools["ROME 4.0"].tolist()):
        parent[i, np.searchsorted(pools["ROME v3.44"], row[uris.rome_fiche(rome4.fiches[codes[gid]].parent)])] = 1.0

    def rmfp_moves(train_v4: Tensor) -> Tensor:
        kept = {(codes[a], codes[b]) for a, b in train_v4.t().tolist()}
        sub = Rome4(rome4.fiches, [m for m in rome4.moves if (m.source, m.target) in kept], rome4.children)
        moves = derive_rmfp_moves(candidates, sub)
        return _index([(row[uris.rmfp_emploi(m.source)], row[uris.rmfp_emploi(m.target)]) for m in moves])

    relations = dict(zip(ONTOLOGY_RELATIONS, (_index(requires), _index(broader), _index(match)), strict=True))
    moves = {"ROME v3.44": _index(list(dict.fromkeys(v3))), "ROME 4.0": _index(list(dict.fromkeys(v4)))}
    return WholeGraph(CareerData(x, relations, codes), pools, moves, parent, rmfp_moves)


def _tokens(scheme: str, code: str, family_code: str, domain: str) -> list[str]:
    """What an occupation's features say: its repertory, and where it sits in it (ROME letter and domaine,
    ISCO major and sub-major group, RMFP domaine fonctionnel)."""
    out = [f"scheme:{scheme}"]
    if scheme.startswith("ROME"):
        out += [f"rome:{code[:1]}", f"rome:{code[:3]}"]
    elif scheme == "ESCO":
        out += [f"isco:{family_code[:1]}", f"isco:{family_code[:2]}"]
    elif scheme == "RMFP":
        out += [f"rmfp:{domain}"]
    return out


def _multi_hot(tokens: list[list[str]]) -> Tensor:
    vocabulary = {t: i for i, t in enumerate(sorted({t for ts in tokens for t in ts}))}
    x = torch.zeros(len(tokens), len(vocabulary))
    for i, ts in enumerate(tokens):
        x[i, [vocabulary[t] for t in ts]] = 1.0
    return x


def _index(pairs: list[tuple[int, int]]) -> Tensor:
    return torch.tensor(pairs, dtype=torch.long).t().reshape(2, -1)
