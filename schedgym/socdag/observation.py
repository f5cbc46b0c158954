"""Padded-graph observation of SoCDAG-v0 (``schedgym.core.graph_obs`` convention).

Nodes: the platform's PEs first (node ``p`` is PE ``p``, so action ``p`` points at node ``p``
through ``action_node``), then the *live* tasks: every task of a static episode; in a stream, the
tasks of the jobs in flight, job after job. Edges: the DAG edges between live tasks, then one
edge ``task -> PE`` per live task already assigned. Times are divided by ``time_scale`` (the
static instance's min-cost critical path; in a stream the mean of the applications') and taken
relative to the clock (static: 0). Node features (``NODE_FEATURES``; 0 where not applicable):

===  ====================  ====================================================================
0    ``is_pe``             1 for PE nodes
1    ``is_task``           1 for task nodes
2    ``mean_exec``         mean execution time over the PEs that can run the task
3    ``min_exec``          its smallest execution time
4    ``rank``              upward rank (paper convention)
5    ``ready``             1 if ready and not assigned
6    ``current``           1 for the task the action places now
7    ``assigned``          1 once assigned (stream: until it completes)
8    ``completed``         1 once completed (stream)
9    ``start``             estimated start - clock (assigned tasks)
10   ``end``               estimated end - clock (assigned tasks)
11   ``allowed_share``     share of the PEs that can run the task
12   ``job_age``           clock - injection of its job (stream)
13   ``exec_current``      PE: execution time of the current task on this PE
14   ``can_run``           PE: 1 if it can run the current task (the action mask)
15   ``est``               PE: estimated start of the current task here - clock
16   ``eft``               PE: estimated finish of the current task here - clock
17   ``available``         PE: when it is estimated free - clock (>= 0)
18   ``power``             PE: active power / the platform's largest
19   ``fastest``           PE: 1 if no PE runs the current task faster
20   ``oct``               PE: PEFT's optimistic cost of the current task's successors when it
                           runs here (the longest path to an exit, each successor on its best
                           PE, no contention; Arabnejad and Barbosa 2014)
===  ====================  ====================================================================

Global features: share of tasks assigned, ready tasks / live tasks, jobs in flight / cap, jobs
waiting outside / cap, estimated makespan (static) or mean age of jobs in flight (stream) over
``time_scale``, and number of PEs / 16.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from schedgym.core.graph_obs import PaddedGraphBuffer, graph_observation_space
from schedgym.socdag.simulator import SoCSimulator

NODE_FEATURES = (
    "is_pe",
    "is_task",
    "mean_exec",
    "min_exec",
    "rank",
    "ready",
    "current",
    "assigned",
    "completed",
    "start",
    "end",
    "allowed_share",
    "job_age",
    "exec_current",
    "can_run",
    "est",
    "eft",
    "available",
    "power",
    "fastest",
    "oct",
)
GLOBAL_FEATURES = ("progress", "ready_share", "in_flight", "waiting_jobs", "load", "num_pes")


def observation_space(max_nodes: int, max_edges: int, max_pes: int) -> spaces.Dict:
    """The ``spaces.Dict`` for graphs of at most ``max_nodes`` nodes (PEs included)."""
    return graph_observation_space(
        max_nodes, len(NODE_FEATURES), max_edges, max_pes, len(GLOBAL_FEATURES)
    )


class SoCObserver:
    """Keeps one episode's padded graph up to date, step by step."""

    def __init__(self, max_nodes: int, max_edges: int, max_pes: int) -> None:
        self.max_nodes, self.max_edges, self.max_pes = max_nodes, max_edges, max_pes
        self.buffer = PaddedGraphBuffer(
            max_nodes, len(NODE_FEATURES), max_edges, max_pes, len(GLOBAL_FEATURES)
        )

    def reset(self, sim: SoCSimulator, time_scale: float, cap: int) -> None:
        """Static parts for a new episode."""
        inst, work = sim.instance, sim.workload
        if sim.num_pes > self.max_pes:
            raise ValueError(
                f"{inst.name}: {sim.num_pes} PEs exceed the env's padding ({self.max_pes} PEs)"
            )
        self.sim, self.scale, self.cap = sim, max(time_scale, 1e-9), cap
        self.mean_exec = inst.mean_exec / self.scale
        self.min_exec = inst.min_exec / self.scale
        self.rank = work.rank / self.scale
        self.allowed_share = inst.allowed.mean(axis=1)
        active, _ = inst.platform.power()
        self.power = active / active.max() if active.max() > 0 else np.zeros_like(active)
        self.exec_scaled = np.nan_to_num(sim.exec / self.scale)
        table = work.oct
        self.oct_scaled = np.where(np.isfinite(table), table, 0.0) / self.scale
        # edges of each job are contiguous in the union instance (jobs are concatenated)
        job_of_edge = work.job_of[inst.src]
        self.edge_ptr = np.searchsorted(job_of_edge, np.arange(work.num_jobs + 1))
        self.node_of = np.full(sim.num_tasks, -1, dtype=np.int64)
        self._live_key: tuple[int, int] = (-1, -1)
        self.buffer.reset(sim.num_pes)
        self._update_live()

    def _update_live(self) -> None:
        """Live tasks and DAG edges, rebuilt only when jobs enter or leave."""
        sim = self.sim
        key = (sim.injected, sim.finished_jobs)
        if key == self._live_key:
            return
        self._live_key = key
        work, inst = sim.workload, sim.instance
        if sim.online:
            injected = np.arange(sim.injected)
            jobs = injected[np.isnan(sim.completion[: sim.injected])]
        else:
            jobs = np.arange(work.num_jobs)
        ptr = work.job_ptr
        live = (
            np.concatenate([np.arange(ptr[j], ptr[j + 1]) for j in jobs])
            if len(jobs)
            else np.zeros(0, dtype=np.int64)
        )
        p = sim.num_pes
        if p + len(live) > self.max_nodes:
            raise ValueError(
                f"{inst.name}: {len(live)} live tasks and {p} PEs exceed the env's padding "
                f"({self.max_nodes} nodes)"
            )
        self.node_of.fill(-1)
        self.node_of[live] = p + np.arange(len(live))
        self.live = live
        edges = (
            np.concatenate([np.arange(self.edge_ptr[j], self.edge_ptr[j + 1]) for j in jobs])
            if len(jobs)
            else np.zeros(0, dtype=np.int64)
        )
        if len(edges) + len(live) > self.max_edges:
            raise ValueError(
                f"{inst.name}: {len(edges)} edges and {len(live)} tasks exceed the env's padding "
                f"({self.max_edges} edges)"
            )
        self.dag_src = self.node_of[inst.src[edges]]
        self.dag_dst = self.node_of[inst.dst[edges]]
        buf = self.buffer
        buf.node_features.fill(0.0)
        buf.node_mask.fill(0)
        buf.node_mask[: p + len(live)] = 1
        buf.num_nodes = p + len(live)
        f = buf.node_features
        f[:p, 0] = 1.0
        f[:p, 18] = self.power
        rows = p + np.arange(len(live))
        f[rows, 1] = 1.0
        f[rows, 2] = self.mean_exec[live]
        f[rows, 3] = self.min_exec[live]
        f[rows, 4] = self.rank[live]
        f[rows, 11] = self.allowed_share[live]

    def refresh(self) -> None:
        """Recompute the time-dependent parts for the simulator's current state."""
        sim, buf, scale = self.sim, self.buffer, self.scale
        self._update_live()
        live, p, now = self.live, sim.num_pes, sim.now
        rows = slice(p, p + len(live))
        f = buf.node_features
        pe_of = sim.pe_of[live]
        assigned = pe_of >= 0
        completed = sim.completed[live]
        current = sim.current()
        f[rows, 5] = sim.ready[live]
        f[rows, 6] = live == current
        f[rows, 7] = assigned & ~completed
        f[rows, 8] = completed
        f[rows, 9] = np.where(assigned, (sim.est_start[live] - now) / scale, 0.0)
        f[rows, 10] = np.where(assigned, (sim.est_end[live] - now) / scale, 0.0)
        if sim.online:
            f[rows, 12] = (now - sim.release[live]) / scale
        f[:p, 17] = (np.maximum(sim.est_pe_free, now) - now) / scale
        mask = np.zeros(p, dtype=bool)
        if current >= 0:
            est, eft = sim.estimates(current)
            mask = sim.allowed[current]
            f[:p, 13] = self.exec_scaled[current]
            f[:p, 14] = mask
            f[:p, 15] = np.where(mask, (est - now) / scale, 0.0)
            f[:p, 16] = np.where(mask, (eft - now) / scale, 0.0)
            row = sim.exec[current]
            f[:p, 19] = mask & (row <= np.nanmin(row))
            f[:p, 20] = np.where(mask, self.oct_scaled[current], 0.0)
        else:
            f[:p, 13:17] = 0.0
            f[:p, 19:21] = 0.0
        src = np.concatenate([self.dag_src, self.node_of[live[assigned]]])
        dst = np.concatenate([self.dag_dst, pe_of[assigned]])
        buf.set_edges(src, dst)
        buf.action_mask.fill(0)
        buf.action_mask[:p] = mask
        buf.action_node.fill(-1)
        buf.action_node[:p] = np.arange(p)
        g = buf.global_features
        g[0] = sim.assigned / sim.num_tasks
        g[1] = sim.ready_count / max(len(live), 1)
        g[2] = sim.in_flight / self.cap
        g[3] = (sim.arrived - sim.injected) / self.cap
        if sim.online:
            ages = now - sim.injection[: sim.injected][np.isnan(sim.completion[: sim.injected])]
            g[4] = ages.mean() / scale if len(ages) else 0.0
        else:
            g[4] = sim.estimated_makespan() / scale
        g[5] = p / 16.0
