"""Bounded-memory training and inference for graphs that full-batch training cannot hold (issue 13).

`NeighbourSampler` keeps one CSR per relation, indexed by destination, built with plain torch (PyG's
`NeighborLoader` needs pyg-lib or torch-sparse, which have no wheels for the torch in use). A training step draws
a seed batch of offers and candidates, samples at most `fanout` in-neighbours per node and relation for each layer
(`torch.repeat_interleave` / `torch.rand`), and runs the same `LinkGNN` forward on the induced sub-graph, with the
node's degree features read from the whole graph so that they mean what they mean in full batch.

A sampler can also be *masked* (`NeighbourSampler.masked`): a bool per CSR edge says which edges exist, and it samples
and reads degrees exactly as a sampler built from those edges alone would (the same neighbours in the same order, so
the same draws from the same generator). Training builds the history's CSR once and hides each epoch's supervised
applications this way instead of rebuilding it (`gnn.train.HistoryGraph`).

`layerwise_embeddings` computes the final embeddings of every node one layer at a time over chunks of destination
nodes: exactly the full-batch forward (tested), with one layer's states in memory instead of a layer's
per-relation intermediates over the whole graph.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, replace
from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gnn.model import EdgeType, LinkGNN


@dataclass
class Relation:
    """In-neighbours of one relation, by destination: sources of node `d` are `sources[pointer[d]:pointer[d+1]]`,
    those whose `visible` entry is True when a mask is set."""

    pointer: Tensor  # int64 [n_dst + 1]
    sources: Tensor  # int32 (half the memory of int64: every node type has fewer than 2**31 nodes)
    visible: Tensor | None = None  # bool per edge (None: every edge exists)

    def degrees(self) -> Tensor:
        if self.visible is None:
            return self.pointer.diff()
        return _visible_before(self.visible)[self.pointer].diff()

    def rows(self, start: int, stop: int, n_src: int) -> Tensor:
        """The sparse CSR adjacency [stop - start, n_src] of destinations start..stop-1 (a view, no copy of edges,
        when no mask is set)."""
        first, last = int(self.pointer[start]), int(self.pointer[stop])
        pointer = self.pointer[start : stop + 1] - first
        columns = self.sources[first:last].long()
        if self.visible is not None:
            shown = self.visible[first:last]
            pointer, columns = _visible_before(shown)[pointer], columns[shown]
        with warnings.catch_warnings():  # "sparse CSR support is in beta", every call
            warnings.simplefilter("ignore", UserWarning)
            return torch.sparse_csr_tensor(
                pointer, columns, torch.ones(len(columns)), size=(stop - start, n_src), check_invariants=False
            )


def _visible_before(visible: Tensor) -> Tensor:
    """[edges + 1]: how many visible edges come before each position (a CSR pointer maps through it)."""
    seen = torch.zeros(len(visible) + 1, dtype=torch.long)
    torch.cumsum(visible, 0, out=seen[1:])
    return seen


def by_destination(edge_index: Tensor, n_dst: int) -> Relation:
    """CSR by destination without a transient COO copy beyond the sort's permutation."""
    destinations = edge_index[1]
    order = torch.argsort(destinations, stable=True)
    sources = edge_index[0][order].to(torch.int32)
    del order
    counts = torch.bincount(destinations, minlength=n_dst)
    pointer = torch.zeros(n_dst + 1, dtype=torch.long)
    torch.cumsum(counts, 0, out=pointer[1:])
    return Relation(pointer, sources)


@dataclass
class Subgraph:
    """Global ids of the sampled nodes per type (seeds first, in the order given, then each hop's new nodes) and
    local edges per relation; `reached[k][t]`: how many nodes of type t are within k hops of the seeds."""

    nodes: dict[str, Tensor]
    edges: dict[EdgeType, Tensor]
    reached: list[dict[str, int]]


