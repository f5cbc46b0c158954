"""Vectorised unpadding of padded-graph observations into one flat (PyG-style) batch.

The observation convention (``schedgym.core.graph_obs``) puts real nodes and edges first, so a
graph's real part is a prefix. Unpadding a batch of ``B`` graphs is boolean-mask selections plus
cumulative sums (node offsets, and each node's rank among its graph's real nodes, which also makes
a mask with holes work): no Python loop over graphs, nodes or edges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

ObsTensors = Mapping[str, Tensor]


class GraphBatch(NamedTuple):
    """A batch of graphs as one disconnected graph.

    ``x``: ``(total_nodes, node_dim)`` features of the real nodes, graph by graph;
    ``edge_index``: ``(2, total_edges)`` long, ``src -> dst`` in flat node ids;
    ``batch``: ``(total_nodes,)`` graph id of each node; ``flat_id``: ``(B, N)`` flat id of each
    padded node slot (meaningful where the node is real); ``counts``: ``(B,)`` real nodes per
    graph; ``num_graphs``: ``B``.
    """

    x: Tensor
    edge_index: Tensor
    batch: Tensor
    flat_id: Tensor
    counts: Tensor
    num_graphs: int


def unpad(obs: ObsTensors) -> GraphBatch:
    """Flatten a padded batch (leading dimension ``B``) into a :class:`GraphBatch`.

    Accepts the float32 tensors SB3 produces: ``edge_index`` is cast back to ``long`` here.
    """
    features = obs["node_features"]
    node_mask = obs["node_mask"].reshape(features.shape[0], -1) > 0.5  # (B, N)
    edge_mask = obs["edge_mask"].reshape(features.shape[0], -1) > 0.5  # (B, E)
    edges = obs["edge_index"].reshape(features.shape[0], 2, -1).long()  # (B, 2, E)
    num_graphs = int(features.shape[0])
    counts = node_mask.sum(dim=1)  # (B,)
    offsets = torch.cumsum(counts, dim=0) - counts  # (B,)
    flat_id = torch.cumsum(node_mask.long(), dim=1) - 1 + offsets.unsqueeze(1)  # (B, N)
    x = features[node_mask]  # (total_nodes, node_dim)
    batch = torch.repeat_interleave(torch.arange(num_graphs, device=features.device), counts)
    edges = edges.clamp(0, max(node_mask.shape[1] - 1, 0))
    src = flat_id.gather(1, edges[:, 0, :])[edge_mask]  # (total_edges,)
    dst = flat_id.gather(1, edges[:, 1, :])[edge_mask]
    return GraphBatch(x, torch.stack([src, dst]), batch, flat_id, counts, num_graphs)


def gather_action_nodes(
    node_emb: Tensor, graph: GraphBatch, action_node: Tensor, none_emb: Tensor
) -> Tensor:
    """Embeddings of the node that stands for each action: ``(B, A, H)``.

    ``action_node`` is ``(B, A)`` (float or long, -1 for "no node"); actions without a node get
    ``none_emb`` (a learned ``(H,)`` vector).
    """
    nodes = action_node.reshape(graph.num_graphs, -1).long()  # (B, A)
    has_node = nodes >= 0
    safe = nodes.clamp(0, max(graph.flat_id.shape[1] - 1, 0))
    flat = torch.where(has_node, graph.flat_id.gather(1, safe), torch.zeros_like(nodes))
    if node_emb.shape[0] == 0:  # no real node at all: everything is "no node"
        gathered = none_emb.expand(*nodes.shape, none_emb.shape[-1])
        return gathered.clone()
    gathered = node_emb[flat]  # (B, A, H)
    return torch.where(has_node.unsqueeze(-1), gathered, none_emb.expand_as(gathered))


def gather_action_features(obs: ObsTensors) -> Tensor:
    """Raw input features of the node that stands for each action: ``(B, A, node_dim)``,
    zeros for actions without a node (``action_node == -1``)."""
    features = obs["node_features"]
    batch = int(features.shape[0])
    nodes = obs["action_node"].reshape(batch, -1).long()  # (B, A)
    has_node = (nodes >= 0).unsqueeze(-1)
    safe = nodes.clamp(0, max(features.shape[1] - 1, 0))
    index = safe.unsqueeze(-1).expand(-1, -1, features.shape[-1])
    gathered = features.float().gather(1, index)
    return torch.where(has_node, gathered, torch.zeros_like(gathered))


def obs_to_tensors(obs: Mapping[str, np.ndarray], device: str = "cpu") -> dict[str, Tensor]:
    """Numpy observation dict (batched, leading ``B``) to tensors, without copying dtypes away."""
    return {key: torch.as_tensor(np.asarray(value), device=device) for key, value in obs.items()}


def stack_observations(observations: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Stack single-env observation dicts of equal shapes into one batched dict."""
    keys = observations[0].keys()
    return {key: np.stack([o[key] for o in observations]) for key in keys}


def pad_observations(observations: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Stack observations whose padded sizes differ, zero-padding to the largest.

    ``action_node`` pads with -1 and masks with 0, so padding stays inert.
    """
    keys = observations[0].keys()
    out: dict[str, np.ndarray] = {}
    for key in keys:
        arrays = [np.asarray(o[key]) for o in observations]
        shape = tuple(max(a.shape[d] for a in arrays) for d in range(arrays[0].ndim))
        fill = -1 if key == "action_node" else 0
        stacked = np.full((len(arrays), *shape), fill, dtype=arrays[0].dtype)
        for i, a in enumerate(arrays):
            stacked[i][tuple(slice(0, s) for s in a.shape)] = a
        out[key] = stacked
    return out
