"""Bounded-memory training (gnn.sampling): sampled sub-graphs hold only edges of the graph, within the fan-out;
with fan-outs past every degree they give the full-batch embeddings; layer-wise inference equals the full-batch
forward; the history graph built once and masked samples as the message graph rebuilt for each context would."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pytest
import torch
from torch_geometric.data import HeteroData

from gnn.export import Applications, GraphExport, reverse
from gnn.model import EdgeType, LinkGNN
from gnn.sampling import NeighbourSampler, by_destination, layerwise_embeddings, trimmed_embeddings
from gnn.train import POSTED_EDGE, HistoryGraph, edge_types, employer_of, message_graph

SIZES = {"candidate": 60, "offer": 25, "skill": 15, "employer": 4}
RELATIONS: list[EdgeType] = [
    ("candidate", "has_skill", "skill"),
    ("offer", "requires_skill", "skill"),
    ("candidate", "applied", "offer"),
    ("offer", "posted_by", "employer"),
]


def small_graph(seed: int = 0) -> tuple[dict[str, torch.Tensor], dict[EdgeType, torch.Tensor]]:
    generator = torch.Generator().manual_seed(seed)
    x = {t: torch.randn(n, 6, generator=generator) for t, n in SIZES.items()}
    graph: dict[EdgeType, torch.Tensor] = {}
    for src, rel, dst in RELATIONS:
        edges = torch.stack(
            [
                torch.randint(SIZES[src], (150,), generator=generator),
                torch.randint(SIZES[dst], (150,), generator=generator),
            ]
        ).unique(dim=1)
        graph[(src, rel, dst)], graph[(dst, f"rev_{rel}", src)] = edges, edges.flip(0)
    return x, graph


def model_for(graph: dict[EdgeType, torch.Tensor]) -> LinkGNN:
    torch.manual_seed(3)
    return LinkGNN({t: 6 for t in SIZES}, list(graph), hidden=16, out=8, dropout=0.0, wide=4).eval()


def edge_set(edges: torch.Tensor) -> set[tuple[int, int]]:
    return {(int(a), int(b)) for a, b in edges.T}


def test_csr_by_destination_holds_every_edge_once() -> None:
    _, graph = small_graph()
    edges = graph[("candidate", "applied", "offer")]
    relation = by_destination(edges, SIZES["offer"])
    rebuilt = torch.stack([relation.sources.long(), torch.repeat_interleave(relation.degrees())])
    assert sorted(edge_set(rebuilt)) == sorted(edge_set(edges))
    assert relation.sources.dtype == torch.int32


def test_sampled_subgraph_is_made_of_graph_edges_within_the_fanout() -> None:
    _, graph = small_graph()
    model = model_for(graph)
    sampler = NeighbourSampler(graph, SIZES, model.into)
    seeds = {"candidate": torch.tensor([0, 5, 7]), "offer": torch.tensor([2, 3])}
    sub = sampler.sample(seeds, [2, 2], torch.Generator().manual_seed(1))
    for t, ids in seeds.items():
        assert torch.equal(sub.nodes[t][: len(ids)], ids)  # seeds first, in their order
    for ids in sub.nodes.values():
        assert len(ids.unique()) == len(ids)
    for et, local in sub.edges.items():
        src, _, dst = et
        pairs = torch.stack([sub.nodes[src][local[0]], sub.nodes[dst][local[1]]])
        assert edge_set(pairs) <= edge_set(graph[et])  # only edges of the graph
        assert len(edge_set(pairs)) == pairs.shape[1]  # no duplicate
        # Each node is expanded once, at the hop that reached it: at most `fanout` in-edges per relation, and
        # exactly min(degree, fanout) for the seeds.
        per_destination = torch.bincount(local[1], minlength=len(sub.nodes[dst]))
        assert bool((per_destination <= 2).all())
        if dst in seeds:
            full_degree = sampler.relations[et].degrees()[seeds[dst]]
            assert torch.equal(per_destination[: len(seeds[dst])], full_degree.clamp(max=2))


def test_fanouts_past_every_degree_give_the_full_batch_embeddings() -> None:
    x, graph = small_graph()
    model = model_for(graph)
    full = model(x, graph)
    sampler = NeighbourSampler(graph, SIZES, model.into)
    seeds = {"candidate": torch.tensor([1, 4, 9, 30]), "offer": torch.tensor([0, 11])}
    sub = sampler.sample(seeds, [1_000, 1_000], torch.Generator().manual_seed(2))
    degrees = {t: sampler.degrees[t][ids] for t, ids in sub.nodes.items()}
    emb = model({t: x[t][ids] for t, ids in sub.nodes.items()}, sub.edges, degrees)
    trimmed = trimmed_embeddings(model, {t: x[t][ids] for t, ids in sub.nodes.items()}, sub, degrees)
    for t, ids in seeds.items():
        assert torch.allclose(emb[t][: len(ids)], full[t][ids], atol=1e-5), t
        assert torch.allclose(trimmed[t], full[t][ids], atol=1e-5), t  # each layer for the nodes it must serve


def test_layerwise_inference_equals_the_full_batch_forward() -> None:
    x, graph = small_graph()
    model = model_for(graph)
    full_states = model.states(x, graph)
    full = model.embed(full_states[-1], x)
    heads, states = layerwise_embeddings(model, x, NeighbourSampler(graph, SIZES, model.into), chunk=7)
    for t in model.heads:
        assert torch.allclose(heads[t], full[t], atol=1e-5), t
    for layer, (ours, theirs) in enumerate(zip(states, full_states, strict=True)):
        for t in SIZES:
            assert torch.allclose(ours[t], theirs[t], atol=1e-5), (layer, t)


# --- the history graph built once, each epoch's context a masked view of it (gnn.train.HistoryGraph) ----------
HISTORY_SIZES = {"candidate": 50, "offer": 40, "employer": 6, "skill": 12}


def history_export(seed: int = 0) -> GraphExport:
    """A small export whose applications hold what `message_graph` must get right: repeated applications, a
    candidate both selected and not on one offer, candidates selected by several offers of one employer, offers
    without an employer."""
    generator = torch.Generator().manual_seed(seed)
    data = HeteroData()
    for t, n in HISTORY_SIZES.items():
        data[t].x = torch.randn(n, 6, generator=generator)
        data[t].num_nodes = n
    has_skill = torch.stack([torch.randint(50, (120,), generator=generator), torch.randint(12, (120,))]).unique(dim=1)
    posted = torch.stack([torch.arange(34), torch.randint(6, (34,), generator=generator)])  # offers 34-39: none
    for edge_type, edges in ((("candidate", "has_skill", "skill"), has_skill), (POSTED_EDGE, posted)):
        data[edge_type].edge_index = edges
        data[reverse(edge_type)].edge_index = edges.flip(0)
    n = 600
    candidate = torch.randint(50, (n,), generator=generator).numpy()
    offer = torch.randint(40, (n,), generator=generator).numpy()
    positive = (torch.rand(n, generator=generator) < 0.3).numpy()
    candidate, offer = np.concatenate([candidate, candidate[:40]]), np.concatenate([offer, offer[:40]])
    positive = np.concatenate([positive, ~positive[:40]])  # the same pairs again, the other outcome
    applications = Applications(candidate, offer, np.zeros(len(offer), dtype=np.int64), positive)
    return GraphExport(data, {}, applications, np.zeros(40), cast(Any, None))


def neighbour_lists(sampler: NeighbourSampler, et: EdgeType) -> list[list[int]]:
    """Every destination's visible in-neighbours, in the order the sampler draws them from."""
    relation = sampler.relations[et]
    return [
        relation.sources[int(relation.pointer[d]) : int(relation.pointer[d + 1])][
            slice(None) if relation.visible is None else relation.visible[relation.pointer[d] : relation.pointer[d + 1]]
        ].tolist()
        for d in range(len(relation.pointer) - 1)
    ]


