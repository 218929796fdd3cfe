"""Bounded-memory training (gnn.sampling): sampled sub-graphs hold only edges of the graph, within the fan-out;
with fan-outs past every degree they give the full-batch embeddings; layer-wise inference equals the full-batch
forward."""

from __future__ import annotations

import torch

from gnn.model import EdgeType, LinkGNN
from gnn.sampling import NeighbourSampler, by_destination, layerwise_embeddings, trimmed_embeddings

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
