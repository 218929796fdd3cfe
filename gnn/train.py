"""Training: temporal split of the offers, full-batch training with sampled-softmax over random, statutory
and hard negatives, early stopping on validation Recall@10 + Recall@50, and the helpers evaluation and serving share.

Leakage rules: applications of validation and test offers never pass messages; in each training epoch a
random share of the training offers is *supervised*, and their own applications are removed from the
message-passing graph too, so the model learns to score offers it sees without applications — exactly the
situation of a test offer.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from rich.progress import Progress

from gnn.eligibility import Eligibility, candidate_profiles, eligibility_matrix, eligibility_sets, offer_requirements
from gnn.export import APPLIED_EDGE, GEO_DIM, SELECTED_BY_EDGE, SELECTED_EDGE, GraphExport, reverse
from gnn.features import SHARED_TEXT_DIM
from gnn.metrics import query_metrics, ranks
from gnn.model import EdgeType, LinkGNN, sampled_softmax_loss
from gnn.sampling import NeighbourSampler, by_destination, layerwise_embeddings, trimmed_embeddings

POSTED_EDGE = ("offer", "posted_by", "employer")


@dataclass
class TrainConfig:
    hidden: int = 128
    out: int = 64
    layers: int = 2
    dropout: float = 0.2
    lr: float = 5e-3
    weight_decay: float = 1e-5
    epochs: int = 300
    eval_every: int = 5
    patience: int = 4  # evaluations without improvement before stopping
    random_negatives: int = 64
    eligible_negatives: int = 32
    hard_negatives: int = 8
    supervision_fraction: float = 0.5
    max_pairs: int = 20_000  # supervised pairs per objective and epoch (message passing stays full-batch)
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    seed: int = 7
    wide: int = SHARED_TEXT_DIM + GEO_DIM  # text dimensions appended to the embedding (0: the GNN's own only)
    # Both cores of the 2-core target (25 % faster per epoch than one, measured); on a machine shared with other
    # heavy jobs, 1 avoids two threads fighting for a core.
    threads: int = 2
    # Recompute each layer in the backward pass (gnn.model.LinkGNN.checkpoint): None turns it on for graphs past
    # CHECKPOINT_NODES, where memory, not the third more compute, is what runs out (bench/bench_training.py).
    checkpoint: bool | None = None
    # Mini-batch training over sampled sub-graphs and layer-wise inference (gnn.sampling): None turns it on for
    # graphs past MINIBATCH_NODES, where full batch does not fit the memory (docs/model.md, Training cost). Each
    # epoch is then one step on `batch_pairs` supervised pairs per objective (instead of `max_pairs`), whose
    # candidates, negatives and offers are the seeds of a sub-graph sampled with `fanouts` in-neighbours per
    # relation and layer; validation embeddings are computed layer by layer over `inference_chunk` nodes.
    minibatch: bool | None = None
    # 512 and (10, 3): the whole synthetic `large` graph trains in 10.8 GiB, 120 epochs in about 86 min (1,024 and
    # (10, 5): 12.6 GiB, 122 min); their effect on quality is not measured (docs/model.md, Training cost).
    batch_pairs: int = 512
    fanouts: tuple[int, ...] = (10, 3)
    inference_chunk: int = 65_536


CHECKPOINT_NODES = 200_000  # the demo graph has ~37,000 nodes; `large` has 1.1 million
MINIBATCH_NODES = 500_000  # full batch, checkpointed, measured up to 364,601 nodes at 9.2 GiB (large × 0.3)
# Validation offers the GNN alone ranks in mini-batch training (a fixed sample: every validation offer at national
# scale is 15,000 layer-wise rankings of a million candidates each time), and offers scored at once.
VALIDATION_OFFERS = 2_000
# Offers whose [offers × candidates] scores are held at once (training, the served ranker's validation and the
# evaluation): 256 × 1 M candidates is 1 GB in float32, 2 GB in float64.
OFFER_CHUNK = 256


@dataclass
class Split:
    """Offer gids (each with at least one positive application), ordered in time: train < val < test."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    cutoff_val: float
    cutoff_test: float
    history_val: np.ndarray  # every offer published before the validation offers: their applications are known
    history_test: np.ndarray  # the same before the test offers


@dataclass
class FitResult:
    model: LinkGNN
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0


