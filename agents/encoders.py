"""Graph encoders (GIN, GATv2) over padded-graph observations, as an SB3 features extractor.

:class:`NodeEncoder` is a plain torch-geometric network on an unpadded graph (``x``,
``edge_index``). Every directed edge ``u -> v`` is used in both directions, and the network
still tells predecessors from successors:

* ``gin`` (:class:`DirectedGINConv`): GIN with separate sums over predecessors and successors,
  ``h' = MLP([(1 + eps) h, sum_pred h_j, sum_succ h_j])``, aggregated by sparse matrix products
  (no per-edge tensor is materialised; the fastest choice on CPU);
* ``gatv2``: GATv2 attention over the edges plus their reverse copies, each carrying a learned
  direction embedding as edge feature.

:class:`GraphFeaturesExtractor` unpads a batch of padded observations (vectorised, see
:mod:`schedgym.agents.graph_batch`), runs the node encoder once on the whole batch and pools a graph
embedding. Its SB3 ``forward`` returns the flat ``[graph_emb, global_emb]`` vector; the policy
(:mod:`schedgym.agents.policy`) calls :meth:`GraphFeaturesExtractor.encode` instead to get per-node
embeddings for its pointer head. No weight depends on the number of nodes, edges or actions.
"""

from __future__ import annotations

import linecache
import os
import sys
import tempfile
import warnings
from typing import Literal, NamedTuple

import torch
from gymnasium import spaces
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import Tensor, nn
from torch_geometric.nn import GATv2Conv, global_max_pool, global_mean_pool
from torch_geometric.utils import spmm, to_torch_csr_tensor

from schedgym.agents.graph_batch import GraphBatch, ObsTensors, unpad

ConvKind = Literal["gin", "gatv2"]
PoolKind = Literal["mean", "meanmax"]
CONV_KINDS: tuple[str, ...] = ("gin", "gatv2")
POOL_KINDS: tuple[str, ...] = ("mean", "meanmax")


class Encoding(NamedTuple):
    """What the encoder produces for a batch: per-node and per-graph embeddings."""

    node_emb: Tensor  # (total_nodes, hidden)
    graph_emb: Tensor  # (B, hidden) pooled over real nodes
    global_emb: Tensor  # (B, hidden) projection of global_features
    graph: GraphBatch


def both_directions(edge_index: Tensor) -> tuple[Tensor, Tensor]:
    """``edge_index`` followed by its reverse, and the direction of each (0 forward, 1 reverse)."""
    reverse = edge_index.flip(0)
    num = edge_index.shape[1]
    direction = torch.cat(
        [
            torch.zeros(num, dtype=torch.long, device=edge_index.device),
            torch.ones(num, dtype=torch.long, device=edge_index.device),
        ]
    )
    return torch.cat([edge_index, reverse], dim=1), direction


def forget_template_files(cls: type) -> None:
    """Remove the ``.py`` files torch-geometric rendered for ``cls`` in the system temp folder.

    A ``MessagePassing`` class renders its ``propagate`` (and ``edge_updater``) from templates
    into temporary modules at its first construction in a process and never deletes them. Once
    imported they are not read again; their text stays in :mod:`linecache` for tracebacks and
    ``inspect``. Only modules of this process named after ``cls`` are touched.
    """
    prefix = f"{cls.__module__}_{cls.__name__}_"
    temp = os.path.realpath(tempfile.gettempdir())
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not name.startswith(prefix) or not path:
            continue
        if os.path.dirname(os.path.realpath(path)) != temp:
            continue
        try:
            with open(path, encoding="utf-8") as handle:
                source = handle.read()
            linecache.cache[path] = (len(source), None, source.splitlines(True), path)
            os.remove(path)
        except OSError:  # already gone
            continue


class DirectedGINConv(nn.Module):
    """GIN layer with distinct predecessor and successor aggregations (sum, via ``spmm``).

    A plain ``nn.Module``: both sums are one sparse product each, which is all that
    torch-geometric's ``MessagePassing.propagate`` did here, and a ``MessagePassing`` subclass
    renders its ``propagate`` from a template into a ``.py`` file in the system temp folder at its
    first construction in each process, never removed.
    """

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.eps = nn.Parameter(torch.zeros(1))
        self.mlp = nn.Sequential(
            nn.Linear(3 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden)
        )

    def forward(self, x: Tensor, pred_adj: Tensor, succ_adj: Tensor) -> Tensor:
        """``pred_adj``/``succ_adj``: sparse ``(N, N)`` with row = receiving node."""
        from_pred = spmm(pred_adj, x, reduce="sum")
        from_succ = spmm(succ_adj, x, reduce="sum")
        return self.mlp(torch.cat([(1 + self.eps) * x, from_pred, from_succ], dim=-1))


