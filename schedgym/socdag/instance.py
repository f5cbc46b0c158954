"""Static SoC-DAG instances: the :class:`SoCDAGInstance` data type.

An instance is one task graph on one platform: an execution-time table per (task, PE), with NaN
(``null`` in files) where a PE cannot run a task (unrelated processing elements), and edges
carrying ``data``; an edge between tasks on different PEs ``p != q`` costs
``latency[p][q] + data / bandwidth[p][q]`` (:mod:`schedgym.hardware.platform`), nothing on one PE.
:meth:`SoCDAGInstance.to_json` builds the interchange JSON of docs/design.md; its files are read and
written by :mod:`schedgym.socdag.formats` (layout there), shipped instances are in
:mod:`schedgym.datasets.socdag`, and :func:`schedgym.socdag.problem.load_instance` takes either.

An instance checks itself on construction (``ValueError``): execution times finite in ``[0,
MAX_TIME]`` (:mod:`schedgym.hardware.platform`) or NaN, at least one PE per task, edges between
known tasks without self-loops, duplicates or cycles, data finite in ``[0, MAX_DATA]`` and each
edge's worst communication time at most ``MAX_TIME``. The readers add ``MAX_TASKS`` and
``MAX_EDGES`` (generated stream workloads may be longer).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from schedgym.core.files import json_number
from schedgym.hardware.platform import MAX_TIME, Platform

#: most tasks and edges an instance file may hold (readers; generated streams may hold more)
MAX_TASKS = 100_000
MAX_EDGES = 1_000_000
#: largest data volume of one edge (data units); its worst communication time, the largest
#: latency plus ``data`` over the smallest bandwidth, must also be at most ``MAX_TIME``
MAX_DATA = 1e15


def find_cycle(num_tasks: int, src: np.ndarray, dst: np.ndarray) -> list[int] | None:
    """A cycle of the graph as a list of task ids (``[a, b, ..., a]`` closed), or ``None`` when
    it is acyclic. Edge endpoints must be valid task ids."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    indegree = np.bincount(dst, minlength=num_tasks)
    succ: list[list[int]] = [[] for _ in range(num_tasks)]
    pred: list[list[int]] = [[] for _ in range(num_tasks)]
    for u, v in zip(src.tolist(), dst.tolist(), strict=True):
        succ[u].append(v)
        pred[v].append(u)
    ready = [t for t in range(num_tasks) if indegree[t] == 0]
    done = 0
    while ready:
        t = ready.pop()
        done += 1
        for v in succ[t]:
            indegree[v] -= 1
            if indegree[v] == 0:
                ready.append(v)
    if done == num_tasks:
        return None
    # Every task left has a predecessor that is left too: walk back until one repeats.
    node = int(np.flatnonzero(indegree > 0)[0])
    seen: dict[int, int] = {}
    path: list[int] = []
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = next(u for u in pred[node] if indegree[u] > 0)
    cycle = path[seen[node] :][::-1]
    return [*cycle, cycle[0]]


