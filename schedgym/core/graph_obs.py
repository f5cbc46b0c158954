"""The padded-graph observation convention shared by every schedgym environment.

SB3 cannot consume ``spaces.Graph``, so each env pads its graph to fixed maxima and carries masks.
An observation is a dict of fixed-shape arrays:

=================  ==============================  =========================================
key                shape, dtype                    meaning
=================  ==============================  =========================================
``node_features``  ``(max_nodes, node_dim)`` f32   features of each node (0 on padding)
``node_mask``      ``(max_nodes,)`` int8           1 for real nodes
``edge_index``     ``(2, max_edges)`` int64        directed edges ``src -> dst`` (0 on padding)
``edge_mask``      ``(max_edges,)`` int8           1 for real edges
``action_mask``    ``(num_actions,)`` int8         1 for legal actions (same as ``action_masks()``)
``action_node``    ``(num_actions,)`` int64        node that stands for each action, -1 if none
``global_features````(global_dim,)`` f32           graph-level features (time, progress...)
``num_nodes``      ``(1,)`` f32                    count of real nodes (a Box, not Discrete)
``num_edges``      ``(1,)`` f32                    count of real edges
=================  ==============================  =========================================

Real nodes and edges come first (indices ``< num_nodes`` / ``< num_edges``), so unpadding is a
slice. A pointer-style policy scores ``node_embedding[action_node[a]]`` for each action ``a``
(and a learned "no node" embedding where ``action_node`` is -1), which makes one network run on
any instance size. SB3 casts every Box to float32: extractors must cast ``edge_index`` and
``action_node`` back to integers (exact below 2**24).
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

GRAPH_KEYS = (
    "node_features",
    "node_mask",
    "edge_index",
    "edge_mask",
    "action_mask",
    "action_node",
    "global_features",
    "num_nodes",
    "num_edges",
)


def graph_observation_space(
    max_nodes: int, node_dim: int, max_edges: int, num_actions: int, global_dim: int
) -> spaces.Dict:
    """The ``spaces.Dict`` of the padded-graph convention for the given maxima."""
    big = np.float32(np.finfo(np.float32).max)
    return spaces.Dict(
        {
            "node_features": spaces.Box(-big, big, (max_nodes, node_dim), np.float32),
            "node_mask": spaces.Box(0, 1, (max_nodes,), np.int8),
            "edge_index": spaces.Box(0, max(max_nodes - 1, 0), (2, max_edges), np.int64),
            "edge_mask": spaces.Box(0, 1, (max_edges,), np.int8),
            "action_mask": spaces.Box(0, 1, (num_actions,), np.int8),
            "action_node": spaces.Box(-1, max(max_nodes - 1, 0), (num_actions,), np.int64),
            "global_features": spaces.Box(-big, big, (global_dim,), np.float32),
            "num_nodes": spaces.Box(0, max_nodes, (1,), np.float32),
            "num_edges": spaces.Box(0, max_edges, (1,), np.float32),
        }
    )


class PaddedGraphBuffer:
    """Preallocated arrays for one env's padded graph, updated in place step by step.

    ``observation()`` returns copies, so that an agent may keep observations while the env goes on.
    """

    def __init__(
        self, max_nodes: int, node_dim: int, max_edges: int, num_actions: int, global_dim: int
    ) -> None:
        self.node_features = np.zeros((max_nodes, node_dim), dtype=np.float32)
        self.node_mask = np.zeros(max_nodes, dtype=np.int8)
        self.edge_index = np.zeros((2, max_edges), dtype=np.int64)
        self.edge_mask = np.zeros(max_edges, dtype=np.int8)
        self.action_mask = np.zeros(num_actions, dtype=np.int8)
        self.action_node = np.full(num_actions, -1, dtype=np.int64)
        self.global_features = np.zeros(global_dim, dtype=np.float32)
        self.num_nodes = 0
        self.num_edges = 0

    def reset(self, num_nodes: int) -> None:
        """Clear everything and mark the first ``num_nodes`` nodes as real."""
        self.node_features.fill(0.0)
        self.node_mask.fill(0)
        self.node_mask[:num_nodes] = 1
        self.edge_index.fill(0)
        self.edge_mask.fill(0)
        self.action_mask.fill(0)
        self.action_node.fill(-1)
        self.global_features.fill(0.0)
        self.num_nodes = num_nodes
        self.num_edges = 0

    def set_edges(self, src: np.ndarray, dst: np.ndarray) -> None:
        """Replace all edges by ``src -> dst``."""
        count = len(src)
        self.edge_index.fill(0)
        self.edge_mask.fill(0)
        self.edge_index[0, :count] = src
        self.edge_index[1, :count] = dst
        self.edge_mask[:count] = 1
        self.num_edges = count

    def add_edge(self, src: int, dst: int) -> None:
        """Append one edge (O(1))."""
        i = self.num_edges
        self.edge_index[0, i] = src
        self.edge_index[1, i] = dst
        self.edge_mask[i] = 1
        self.num_edges = i + 1

    def observation(self) -> dict[str, np.ndarray]:
        """A dict of copies in the layout of :func:`graph_observation_space`."""
        return {
            "node_features": self.node_features.copy(),
            "node_mask": self.node_mask.copy(),
            "edge_index": self.edge_index.copy(),
            "edge_mask": self.edge_mask.copy(),
            "action_mask": self.action_mask.copy(),
            "action_node": self.action_node.copy(),
            "global_features": self.global_features.copy(),
            "num_nodes": np.array([self.num_nodes], dtype=np.float32),
            "num_edges": np.array([self.num_edges], dtype=np.float32),
        }
