"""Request-and-replica graph observation of LLMServing-v0 in the padded-graph convention.

Nodes: the instance's replicas first (node ``r`` is replica ``r``), then the requests that have
arrived so far, in arrival order (node ``R + j`` is request ``j``), then padding; a request
becomes a real node when it arrives, so real nodes stay a prefix. Edges join each routed request
to its replica (``request -> replica``, appended when it is routed; the encoder adds the reverse
direction); at most ``max_requests`` edges.

With a ``window`` (the env's option), only the requests *in the system* (arrived, not finished)
are nodes: a request takes the lowest free one of ``window`` slots when it arrives (node
``R + slot``) and gives it back, with its edge (edge ``slot``), when it finishes; the padding is
``R + window`` nodes and ``window`` edges whatever the episode's length, so an hour of traffic
(tens of thousands of requests) costs no more per step than its busiest moment. Finished
requests then leave the graph (their outcomes stay in the global features); more than ``window``
requests in the system at once is an error. Requests' output lengths are not observed (a real
router does not know them); prompts, progress and token times are. The exception is each
replica's ``load``: the least-loaded router's own measure (outstanding prompt + output tokens per
unit of compute), which sums the output lengths of the replica's unfinished requests as that
baseline does, so the baseline is one linear map of the features away; likewise ``load_kv``
(the same tokens per KV-cache block: least-loaded-kv's measure).

Times are divided by the SLO targets (TTFT 2 s, time per output token 0.1 s), token counts by
:data:`TOKEN_SCALE`, queue lengths by :data:`QUEUE_SCALE`. The replicas' queue, backlog and
load features (6-9, 23, 24, 27) and the requests' ``age`` and ``ttft`` (13, 19) grow without bound
on an overloaded pool, so they are ``log1p`` of those ratios (same order, slow growth): a network
trained on moderate loads met values 10x its training range there and extrapolated into
sending every request to the most loaded replica. Node features (``NODE_FEATURES``;
replica columns are 0 on request nodes and the other way round):

===  ====================  ==================================================================
0    ``replica``           1 on a replica node
1    ``request``           1 on a request node
2    ``compute``           replica: peak FLOP/s x TP / the pool's largest
3    ``bandwidth``         replica: memory bandwidth x TP / the pool's largest
4    ``kv_capacity``       replica: KV blocks / the pool's largest
5    ``kv_free``           replica: free KV blocks / its KV blocks
6    ``queued``            replica: log1p(requests waiting for admission / QUEUE_SCALE)
7    ``running``           replica: log1p(admitted requests / QUEUE_SCALE)
8    ``backlog``           replica: log1p(prompt tokens still to prefill (waiting and admitted)
                           / TOKEN_SCALE)
9    ``busy_for``          replica: log1p(time until its current step ends / TPOT target)
10   ``prefill_estimate``  replica: one iteration prefilling the current prompt alone there /
                           TTFT target
11   ``legal``             replica: 1 if routing the current request there is legal
12   ``prompt``            request: prompt tokens / TOKEN_SCALE
13   ``age``               request: log1p(time since arrival (until finished) / TTFT target)
14   ``current``           request: 1 for the request to route now
15   ``held``              request: 1 while it waits for a routing decision
16   ``routed``            request: 1 once routed
17   ``prefill_done``      request: share of its prompt (or recompute) processed
18   ``generated``         request: tokens generated / TOKEN_SCALE
19   ``ttft``              request: log1p(time to first token / TTFT target), once it has one
20   ``finished``          request: 1 once finished
21   ``slo_met``           request: 1 if finished within both targets
22   ``preemptions``       request: times preempted
23   ``load``              replica: log1p(unfinished requests' prompt + output tokens /
                           (LOAD_SCALE x its ``compute``)): least-loaded's measure
24   ``outstanding``       replica: log1p(unfinished requests routed there / QUEUE_SCALE)
                           (shortest-queue's measure)
25   ``least_loaded``      replica: 1 on the legal replica of smallest ``load`` (least-loaded's
                           choice, lowest index on ties), at a routing decision
26   ``shortest_queue``    replica: 1 on the legal replica of fewest unfinished requests
                           (shortest-queue's choice), at a routing decision
27   ``load_kv``           replica: log1p(unfinished requests' prompt + output tokens /
                           (LOAD_SCALE x its ``kv_capacity``)): least-loaded-kv's measure
28   ``least_loaded_kv``   replica: 1 on the legal replica of smallest ``load_kv``
                           (least-loaded-kv's choice), at a routing decision
===  ====================  ==================================================================

Actions and ``action_node``: action ``r`` (route to replica ``r``) points to node ``r``; "wait"
(the last action) has no node (-1). Global features (``GLOBAL_FEATURES``): share of requests
arrived, routed and finished; SLO attainment among the finished; held requests / QUEUE_SCALE;
1 if waiting is legal; share of actions legal; the current prompt / TOKEN_SCALE and age / TTFT
target.
"""