def _frozen(values: Any, dtype: type) -> np.ndarray:
    array: np.ndarray = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class SoCDAGInstance:
    """One DAG of tasks on a heterogeneous platform. Arrays are read-only.

    ``exec_time[t, p]`` is task ``t``'s execution time on PE ``p`` (NaN: cannot run there);
    edge ``e`` goes from ``src[e]`` to ``dst[e]`` and carries ``data[e]``.
    """

    name: str
    task_names: tuple[str, ...]
    src: np.ndarray  # (E,) int64
    dst: np.ndarray  # (E,) int64
    data: np.ndarray  # (E,) float64
    exec_time: np.ndarray  # (T, P) float64, NaN where not allowed
    platform: Platform

    def __post_init__(self) -> None:
        names = tuple(str(n) for n in self.task_names)
        src, dst = _frozen(self.src, np.int64).reshape(-1), _frozen(self.dst, np.int64).reshape(-1)
        data = _frozen(self.data, np.float64).reshape(-1)
        exec_time = _frozen(self.exec_time, np.float64)
        tasks, pes = len(names), self.platform.num_pes
        if tasks == 0:
            raise ValueError(f"{self.name}: needs at least one task")
        if exec_time.shape != (tasks, pes):
            raise ValueError(
                f"{self.name}: exec_time must be {tasks}x{pes} (tasks x PEs), got {exec_time.shape}"
            )
        allowed = ~np.isnan(exec_time)
        if not allowed.any(axis=1).all():
            t = int(np.flatnonzero(~allowed.any(axis=1))[0])
            raise ValueError(f"{self.name}: task {t} cannot run on any PE")
        if not ((exec_time[allowed] >= 0) & (exec_time[allowed] <= MAX_TIME)).all():
            raise ValueError(f"{self.name}: execution times must be finite, in [0, {MAX_TIME:g}]")
        if not (len(src) == len(dst) == len(data)):
            raise ValueError(f"{self.name}: src, dst and data must have equal lengths")
        if len(src) and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= tasks):
            raise ValueError(f"{self.name}: edge endpoints must be task ids 0..{tasks - 1}")
        if (src == dst).any():
            raise ValueError(f"{self.name}: self-loop on task {int(src[src == dst][0])}")
        if not ((data >= 0) & (data <= MAX_DATA)).all():
            raise ValueError(f"{self.name}: edge data must be finite, in [0, {MAX_DATA:g}]")
        if len(np.unique(src * tasks + dst)) != len(src):
            raise ValueError(f"{self.name}: duplicate edge")
        worst = self.platform.worst_comm_time(data)
        if len(worst) and not (worst <= MAX_TIME).all():
            e = int(np.flatnonzero(~(worst <= MAX_TIME))[0])
            raise ValueError(
                f"{self.name}: edge {e} ({int(src[e])} -> {int(dst[e])}) may take up to "
                f"{worst[e]:g} to communicate (largest latency + data / smallest bandwidth), "
                f"more than {MAX_TIME:g}"
            )
        object.__setattr__(self, "task_names", names)
        object.__setattr__(self, "src", src)
        object.__setattr__(self, "dst", dst)
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "exec_time", exec_time)
        if len(self.topo_order) != tasks:
            cycle = find_cycle(tasks, src, dst) or []
            raise ValueError(
                f"{self.name}: the task graph has a cycle ({' -> '.join(str(t) for t in cycle)})"
            )

    # ------------------------------------------------------------------ sizes
    @property
    def num_tasks(self) -> int:
        """Number of tasks."""
        return len(self.task_names)

    @property
    def num_pes(self) -> int:
        """Number of processing elements."""
        return self.platform.num_pes

    @property
    def num_edges(self) -> int:
        """Number of edges."""
        return len(self.src)

    @property
    def size_group(self) -> str:
        """``"TtxPp"``, e.g. ``"10tx3p"``: the label suites aggregate by."""
        return f"{self.num_tasks}tx{self.num_pes}p"

    # ------------------------------------------------------------------ derived structure
    @cached_property
    def allowed(self) -> np.ndarray:
        """``(T, P)`` bool: which PE can run which task."""
        return ~np.isnan(self.exec_time)

    @cached_property
    def topo_order(self) -> np.ndarray:
        """A topological order (Kahn's algorithm, smallest ready id first), ``(T,)`` int64."""
        indegree = np.bincount(self.dst, minlength=self.num_tasks)
        ptr, order_e = self.succ_ptr, self.succ_edges
        ready = sorted(np.flatnonzero(indegree == 0).tolist())
        out: list[int] = []
        heapq.heapify(ready)
        while ready:
            t = heapq.heappop(ready)
            out.append(t)
            for e in order_e[ptr[t] : ptr[t + 1]]:
                d = int(self.dst[e])
                indegree[d] -= 1
                if indegree[d] == 0:
                    heapq.heappush(ready, d)
        return _frozen(out, np.int64)

    @cached_property
    def pred_ptr(self) -> np.ndarray:
        """CSR pointer of incoming edges: ``pred_edges[pred_ptr[t]:pred_ptr[t+1]]``."""
        return _frozen(
            np.concatenate([[0], np.cumsum(np.bincount(self.dst, minlength=self.num_tasks))]),
            np.int64,
        )

    @cached_property
    def pred_edges(self) -> np.ndarray:
        """Edge ids sorted by destination task (stable)."""
        return _frozen(np.argsort(self.dst, kind="stable"), np.int64)

    @cached_property
    def succ_ptr(self) -> np.ndarray:
        """CSR pointer of outgoing edges: ``succ_edges[succ_ptr[t]:succ_ptr[t+1]]``."""
        return _frozen(
            np.concatenate([[0], np.cumsum(np.bincount(self.src, minlength=self.num_tasks))]),
            np.int64,
        )

    @cached_property
    def succ_edges(self) -> np.ndarray:
        """Edge ids sorted by source task (stable)."""
        return _frozen(np.argsort(self.src, kind="stable"), np.int64)

    def preds(self, task: int) -> np.ndarray:
        """Edge ids entering ``task``."""
        return self.pred_edges[self.pred_ptr[task] : self.pred_ptr[task + 1]]

    def succs(self, task: int) -> np.ndarray:
        """Edge ids leaving ``task``."""
        return self.succ_edges[self.succ_ptr[task] : self.succ_ptr[task + 1]]

    @cached_property
    def sinks(self) -> np.ndarray:
        """Tasks without successors."""
        return _frozen(
            np.flatnonzero(np.bincount(self.src, minlength=self.num_tasks) == 0), np.int64
        )

    @cached_property
    def min_exec(self) -> np.ndarray:
        """Each task's smallest execution time over the PEs that can run it, ``(T,)``."""
        return _frozen(np.nanmin(self.exec_time, axis=1), np.float64)

    @cached_property
    def mean_exec(self) -> np.ndarray:
        """Each task's mean execution time over the PEs that can run it, ``(T,)``."""
        return _frozen(np.nanmean(self.exec_time, axis=1), np.float64)

    def comm(self, edges: np.ndarray, src_pe: np.ndarray) -> np.ndarray:
        """Communication times of ``edges`` (sent from PEs ``src_pe``) to every PE: ``(len, P)``."""
        lat, inv_bw = self.comm_factors
        return lat[src_pe] + self.data[edges, None] * inv_bw[src_pe]

    @cached_property
    def comm_factors(self) -> tuple[np.ndarray, np.ndarray]:
        """The platform's ``(latency, inverse bandwidth)`` with zero diagonals."""
        return self.platform.comm_factors()

    def comm_time(self, edge: int, src_pe: int, dst_pe: int) -> float:
        """Communication time of one edge between two PEs."""
        return self.platform.comm_time(float(self.data[edge]), src_pe, dst_pe)

    def critical_path_min(self) -> float:
        """Longest path with each task weighted by its minimum execution time and no
        communication: the denominator of the SLR."""
        longest = np.zeros(self.num_tasks)
        w = self.min_exec
        for t in self.topo_order[::-1]:
            succ = self.dst[self.succs(int(t))]
            longest[t] = w[t] + (longest[succ].max() if len(succ) else 0.0)
        return float(longest.max())

    def sequential_time(self) -> float:
        """Best time to run every task on one PE: the minimum, over the PEs that can run every
        task, of their total execution time; else the sum of minimum execution times."""
        full = self.allowed.all(axis=0)
        if full.any():
            return float(self.exec_time[:, full].sum(axis=0).min())
        return float(self.min_exec.sum())

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        """The interchange JSON layout and its optional extras (:mod:`schedgym.socdag.formats`)."""
        platform = self.platform
        return {
            "name": self.name,
            "tasks": [{"id": i, "name": n} for i, n in enumerate(self.task_names)],
            "edges": [
                {"src": int(s), "dst": int(d), "data": json_number(x)}
                for s, d, x in zip(self.src, self.dst, self.data, strict=True)
            ],
            "pes": [
                {
                    "id": pe.id,
                    "type": pe.type,
                    "name": pe.name,
                    "speed": json_number(pe.speed),
                    "active_power": json_number(pe.active_power),
                    "idle_power": json_number(pe.idle_power),
                }
                for pe in platform.pes
            ],
            "exec_time": [
                [None if math.isnan(v) else json_number(v) for v in row] for row in self.exec_time
            ],
            "bandwidth": [[json_number(v) for v in row] for row in platform.bandwidth],
            "latency": [[json_number(v) for v in row] for row in platform.latency],
        }
