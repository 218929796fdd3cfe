"""The served ranker: ONE model, trained end to end, in which message passing and the explicit pair facts meet.

    score(c, o) = Σ_f w_f · φ_f(facts(c, o)) + s · cos(g_c, g_o)

- the *wide* part is linear in the pair facts of `gnn.rerank.pair_features` (skill coverage, career steps, place,
  experience, past applications and selections, overall and at this employer) and their shapes φ (the value,
  1 / (1 + value), log(1 + value)), standardised; each term is one fact's exact contribution to the score;
- the *deep* part is the cosine of the heterogeneous GNN's embeddings (`gnn.model.LinkGNN`: message passing over
  the ontology, the profiles, and the applications of the visible offers with their outcome — who shortlisted
  this candidate, whom this employer shortlisted), scaled by the GNN's learnt temperature. A dot product, so that
  a vector index retrieves the candidates the full score then orders (serving), and the GNN's share of a score is
  one exact term ("gnn_cosine").

Both parts are trained *together* ("wide & deep", Cheng et al. 2016; the GNN as in PinSage / GraphSAGE link
prediction) by a listwise loss over test-like pools: for each training offer, its applicants plus eligible
non-applicants sampled from the same statutory pool as at test time, weighted back to the pool's size (a sampled
softmax with log-weight correction); the targets are the applicants who reached *shortlisted* or later. The GNN
therefore learns what the facts do not already say, instead of competing with them (the old cascade trained the
GNN alone, then a re-ranker that could ignore it).

A second listwise loss, on the deep part alone and over each training offer's *applicants* only, asks the cosine to
say who is selected among those who applied (the factorisation P(selected) = P(applies) · P(selected | applied)
of person–job fit models such as PJFNN / APJFNN, which learn the recruiter's side from the applications). Without
it the pool loss is led by who applies, which the facts (place, career steps) already say, and the cosine learns
little; with it, message passing carries the employer's taste and the candidate's merit as other recruiters judged
them (the simulator's mechanisms (a)–(c), docs/simulation.md). The served score keeps the same exact terms.

Leakage: an offer's own applications never pass messages while it is supervised (each epoch supervises a random
half of the training offers, with their applications hidden, as a test offer's are), and history facts only
count applications to offers published before it, some days before as a test offer's (`gnn.rerank.History`,
`gnn.rerank.history_lags`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from rich.progress import Progress
from sklearn.linear_model import LogisticRegression
from torch import Tensor, nn

from gnn.coldstart import supervised_and_context
from gnn.eligibility import Eligibility, candidate_profiles, eligibility_sets, offer_requirements
from gnn.export import GraphExport
from gnn.model import LinkGNN
from gnn.rerank import (
    FEATURES,
    History,
    PairFacts,
    Reranker,
    _linear_terms,
    history_lags,
    lagged,
    offer_facts,
    offer_pool,
    pair_features,
)
from gnn.sampling import NeighbourSampler, layerwise_embeddings
from gnn.train import (
    OFFER_CHUNK,
    HistoryGraph,
    Split,
    TrainConfig,
    build_model,
    message_graph,
    rank_offers,
    sample_offers,
    seed_everything,
    subgraph_embeddings,
    uses_minibatch,
)

if TYPE_CHECKING:
    from gnn.distributed import Replica

COSINE = "gnn_cosine"  # the deep part's column in FEATURES (filled with the cosine at scoring time)
AFFINITY = "employer_affinity"  # the deep part's second column: the cosine with the employer's past selections
# The wide part's facts: every pair fact but the two that read GNN embeddings (the deep part is the GNN's say).
WIDE_FACTS = tuple(f for f in FEATURES if f not in (COSINE, AFFINITY))


@dataclass
class RankerConfig:
    """What the joint training adds to `TrainConfig` (whose epochs, learning rate, early stopping, supervised
    share and seed it uses)."""

    negatives: int = 300  # eligible non-applicants sampled per training offer (weighted back to the pool)
    wide_lr: float = 2e-2  # the wide part starts from a logistic regression and moves faster than the GNN
    # Weight of a second listwise loss on the deep part alone, over each training offer's applicants only: who is
    # selected among those who applied (the employer's taste, the candidate's merit), which the pool loss, led by
    # who applies, leaves to the facts (chosen on validation Recall@10, docs/evaluation.md "Variants"). 0: off.
    selection_weight: float = 1.0
    # A second deep term: a learnt weight on the cosine of the candidate's GNN embedding with the centre of the
    # candidates this offer's employer selected before (`gnn.rerank._affinity`, the "employer_affinity" fact).
    # Off: on the demo it did not move validation Recall@10 (docs/evaluation.md, "Variants").
    affinity: bool = False
    affinity_lr: float = 1e-1  # one scalar from 0: it must reach the cosine's scale (~10) within a few epochs
    # Which offers an epoch supervises and what passes messages (gnn/coldstart.py): "random" (a random share of the
    # training offers, every other application passing messages: the demo's measured configuration) or "temporal"
    # (offers after a cut, only earlier applications known, as at test time: histories of mostly new candidates,
    # docs/any-language.md). `vivier train` chooses between them from the history (`gnn.coldstart.choose_scheme`);
    # a stored version records the scheme chosen.
    supervision: str = "random"
    # Training rows' history facts read as a test offer's are, some days before the offer's publication
    # (`gnn.rerank.history_lags`); False: up to its eve, as before 2026-12-06.
    lagged_history: bool = True
    # Mini-batch training (past `gnn.train.MINIBATCH_NODES` nodes, or `TrainConfig.minibatch`): each epoch is one
    # step on the pools of `batch_offers` supervised offers (their rows' candidates and offers are the seeds of a
    # sampled sub-graph), and validation ranks the whole pools of a fixed sample of `validation_offers` offers
    # (their pair facts are held: about 500,000 eligible candidates per offer at national scale). 25 rather than 50
    # for time: on the synthetic large graph a validation took 82 s of CPU against 122 s, 120 epochs ≈ 86 min
    # against 99 (docs/model.md, Training cost); what the smaller sample costs early stopping is not measured.
    batch_offers: int = 32
    validation_offers: int = 25


# Pool rows scored at once: their two gathered embeddings (2 × 256 float32) and wide terms (39 float64) are about
# 3 KB a row (1,000,000 rows at once added 3.1 GiB to a validation: bench_training --joint, 2026-12-05).
ROW_CHUNK = 100_000
# Validation rows full-batch training holds (pair facts and wide terms, about 500 bytes a row): 172,120 for the 67
# validation offers of 5,000 candidates and 500 offers; at 50,000 candidates 16.9 M (678 offers × 24,862 eligible),
# and training was killed for memory at 19.5 GiB (docs/model.md, The whole pipeline at scale).
VALIDATION_ROWS = 3_000_000
WARM_ROWS = 2_000_000  # training rows the wide part's warm start reads in mini-batch training (0.7 GB of terms)


@dataclass
class Pools:
    """Scored rows of several offers: pair facts, candidate gid, position of the offer, label, log-weight."""

    x: np.ndarray  # [rows × FEATURES]
    candidate: np.ndarray
    offer: np.ndarray  # index into `offers`
    label: np.ndarray
    log_weight: np.ndarray
    offers: np.ndarray  # offer gids
    applicant: np.ndarray  # whether the row's candidate applied to the row's offer
    # [offers × candidates], row i: 1 / n on the n candidates the employer of offer i selected before it (its
    # history's `selected_here`), so that `chosen @ embeddings` is the centre `gnn.rerank._affinity` takes.
    chosen: Tensor

    def rows_of(self, positions: np.ndarray) -> np.ndarray:
        return np.flatnonzero(np.isin(self.offer, positions))


def training_pools(
    export: GraphExport,
    facts: PairFacts,
    history: History,
    offers: np.ndarray,
    eligible: torch.Tensor | Eligibility,
    negatives: int,
    rng: np.random.Generator,
    lags: np.ndarray | None = None,
) -> Pools:
    """Per training offer: every applicant, plus `negatives` eligible non-applicants weighted back to the pool; its
    history facts read `lags[i]` days before its publication (`gnn.rerank.history_lags`; None: up to its eve)."""
    apps = export.applications
    parts: list[tuple[np.ndarray, ...]] = []
    for i, offer in enumerate(offers.tolist()):
        mine = apps.of_offer(offer)
        applicants, first = np.unique(apps.candidate[mine], return_index=True)
        labels = apps.positive[mine][first]
        others = np.setdiff1d(np.flatnonzero(eligible[i].numpy()), applicants)
        sampled = rng.choice(others, size=min(negatives, len(others)), replace=False) if len(others) else others
        candidates = np.concatenate([applicants, sampled])
        weight = np.concatenate(
            [np.zeros(len(applicants)), np.full(len(sampled), np.log(len(others) / max(len(sampled), 1)))]
        )
        label = np.concatenate([labels, np.zeros(len(sampled), dtype=bool)])
        applicant = np.concatenate([np.ones(len(applicants), dtype=bool), np.zeros(len(sampled), dtype=bool)])
        parts.append((candidates, np.full(len(candidates), i), label, weight, applicant))
    return _pools(facts, history, offers, parts, lags)


def whole_pools(
    export: GraphExport, facts: PairFacts, history: History, offers: np.ndarray, eligible: torch.Tensor | Eligibility
) -> Pools:
    """Every candidate of each offer's evaluation pool (eligible, plus its selected ones: `offer_pool`, one offer at
    a time), as the test ranks them."""
    apps = export.applications
    parts = []
    for i, offer in enumerate(offers.tolist()):
        pool, selected = offer_pool(export, offer, eligible[i])
        candidates = np.flatnonzero(pool)
        label = np.isin(candidates, selected)
        applicant = np.isin(candidates, apps.candidate[apps.of_offer(offer)])
        parts.append((candidates, np.full(len(candidates), i), label, np.zeros(len(candidates)), applicant))
    return _pools(facts, history, offers, parts)


def _pools(
    facts: PairFacts,
    history: History,
    offers: np.ndarray,
    parts: Sequence[tuple[np.ndarray, ...]],
    lags: np.ndarray | None = None,
) -> Pools:
    n_c = facts.candidate_skills.shape[0]
    nothing, zeros = torch.zeros(1), torch.zeros((n_c, 1))  # the GNN columns are filled at scoring time
    lags = np.zeros(len(offers)) if lags is None else lags
    xs = []
    for p in parts:
        if len(p[0]):
            i = int(p[1][0])
            here = lagged(offer_facts(facts, int(offers[i])), float(lags[i]))
            xs.append(pair_features(facts, history, here, p[0], nothing, zeros))
    cat = [np.concatenate([p[k] for p in parts]) for k in range(5)]
    return Pools(
        np.concatenate(xs),
        cat[0].astype(np.int64),
        cat[1].astype(np.int64),
        cat[2].astype(bool),
        cat[3],
        offers,
        cat[4].astype(bool),
        _chosen(facts, history, offers, n_c, lags),
    )


def _chosen(
    facts: PairFacts, history: History, offers: np.ndarray, n_candidates: int, lags: np.ndarray | None = None
) -> Tensor:
    """The sparse mean operator over the candidates each offer's employer selected before it (`lags`: as its
    history facts read it)."""
    rows, columns, values = [], [], []
    for i, offer in enumerate(offers.tolist()):
        here = lagged(offer_facts(facts, offer), 0.0 if lags is None else float(lags[i]))
        selected = np.unique(history.counts(facts, here.history_until, here.employer, np.zeros(1, dtype=np.int64))[4])
        rows.append(np.full(len(selected), i))
        columns.append(selected)
        values.append(np.full(len(selected), 1.0 / max(len(selected), 1)))
    index = torch.from_numpy(np.stack([np.concatenate(rows), np.concatenate(columns)]).astype(np.int64))
    weights = torch.from_numpy(np.concatenate(values)).float()
    return torch.sparse_coo_tensor(index, weights, (len(offers), n_candidates), check_invariants=True).coalesce()


class Wide(nn.Module):
    """The linear part over standardised fact terms (`gnn.rerank._linear_terms`)."""

    mean: Tensor
    std: Tensor
    affinity: nn.Parameter | None

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        self.linear = nn.Linear(len(mean), 1)
        self.columns = [FEATURES.index(f) for f in WIDE_FACTS]
        # The weight of the employer-affinity cosine (a deep term, kept here so that LinkGNN's stored state, which
        # serving loads, keeps its shape); None: the term is off.
        self.register_parameter("affinity", None)

    def terms(self, x: np.ndarray) -> Tensor:
        raw = torch.tensor(_linear_terms(x[:, self.columns].astype(np.float64)), dtype=torch.float32)
        return (raw - self.mean) / self.std

    def forward(self, terms: Tensor) -> Tensor:
        return self.linear(terms).squeeze(-1)


class Joint(nn.Module):
    """The GNN and the wide part as one module whose forward scores pool rows: the unit DistributedDataParallel
    wraps (every parameter the loss reads must be reached from the output of the wrapped module's forward)."""

    def __init__(self, gnn: LinkGNN, wide: Wide) -> None:
        super().__init__()
        self.gnn = gnn
        self.wide = wide

    def forward(
        self,
        x_dict: dict[str, Tensor],
        graph: dict[tuple[str, str, str], Tensor],
        pools: Pools,
        rows: np.ndarray,
        terms: Tensor,
    ) -> tuple[Tensor, Tensor]:
        emb = self.gnn(x_dict, graph)
        return _scores(self.gnn, self.wide, emb, pools, rows, terms), _deep(self.gnn, emb, pools, rows)


@dataclass
class JointFit:
    gnn: LinkGNN
    wide: Wide
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    average_cosine: float = 0.0  # over the training rows: the origin of the GNN's share in explanations
    average_affinity: float = 0.0  # the same for the employer affinity


def fit_joint(
    export: GraphExport,
    facts: PairFacts,
    split: Split,
    train_config: TrainConfig,
    config: RankerConfig,
    layers: int | None = None,
    progress: bool = True,
    replica: Replica | None = None,
) -> JointFit:
    """Train the GNN and the wide part together; early stopping on validation Recall@10 + Recall@50.

    With a `replica` (gnn/distributed.py), this process is one rank of a data-parallel run: it supervises its
    shard of each epoch's offers, the gradients are all-reduced, and rank 0 alone validates and decides.

    Past `gnn.train.MINIBATCH_NODES` nodes (or with `TrainConfig.minibatch`), the mini-batch scheme instead
    (`_fit_minibatch`)."""
    if uses_minibatch(export, train_config):
        if replica is not None:
            raise ValueError("mini-batch joint training runs in one process: --processes is not done with it")
        return _fit_minibatch(export, facts, split, train_config, config, layers, progress)
    seed_everything(train_config.seed)
    torch.set_num_threads(train_config.threads)
    rng = np.random.default_rng(train_config.seed)
    profiles, requirements = candidate_profiles(export), offer_requirements(export)
    history = History.known(export, facts, split.history_val)
    train = training_pools(
        export,
        facts,
        history,
        split.train,
        eligibility_sets(profiles, requirements, split.train),
        config.negatives,
        rng,
        _lags(export, split, config, train_config),
    )
    val_eligible = eligibility_sets(profiles, requirements, split.val)
    kept = validation_sample(val_eligible, config, train_config)
    val_offers, val_eligible = split.val[kept], val_eligible[kept]
    val = whole_pools(export, facts, history, val_offers, val_eligible)
    wide = _warm_wide(train)
    gnn = build_model(export, train_config, layers)
    optimiser = _optimiser(gnn, wide, train_config, config)
    x_dict = {t: export.data[t].x for t in export.data.node_types}
    train_terms, val_terms = wide.terms(train.x), wide.terms(val.x)
    val_graph = message_graph(export, split.history_val)
    result = JointFit(gnn, wide)
    model: nn.Module = Joint(gnn, wide) if replica is None else replica.wrap(Joint(gnn, wide))
    chief = replica is None or replica.chief
    keeper = _BestState(gnn, wide, train_config.patience)
    generator = torch.Generator().manual_seed(train_config.seed)

    def step() -> float:
        return _epoch(
            model, optimiser, export, split, train, train_terms, x_dict, generator, train_config, replica, config
        )

    def validate() -> dict[str, float]:
        return _validation(gnn, wide, export, val, val_terms, x_dict, val_graph, val_eligible)

    result.history = _run_epochs(
        step, validate if chief else None, keeper, train_config, "Training the ranker", progress and chief, replica
    )
    result.best_epoch = keeper.restore()
    gnn.eval()
    with torch.no_grad():
        emb = gnn(x_dict, val_graph)
        offers = torch.from_numpy(train.offers[train.offer])
        vectors = emb["candidate"][torch.from_numpy(train.candidate)]
        result.average_cosine = float((vectors * emb["offer"][offers]).sum(-1).mean())
        centres = F.normalize(torch.sparse.mm(train.chosen, emb["candidate"]), dim=-1)
        result.average_affinity = float((vectors * centres[torch.from_numpy(train.offer)]).sum(-1).mean())
    return result


def validation_sample(eligible: Eligibility, config: RankerConfig, train_config: TrainConfig) -> np.ndarray:
    """Positions (in order) of the validation offers full-batch training ranks: all of them while their whole pools
    hold no more than `VALIDATION_ROWS` rows (the demo), else a fixed sample whose pools fit on average, of at least
    `config.validation_offers` offers (what mini-batch training validates on)."""
    sizes = eligible.counts()
    everyone = np.arange(len(sizes))
    if sizes.sum() <= VALIDATION_ROWS:
        return everyone
    size = max(config.validation_offers, int(VALIDATION_ROWS // max(float(sizes.mean()), 1.0)))
    return sample_offers(everyone, size, train_config.seed)


def _fit_minibatch(
    export: GraphExport,
    facts: PairFacts,
    split: Split,
    train_config: TrainConfig,
    config: RankerConfig,
    layers: int | None,
    progress: bool,
) -> JointFit:
    """`fit_joint` in memory bounded by a step, for graphs full batch cannot hold (gnn/sampling.py): each epoch is
    one step on the pools of `config.batch_offers` supervised offers, embedded through a sub-graph sampled around
    their rows' candidates and offers (`pool_step`); validation embeds every node layer by layer and ranks the
    whole pools of a fixed sample of validation offers, a chunk of offers at a time; eligibility stays compact."""
    if config.affinity:
        raise ValueError("the employer-affinity term is not done in mini-batch training (it reads every candidate)")
    seed_everything(train_config.seed)
    torch.set_num_threads(train_config.threads)
    rng = np.random.default_rng(train_config.seed)
    profiles, requirements = candidate_profiles(export), offer_requirements(export)
    history = History.known(export, facts, split.history_val)
    train_eligible = eligibility_sets(profiles, requirements, split.train)
    lags = _lags(export, split, config, train_config)
    train = training_pools(export, facts, history, split.train, train_eligible, config.negatives, rng, lags)
    val_offers = sample_offers(split.val, config.validation_offers, train_config.seed)
    val_eligible = eligibility_sets(profiles, requirements, val_offers)
    val = whole_pools(export, facts, history, val_offers, val_eligible)
    wide = _warm_wide(train, WARM_ROWS)
    gnn = build_model(export, train_config, layers)
    optimiser = _optimiser(gnn, wide, train_config, config)
    x_dict = {t: export.data[t].x for t in export.data.node_types}
    # The history's CSR once: validation reads it whole, each epoch a view with its supervised offers hidden.
    history_graph = HistoryGraph(export, split.history_val, gnn.into)
    val_graph = history_graph.sampler
    result = JointFit(gnn, wide)
    keeper = _BestState(gnn, wide, train_config.patience)
    generator = torch.Generator().manual_seed(train_config.seed)

    def step() -> float:
        return _minibatch_epoch(
            gnn, wide, optimiser, export, history_graph, split, train, x_dict, generator, train_config, config
        )

    def validate() -> dict[str, float]:
        emb = layerwise_embeddings(gnn, x_dict, val_graph, train_config.inference_chunk)[0]
        return _chunked_validation(gnn, wide, export, val, emb, val_eligible)

    result.history = _run_epochs(step, validate, keeper, train_config, "Training the ranker (mini-batch)", progress)
    result.best_epoch = keeper.restore()
    emb = layerwise_embeddings(gnn, x_dict, val_graph, train_config.inference_chunk)[0]
    with torch.no_grad():
        result.average_cosine = float(_row_cosines(emb, train).mean())
    return result


def _run_epochs(
    step: Callable[[], float],
    validate: Callable[[], dict[str, float]] | None,
    keeper: _BestState,
    train_config: TrainConfig,
    label: str,
    show: bool,
    replica: Replica | None = None,
) -> list[dict[str, float]]:
    """The epoch loop of both joint fits (full batch and mini-batch), kept in one place so that their early stopping
    cannot drift apart: `step` trains one epoch and returns its loss; every `eval_every` epochs, `validate` gives
    the validation recalls, whose Recall@10 + Recall@50 decides what `keeper` keeps and when it stops. Returns
    the history of the validated epochs.

    `validate` is None on the ranks of a data-parallel run that do not validate (all but rank 0): with a `replica`,
    every rank takes rank 0's verdict (`Replica.agree`), so that they all keep and stop alike."""
    history: list[dict[str, float]] = []
    with Progress(disable=not show, transient=True) as bar:
        task = bar.add_task(label, total=train_config.epochs)
        for epoch in range(1, train_config.epochs + 1):
            loss = step()
            bar.advance(task)
            if epoch % train_config.eval_every:
                continue
            improved = False
            if validate is not None:
                recall = validate()
                history.append({"epoch": epoch, "loss": loss, **{f"val_{k}": v for k, v in recall.items()}})
                description = f"Training the ranker (loss {loss:.3f}, val R@10 {recall['recall@10']:.3f})"
                bar.update(task, description=description)
                improved = keeper.improves(recall["recall@10"] + recall["recall@50"])
            if replica is not None:
                improved = replica.agree(improved)  # rank 0's verdict: every rank keeps and stops alike
            if keeper.stop_after(improved, epoch):
                break
    return history


def _row_cosines(emb: dict[str, Tensor], pools: Pools) -> Tensor:
    """The cosine of each pool row's pair (the embeddings are unit vectors), in chunks of rows."""
    parts = []
    for start in range(0, len(pools.offer), ROW_CHUNK):
        rows = slice(start, start + ROW_CHUNK)
        candidates = emb["candidate"][torch.from_numpy(pools.candidate[rows])]
        parts.append((candidates * emb["offer"][torch.from_numpy(pools.offers[pools.offer[rows]])]).sum(-1))
    return torch.cat(parts) if parts else torch.zeros(0)


def _minibatch_epoch(
    gnn: LinkGNN,
    wide: Wide,
    optimiser: torch.optim.Optimizer,
    export: GraphExport,
    history_graph: HistoryGraph,
    split: Split,
    train: Pools,
    x_dict: dict[str, Tensor],
    generator: torch.Generator,
    train_config: TrainConfig,
    config: RankerConfig,
) -> float:
    """`_epoch`'s supervision (a share of the training offers, their applications hidden from message passing:
    a masked view of the history graph), one step on `config.batch_offers` of the supervised offers drawn at
    random."""
    supervised, context = supervised_and_context(
        export, split, generator, train_config.supervision_fraction, config.supervision
    )
    batch = supervised[torch.randperm(len(supervised), generator=generator)[: config.batch_offers].numpy()]
    neighbours = history_graph.context(context)
    rows = train.rows_of(batch)
    return pool_step(gnn, wide, optimiser, neighbours, x_dict, train, rows, train_config, generator, config)


def pool_step(
    gnn: LinkGNN,
    wide: Wide,
    optimiser: torch.optim.Optimizer,
    neighbours: NeighbourSampler,
    x_dict: dict[str, Tensor],
    pools: Pools,
    rows: np.ndarray,
    train_config: TrainConfig,
    generator: torch.Generator,
    config: RankerConfig,
) -> float:
    """One optimiser step on pool `rows` (whole pools of some offers): their candidates and offers are the seeds
    of a sub-graph sampled with `train_config.fanouts`, the trimmed forward embeds them, and the decoder scores
    the rows as `_scores` does (wide terms of the rows' facts + the scaled cosine), under `_epoch`'s losses."""
    gnn.train()
    candidates, candidate_row = np.unique(pools.candidate[rows], return_inverse=True)
    offers, offer_row = np.unique(pools.offers[pools.offer[rows]], return_inverse=True)
    seeds = {"candidate": torch.from_numpy(candidates), "offer": torch.from_numpy(offers)}
    emb = subgraph_embeddings(gnn, x_dict, neighbours, seeds, train_config, generator)
    deep = gnn.score(emb["candidate"][torch.from_numpy(candidate_row)], emb["offer"][torch.from_numpy(offer_row)])
    scores = wide(wide.terms(pools.x[rows])) + deep
    offer, label = pools.offer[rows], pools.label[rows]
    loss = listwise_loss(scores, torch.from_numpy(pools.log_weight[rows]).float(), offer, label)
    among = pools.applicant[rows]
    if config.selection_weight and label[among].any():
        weights = torch.zeros(int(among.sum()))
        selection = listwise_loss(deep[torch.from_numpy(among)], weights, offer[among], label[among])
        loss = loss + config.selection_weight * selection
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    return float(loss.detach())


@torch.no_grad()
def _chunked_validation(
    gnn: LinkGNN, wide: Wide, export: GraphExport, pools: Pools, emb: dict[str, Tensor], eligible: Eligibility
) -> dict[str, float]:
    """`_validation` from given embeddings, the wide terms computed a chunk of rows at a time."""
    gnn.eval()
    scores = pool_scores(gnn, wide, emb, pools)
    per_query = rank_pools(pools, scores, export, eligible)
    return {m: float(np.mean([q[m] for q in per_query])) for m in ("recall@10", "recall@50")}


@torch.no_grad()
def pool_scores(gnn: LinkGNN, wide: Wide, emb: dict[str, Tensor], pools: Pools) -> np.ndarray:
    """`_scores` of every pool row, `ROW_CHUNK` rows at a time (all at once, the rows' gathered embeddings and wide
    terms are about 3 KB a row: 75 GB for the pools of 50 validation offers at national scale)."""
    out = np.empty(len(pools.offer), dtype=np.float32)
    for start in range(0, len(pools.offer), ROW_CHUNK):
        rows = np.arange(start, min(start + ROW_CHUNK, len(pools.offer)))
        candidates = emb["candidate"][torch.from_numpy(pools.candidate[rows])]
        offers = emb["offer"][torch.from_numpy(pools.offers[pools.offer[rows]])]
        out[rows] = (wide(wide.terms(pools.x[rows])) + gnn.score(candidates, offers)).numpy()
    return out


def _optimiser(gnn: LinkGNN, wide: Wide, train_config: TrainConfig, config: RankerConfig) -> torch.optim.Optimizer:
    """Adam with the GNN's and the wide part's learning rates (and the employer affinity's weight, when asked)."""
    groups = [
        {"params": gnn.parameters(), "lr": train_config.lr, "weight_decay": train_config.weight_decay},
        {"params": wide.linear.parameters(), "lr": config.wide_lr},
    ]
    if config.affinity:
        wide.affinity = nn.Parameter(torch.zeros(()))
        groups.append({"params": [wide.affinity], "lr": config.affinity_lr})
    return torch.optim.Adam(groups)


class _BestState:
    """Early stopping of a joint fit: keeps the parameters of the best validation epoch, counts the epochs since."""

    def __init__(self, gnn: LinkGNN, wide: Wide, patience: int) -> None:
        self.gnn, self.wide, self.patience = gnn, wide, patience
        self.best, self.stale, self.epoch = -1.0, 0, 0
        self.state = copy.deepcopy((gnn.state_dict(), wide.state_dict()))

    def improves(self, criterion: float) -> bool:
        improved = criterion > self.best
        self.best = max(self.best, criterion)
        return improved

    def stop_after(self, improved: bool, epoch: int) -> bool:
        """Record an evaluated epoch (keeping its parameters if it improved); True when patience has run out."""
        if improved:
            self.stale, self.epoch = 0, epoch
            self.state = copy.deepcopy((self.gnn.state_dict(), self.wide.state_dict()))
            return False
        self.stale += 1
        return self.stale >= self.patience

    def restore(self) -> int:
        """Load the best epoch's parameters back; its number (0: none improved)."""
        self.gnn.load_state_dict(self.state[0])
        self.wide.load_state_dict(self.state[1])
        return self.epoch


def _lags(export: GraphExport, split: Split, config: RankerConfig, train_config: TrainConfig) -> np.ndarray | None:
    return history_lags(export, split, split.train, train_config.seed) if config.lagged_history else None


def _warm_wide(train: Pools, max_rows: int | None = None) -> Wide:
    """The wide part starts from a logistic regression on the facts alone (a few seconds; saves epochs). Past
    `max_rows` rows, on the whole pools of a random subset of the offers (fixed seed) holding about that many."""
    rows: slice | np.ndarray = slice(None)
    if max_rows is not None and len(train.offer) > max_rows:
        order = np.random.default_rng(0).permutation(len(train.offers))
        sizes = np.bincount(train.offer, minlength=len(train.offers))[order]
        rows = train.rows_of(order[: max(1, int(np.searchsorted(np.cumsum(sizes), max_rows)))])
    columns = [FEATURES.index(f) for f in WIDE_FACTS]
    raw = _linear_terms(train.x[rows][:, columns].astype(np.float64))
    mean, std = raw.mean(axis=0), raw.std(axis=0) + 1e-6
    wide = Wide(mean, std)
    regression = LogisticRegression(max_iter=2000).fit(
        (raw - mean) / std, train.label[rows], sample_weight=np.exp(train.log_weight[rows])
    )
    with torch.no_grad():
        wide.linear.weight.copy_(torch.tensor(regression.coef_, dtype=torch.float32))
        wide.linear.bias.fill_(float(regression.intercept_[0]))
    return wide


def _deep(gnn: LinkGNN, emb: dict[str, Tensor], pools: Pools, rows: np.ndarray) -> Tensor:
    """The scaled cosine of the rows' pairs: the deep part's main term."""
    offers = torch.from_numpy(pools.offers[pools.offer[rows]])
    return gnn.score(emb["candidate"][torch.from_numpy(pools.candidate[rows])], emb["offer"][offers])


def _scores(gnn: LinkGNN, wide: Wide, emb: dict[str, Tensor], pools: Pools, rows: np.ndarray, terms: Tensor) -> Tensor:
    candidates = torch.from_numpy(pools.candidate[rows])
    offers = torch.from_numpy(pools.offers[pools.offer[rows]])
    vectors = emb["candidate"][candidates]
    score = wide(terms[torch.from_numpy(rows)]) + gnn.score(vectors, emb["offer"][offers])
    if wide.affinity is None:
        return score
    centres = F.normalize(torch.sparse.mm(pools.chosen, emb["candidate"]), dim=-1)  # zero where none was selected
    return score + wide.affinity * (vectors * centres[torch.from_numpy(pools.offer[rows])]).sum(-1)


def _epoch(
    model: nn.Module,
    optimiser: torch.optim.Optimizer,
    export: GraphExport,
    split: Split,
    train: Pools,
    terms: Tensor,
    x_dict: dict[str, Tensor],
    generator: torch.Generator,
    config: TrainConfig,
    replica: Replica | None = None,
    ranker: RankerConfig | None = None,
) -> float:
    """One step: a share of the training offers is supervised, their applications hidden from the message
    passing (`gnn.coldstart`: a random share, or the offers after a cut with only earlier applications known). A
    `replica` scores only its shard of those offers (every rank draws the same share)."""
    model.train()
    ranker = ranker or RankerConfig()
    scheme, selection_weight = ranker.supervision, ranker.selection_weight
    supervised, context = supervised_and_context(export, split, generator, config.supervision_fraction, scheme)
    rows = train.rows_of(supervised if replica is None else replica.shard(supervised))
    scores, deep = model(x_dict, message_graph(export, context), train, rows, terms)
    loss = listwise_loss(scores, torch.from_numpy(train.log_weight[rows]).float(), train.offer[rows], train.label[rows])
    if selection_weight:
        among = train.applicant[rows]
        loss = loss + selection_weight * listwise_loss(
            deep[torch.from_numpy(among)],
            torch.zeros(int(among.sum())),
            train.offer[rows][among],
            train.label[rows][among],
        )
    if replica is not None:  # weighted so that the all-reduced gradient is the whole share's (gnn/distributed.py)
        loss = loss * replica.share(int(train.label[rows].sum()), int(train.label[train.rows_of(supervised)].sum()))
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    return float(loss.detach()) if replica is None else replica.average(loss)


def listwise_loss(scores: Tensor, log_weight: Tensor, offer: np.ndarray, label: np.ndarray) -> Tensor:
    """Mean over positives of −log softmax of the positive within its offer's (weighted) pool."""
    index = torch.from_numpy(np.unique(offer, return_inverse=True)[1])
    weighted = scores + log_weight.to(scores.dtype)
    # A stable log-sum-exp per offer: shift by the offer's largest score.
    top = torch.zeros(int(index.max()) + 1).scatter_reduce(0, index, weighted.detach(), "amax", include_self=False)
    sums = torch.zeros_like(top).index_add(0, index, (weighted - top[index]).exp())
    lse = sums.log() + top
    positives = torch.from_numpy(label)
    return (lse[index[positives]] - scores[positives]).mean()


@torch.no_grad()
def _validation(
    gnn: LinkGNN,
    wide: Wide,
    export: GraphExport,
    pools: Pools,
    terms: Tensor,
    x_dict: dict[str, Tensor],
    graph: dict[tuple[str, str, str], Tensor],
    eligible: torch.Tensor | Eligibility,
) -> dict[str, float]:
    gnn.eval()
    emb = gnn(x_dict, graph)
    scores = np.empty(len(pools.offer), dtype=np.float32)
    for start in range(0, len(pools.offer), ROW_CHUNK):  # all rows at once is about 3 KB a row (pool_scores)
        rows = np.arange(start, min(start + ROW_CHUNK, len(pools.offer)))
        scores[rows] = _scores(gnn, wide, emb, pools, rows, terms).numpy()
    per_query = rank_pools(pools, scores, export, eligible)
    return {m: float(np.mean([q[m] for q in per_query])) for m in ("recall@10", "recall@50")}


def pool_matrix(
    pools: Pools, scores: np.ndarray, export: GraphExport, start: int = 0, stop: int | None = None
) -> np.ndarray:
    """[offers × candidates] scores of the pools' offers start..stop-1 (all by default), -inf outside the pools."""
    stop = len(pools.offers) if stop is None else stop
    out = np.full((stop - start, export.data["candidate"].num_nodes), -np.inf)
    rows = np.flatnonzero((pools.offer >= start) & (pools.offer < stop))
    out[pools.offer[rows] - start, pools.candidate[rows]] = scores[rows]
    return out


def rank_pools(
    pools: Pools,
    scores: np.ndarray,
    export: GraphExport,
    eligible: torch.Tensor | Eligibility,
    chunk: int = OFFER_CHUNK,
) -> list[dict[str, float]]:
    """`rank_offers` over the pools' offers, `chunk` offers' score matrix at a time: the same metrics, ties broken
    alike (one generator through the chunks), in memory bounded by a chunk."""
    rng = np.random.default_rng(0)
    per_query: list[dict[str, float]] = []
    for start in range(0, len(pools.offers), chunk):
        stop = min(start + chunk, len(pools.offers))
        matrix = pool_matrix(pools, scores, export, start, stop)
        per_query += rank_offers(export, pools.offers[start:stop], matrix, eligible[start:stop], rng)
    return per_query


class JointRanker(Reranker):
    """The served form of a joint fit: the wide part's weights on the facts, the GNN's cosine scale and the weight
    of the employer affinity, read by serving and evaluation as a re-ranker's would be (`score`, `contributions`
    over FEATURES rows, whose "gnn_cosine" and "employer_affinity" columns are filled from the GNN's embeddings)."""

    def __init__(self, wide: Wide, cosine_scale: float) -> None:
        self.model = None
        self.columns = [FEATURES.index(f) for f in WIDE_FACTS]
        self.mean = wide.mean.numpy().astype(np.float64)
        self.std = wide.std.numpy().astype(np.float64)
        self.weights = wide.linear.weight.detach().numpy()[0].astype(np.float64)
        self.bias = float(wide.linear.bias.detach())
        self.cosine_scale = cosine_scale
        self.affinity_scale = 0.0 if wide.affinity is None else float(wide.affinity.detach())
        deep = (COSINE, AFFINITY) if wide.affinity is not None else (COSINE,)
        self.features = (*deep, *WIDE_FACTS)
        self._weights = None
        self.average_cosine = 0.0  # set after fitting: the mean cosine over training pools (contributions' origin)
        self.average_affinity = 0.0  # the same for the employer affinity

    def _terms(self, features: np.ndarray) -> np.ndarray:
        return (_linear_terms(features[:, self.columns].astype(np.float64)) - self.mean) / self.std

    def _affinity(self, features: np.ndarray) -> np.ndarray:
        # Versions stored before the affinity term have no `affinity_scale`: their score is unchanged.
        return getattr(self, "affinity_scale", 0.0) * features[:, FEATURES.index(AFFINITY)].astype(np.float64)

    def score(self, features: np.ndarray) -> np.ndarray:
        cosine = features[:, FEATURES.index(COSINE)].astype(np.float64)
        return self._terms(features) @ self.weights + self.bias + self.cosine_scale * cosine + self._affinity(features)

    def contributions(self, features: np.ndarray) -> list[dict[str, float]]:
        """Per row: each fact's terms (relative to an average training pair, as standardised), the GNN's cosine and
        the employer affinity relative to their training averages; they add up to the score minus an average
        pair's."""
        per_term = self._terms(features) * self.weights
        per_fact = per_term.reshape(len(features), 3, len(self.columns)).sum(axis=1)
        graph = self.cosine_scale * (features[:, FEATURES.index(COSINE)] - self.average_cosine)
        deep: list[dict[str, float]] = [{COSINE: float(g)} for g in graph.tolist()]
        if AFFINITY in self.features:
            affinity = self._affinity(features) - self.affinity_scale * getattr(self, "average_affinity", 0.0)
            for row, value in zip(deep, affinity.tolist(), strict=True):
                row[AFFINITY] = float(value)
        wide = [f for f in self.features if f not in (COSINE, AFFINITY)]  # a stored version's own facts
        return [{**d, **dict(zip(wide, row.tolist(), strict=True))} for d, row in zip(deep, per_fact, strict=True)]


def served_ranker(fit: JointFit) -> JointRanker:
    ranker = JointRanker(fit.wide, float(fit.gnn.log_scale.exp().detach()))
    ranker.average_cosine = fit.average_cosine
    ranker.average_affinity = fit.average_affinity
    return ranker


@torch.no_grad()
def joint_scores(
    fit: JointFit,
    export: GraphExport,
    facts: PairFacts,
    offers: np.ndarray,
    known_offers: np.ndarray,
    eligible: torch.Tensor | Eligibility,
    emb: dict[str, Tensor] | None = None,
) -> np.ndarray:
    """[offers × candidates] scores of the joint model over each offer's evaluation pool (-inf elsewhere), the
    applications of `known_offers` passing messages and counting as history. `emb`: the GNN's embeddings of that
    graph when already computed (evaluation scores a chunk of offers at a time from one layer-wise inference)."""
    history = History.known(export, facts, known_offers)
    pools = whole_pools(export, facts, history, offers, eligible)
    fit.gnn.eval()
    if emb is None:
        emb = fit.gnn({t: export.data[t].x for t in export.data.node_types}, message_graph(export, known_offers))
    scores = _scores(fit.gnn, fit.wide, emb, pools, np.arange(len(pools.offer)), fit.wide.terms(pools.x))
    return pool_matrix(pools, scores.numpy(), export)


def config_dict(config: RankerConfig) -> dict[str, object]:
    return asdict(config)
