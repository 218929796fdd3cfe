"""The heterogeneous GNN: per-type input projections, `HeteroConv` of SAGE layers with residual connections,
and cosine scoring between candidate and offer embeddings (so that a vector index can serve top-k).

With `layers=0` the same module is the content-only two-tower baseline (no message passing).
"""

from __future__ import annotations

import math
import warnings
from typing import cast

import torch
import torch.nn.functional as F
import torch.utils.checkpoint
from torch import Tensor, nn
from torch_geometric.nn import HeteroConv, SAGEConv
from torch_geometric.utils import to_torch_csr_tensor

EdgeType = tuple[str, str, str]


class LinkGNN(nn.Module):
    def __init__(
        self,
        in_dims: dict[str, int],
        edge_types: list[EdgeType],
        heads: tuple[str, ...] = ("candidate", "offer"),
        hidden: int = 128,
        out: int = 64,
        layers: int = 2,
        dropout: float = 0.2,
        wide: int = 0,
        checkpoint: bool = False,
    ) -> None:
        super().__init__()
        self.heads = heads
        # Recompute each layer during the backward pass instead of keeping its per-relation intermediates: about
        # a third more compute for the memory that full-batch training of the `large` graph cannot spend.
        self.checkpoint = checkpoint
        self.dropout = dropout
        # How many neighbours of each kind a node has (log-scaled) joins its features: mean aggregation alone
        # cannot tell a candidate selected ten times from one selected once.
        self.into = {t: [et for et in edge_types if et[2] == t] for t in in_dims}
        self.proj = nn.ModuleDict({t: nn.Linear(d + len(self.into[t]), hidden) for t, d in in_dims.items()})
        self.convs = nn.ModuleList(
            HeteroConv({et: SAGEConv((hidden, hidden), hidden) for et in edge_types}, aggr="mean")
            for _ in range(layers)
        )
        self.norms = nn.ModuleList(nn.ModuleDict({t: nn.LayerNorm(hidden) for t in in_dims}) for _ in range(layers))
        self.out = nn.ModuleDict({t: nn.Linear(hidden, out) for t in heads})
        self.log_scale = nn.Parameter(torch.tensor(math.log(10.0)))
        # Wide part: the last `wide` feature columns of each head type (a text space shared by both sides) are
        # appended to the learnt embedding with a learnt weight, so the cosine is a learnt mix of the GNN's
        # similarity and the text similarity; the GNN learns what text does not say.
        self.wide = wide
        self.log_wide = nn.Parameter(torch.zeros(wide))  # one weight per column: text and location weigh apart

    def states(
        self,
        x_dict: dict[str, Tensor],
        edge_index_dict: dict[EdgeType, Tensor],
        degrees: dict[str, Tensor] | None = None,
    ) -> list[dict[str, Tensor]]:
        """Hidden states before each layer and after the last one (cached for inductive embedding).

        `degrees`: each node's neighbour count per relation of `into` (columns in that order), when the edges given
        are a sampled sub-graph whose own counts would not be the node's (gnn.sampling)."""
        edge_index_dict = adjacency(edge_index_dict, {t: x.shape[0] for t, x in x_dict.items()})
        h = {
            t: F.relu(self.proj[t](self._with_degrees(t, x, edge_index_dict, None if degrees is None else degrees[t])))
            for t, x in x_dict.items()
        }
        states = [h]
        for conv, norms in zip(self.convs, self.norms, strict=True):
            if self.checkpoint and self.training and torch.is_grad_enabled():
                h = torch.utils.checkpoint.checkpoint(self._layer, conv, norms, h, edge_index_dict, use_reentrant=False)
            else:
                h = self._layer(cast(HeteroConv, conv), cast(nn.ModuleDict, norms), h, edge_index_dict)
            states.append(h)
        return states

    def _with_degrees(
        self, node_type: str, x: Tensor, adjacencies: dict[EdgeType, Tensor], counts: Tensor | None = None
    ) -> Tensor:
        if counts is not None:
            return torch.cat([x, torch.log1p(counts)], dim=1)
        columns = [
            adjacencies[et].crow_indices().diff().float() if et in adjacencies else torch.zeros(x.shape[0])
            for et in self.into[node_type]
        ]
        return torch.cat([x, torch.log1p(torch.stack(columns, dim=1)) if columns else x[:, :0]], dim=1)

    def _layer(
        self, conv: HeteroConv, norms: nn.ModuleDict, h: dict[str, Tensor], edge_index_dict: dict[EdgeType, Tensor]
    ) -> dict[str, Tensor]:
        dropped = {t: F.dropout(v, self.dropout, self.training) for t, v in h.items()}
        messages = conv(dropped, edge_index_dict)
        # Residual: a node without neighbours of any kind keeps its own projection.
        return {t: norms[t](v + F.relu(messages[t])) if t in messages else v for t, v in h.items()}

    def embed(self, h: dict[str, Tensor], x_dict: dict[str, Tensor]) -> dict[str, Tensor]:
        return {t: self._head(t, h[t], x_dict[t]) for t in self.heads}

    def _head(self, node_type: str, h: Tensor, x: Tensor) -> Tensor:
        deep = F.normalize(self.out[node_type](h), dim=-1)
        if not self.wide:
            return deep
        wide = self.log_wide.exp() * x[:, -self.wide :]
        return F.normalize(torch.cat([deep, wide], dim=-1), dim=-1)

    def forward(
        self,
        x_dict: dict[str, Tensor],
        edge_index_dict: dict[EdgeType, Tensor],
        degrees: dict[str, Tensor] | None = None,
    ) -> dict[str, Tensor]:
        return self.embed(self.states(x_dict, edge_index_dict, degrees)[-1], x_dict)

    def score(self, left: Tensor, right: Tensor) -> Tensor:
        """Scaled cosine of matched rows (both already normalised)."""
        return self.log_scale.exp() * (left * right).sum(-1)

    def embed_one(
        self,
        node_type: str,
        x: Tensor,
        neighbours: dict[EdgeType, Tensor],
        states: list[dict[str, Tensor]],
        relations: list[EdgeType],
    ) -> Tensor:
        """Inductive embedding of one new node of `node_type` from its features `x` and its in-neighbours
        (edge type → gids of source nodes), using the cached hidden states of the rest of the graph.

        Exact for the new node: its neighbours' states are those the full graph gave them (the new node's own
        influence on them is the usual inductive approximation)."""
        degrees = torch.tensor([float(len(neighbours.get(et, []))) for et in self.into[node_type]])
        h = F.relu(self.proj[node_type](torch.cat([x, torch.log1p(degrees)]).reshape(1, -1)))
        into = [et for et in relations if et[2] == node_type]
        for layer, (conv, norms) in enumerate(zip(self.convs, self.norms, strict=True)):
            x_dict: dict[str, Tensor] = {node_type: h}
            edge_index_dict: dict[EdgeType, Tensor] = {}
            for et in into:
                src = neighbours.get(et, torch.empty(0, dtype=torch.long))
                name = f"{et[0]}@{et[1]}" if et[0] != node_type else f"{et[0]}@{et[1]}@self"
                x_dict[name] = states[layer][et[0]][src]
                edge_index_dict[(name, et[1], node_type)] = torch.stack(
                    [torch.arange(len(src)), torch.zeros(len(src), dtype=torch.long)]
                )
            messages = _local_conv(cast(HeteroConv, conv), x_dict, edge_index_dict, into, node_type)
            h = cast(nn.ModuleDict, norms)[node_type](h + F.relu(messages))
        return self._head(node_type, h, x.reshape(1, -1))[0] if node_type in self.heads else h[0]