def seed_everything(seed: int) -> None:
    """Seed torch and numpy, and make training reproducible to the bit: the same graph, configuration, seed and
    thread count give the same weights.

    Deterministic algorithms matter on CPU too: with two threads, the backward of a gather with repeated rows
    (`emb["candidate"][rows]`: a candidate sits in many pools) accumulates by parallel atomic float adds, whose
    order varies, so two runs of the same fit drifted in the last digits from the first step and then, through a
    different early-stopping epoch, by 0.02 Recall@10 on the demo (docs/model.md). The deterministic path of
    that accumulation is serial. The flag is process-wide; set in every training entry point."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.use_deterministic_algorithms(True)


def temporal_split(export: GraphExport, config: TrainConfig) -> Split:
    apps = export.applications
    evaluated = np.unique(apps.offer[apps.positive])
    dates = export.offer_published[evaluated]
    dates = np.where(np.isnan(dates), -np.inf, dates)
    order = evaluated[np.lexsort((evaluated, dates))]  # by publication date, gid breaking ties
    n_test = max(1, round(len(order) * config.test_fraction))
    n_val = max(1, round(len(order) * config.val_fraction))
    train, val, test = order[: -n_test - n_val], order[-n_test - n_val : -n_test], order[-n_test:]
    published = np.where(np.isnan(export.offer_published), -np.inf, export.offer_published)
    cutoff_val, cutoff_test = float(published[val[0]]), float(published[test[0]])
    everything = np.arange(len(published))
    history_val = np.setdiff1d(everything[published <= cutoff_val], np.concatenate([val, test]))
    history_test = np.setdiff1d(everything[published <= cutoff_test], test)
    return Split(train, val, test, cutoff_val, cutoff_test, history_val, history_test)


def message_graph(export: GraphExport, visible_offers: np.ndarray) -> dict[EdgeType, torch.Tensor]:
    """The ontology and profile relations plus the applications of the visible offers (gids)."""
    graph = {et: export.data[et].edge_index for et in export.data.edge_types}
    apps = export.applications
    mask = np.isin(apps.offer, visible_offers)
    for edge_type, keep in ((SELECTED_EDGE, mask & apps.positive), (APPLIED_EDGE, mask & ~apps.positive)):
        edge_index = torch.unique(torch.from_numpy(np.stack([apps.candidate[keep], apps.offer[keep]])).long(), dim=1)
        graph[edge_type] = edge_index
        graph[reverse(edge_type)] = edge_index.flip(0)
    selected = graph[SELECTED_EDGE]
    pairs = torch.stack([selected[0], employer_of(export)[selected[1]]])
    by_employer = torch.unique(pairs[:, pairs[1] >= 0], dim=1)
    graph[SELECTED_BY_EDGE], graph[reverse(SELECTED_BY_EDGE)] = by_employer, by_employer.flip(0)
    return graph


class HistoryGraph:
    """The message graph of some offers' applications (`message_graph(export, offers)`) as a `NeighbourSampler`
    built once, and any subset of those offers' graph as a masked view of it (`context`): the same neighbours in
    the same order, the same degrees, hence the same samples from the same generator as a sampler built from
    `message_graph(export, context)`, without rebuilding the graph and its CSR (13 s an epoch at national scale,
    docs/model.md, Training cost). The unmasked `sampler` is the graph validation reads.

    Hidden with an offer: its SELECTED / APPLIED edges (the offer is their destination, or their reverses' source)
    and each SELECTED_BY (candidate, employer) pair that no visible offer of that employer supports (a count of
    visible supporting selections per pair, `message_graph`'s `torch.unique` of the visible ones)."""

    def __init__(self, export: GraphExport, offers: np.ndarray, into: dict[str, list[EdgeType]]) -> None:
        graph = message_graph(export, offers)
        self.n_offers = int(export.data["offer"].num_nodes)
        self.known = torch.zeros(self.n_offers, dtype=torch.bool)
        self.known[torch.from_numpy(np.asarray(offers, dtype=np.int64))] = True
        # Every SELECTED edge with an employer supports one pair of SELECTED_BY, as `message_graph` derives them.
        selected = graph[SELECTED_EDGE]
        employer = employer_of(export)[selected[1]]
        has = employer >= 0
        pairs, self.support_pair = torch.unique(
            torch.stack([selected[0][has], employer[has]]), dim=1, return_inverse=True
        )
        self.support_offer = selected[1][has]
        self.n_pairs = pairs.shape[1]
        # The pair of each SELECTED_BY edge of the CSR (and of its reverse), in CSR order: the CSR of pair ids.
        ids = torch.arange(self.n_pairs)
        self.pair_of_edge = {
            et: by_destination(torch.stack([ids, edges[1]]), int(export.data[et[2]].num_nodes)).sources
            for et, edges in ((SELECTED_BY_EDGE, pairs), (reverse(SELECTED_BY_EDGE), pairs.flip(0)))
        }
        self.sampler = NeighbourSampler(graph, node_counts(export), into)

    def context(self, visible_offers: np.ndarray) -> NeighbourSampler:
        """The sampler of `message_graph(export, visible_offers)`; `visible_offers` must be among those built."""
        shown = torch.zeros(self.n_offers, dtype=torch.bool)
        shown[torch.from_numpy(np.asarray(visible_offers, dtype=np.int64))] = True
        if bool((shown & ~self.known).any()):
            raise ValueError("a visible offer's applications are not in the history graph built")
        relations = self.sampler.relations
        masks = {}
        for edge_type in (SELECTED_EDGE, APPLIED_EDGE):
            masks[edge_type] = shown.repeat_interleave(relations[edge_type].degrees())  # by offer, in CSR order
            masks[reverse(edge_type)] = shown[relations[reverse(edge_type)].sources]
        supported = self.support_pair[shown[self.support_offer]]
        pair_shown = torch.bincount(supported, minlength=self.n_pairs) > 0
        for edge_type, pair in self.pair_of_edge.items():
            masks[edge_type] = pair_shown[pair]
        return self.sampler.masked(masks)


def employer_of(export: GraphExport) -> torch.Tensor:
    """The employer gid of each offer (-1: none)."""
    posted = export.data[POSTED_EDGE].edge_index
    employer = torch.full((export.data["offer"].num_nodes,), -1, dtype=torch.long)
    employer[posted[0]] = posted[1]
    return employer


def edge_types(export: GraphExport) -> list[EdgeType]:
    base = list(export.data.edge_types)
    derived = (SELECTED_EDGE, APPLIED_EDGE, SELECTED_BY_EDGE)
    return [*base, *(et for edge_type in derived for et in (edge_type, reverse(edge_type)))]


def build_model(export: GraphExport, config: TrainConfig, layers: int | None = None) -> LinkGNN:
    in_dims = {t: export.data[t].x.shape[1] for t in export.data.node_types}
    checkpoint = config.checkpoint
    if checkpoint is None:
        checkpoint = sum(export.data[t].num_nodes for t in export.data.node_types) > CHECKPOINT_NODES
    return LinkGNN(
        in_dims,
        edge_types(export),
        hidden=config.hidden,
        out=config.out,
        layers=config.layers if layers is None else layers,
        dropout=config.dropout,
        wide=config.wide,
        checkpoint=checkpoint,
    )


class NegativeSampler:
    """Per positive (candidate, offer): random candidates, statutorily eligible ones, and hard ones (the
    offer's own applicants who were not selected)."""

    def __init__(self, export: GraphExport, offers: np.ndarray, config: TrainConfig) -> None:
        self.config = config
        self.n_candidates = export.data["candidate"].num_nodes
        apps = export.applications
        profiles = candidate_profiles(export)
        eligible = eligibility_sets(profiles, offer_requirements(export), offers)
        # One list per distinct requirement, shared by its offers (not one per offer: 70,000 training offers ×
        # hundreds of thousands of eligible candidates at national scale).
        lists: dict[int, torch.Tensor] = {}
        self.eligible_lists = {
            int(o): lists.setdefault(int(r), torch.nonzero(eligible[i]).flatten())
            for i, (o, r) in enumerate(zip(offers, eligible.row, strict=True))
        }
        hard: dict[int, list[int]] = {int(o): [] for o in offers}
        for c, o, pos in zip(apps.candidate, apps.offer, apps.positive, strict=True):
            if not pos and int(o) in hard:
                hard[int(o)].append(int(c))
        self.hard_lists = {o: torch.tensor(v, dtype=torch.long) for o, v in hard.items()}

    def sample(self, offers: torch.Tensor, generator: torch.Generator, hard: bool = True) -> torch.Tensor:
        c = self.config
        blocks = [torch.randint(self.n_candidates, (len(offers), c.random_negatives), generator=generator)]
        kinds = [(self.eligible_lists, c.eligible_negatives)] + ([(self.hard_lists, c.hard_negatives)] if hard else [])
        for lists, k in kinds:
            block = torch.randint(self.n_candidates, (len(offers), k), generator=generator)
            for i, o in enumerate(offers.tolist()):
                pool = lists.get(o)
                if pool is not None and len(pool):
                    block[i] = pool[torch.randint(len(pool), (k,), generator=generator)]
            blocks.append(block)
        return torch.cat(blocks, dim=1)


def positive_pairs(
    export: GraphExport, offers: np.ndarray, selected_only: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    apps = export.applications
    keep = np.isin(apps.offer, offers) & (apps.positive if selected_only else True)
    return torch.from_numpy(apps.candidate[keep]).long(), torch.from_numpy(apps.offer[keep]).long()


def fit(
    export: GraphExport, split: Split, config: TrainConfig, layers: int | None = None, progress: bool = True
) -> FitResult:
    """Train on the split's training offers; early stopping on validation Recall@10 + Recall@50."""
    seed_everything(config.seed)
    torch.set_num_threads(config.threads)
    generator = torch.Generator().manual_seed(config.seed)
    model = build_model(export, config, layers)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sampler = NegativeSampler(export, split.train, config)
    x_dict = {t: export.data[t].x for t in export.data.node_types}
    minibatch = uses_minibatch(export, config)
    # Mini-batch: the history's CSR by destination once (the edge lists freed), each epoch a masked view of it.
    history = HistoryGraph(export, split.history_val, model.into) if minibatch else None
    val_graph = message_graph(export, split.history_val) if history is None else history.sampler
    val_offers = sample_offers(split.val, VALIDATION_OFFERS, config.seed) if minibatch else split.val
    val_eligible = eligibility_sets(candidate_profiles(export), offer_requirements(export), val_offers)
    result = FitResult(model)
    best, best_state, stale = -1.0, copy.deepcopy(model.state_dict()), 0
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("Training", total=config.epochs)
        for epoch in range(1, config.epochs + 1):
            if history is None:
                loss = _epoch(model, optimiser, export, split, sampler, x_dict, generator, config)
            else:
                loss = _minibatch_epoch(model, optimiser, export, history, split, sampler, x_dict, generator, config)
            bar.advance(task)
            if epoch % config.eval_every:
                continue
            recall = validation_recall(model, export, val_offers, val_graph, val_eligible)
            result.history.append({"epoch": epoch, "loss": loss, **{f"val_{k}": v for k, v in recall.items()}})
            bar.update(task, description=f"Training (loss {loss:.3f}, val R@10 {recall['recall@10']:.3f})")
            # Recall@10 and Recall@50 together: with about one selected applicant per offer, Recall@10 alone on
            # a few dozen validation offers moves in steps too coarse to stop on.
            criterion = recall["recall@10"] + recall["recall@50"]
            if criterion > best:
                best, best_state, stale, result.best_epoch = criterion, copy.deepcopy(model.state_dict()), 0, epoch
            else:
                stale += 1
                if stale >= config.patience:
                    break
    model.load_state_dict(best_state)
    model.eval()
    return result


def node_counts(export: GraphExport) -> dict[str, int]:
    return {t: int(export.data[t].num_nodes) for t in export.data.node_types}


def uses_minibatch(export: GraphExport, config: TrainConfig) -> bool:
    if config.minibatch is not None:
        return config.minibatch
    return sum(node_counts(export).values()) > MINIBATCH_NODES


def sample_offers(offers: np.ndarray, size: int, seed: int) -> np.ndarray:
    """At most `size` of `offers`, drawn without replacement by `seed` and kept in their order (time order for a
    split's): the same sample for the same seed, every offer when there are no more than `size`."""
    if size <= 0 or len(offers) <= size:
        return offers
    keep = np.sort(np.random.default_rng(seed).choice(len(offers), size=size, replace=False))
    return offers[keep]


def _supervised_and_context(
    split: Split, generator: torch.Generator, config: TrainConfig
) -> tuple[np.ndarray, np.ndarray]:
    """An epoch's supervised training offers (a random `supervision_fraction` of them, their applications hidden
    from message passing as a test offer's are) and the offers whose applications pass messages."""
    shuffled = split.train[torch.randperm(len(split.train), generator=generator).numpy()]
    supervised = shuffled[: max(1, int(len(shuffled) * config.supervision_fraction))]
    return supervised, np.setdiff1d(split.history_val, supervised)


def _objective_pairs(
    export: GraphExport,
    supervised: np.ndarray,
    sampler: NegativeSampler,
    generator: torch.Generator,
    limit: int,
    always_draw: bool = False,
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """(candidates, offers, negatives) of the two objectives: every application against random and eligible
    candidates, then each selected application against those and the offer's other applicants (hard). At most
    `limit` pairs each, drawn at random (`always_draw`: shuffled even when fewer, as the mini-batch step does)."""
    pairs = []
    for selected_only, hard in ((False, False), (True, True)):
        candidates, offers = positive_pairs(export, supervised, selected_only)
        if len(offers) == 0:
            continue
        if always_draw or len(offers) > limit:
            keep = torch.randperm(len(offers), generator=generator)[:limit]
            candidates, offers = candidates[keep], offers[keep]
        pairs.append((candidates, offers, sampler.sample(offers, generator, hard=hard)))
    return pairs


def _epoch(
    model: LinkGNN,
    optimiser: torch.optim.Optimizer,
    export: GraphExport,
    split: Split,
    sampler: NegativeSampler,
    x_dict: dict[str, torch.Tensor],
    generator: torch.Generator,
    config: TrainConfig,
) -> float:
    model.train()
    supervised, context = _supervised_and_context(split, generator, config)
    embeddings = model(x_dict, message_graph(export, context))
    # Two objectives on one score. Selected applicants are few (about one per offer), so the score also
    # learns who applies at all (every application against random and eligible candidates), and then who is
    # selected among the applicants (selected against the offer's other applicants, the hard negatives).
    loss = torch.zeros(())
    # the loss's [pairs × negatives × dim] gather is the memory bound: at most `max_pairs` pairs per objective
    for candidates, offers, negatives in _objective_pairs(export, supervised, sampler, generator, config.max_pairs):
        offer_emb = embeddings["offer"][offers]
        positive = model.score(embeddings["candidate"][candidates], offer_emb)
        negative = model.score(embeddings["candidate"][negatives], offer_emb.unsqueeze(1))
        loss = loss + sampled_softmax_loss(positive, negative)
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    return float(loss.detach())


def _minibatch_epoch(
    model: LinkGNN,
    optimiser: torch.optim.Optimizer,
    export: GraphExport,
    history: HistoryGraph,
    split: Split,
    sampler: NegativeSampler,
    x_dict: dict[str, torch.Tensor],
    generator: torch.Generator,
    config: TrainConfig,
) -> float:
    """`_epoch`'s objectives on `batch_pairs` pairs each, embedded through one sub-graph sampled from the history
    graph with the supervised offers' applications hidden."""
    model.train()
    supervised, context = _supervised_and_context(split, generator, config)
    neighbours = history.context(context)
    batches = _objective_pairs(export, supervised, sampler, generator, config.batch_pairs, always_draw=True)
    if not batches:
        return 0.0
    seeds = {
        "candidate": torch.cat([torch.cat([c, n.flatten()]) for c, _, n in batches]),
        "offer": torch.cat([o for _, o, _ in batches]),
    }
    unique = {t: torch.unique(v, return_inverse=True) for t, v in seeds.items()}
    embedded = subgraph_embeddings(model, x_dict, neighbours, {t: u for t, (u, _) in unique.items()}, config, generator)
    rows = {t: inverse for t, (_, inverse) in unique.items()}
    loss, c_at, o_at = torch.zeros(()), 0, 0
    for candidates, offers, negatives in batches:
        n_pos, n_neg = len(candidates), negatives.numel()
        positive_rows = rows["candidate"][c_at : c_at + n_pos]
        negative_rows = rows["candidate"][c_at + n_pos : c_at + n_pos + n_neg].reshape(negatives.shape)
        offer_emb = embedded["offer"][rows["offer"][o_at : o_at + len(offers)]]
        c_at, o_at = c_at + n_pos + n_neg, o_at + len(offers)
        positive = model.score(embedded["candidate"][positive_rows], offer_emb)
        negative = model.score(embedded["candidate"][negative_rows], offer_emb.unsqueeze(1))
        loss = loss + sampled_softmax_loss(positive, negative)
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    return float(loss.detach())


def subgraph_embeddings(
    model: LinkGNN,
    x_dict: dict[str, torch.Tensor],
    neighbours: NeighbourSampler,
    seeds: dict[str, torch.Tensor],
    config: TrainConfig,
    generator: torch.Generator,
) -> dict[str, torch.Tensor]:
    """Head embeddings of the seeds (unique gids per type; rows in the same order), through a sub-graph sampled
    with one fan-out per layer, degree features from the whole graph."""
    sub = neighbours.sample(seeds, list(config.fanouts[: len(model.convs)]), generator)
    x = {t: x_dict[t][ids] for t, ids in sub.nodes.items()}
    degrees = {t: neighbours.degrees[t][ids] for t, ids in sub.nodes.items()}
    emb = trimmed_embeddings(model, x, sub, degrees)
    return {t: emb[t][: len(ids)] for t, ids in seeds.items()}


def visible_embeddings(
    model: LinkGNN, export: GraphExport, visible: np.ndarray, layerwise: bool = False
) -> dict[str, torch.Tensor]:
    """Head embeddings with the applications of the `visible` offers passing messages; `layerwise`: one layer at
    a time over chunks of nodes (the same numbers in bounded memory, for graphs past MINIBATCH_NODES)."""
    edges = message_graph(export, visible)
    if layerwise:
        return embeddings(model, export, NeighbourSampler(edges, node_counts(export), model.into))
    return embeddings(model, export, edges)


@torch.no_grad()
def embeddings(
    model: LinkGNN, export: GraphExport, graph: dict[EdgeType, torch.Tensor] | NeighbourSampler, chunk: int = 65_536
) -> dict[str, torch.Tensor]:
    """Head embeddings of every node: full batch from edge lists, layer by layer from a `NeighbourSampler`."""
    model.eval()
    x_dict = {t: export.data[t].x for t in export.data.node_types}
    if isinstance(graph, NeighbourSampler):
        return layerwise_embeddings(model, x_dict, graph, chunk)[0]
    return model(x_dict, graph)


def validation_recall(
    model: LinkGNN,
    export: GraphExport,
    offers: np.ndarray,
    graph: dict[EdgeType, torch.Tensor] | NeighbourSampler,
    eligible: torch.Tensor | Eligibility,
) -> dict[str, float]:
    """Recall@10 and @50 of the cosine, the scores of `OFFER_CHUNK` offers at a time (the same ranks as one
    matrix: one tie-breaking generator through the chunks)."""
    emb = embeddings(model, export, graph)
    rng = np.random.default_rng(0)
    per_query = []
    for start in range(0, len(offers), OFFER_CHUNK):
        chunk = offers[start : start + OFFER_CHUNK]
        scores = (emb["offer"][torch.from_numpy(chunk)] @ emb["candidate"].T).numpy()
        per_query += rank_offers(export, chunk, scores, eligible[start : start + OFFER_CHUNK], rng)
    return {m: float(np.mean([q[m] for q in per_query])) if per_query else 0.0 for m in ("recall@10", "recall@50")}


def rank_offers(
    export: GraphExport,
    offers: np.ndarray,
    scores: np.ndarray,
    eligible: torch.Tensor | Eligibility | None = None,
    rng: np.random.Generator | None = None,
) -> list[dict[str, float]]:
    """Per offer: metrics of its selected candidates ranked among all eligible candidates (and themselves). Ties
    are broken by `rng` (a fresh one seeded 0 when None): passing the same one on through chunks of offers gives
    the ranks of one call over all of them."""
    if eligible is None:
        eligible = eligibility_matrix(candidate_profiles(export), offer_requirements(export), offers)
    apps = export.applications
    rng = np.random.default_rng(0) if rng is None else rng
    out = []
    for i, offer in enumerate(offers.tolist()):
        mine = apps.of_offer(offer)
        positives = np.unique(apps.candidate[mine][apps.positive[mine]])
        pool = eligible[i].numpy().copy()
        pool[positives] = True
        index = np.nonzero(pool)[0]
        local = np.searchsorted(index, positives)
        out.append(query_metrics(ranks(scores[i][index], local, rng), len(index)))
    return out


def config_dict(config: TrainConfig) -> dict[str, object]:
    return asdict(config)