class NodeEncoder(nn.Module):
    """Input projection, then ``layers`` residual message-passing layers with LayerNorm."""

    def __init__(
        self, node_dim: int, hidden: int, layers: int, conv: ConvKind = "gin", heads: int = 2
    ) -> None:
        super().__init__()
        if conv not in CONV_KINDS:
            raise ValueError(f"conv must be one of {CONV_KINDS}, got {conv!r}")
        if conv == "gatv2" and hidden % heads:
            raise ValueError(f"hidden ({hidden}) must be divisible by heads ({heads})")
        self.conv_kind = conv
        self.input = nn.Linear(node_dim, hidden)
        self.convs = nn.ModuleList(
            DirectedGINConv(hidden)
            if conv == "gin"
            else GATv2Conv(hidden, hidden // heads, heads=heads, edge_dim=hidden)
            for _ in range(layers)
        )
        if conv == "gatv2":
            forget_template_files(GATv2Conv)
            self.direction_emb = nn.ModuleList(nn.Embedding(2, hidden) for _ in range(layers))
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(layers))

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        """Node embeddings ``(num_nodes, hidden)`` of an unpadded graph (or disjoint batch)."""
        h = torch.relu(self.input(x))
        edge_index = edge_index.long()
        size = (h.shape[0], h.shape[0])
        if self.conv_kind == "gin":
            with warnings.catch_warnings():  # torch calls CSR tensors "beta" on each build
                warnings.simplefilter("ignore", UserWarning)
                pred_adj = to_torch_csr_tensor(edge_index.flip(0), size=size)  # row = dst
                succ_adj = to_torch_csr_tensor(edge_index, size=size)  # row = src
            for conv, norm in zip(self.convs, self.norms, strict=True):
                h = norm(h + torch.relu(conv(h, pred_adj, succ_adj)))
            return h
        edges, direction = both_directions(edge_index)
        for emb, conv, norm in zip(self.direction_emb, self.convs, self.norms, strict=True):
            h = norm(h + torch.relu(conv(h, edges, emb(direction))))
        return h


class GraphFeaturesExtractor(BaseFeaturesExtractor):
    """SB3 features extractor: padded-graph dict in, ``[graph_emb, global_emb]`` out.

    ``conv`` picks GIN (``"gin"``, GINE with direction embeddings) or GATv2 (``"gatv2"``);
    ``pool`` is the node pooling (``"mean"`` or ``"meanmax"``). ``features_dim = 2 * hidden``.
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        conv: ConvKind = "gin",
        hidden: int = 64,
        layers: int = 3,
        heads: int = 2,
        pool: PoolKind = "mean",
    ) -> None:
        super().__init__(observation_space, features_dim=2 * hidden)
        if pool not in POOL_KINDS:
            raise ValueError(f"pool must be one of {POOL_KINDS}, got {pool!r}")
        node_shape = observation_space["node_features"].shape
        global_shape = observation_space["global_features"].shape
        assert node_shape is not None and global_shape is not None
        self.hidden = hidden
        self.pool = pool
        self.node_encoder = NodeEncoder(node_shape[-1], hidden, layers, conv, heads)
        pool_dim = hidden * (2 if pool == "meanmax" else 1)
        self.graph_proj = nn.Sequential(nn.Linear(pool_dim, hidden), nn.ReLU())
        self.global_proj = nn.Sequential(nn.Linear(max(global_shape[-1], 1), hidden), nn.ReLU())

    def encode(self, obs: ObsTensors) -> Encoding:
        """Per-node, pooled and global embeddings of a padded batch (one GNN pass)."""
        graph = unpad(obs)
        node_emb = self.node_encoder(graph.x, graph.edge_index)
        pooled = global_mean_pool(node_emb, graph.batch, size=graph.num_graphs)
        if self.pool == "meanmax":
            maxed = global_max_pool(node_emb, graph.batch, size=graph.num_graphs)
            pooled = torch.cat([pooled, maxed], dim=-1)
        return Encoding(node_emb, self.graph_proj(pooled), self.global_embedding(obs), graph)

    def global_embedding(self, obs: ObsTensors) -> Tensor:
        """``(B, hidden)`` projection of the global features (no GNN pass)."""
        batch = int(obs["node_features"].shape[0])
        glob = obs["global_features"].reshape(batch, -1).float()
        if glob.shape[-1] == 0:
            glob = torch.zeros(batch, 1, device=glob.device)
        return self.global_proj(glob)

    def forward(self, observations: ObsTensors) -> Tensor:
        """SB3 contract: a flat ``(B, 2 * hidden)`` vector."""
        enc = self.encode(observations)
        return torch.cat([enc.graph_emb, enc.global_emb], dim=-1)