from __future__ import annotations

import heapq

import numpy as np
from gymnasium import spaces

from schedgym.core.graph_obs import PaddedGraphBuffer, graph_observation_space
from schedgym.llm.simulator import Simulator
from schedgym.llm.validate import TPOT_SLO_S, TTFT_SLO_S, meets_slo

TOKEN_SCALE = 1024.0
QUEUE_SCALE = 16.0
LOAD_SCALE = 16384.0
NODE_FEATURES = (
    "replica",
    "request",
    "compute",
    "bandwidth",
    "kv_capacity",
    "kv_free",
    "queued",
    "running",
    "backlog",
    "busy_for",
    "prefill_estimate",
    "legal",
    "prompt",
    "age",
    "current",
    "held",
    "routed",
    "prefill_done",
    "generated",
    "ttft",
    "finished",
    "slo_met",
    "preemptions",
    "load",
    "outstanding",
    "least_loaded",
    "shortest_queue",
    "load_kv",
    "least_loaded_kv",
)
GLOBAL_FEATURES = (
    "arrived",
    "routed",
    "finished",
    "slo_so_far",
    "held",
    "wait_legal",
    "legal_share",
    "current_prompt",
    "current_age",
)


def observation_space(max_replicas: int, max_requests: int, num_actions: int = 0) -> spaces.Dict:
    """The ``spaces.Dict`` for pools of at most ``max_replicas`` and ``max_requests``;
    ``num_actions`` (batch mode) replaces the routing actions' ``max_replicas + 1``."""
    return graph_observation_space(
        max_replicas + max_requests,
        len(NODE_FEATURES),
        max_requests,
        num_actions or max_replicas + 1,
        len(GLOBAL_FEATURES),
    )


