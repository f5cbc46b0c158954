"""Buffer-graph observation of MemoryMapping-v0 in the padded-graph convention.

Nodes are buffers (node ``i`` is buffer ``i`` of the instance; real nodes first, then padding).
Edges join buffers whose live ranges overlap; an interval graph can be dense (a weight live for
the whole program overlaps everything), so each buffer keeps at most ``max_degree`` overlap
edges, to the overlapping buffers with the largest interval overlap-over-union (IoU: the ones
most like it in time; ties to the lowest index). The union of these choices is stored once per
pair, directed from the buffer visited earlier to the one visited later (the encoder adds the
reverse direction), so there are at most ``max_buffers * max_degree`` edges. Edges are static
for an episode.

Sizes and addresses are divided by the capacity, times by the horizon. Node features
(``NODE_FEATURES``):

===  ======================  ================================================================
0    ``size``                size / capacity
1    ``log_size``            log2(size) / log2(capacity)
2    ``start``               start / horizon
3    ``end``                 end / horizon
4    ``length``              (end - start) / horizon
5    ``uses``                number of uses / most uses of any buffer
6    ``benefit``             time saved if it alone moved to fast memory / the best such saving
7    ``pressure``            highest live load during its range / capacity
8    ``order``               its position in the visiting order / number of buffers
9    ``fast``                1 once placed in fast memory
10   ``slow``                1 once left in slow memory
11   ``offset``              its offset once placed
12   ``top``                 offset + size once placed
13   ``current``             1 for the buffer to place now
14   ``overlaps_current``    1 if its live range overlaps the current buffer's
15   ``candidate``           1 if it stands for a legal candidate offset (see below)
16   ``cand_offset``         that candidate's offset
17   ``cand_slack``          room left in the candidate's gap after placing the current buffer
                             (the unbounded top gap: up to the capacity; may be negative)
18   ``cand_peak_increase``  how much that placement raises the peak
19   ``cand_over``           1 if that placement ends above the capacity
20   ``cand_best_fit``       1 for the candidate with the least slack (feature 17; the lowest
                             offset on ties): best fit's choice
21   ``density``             benefit / (size x length): time saved per byte and step in fast
                             memory, / the largest such value
===  ======================  ================================================================

Actions and ``action_node``: candidate ``k`` points to the placed buffer whose top is its offset,
and the candidate at offset 0 to the current buffer itself; "slow memory" has no node (-1).
Every legal action except "slow" thus has its own node, which carries that placement's features
(15-19), so a pointer policy can tell candidates apart.

Global features (``GLOBAL_FEATURES``): fraction of buffers decided, current peak / capacity,
current time estimate / all-slow time (``assign``; 0 for ``pack``), current buffer's size /
capacity and length / horizon, share of actions legal, 1 for ``assign``, peak live load /
capacity, then over the current buffer's live range: the highest load of the buffers placed in
fast memory (``fast_load``) and that plus the undecided buffers with a benefit, the current one
included (``demand``), both / capacity; then, with *rivals* the undecided buffers with a benefit
whose live range overlaps the current one's and whose ``density`` is higher: the highest load of
the fast buffers, the current one and the rivals over the current range / capacity
(``rival_load``: above 1, placing the current buffer may crowd them out), and the rivals' share
of the benefit, theirs / (theirs + the current buffer's) (``rival_benefit``). All four are 0
once the episode is over.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from schedgym.core.graph_obs import PaddedGraphBuffer, graph_observation_space
from schedgym.memory.instance import MemoryInstance

NODE_FEATURES = (
    "size",
    "log_size",
    "start",
    "end",
    "length",
    "uses",
    "benefit",
    "pressure",
    "order",
    "fast",
    "slow",
    "offset",
    "top",
    "current",
    "overlaps_current",
    "candidate",
    "cand_offset",
    "cand_slack",
    "cand_peak_increase",
    "cand_over",
    "cand_best_fit",
    "density",
)
GLOBAL_FEATURES = (
    "progress",
    "peak",
    "time_estimate",
    "current_size",
    "current_length",
    "legal_share",
    "assign",
    "max_load",
    "fast_load",
    "demand",
    "rival_load",
    "rival_benefit",
)
_CAND = slice(15, 21)


def observation_space(max_buffers: int, max_candidates: int, max_degree: int) -> spaces.Dict:
    """The ``spaces.Dict`` for instances of at most ``max_buffers`` buffers."""
    return graph_observation_space(
        max_buffers,
        len(NODE_FEATURES),
        max_buffers * max_degree,
        max_candidates + 1,
        len(GLOBAL_FEATURES),
    )


def overlap_edges(instance: MemoryInstance, rank: np.ndarray, max_degree: int) -> np.ndarray:
    """``(2, E)`` int64 overlap edges kept by the IoU rule of the module docstring;
    ``rank[i]`` is buffer ``i``'s position in the visiting order (edges run low to high)."""
    s, e = instance.starts.astype(np.float64), instance.ends.astype(np.float64)
    inter = np.minimum(e[:, None], e[None, :]) - np.maximum(s[:, None], s[None, :])
    union = np.maximum(e[:, None], e[None, :]) - np.minimum(s[:, None], s[None, :])
    iou = np.where(inter > 0, inter / union, -1.0)
    np.fill_diagonal(iou, -1.0)
    n = instance.num_buffers
    k = min(max_degree, n - 1)
    if k <= 0:
        return np.zeros((2, 0), dtype=np.int64)
    # stable top-k per row: sort by (-iou, column index)
    top = np.argsort(-iou, axis=1, kind="stable")[:, :k]
    rows = np.repeat(np.arange(n), k)
    cols = top.ravel()
    keep = iou[rows, cols] > 0
    a, b = rows[keep], cols[keep]
    first = np.where(rank[a] < rank[b], a, b)
    second = np.where(rank[a] < rank[b], b, a)
    pairs = np.unique(first * n + second)
    return np.stack([pairs // n, pairs % n]).astype(np.int64)


class MemoryObserver:
    """Keeps the padded graph of one episode up to date, step by step."""

    def __init__(self, max_buffers: int, max_candidates: int, max_degree: int) -> None:
        self.max_buffers = max_buffers
        self.max_candidates = max_candidates
        self.max_degree = max_degree
        self.buffer = PaddedGraphBuffer(
            max_buffers,
            len(NODE_FEATURES),
            max_buffers * max_degree,
            max_candidates + 1,
            len(GLOBAL_FEATURES),
        )
        self._marked = np.zeros(0, dtype=np.int64)

    def reset(
        self,
        instance: MemoryInstance,
        order: np.ndarray,
        benefit: np.ndarray,
        assign: bool,
    ) -> None:
        """Static parts for a new episode: sizes, ranges, uses, benefits, pressure, edges."""
        n = instance.num_buffers
        if n > self.max_buffers:
            raise ValueError(
                f"instance {instance.name} ({n} buffers) exceeds the env's padding "
                f"({self.max_buffers} buffers)"
            )
        buf = self.buffer
        buf.reset(n)
        self.n = n
        self.cap = float(instance.capacity)
        self.horizon = float(instance.horizon)
        self.sizes = instance.sizes
        self.starts, self.ends = instance.starts, instance.ends
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        f = buf.node_features[:n]
        self.f = f
        f[:, 0] = instance.sizes / self.cap
        f[:, 1] = np.log2(instance.sizes) / max(np.log2(self.cap), 1.0)
        f[:, 2] = instance.starts / self.horizon
        f[:, 3] = instance.ends / self.horizon
        f[:, 4] = (instance.ends - instance.starts) / self.horizon
        uses = np.diff(instance.use_ptr)
        f[:, 5] = uses / max(int(uses.max()), 1)
        f[:, 6] = benefit / benefit.max() if benefit.max() > 0 else 0.0
        times, load = instance.load_profile()
        lo = np.searchsorted(times, instance.starts)
        hi = np.searchsorted(times, instance.ends)
        f[:, 7] = [load[a:b].max() / self.cap for a, b in zip(lo, hi, strict=True)]
        f[:, 8] = rank / n
        density = benefit / (instance.sizes * np.maximum(instance.ends - instance.starts, 1))
        f[:, 21] = density / density.max() if density.max() > 0 else 0.0
        self.lo, self.hi = lo, hi
        self.benefit, self.density = benefit, density
        segment = np.arange(len(times))
        self.live = (segment >= lo[:, None]) & (segment < hi[:, None])  # (n, segments)
        self.wanted = benefit > 0  # undecided buffers with a benefit
        self.fast_profile = np.zeros(len(times), dtype=np.int64)  # fast bytes per segment
        self.pending = np.where(self.wanted, instance.sizes, 0) @ self.live  # wanted bytes
        edges = overlap_edges(instance, rank, self.max_degree)
        buf.set_edges(edges[0], edges[1])
        g = buf.global_features
        g[6] = float(assign)
        g[7] = load.max() / self.cap
        self._marked = np.zeros(0, dtype=np.int64)

    def on_place(self, i: int, offset: int | None) -> None:
        """Buffer ``i`` decided: fast at ``offset``, or slow for ``None``."""
        f = self.f
        if self.wanted[i]:
            self.pending[self.lo[i] : self.hi[i]] -= self.sizes[i]
            self.wanted[i] = False
        if offset is None:
            f[i, 10] = 1.0
        else:
            self.fast_profile[self.lo[i] : self.hi[i]] += self.sizes[i]
            f[i, 9] = 1.0
            f[i, 11] = offset / self.cap
            f[i, 12] = (offset + self.sizes[i]) / self.cap
        f[i, 13] = 0.0

    def refresh(
        self,
        current: int | None,
        offsets: np.ndarray,
        nodes: np.ndarray,
        slack: np.ndarray,
        peak: int,
        slow_legal: bool,
        progress: float,
        time_estimate: float,
    ) -> None:
        """Dynamic features for the buffer to place now and its candidate ``offsets`` (with
        their ``nodes`` and gap ``slack``); ``current=None`` when the episode is over."""
        f, buf = self.f, self.buffer
        f[self._marked, _CAND] = 0.0
        buf.action_mask.fill(0)
        buf.action_node.fill(-1)
        g = buf.global_features
        g[0], g[1], g[2] = progress, peak / self.cap, time_estimate
        if current is None:
            f[:, 14] = 0.0
            g[3] = g[4] = g[5] = 0.0
            g[8:12] = 0.0
            self._marked = np.zeros(0, dtype=np.int64)
            return
        size = int(self.sizes[current])
        f[current, 13] = 1.0
        f[:, 14] = (self.starts < self.ends[current]) & (self.ends > self.starts[current])
        count = len(offsets)
        tops = offsets + size
        f[nodes, 15] = 1.0
        f[nodes, 16] = offsets / self.cap
        f[nodes, 17] = slack / self.cap
        f[nodes, 18] = np.maximum(tops - peak, 0) / self.cap
        f[nodes, 19] = tops > self.cap
        if count:
            f[nodes[int(np.argmin(slack))], 20] = 1.0
        self._marked = nodes
        buf.action_mask[:count] = 1
        buf.action_node[:count] = nodes
        buf.action_mask[self.max_candidates] = int(slow_legal)
        g[3] = size / self.cap
        g[4] = (self.ends[current] - self.starts[current]) / self.horizon
        g[5] = (count + int(slow_legal)) / (self.max_candidates + 1)
        span = slice(self.lo[current], self.hi[current])
        g[8] = self.fast_profile[span].max() / self.cap
        g[9] = (self.fast_profile[span] + self.pending[span]).max() / self.cap
        rivals = self.wanted & (f[:, 14] > 0) & (self.density > self.density[current])
        rivals[current] = False
        load = self.fast_profile[span] + size
        if rivals.any():
            load = load + self.sizes[rivals] @ self.live[rivals, span]
        g[10] = load.max() / self.cap
        theirs = float(self.benefit[rivals].sum())
        total = theirs + float(self.benefit[current])
        g[11] = theirs / total if total > 0 else 0.0
