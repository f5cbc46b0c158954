"""Disjunctive-graph observation of JobShop-v0 in the padded-graph convention.

Nodes are operations, node id ``j * num_ops + k`` (real nodes first, then padding). Edges:
route (conjunctive) edges ``(j, k) -> (j, k+1)``, fixed per instance, then machine-sequence
edges ``previous op on machine -> dispatched op``, appended one per dispatch (the disjunctions
resolved so far). Node features (``NODE_FEATURES``, times divided by the instance's trivial
makespan lower bound, durations by the largest duration):

===  =====================  ===============================================================
0    ``duration``           nominal processing time / max duration
1    ``started``            1 once dispatched
2    ``finished``           1 once its end is at or before the clock
3    ``lb_end``             lower-bound estimate of its completion time (L2D-style)
4    ``remaining_work``     nominal work of its job from this operation on (inclusive)
5    ``position``           k / num_ops
6    ``is_next``            1 for the next operation of an unfinished job
7    ``legal``              1 if dispatching its job is legal now
8    ``machine_load``       undispatched work left on its machine
9    ``waiting``            for next operations: time since the job became free (0 otherwise)
10   ``released``           1 once its job is released
===  =====================  ===============================================================

Global features: clock, fraction dispatched, fraction of jobs legal, current estimated makespan
(all scaled as above), and jobs / machines / 10.

Under active construction (:mod:`schedgym.jobshop.active`) the layout is the same; the clock is
the earliest feasible start left (no undispatched operation can start before it), machine edges
follow each machine's sequence by start time (an operation inserted between ``a`` and ``b``
turns ``a -> b`` into ``a -> x -> b``, so the edge count never grows past the non-delay one) and
an unstarted operation's ``lb_end`` uses its job's earliest feasible start (idle-gap insertion on
the machine) instead of ``max(job ready, clock)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from gymnasium import spaces

from schedgym.core.graph_obs import PaddedGraphBuffer, graph_observation_space
from schedgym.jobshop.active import ActiveSimulator
from schedgym.jobshop.kernels import refresh_features, refresh_features_active
from schedgym.jobshop.simulator import JobShopSimulator

NODE_FEATURES = (
    "duration",
    "started",
    "finished",
    "lb_end",
    "remaining_work",
    "position",
    "is_next",
    "legal",
    "machine_load",
    "waiting",
    "released",
)
GLOBAL_FEATURES = ("time", "progress", "legal_share", "lb_makespan", "jobs_per_machine")


def observation_space(max_jobs: int, max_ops: int) -> spaces.Dict:
    """The ``spaces.Dict`` for instances of at most ``max_jobs`` x ``max_ops``."""
    nodes = max_jobs * max_ops
    return graph_observation_space(
        nodes, len(NODE_FEATURES), 2 * nodes, max_jobs, len(GLOBAL_FEATURES)
    )


class JobShopObserver:
    """Keeps the padded graph of one episode up to date, step by step."""

    def __init__(self, max_jobs: int, max_ops: int) -> None:
        self.max_jobs, self.max_ops = max_jobs, max_ops
        nodes = max_jobs * max_ops
        self.buffer = PaddedGraphBuffer(
            nodes, len(NODE_FEATURES), 2 * nodes, max_jobs, len(GLOBAL_FEATURES)
        )
        self.estimate = 0.0

    def reset(self, sim: JobShopSimulator) -> None:
        """Static parts for a new episode: sizes, route edges, static features."""
        jobs, ops = sim.num_jobs, sim.num_ops
        if jobs > self.max_jobs or ops > self.max_ops:
            raise ValueError(
                f"instance {sim.instance.name} ({jobs}x{ops}) exceeds the env's padding "
                f"({self.max_jobs} jobs x {self.max_ops} operations)"
            )
        self.sim = sim
        buf = self.buffer
        buf.reset(jobs * ops)
        node = np.arange(jobs * ops).reshape(jobs, ops)
        buf.set_edges(node[:, :-1].ravel(), node[:, 1:].ravel())
        self.node = node
        self.time_scale = float(sim.instance.lower_bound())
        dur_scale = float(sim.nominal.max())
        self.features = buf.node_features[: jobs * ops].reshape(jobs, ops, len(NODE_FEATURES))
        f = self.features
        f[:, :, 0] = sim.nominal / dur_scale
        suffix = np.cumsum(sim.nominal[:, ::-1], axis=1)[:, ::-1]
        f[:, :, 4] = suffix / self.time_scale
        f[:, :, 5] = np.arange(ops) / ops
        self.cum = np.cumsum(sim.nominal, axis=1)  # (jobs, ops) inclusive prefix sums
        self.cum_ext = np.concatenate([np.zeros((jobs, 1), dtype=np.int64), self.cum], axis=1)
        self.machine_load = np.bincount(
            sim.machines.ravel(), weights=sim.nominal.ravel(), minlength=sim.num_machines
        )
        self.global_ratio = jobs / sim.num_machines / 10.0
        self.active = isinstance(sim, ActiveSimulator)
        # active: slot of the machine edge entering each node (-1: none yet)
        self.in_edge = np.full(jobs * ops, -1, dtype=np.int64)
        # the feature kernel and its per-episode arrays (updated in place by the simulator)
        arrays = (
            self.features,
            buf.action_node,
            sim.start,
            sim.end,
            sim.nominal,
            self.cum,
            self.cum_ext,
            sim.next_op,
            sim.job_free,
            sim.release,
            sim.mask,
            self.machine_load,
            sim.machines,
        )
        if isinstance(sim, ActiveSimulator):
            self._kernel: Callable[..., float] = refresh_features_active
            self._kernel_args: tuple[np.ndarray, ...] = (sim.est, *arrays)
        else:
            self._kernel, self._kernel_args = refresh_features, arrays

    def on_dispatch(self, started: list[tuple[int, int]]) -> None:
        """Incremental update after operations started: machine edges and machine loads."""
        sim, buf = self.sim, self.buffer
        if self.active:
            self._on_insert(started)
            return
        for j, k in started:
            m = int(sim.machines[j, k])
            node = j * sim.num_ops + k
            prev = int(sim.last_on_machine[m])
            if prev >= 0:
                buf.add_edge(prev, node)
            sim.last_on_machine[m] = node
            self.machine_load[m] -= sim.nominal[j, k]

    def _on_insert(self, started: list[tuple[int, int]]) -> None:
        """Active construction: splice the inserted node into its machine's edge chain."""
        sim, buf = self.sim, self.buffer
        assert isinstance(sim, ActiveSimulator)
        for j, k in started:
            node = j * sim.num_ops + k
            before, after = sim.neighbours()
            if after >= 0:
                slot = int(self.in_edge[after])
                if slot >= 0:  # before -> after becomes node -> after
                    buf.edge_index[0, slot] = node
                else:
                    self.in_edge[after] = buf.num_edges
                    buf.add_edge(node, after)
            if before >= 0:
                self.in_edge[node] = buf.num_edges
                buf.add_edge(before, node)
            self.machine_load[int(sim.machines[j, k])] -= sim.nominal[j, k]

    def estimated_makespan(self) -> float:
        """Largest lower-bound completion estimate over all operations (after ``refresh``)."""
        return self.estimate

    def refresh(self) -> None:
        """Recompute the time-dependent features for the simulator's current state."""
        sim, scale, buf = self.sim, self.time_scale, self.buffer
        self.estimate = self._kernel(*self._kernel_args, sim.now, scale)
        jobs = sim.num_jobs
        buf.action_mask[:jobs] = sim.mask
        g = buf.global_features
        g[0] = sim.now / scale
        g[1] = sim.dispatched / sim.total_ops
        g[2] = np.count_nonzero(sim.mask) / jobs
        g[3] = self.estimate / scale
        g[4] = self.global_ratio