class ServingObserver:
    """Keeps the padded graph of one episode up to date, decision by decision: replica rows
    are rewritten each time (a few), request rows only while the request is in the system."""

    def __init__(
        self, max_replicas: int, max_requests: int, num_actions: int = 0, window: int | None = None
    ) -> None:
        if window is not None and window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        self.max_replicas = max_replicas
        self.max_requests = max_requests
        self.window = window
        self.batch_mode = num_actions > 0
        slots = max_requests if window is None else window
        self.buffer = PaddedGraphBuffer(
            max_replicas + slots,
            len(NODE_FEATURES),
            slots,
            num_actions or max_replicas + 1,
            len(GLOBAL_FEATURES),
        )

    def reset(self, sim: Simulator) -> None:
        """Static parts for a new episode (the replicas)."""
        self.sim = sim
        reps = sim.replicas
        self.nrep, self.n = len(reps), len(sim.arrival)
        if self.nrep > self.max_replicas or (self.window is None and self.n > self.max_requests):
            raise ValueError(
                f"instance {sim.instance.name} ({self.nrep} replicas, {self.n} requests) exceeds "
                f"the env's padding ({self.max_replicas} replicas, {self.max_requests} requests)"
            )
        self.buffer.reset(self.nrep)
        f = self.buffer.node_features
        compute = np.array([r.cost.replica.gpu.peak_flops * r.cost.replica.tp for r in reps])
        band = np.array([r.cost.replica.gpu.memory_bytes_per_s * r.cost.replica.tp for r in reps])
        self.blocks = np.array([r.total_blocks for r in reps], dtype=np.float64)
        f[: self.nrep, 0] = 1.0
        self.compute = compute / compute.max()
        f[: self.nrep, 2] = self.compute
        f[: self.nrep, 3] = band / band.max()
        self.kv_share = self.blocks / self.blocks.max()
        f[: self.nrep, 4] = self.kv_share
        self.active = np.zeros(0, dtype=np.int64)  # routed, unfinished requests
        self.arrived = self.routed = self.finished = self.good = 0
        self._current = -1
        self.node = np.arange(self.nrep, self.nrep + self.n, dtype=np.int64)  # node of each request
        if self.window is not None:
            self.node.fill(-1)
            self.free_slots = list(range(self.window))  # a heap: the lowest free slot first
        if not self.batch_mode:
            self.buffer.action_node[: self.nrep] = np.arange(self.nrep)

    def on_arrival(self, j: int) -> None:
        """Request ``j`` arrived: it becomes node ``R + j`` (with a window: ``R + slot``)."""
        buf = self.buffer
        if self.window is None:
            node = self.nrep + j
            buf.num_nodes = node + 1
        else:
            if not self.free_slots:
                raise ValueError(
                    f"more than window={self.window} requests in the system at once "
                    f"({self.sim.instance.name}, t={self.sim.now:.1f} s): raise the window"
                )
            node = self.nrep + heapq.heappop(self.free_slots)  # a cleared row (see on_finish)
            self.node[j] = node
            buf.num_nodes += 1
        buf.node_mask[node] = 1
        buf.node_features[node, 1] = 1.0
        buf.node_features[node, 12] = self.sim.prompt[j] / TOKEN_SCALE
        self.arrived = j + 1

    def on_route(self, j: int, r: int) -> None:
        """Request ``j`` routed to replica ``r``."""
        node = int(self.node[j])
        f = self.buffer.node_features[node]
        f[15], f[16] = 0.0, 1.0
        if self.window is None:
            self.buffer.add_edge(node, r)
        else:
            edge = node - self.nrep
            self.buffer.edge_index[:, edge] = (node, r)
            self.buffer.edge_mask[edge] = 1
            self.buffer.num_edges += 1
        self.active = np.append(self.active, j)
        self.routed += 1

    def on_finish(self, done: np.ndarray) -> int:
        """Requests ``done`` finished: final features; returns how many met both targets."""
        sim = self.sim
        met = meets_slo(
            sim.arrival[done], sim.first_token[done], sim.finish[done], sim.output[done]
        )
        rows = self.node[done]
        if self.window is None:  # final features
            f = self.buffer.node_features
            f[rows, 13] = np.log1p((sim.finish[done] - sim.arrival[done]) / TTFT_SLO_S)
            f[rows, 17] = 1.0
            f[rows, 18] = sim.generated[done] / TOKEN_SCALE
            f[rows, 19] = np.log1p((sim.first_token[done] - sim.arrival[done]) / TTFT_SLO_S)
            f[rows, 20] = 1.0
            f[rows, 21] = met
            f[rows, 22] = sim.preemptions[done]
        else:  # finished requests leave the graph: their rows and edges are cleared, slots freed
            buf = self.buffer
            routed = buf.edge_mask[rows - self.nrep] > 0
            buf.node_features[rows] = 0.0
            buf.node_mask[rows] = 0
            buf.edge_mask[rows - self.nrep] = 0
            buf.num_nodes -= len(rows)
            buf.num_edges -= int(routed.sum())
            for slot in (rows - self.nrep).tolist():
                heapq.heappush(self.free_slots, slot)
            self.node[done] = -1
        self.active = self.active[~np.isin(self.active, done)]
        self.finished += len(done)
        good = int(met.sum())
        self.good += good
        return good

    def refresh(
        self, current: int | None, held: list[int], legal: np.ndarray, wait_legal: bool
    ) -> None:
        """Dynamic features at a decision on ``current`` (``None``: the episode is over);
        ``held`` are the requests awaiting a decision, ``legal`` the legal replicas."""
        sim, f, buf, nrep = self.sim, self.buffer.node_features, self.buffer, self.nrep
        now = sim.now
        if self._current >= 0 and self.node[self._current] >= 0:
            f[self.node[self._current], 14] = 0.0
        for r, rep in enumerate(sim.replicas):
            row = f[r]
            row[5] = rep.free_blocks / max(rep.total_blocks, 1)
            row[6] = np.log1p(len(rep.waiting) / QUEUE_SCALE)
            row[7] = np.log1p((len(rep.prefilling) + len(rep.decoding)) / QUEUE_SCALE)
            todo = sum(int(sim.target[i] - sim.prefilled[i]) for i in rep.prefilling)
            todo += sum(int(sim.prompt[i] + sim.generated[i]) for i in rep.waiting)
            row[8] = np.log1p(todo / TOKEN_SCALE)
            busy = (rep.pending.end - now) / TPOT_SLO_S if rep.pending is not None else 0.0
            row[9] = np.log1p(max(busy, 0.0))
            row[23] = np.log1p(rep.outstanding_tokens / (LOAD_SCALE * self.compute[r]))
            row[24] = np.log1p(rep.outstanding_requests / QUEUE_SCALE)
            row[27] = np.log1p(rep.outstanding_tokens / (LOAD_SCALE * self.kv_share[r]))
        a = self.active
        if len(a):
            rows = self.node[a]
            f[rows, 13] = np.log1p((now - sim.arrival[a]) / TTFT_SLO_S)
            f[rows, 17] = sim.prefilled[a] / np.maximum(sim.target[a], 1)
            f[rows, 18] = sim.generated[a] / TOKEN_SCALE
            first = sim.first_token[a]
            ttft = np.where(np.isnan(first), 0.0, (first - sim.arrival[a]) / TTFT_SLO_S)
            f[rows, 19] = np.log1p(ttft)
            f[rows, 22] = sim.preemptions[a]
        waiting = np.asarray(held, dtype=np.int64)
        if len(waiting):
            f[self.node[waiting], 13] = np.log1p((now - sim.arrival[waiting]) / TTFT_SLO_S)
            f[self.node[waiting], 15] = 1.0
        buf.action_mask.fill(0)
        g = buf.global_features
        g[:] = 0.0
        g[0], g[1], g[2] = self.arrived / self.n, self.routed / self.n, self.finished / self.n
        g[3] = self.good / self.finished if self.finished else 0.0
        g[4] = len(held) / QUEUE_SCALE
        f[:nrep, 10] = f[:nrep, 11] = f[:nrep, 25] = f[:nrep, 26] = f[:nrep, 28] = 0.0
        self._current = -1 if current is None else current
        if current is None:
            return
        buf.action_mask[:nrep] = legal
        buf.action_mask[self.max_replicas] = int(wait_legal)
        prompt = np.array([sim.prompt[current]])
        for r, rep in enumerate(sim.replicas):
            seconds = rep.cost.iteration(prompt, np.zeros(1, np.int64), 1, 0, 0)
            f[r, 10] = seconds / TTFT_SLO_S
        f[:nrep, 11] = legal
        if legal.any():
            for column, measure in ((25, f[:nrep, 23]), (26, f[:nrep, 24]), (28, f[:nrep, 27])):
                f[int(np.argmin(np.where(legal, measure, np.inf))), column] = 1.0
        f[self.node[current], 14] = 1.0
        g[5] = float(wait_legal)
        g[6] = buf.action_mask.sum() / len(buf.action_mask)
        g[7] = sim.prompt[current] / TOKEN_SCALE
        g[8] = (now - sim.arrival[current]) / TTFT_SLO_S

    def refresh_batch(self, replica: int | None, legal: np.ndarray) -> None:
        """Batch mode: dynamic features at a decision on ``replica``'s next batch (``None``:
        the episode is over); every action points at that replica's node, whose ``legal``
        feature is 1; ``legal`` masks the budgets."""
        self.refresh(None, [], np.zeros(0, bool), False)
        buf = self.buffer
        buf.action_node.fill(-1)
        if replica is None:
            return
        buf.action_mask[:] = legal
        buf.action_node[:] = replica
        buf.node_features[replica, 11] = 1.0
        buf.global_features[6] = legal.sum() / len(legal)