class NeighbourSampler:
    def __init__(self, graph: dict[EdgeType, Tensor], sizes: dict[str, int], into: dict[str, list[EdgeType]]) -> None:
        """`graph`: the message-passing edges (each relation free of duplicates); `into`: the model's relations into
        each node type, in its order (`LinkGNN.into`), for the degree features."""
        self.sizes = sizes
        self.into = into
        self.relations = {et: by_destination(edges, sizes[et[2]]) for et, edges in graph.items()}
        self.degrees = self._degree_columns()

    def _degree_columns(self) -> dict[str, Tensor]:
        """The degree columns the model would compute from the whole graph (LinkGNN._with_degrees), per node."""
        return {
            t: torch.stack(
                [
                    self.relations[et].degrees().float() if et in self.relations else torch.zeros(n)
                    for et in self.into[t]
                ],
                dim=1,
            )
            if self.into.get(t)
            else torch.zeros(n, 0)
            for t, n in self.sizes.items()
        }

    def masked(self, visible: dict[EdgeType, Tensor]) -> NeighbourSampler:
        """This sampler with only the `visible` edges (a bool per CSR edge, in CSR order) of those relations: it
        samples, and reads degrees, as one built from those edges alone would. Shares the CSR (no copy)."""
        view = copy.copy(self)
        view.relations = {et: replace(r, visible=visible.get(et, r.visible)) for et, r in self.relations.items()}
        view.degrees = view._degree_columns()
        return view

    def sample(self, seeds: dict[str, Tensor], fanouts: list[int], generator: torch.Generator) -> Subgraph:
        """Sampled `len(fanouts)`-hop in-neighbourhood of `seeds` (unique global ids per type)."""
        nodes = {t: [seeds.get(t, torch.empty(0, dtype=torch.long))] for t in self.sizes}
        local = {t: torch.full((n,), -1, dtype=torch.long) for t, n in self.sizes.items()}
        count = {}
        for t, ids in nodes.items():
            local[t][ids[0]] = torch.arange(len(ids[0]))
            count[t] = len(ids[0])
        frontier = {t: ids[0] for t, ids in nodes.items()}
        reached_by_hop = [dict(count)]
        edges: dict[EdgeType, list[Tensor]] = {et: [] for et in self.relations}
        for fanout in fanouts:
            reached: dict[str, list[Tensor]] = {t: [] for t in self.sizes}
            for et, relation in self.relations.items():
                src, _, dst = et
                if not len(frontier[dst]):
                    continue
                sources, targets = _sample_relation(relation, frontier[dst], fanout, generator)
                reached[src].append(sources)
                edges[et].append(torch.stack([sources, targets]))
            frontier = {}
            for t, found in reached.items():
                candidates = torch.unique(torch.cat(found)) if found else torch.empty(0, dtype=torch.long)
                new = candidates[local[t][candidates] < 0]
                local[t][new] = torch.arange(count[t], count[t] + len(new))
                count[t] += len(new)
                nodes[t].append(new)
                frontier[t] = new  # nodes reached before already have their in-edges sampled
            reached_by_hop.append(dict(count))
        edge_index = {}
        for et, parts in edges.items():
            src, _, dst = et
            pairs = torch.cat(parts, dim=1) if parts else torch.empty(2, 0, dtype=torch.long)
            edge_index[et] = torch.stack([local[src][pairs[0]], local[dst][pairs[1]]])
        return Subgraph({t: torch.cat(parts) for t, parts in nodes.items()}, edge_index, reached_by_hop)


def trimmed_embeddings(
    model: LinkGNN, x: dict[str, Tensor], sub: Subgraph, degrees: dict[str, Tensor]
) -> dict[str, Tensor]:
    """`LinkGNN.forward` on a sampled sub-graph, each layer computed only for the nodes the next needs: layer l
    of L for the nodes within L - 1 - l hops of the seeds (the last one for the seeds alone), as PyG's
    `trim_to_layer` does. Rows of the result: the seeds of each head type, in order. Same operations as
    `LinkGNN._layer` (dropout on the inputs, SAGE per relation, mean over relations, residual, LayerNorm)."""
    h = {t: F.relu(model.proj[t](torch.cat([v, torch.log1p(degrees[t])], dim=1))) for t, v in x.items()}
    layers = len(model.convs)
    for layer, (conv, norms) in enumerate(zip(model.convs, model.norms, strict=True)):
        keep = sub.reached[layers - 1 - layer]  # destinations this layer must produce
        dropped = {t: F.dropout(v, model.dropout, model.training) for t, v in h.items()}
        out = {}
        for t, v in h.items():
            into = [et for et in model.into[t] if et in sub.edges]
            target = v[: keep[t]]
            if not into:
                out[t] = target
                continue
            messages = []
            for et in into:
                edges = sub.edges[et]
                edges = edges[:, edges[1] < keep[t]]  # edges sampled at a hop this layer still needs
                adjacency = _csr(edges, keep[t], len(h[et[0]]))
                messages.append(conv.convs[et]((dropped[et[0]], dropped[t][: keep[t]]), adjacency))  # type: ignore[index, operator]
            out[t] = norms[t](target + F.relu(torch.stack(messages).mean(0)))  # type: ignore[index]
        h = out
    return {t: model._head(t, h[t], x[t][: len(h[t])]) for t in model.heads}


def _csr(edges: Tensor, n_dst: int, n_src: int) -> Tensor:
    order = torch.argsort(edges[1], stable=True)
    pointer = torch.zeros(n_dst + 1, dtype=torch.long)
    torch.cumsum(torch.bincount(edges[1], minlength=n_dst), 0, out=pointer[1:])
    with warnings.catch_warnings():  # "sparse CSR support is in beta", every call
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(
            pointer, edges[0][order], torch.ones(len(order)), size=(n_dst, n_src), check_invariants=False
        )


