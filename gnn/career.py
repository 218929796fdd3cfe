"""The career head: occupation → occupation next steps, learnt on the real ROME mobility transitions.

A separate small GNN over the ontology (occupations and skills, BROADER / EXACT_MATCH / REQUIRES_SKILL links
and the training mobility edges) gives each ROME fiche a source and a target embedding; the score of a move
A → B is their dot product. 20 % of the transitions are held out (fixed seed) and ranked against every other
fiche, filtered of the source's known targets, with common neighbours, Adamic-Adar and skill overlap as
baselines in the same harness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import networkx as nx
import numpy as np
import torch
from torch import Tensor, nn

from gnn.export import GraphExport, reverse
from gnn.metrics import ranks
from gnn.model import EdgeType, LinkGNN, sampled_softmax_loss
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


@dataclass
class CareerConfig:
    hidden: int = 64
    out: int = 64
    epochs: int = 200
    lr: float = 5e-3
    negatives: int = 64
    held_out: float = 0.2
    seed: int = 7


PAIR_FEATURES = ("log common neighbours", "Adamic-Adar", "log directed 2-paths", "reverse transition")


class CareerModel(nn.Module):
    """Embedding score plus a learnt weighting of structural pair features (the GNN alone does not count
    common neighbours, which is what makes Adamic-Adar strong on mobility graphs)."""

    def __init__(self, in_dims: dict[str, int], relations: list[EdgeType], config: CareerConfig) -> None:
        super().__init__()
        self.gnn = LinkGNN(in_dims, relations, heads=("occupation",), hidden=config.hidden, out=config.out)
        self.target = nn.Linear(config.out, config.out, bias=False)
        self.pair = nn.Linear(len(PAIR_FEATURES), 1)

    def forward(self, x_dict: dict[str, Tensor], graph: dict[EdgeType, Tensor]) -> tuple[Tensor, Tensor]:
        z = self.gnn(x_dict, graph)["occupation"]
        return z, self.target(z)


def pair_features(train_edges: Tensor, pool: np.ndarray) -> Tensor:
    """[fiche, fiche, feature] from the training transitions only (never from the held-out ones)."""
    n = len(pool)
    index = torch.from_numpy(np.searchsorted(pool, train_edges.numpy()))
    directed = torch.zeros(n, n)
    directed[index[0], index[1]] = 1.0
    undirected = ((directed + directed.T) > 0).float()
    degree = undirected.sum(1)
    inverse_log = torch.where(degree > 1, 1.0 / torch.log(degree.clamp(min=2)), torch.zeros_like(degree))
    common = undirected @ undirected
    adamic = (undirected * inverse_log) @ undirected
    paths = directed @ directed
    features = torch.stack([torch.log1p(common), adamic, torch.log1p(paths), directed.T], dim=2)
    eye = torch.eye(n, dtype=torch.bool)
    features[eye] = 0.0
    return features


def fiches(export: GraphExport) -> np.ndarray:
    labels = export.attributes["occupation"]["labels"]
    return np.array([i for i, ls in enumerate(labels) if ls and "RomeFiche" in ls], dtype=np.int64)


def split_mobility(export: GraphExport, config: CareerConfig) -> tuple[Tensor, Tensor]:
    """(train, held-out) mobility edges, a fixed-seed 80/20 split."""
    edges = export.data[MOBILITY].edge_index
    order = torch.randperm(edges.shape[1], generator=torch.Generator().manual_seed(config.seed))
    n_held = round(edges.shape[1] * config.held_out)
    return edges[:, order[n_held:]], edges[:, order[:n_held]]


def career_graph(export: GraphExport, train_edges: Tensor) -> dict[EdgeType, Tensor]:
    graph = {}
    for et in ONTOLOGY_RELATIONS:
        graph[et] = export.data[et].edge_index
        graph[reverse(et)] = graph[et].flip(0)
    graph[MOBILITY] = train_edges
    graph[reverse(MOBILITY)] = train_edges.flip(0)
    return graph


def train_career(
    export: GraphExport, train_edges: Tensor, config: CareerConfig
) -> tuple[Tensor, Tensor, Tensor, nn.Linear]:
    """Source and target embeddings of every occupation (rows by gid), the pair features of the ROME fiches and
    their learnt weighting, trained on `train_edges`."""
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    graph = career_graph(export, train_edges)
    x_dict = {t: export.data[t].x for t in ("occupation", "skill")}
    model = CareerModel({t: x.shape[1] for t, x in x_dict.items()}, list(graph), config)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    pool_array = fiches(export)
    pool = torch.from_numpy(pool_array)
    features = pair_features(train_edges, pool_array)
    s, t = train_edges
    s_local, t_local = (torch.from_numpy(np.searchsorted(pool_array, v.numpy())) for v in (s, t))
    for _ in range(config.epochs if train_edges.shape[1] and len(pool) else 0):
        model.train()
        source, target = model(x_dict, graph)
        negative_local = torch.randint(len(pool), (len(s), config.negatives), generator=generator)
        negatives = pool[negative_local]
        positive = (source[s] * target[t]).sum(-1) + model.pair(features[s_local, t_local]).squeeze(-1)
        negative = (source[s].unsqueeze(1) * target[negatives]).sum(-1) + model.pair(
            features[s_local.unsqueeze(1), negative_local]
        ).squeeze(-1)
        loss = sampled_softmax_loss(positive, negative)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        source, target = model(x_dict, graph)
    return source, target, features, model.pair


def rank_held_out(
    score_rows: Callable[[int], np.ndarray], pool: np.ndarray, train_edges: Tensor, held: Tensor
) -> dict[str, float]:
    """Hits@10 and MRR of each held-out A → B among all fiches, excluding A and A's other known targets."""
    known: dict[int, set[int]] = {}
    for a, b in torch.cat([train_edges, held], dim=1).t().tolist():
        known.setdefault(a, set()).add(b)
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
    return {"hits@10": float(np.mean(hits)), "mrr": float(np.mean(reciprocal)), "n": float(len(hits))}


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

    return {"common neighbours": common, "Adamic-Adar": adamic, "skill overlap (Jaccard)": jaccard}