def adjacency(edge_index_dict: dict[EdgeType, Tensor], sizes: dict[str, int]) -> dict[EdgeType, Tensor]:
    """Edge indices → transposed sparse CSR adjacencies, so that SAGE aggregates with one sparse product
    instead of materialising a message per edge (the memory that full-batch training at scale cannot spend).
    Edges must be free of duplicates (the export and `message_graph` ensure it): CSR would merge them."""
    out = {}
    for edge_type, edge_index in edge_index_dict.items():
        src, _, dst = edge_type
        if edge_index.layout != torch.strided:
            out[edge_type] = edge_index
            continue
        with warnings.catch_warnings():  # "CSR support is in beta" and "invariant checks disabled", every call
            warnings.simplefilter("ignore", UserWarning)
            out[edge_type] = to_torch_csr_tensor(edge_index.flip(0), size=(sizes[dst], sizes[src]))
    return out


def _local_conv(
    conv: HeteroConv,
    x_dict: dict[str, Tensor],
    edge_index_dict: dict[EdgeType, Tensor],
    into: list[EdgeType],
    node_type: str,
) -> Tensor:
    """HeteroConv's mean over relation types, for one destination node whose sources were renamed locally."""
    outputs = []
    for et in into:
        name = f"{et[0]}@{et[1]}" if et[0] != node_type else f"{et[0]}@{et[1]}@self"
        layer = conv.convs[et]
        outputs.append(layer((x_dict[name], x_dict[node_type]), edge_index_dict[(name, et[1], node_type)]))
    return torch.stack(outputs).mean(0)


def sampled_softmax_loss(positive: Tensor, negative: Tensor) -> Tensor:
    """Cross-entropy of each positive score against its row of negative scores ([P] and [P, K])."""
    logits = torch.cat([positive.unsqueeze(1), negative], dim=1)
    return F.cross_entropy(logits, torch.zeros(len(positive), dtype=torch.long))