def _sample_relation(
    relation: Relation, destinations: Tensor, fanout: int, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """At most `fanout` distinct in-neighbours of each destination: all of them up to `fanout`, else `fanout`
    drawn uniformly without replacement (random keys, the smallest kept)."""
    start = relation.pointer[destinations]
    degree = relation.pointer[destinations + 1] - start
    slots = None
    if relation.visible is not None:  # draw among the visible in-edges only (not draw, then drop: same fan-out)
        start, degree, slots = _visible_slots(relation.visible, start, degree)
    few = degree <= fanout
    # Every in-edge of the nodes with few neighbours.
    owners = torch.repeat_interleave(destinations[few], degree[few])
    offsets = torch.arange(len(owners)) - torch.repeat_interleave(
        torch.cumsum(degree[few], 0) - degree[few], degree[few]
    )
    positions = torch.repeat_interleave(start[few], degree[few]) + offsets
    # For the others: `fanout` distinct offsets per node, from a random permutation's first `fanout` entries,
    # drawn as the ranks of uniform keys over a [nodes, max degree] block in slices that bound its memory.
    many = torch.nonzero(~few).flatten()
    picked = [positions]
    owner_parts = [owners]
    widest = int(degree[many].max()) if len(many) else 1
    for block in many.split(max(1, 2_000_000 // widest)) if len(many) else ():
        deg = degree[block]
        keys = torch.rand(len(block), int(deg.max()), generator=generator)
        keys[torch.arange(keys.shape[1]) >= deg.unsqueeze(1)] = 2.0  # past the node's degree: never picked
        chosen = keys.topk(fanout, dim=1, largest=False).indices
        picked.append((start[block].unsqueeze(1) + chosen).flatten())
        owner_parts.append(destinations[block].repeat_interleave(fanout))
    positions = torch.cat(picked)
    if slots is not None:
        positions = slots[positions]
    return relation.sources[positions].long(), torch.cat(owner_parts)


def _visible_slots(visible: Tensor, start: Tensor, degree: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The visible in-edges of some destinations (CSR `start`, `degree`) packed as a CSR of their own: (start,
    degree, slots), the edges of destination i being `slots[start[i] : start[i] + degree[i]]` in CSR order."""
    first = torch.cumsum(degree, 0) - degree
    every = torch.repeat_interleave(start - first, degree) + torch.arange(int(degree.sum()))
    shown = visible[every]
    owner = torch.repeat_interleave(torch.arange(len(degree)), degree)
    kept = torch.bincount(owner[shown], minlength=len(degree))
    return torch.cumsum(kept, 0) - kept, kept, every[shown]


@torch.no_grad()
def layerwise_embeddings(
    model: LinkGNN, x_dict: dict[str, Tensor], sampler: NeighbourSampler, chunk: int = 65_536
) -> tuple[dict[str, Tensor], list[dict[str, Tensor]]]:
    """Final embeddings of the heads and the hidden states of every node (as `LinkGNN.states`), computed one layer
    at a time over chunks of `chunk` destination nodes, with every in-neighbour (no sampling)."""
    model.eval()
    h = {
        t: torch.cat(
            [
                F.relu(model.proj[t](torch.cat([xs, torch.log1p(ds)], dim=1)))
                for xs, ds in zip(x.split(chunk), sampler.degrees[t].split(chunk), strict=True)
            ]
        )
        if len(x)
        else torch.zeros(0, cast(nn.Linear, model.proj[t]).out_features)
        for t, x in x_dict.items()
    }
    states = [h]
    for conv, norms in zip(model.convs, model.norms, strict=True):
        h = {t: _layer_chunks(conv, norms, h, t, model.into[t], sampler, chunk) for t in h}
        states.append(h)
    heads = {
        t: torch.cat([model._head(t, hs, xs) for hs, xs in zip(h[t].split(chunk), x_dict[t].split(chunk), strict=True)])
        for t in model.heads
    }
    return heads, states


def _layer_chunks(
    conv: nn.Module,
    norms: nn.Module,
    h: dict[str, Tensor],
    node_type: str,
    into_type: list[EdgeType],
    sampler: NeighbourSampler,
    chunk: int,
) -> Tensor:
    """One layer's output for every node of `node_type`: HeteroConv's mean over relations, residual, LayerNorm."""
    # HeteroConv averages over the relations present in the graph given (the model's `into` has them all).
    into = [et for et in into_type if et in sampler.relations]
    if not into:
        return h[node_type]
    out = []
    n = len(h[node_type])
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        target = h[node_type][start:stop]
        messages = torch.stack(
            [
                conv.convs[et]((h[et[0]], target), sampler.relations[et].rows(start, stop, len(h[et[0]])))  # type: ignore[index, operator]
                for et in into
            ]
        ).mean(0)
        out.append(norms[node_type](target + F.relu(messages)))  # type: ignore[index]
    return torch.cat(out) if out else h[node_type]