def evaluate_career(export: GraphExport, config: CareerConfig) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Metrics of the career head and its baselines on the held-out transitions, and the head to serve
    (`fiches` gids, `source` / `target` rows, `pair_features`, `pair_weight`, `pair_bias`)."""
    train_edges, held = split_mobility(export, config)
    source, target, features, pair = train_career(export, train_edges, config)
    pool = fiches(export)
    rows = torch.from_numpy(pool)
    head_state = {
        "fiches": pool,
        "source": source[rows],
        "target": target[rows],
        "pair_features": features,
        "pair_weight": pair.weight.detach().reshape(-1),
        "pair_bias": pair.bias.detach().reshape(()),
    }

    def head(a: int) -> np.ndarray:
        return career_scores(head_state, int(np.searchsorted(pool, a))).numpy()

    scorers = {"GNN career head": head, **baseline_scorers(export, train_edges, pool)}
    results = {name: rank_held_out(fn, pool, train_edges, held) for name, fn in scorers.items()}
    return results, head_state


def career_scores(head: dict[str, Any], row: int) -> Tensor:
    """Logits of every fiche as the next step from fiche `row` (rows of the head's tensors)."""
    with torch.no_grad():
        pair = head["pair_features"][row] @ head["pair_weight"] + head["pair_bias"]
        return head["target"] @ head["source"][row] + pair


# --- the whole graph: ROME v3.44 and ROME 4.0 moves, RMFP moves, every repertory (issue 18, part 3) ------------
ROME4_MOVE: EdgeType = ("occupation", "rome4_move", "occupation")
CAREER_MOVE: EdgeType = ("occupation", "career_move", "occupation")
EDITIONS: dict[str, EdgeType] = {"ROME v3.44": MOBILITY, "ROME 4.0": ROME4_MOVE}


@dataclass
class CareerGraph:
    """The ontology as the career head reads it: occupations of every repertory and skills (features `x`), the
    ontology relations, and per edition its moves (`data[EDITIONS[edition]]`) and its fiches (`pools`: sorted
    occupation rows). `rmfp_moves(train_v4)` gives the RMFP → RMFP moves derived from the given ROME 4.0
    moves only, so that held-out moves never reach the graph."""

    x: dict[str, Tensor]
    edges: dict[EdgeType, Tensor]
    pools: dict[str, np.ndarray]
    rmfp_moves: Callable[[Tensor], Tensor]


def split_edges(edges: Tensor, config: CareerConfig) -> tuple[Tensor, Tensor]:
    """(train, held-out): the same fixed-seed 80/20 split as `split_mobility`."""
    order = torch.randperm(edges.shape[1], generator=torch.Generator().manual_seed(config.seed))
    n_held = round(edges.shape[1] * config.held_out)
    return edges[:, order[n_held:]], edges[:, order[:n_held]]


def whole_message_graph(graph: CareerGraph, train: dict[str, Tensor]) -> dict[EdgeType, Tensor]:
    """Ontology relations, the training moves of both editions and the RMFP moves derived from the training
    ROME 4.0 moves, each with its reverse."""
    edges = {et: graph.edges[et] for et in ONTOLOGY_RELATIONS}
    edges.update({EDITIONS[edition]: moves for edition, moves in train.items()})
    edges[CAREER_MOVE] = graph.rmfp_moves(train["ROME 4.0"])
    out: dict[EdgeType, Tensor] = {}
    for et, index in edges.items():
        if index.shape[1]:
            out[et], out[reverse(et)] = index, index.flip(0)
    return out


def train_whole(
    graph: CareerGraph, train: dict[str, Tensor], config: CareerConfig
) -> tuple[Tensor, Tensor, dict[str, Tensor], nn.Linear]:
    """One career head for both editions: the sampled-softmax loss of each edition's training moves (negatives
    from its own fiches, pair features from its own training moves) summed at every epoch."""
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    message = whole_message_graph(graph, train)
    model = CareerModel({t: x.shape[1] for t, x in graph.x.items()}, list(message), config)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    features = {e: pair_features(train[e], graph.pools[e]) for e in train}
    local = {e: [torch.from_numpy(np.searchsorted(graph.pools[e], v.numpy())) for v in train[e]] for e in train}
    for _ in range(config.epochs):
        model.train()
        source, target = model(graph.x, message)
        loss = torch.zeros(())
        for edition, (s, t) in ((e, train[e]) for e in train):
            pool = torch.from_numpy(graph.pools[edition])
            s_local, t_local = local[edition]
            negative_local = torch.randint(len(pool), (len(s), config.negatives), generator=generator)
            pair = features[edition]
            positive = (source[s] * target[t]).sum(-1) + model.pair(pair[s_local, t_local]).squeeze(-1)
            negative = (source[s].unsqueeze(1) * target[pool[negative_local]]).sum(-1) + model.pair(
                pair[s_local.unsqueeze(1), negative_local]
            ).squeeze(-1)
            loss = loss + sampled_softmax_loss(positive, negative)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        source, target = model(graph.x, message)
    return source, target, features, model.pair


def evaluate_whole(graph: CareerGraph, config: CareerConfig) -> dict[str, dict[str, dict[str, float]]]:
    """Per edition: Hits@10 and MRR of the whole-graph career head and of the baselines on that edition's
    held-out moves, with `rank_held_out`'s protocol (all the edition's fiches but the source and its other
    known targets)."""
    splits = {edition: split_edges(graph.edges[et], config) for edition, et in EDITIONS.items()}
    train = {edition: pair[0] for edition, pair in splits.items()}
    source, target, features, pair = train_whole(graph, train, config)
    skills = graph.edges[ONTOLOGY_RELATIONS[0]]
    results: dict[str, dict[str, dict[str, float]]] = {}
    for edition, (train_edges, held) in splits.items():
        pool = graph.pools[edition]
        rows = torch.from_numpy(pool)
        head = {
            "source": source[rows],
            "target": target[rows],
            "pair_features": features[edition],
            "pair_weight": pair.weight.detach().reshape(-1),
            "pair_bias": pair.bias.detach().reshape(()),
        }

        def head_scores(a: int, head: dict[str, Any] = head, pool: np.ndarray = pool) -> np.ndarray:
            return career_scores(head, int(np.searchsorted(pool, a))).numpy()

        scorers = {"GNN career head (whole graph)": head_scores, **_baselines(skills, train_edges, pool)}
        results[edition] = {name: rank_held_out(fn, pool, train_edges, held) for name, fn in scorers.items()}
    return results


def _baselines(skills: Tensor, train_edges: Tensor, pool: np.ndarray) -> dict[str, Callable[[int], np.ndarray]]:
    """`baseline_scorers` on edge tensors rather than an export (it reads the occupation → skill edges only)."""
    export = SimpleNamespace(data={ONTOLOGY_RELATIONS[0]: SimpleNamespace(edge_index=skills)})
    return baseline_scorers(export, train_edges, pool)  # type: ignore[arg-type]


def career_graph_from_ontology(catalogue: Catalogue, rome4: Rome4, candidates: list[Candidate]) -> CareerGraph:
    """The career graph of the whole ontology, from the ontology's own objects (no Neo4j): every occupation of
    RMFP, ROME v3.44 (fiches and appellations), ROME 4.0 (fiches) and ESCO, and every skill."""
    occupations = sorted(catalogue.occupations.values(), key=lambda o: (o.scheme, o.code))
    uri_list = [o.uri for o in occupations]
    appellations = sorted(catalogue.appellation_to_fiche)
    uri_list += [uris.rome_appellation(ogr) for ogr in appellations]
    fiches4 = sorted(rome4.fiches)
    uri_list += [uris.rome4_fiche(code) for code in fiches4]
    row = {u: i for i, u in enumerate(uri_list)}
    tokens = [_tokens(o.scheme, o.code, o.family_code, o.domain) for o in occupations]
    tokens += [_tokens("ROME-appellation", catalogue.appellation_to_fiche[ogr], "", "") for ogr in appellations]
    tokens += [_tokens("ROME4", code, "", "") for code in fiches4]
    skills = sorted(catalogue.skills)
    skill_row = {u: i for i, u in enumerate(skills)}
    kinds = sorted({s.kind for s in catalogue.skills.values()})
    x = {
        "occupation": _multi_hot(tokens),
        "skill": torch.nn.functional.one_hot(
            torch.tensor([kinds.index(catalogue.skills[u].kind) for u in skills]), len(kinds)
        ).float(),
    }
    requires = [(row[o.uri], skill_row[s]) for o in occupations for s in (*o.essential_skills, *o.optional_skills)]
    requires += [(row[uris.rome4_fiche(f.code)], skill_row[s]) for f in rome4.fiches.values() for s, _ in f.skills]
    broader = [
        (row[uris.rome_appellation(ogr)], row[uris.rome_fiche(catalogue.appellation_to_fiche[ogr])])
        for ogr in appellations
        if uris.rome_fiche(catalogue.appellation_to_fiche[ogr]) in row
    ]
    match = [
        (row[uris.rmfp_emploi(e)], row[uris.rome_fiche(f)]) for e, fs in catalogue.rmfp_to_rome.items() for f in fs
    ]
    match += [(row[uris.rome4_fiche(f.code)], row[uris.rome_fiche(f.parent)]) for f in rome4.fiches.values()]
    match += [(row[uris.rmfp_emploi(c.emploi)], row[c.target_uri]) for c in candidates if c.rank == 1]
    v3 = list(
        dict.fromkeys(
            (row[uris.rome_fiche(m.source_code)], row[uris.rome_fiche(m.target_code)]) for m in catalogue.mobilities
        )
    )
    v4 = list(dict.fromkeys((row[uris.rome4_fiche(m.source)], row[uris.rome4_fiche(m.target)]) for m in rome4.moves))
    code4 = {row[uris.rome4_fiche(code)]: code for code in fiches4}

    def rmfp_moves(train_v4: Tensor) -> Tensor:
        kept = {(code4[a], code4[b]) for a, b in train_v4.t().tolist()}
        sub = Rome4(rome4.fiches, [m for m in rome4.moves if (m.source, m.target) in kept], rome4.children)
        moves = derive_rmfp_moves(candidates, sub)
        return _index([(row[uris.rmfp_emploi(m.source)], row[uris.rmfp_emploi(m.target)]) for m in moves])

    pools = {
        "ROME v3.44": np.array(sorted(row[o.uri] for o in occupations if o.scheme == "ROME"), dtype=np.int64),
        "ROME 4.0": np.array(sorted(code4), dtype=np.int64),
    }
    edges = {
        ONTOLOGY_RELATIONS[0]: _index(requires),
        ONTOLOGY_RELATIONS[1]: _index(broader),
        ONTOLOGY_RELATIONS[2]: _index(match),
        MOBILITY: _index(v3),
        ROME4_MOVE: _index(v4),
    }
    return CareerGraph(x, edges, pools, rmfp_moves)


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