def assert_same_sampler(masked: NeighbourSampler, rebuilt: NeighbourSampler, model: LinkGNN, seed: int) -> None:
    """The same neighbours in the same order and the same degree columns, hence the same sub-graph sampled from
    the same generator, and the same layer-wise embeddings."""
    assert masked.relations.keys() == rebuilt.relations.keys()
    for et in rebuilt.relations:
        assert neighbour_lists(masked, et) == neighbour_lists(rebuilt, et), et
        assert torch.equal(masked.relations[et].degrees(), rebuilt.relations[et].degrees()), et
    for t in rebuilt.degrees:
        assert torch.equal(masked.degrees[t], rebuilt.degrees[t]), t
    seeds = {
        t: torch.arange(0, rebuilt.sizes[t], step) for t, step in (("candidate", 3), ("offer", 2), ("employer", 2))
    }
    ours = masked.sample(seeds, [3, 2], torch.Generator().manual_seed(seed))
    theirs = rebuilt.sample(seeds, [3, 2], torch.Generator().manual_seed(seed))
    assert ours.reached == theirs.reached
    for t in theirs.nodes:
        assert torch.equal(ours.nodes[t], theirs.nodes[t]), t
    for et in theirs.edges:
        assert torch.equal(ours.edges[et], theirs.edges[et]), et
    widths = {t: cast(torch.nn.Linear, model.proj[t]).in_features - len(model.into[t]) for t in rebuilt.sizes}
    x = {t: torch.randn(n, widths[t], generator=torch.Generator().manual_seed(seed)) for t, n in rebuilt.sizes.items()}
    heads, _ = layerwise_embeddings(model, x, masked, chunk=7)
    expected, _ = layerwise_embeddings(model, x, rebuilt, chunk=7)
    for t in model.heads:
        assert torch.equal(heads[t], expected[t]), t


def test_masked_history_graph_samples_as_the_rebuilt_message_graph() -> None:
    export = history_export()
    torch.manual_seed(3)
    model = LinkGNN({t: 6 for t in HISTORY_SIZES}, edge_types(export), hidden=16, out=8, dropout=0.0, wide=4).eval()
    known = np.arange(36)  # offers 36-39 stand for validation and test: never in the history graph
    history = HistoryGraph(export, known, model.into)
    assert_same_sampler(
        history.sampler, NeighbourSampler(message_graph(export, known), HISTORY_SIZES, model.into), model, 0
    )
    rng = np.random.default_rng(0)
    for trial in range(20):
        visible = np.sort(rng.choice(known, size=int(rng.integers(0, len(known) + 1)), replace=False))
        rebuilt = NeighbourSampler(message_graph(export, visible), HISTORY_SIZES, model.into)
        assert_same_sampler(history.context(visible), rebuilt, model, trial)
    # A candidate selected by two offers of one employer stays linked to it while either offer is visible.
    apps = export.applications
    employer = employer_of(export).numpy()
    twice = [
        (c, e)
        for c in range(HISTORY_SIZES["candidate"])
        for e in range(HISTORY_SIZES["employer"])
        if len(np.unique(apps.offer[apps.positive & (apps.candidate == c) & (employer[apps.offer] == e)])) > 1
    ]
    assert twice, "the synthetic export must hold a pair supported twice"
    with pytest.raises(ValueError, match="not in the history graph"):
        history.context(np.array([37]))
