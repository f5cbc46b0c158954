"""Task priorities shared by the env and the list schedulers: average costs, ranks, OCT.

**Average communication cost** of an edge carrying ``data`` (HEFT's ``c-bar``) comes in two
conventions found in the wild, chosen by ``convention``:

* ``"paper"`` (default; Topcuoglu et al. 2002): the mean over ordered pairs of *distinct* PEs of
  ``latency[p][q] + data / bandwidth[p][q]``;
* ``"saga"`` (the SAGA library): the mean over unordered PE pairs *including* the self-links
  (which cost 0), i.e. ``sum_{p != q} c_pq / (n (n + 1))``: on uniform links
  ``(data / B) (n - 1) / (n + 1)``.

**Average computation cost** ``w-bar`` of a task is its mean execution time over the PEs that can
run it (unrelated PEs with unavailable pairs: those pairs are left out).

``rank_u(t) = w-bar(t) + max_{s in succ(t)} (c-bar(t, s) + rank_u(s))`` (upward rank),
``rank_d(t) = max_{p in pred(t)} (rank_d(p) + w-bar(p) + c-bar(p, t))`` (downward rank), and
PEFT's optimistic cost table ``OCT(t, p) = max_{s in succ(t)} min_{q can run s}
(OCT(s, q) + w(s, q) + (c-bar(t, s) if q != p else 0))``, 0 for exit tasks.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from schedgym.socdag.instance import SoCDAGInstance

Convention = Literal["paper", "saga"]
CONVENTIONS: tuple[str, ...] = ("paper", "saga")


def mean_link_factors(
    instance: SoCDAGInstance, convention: Convention = "paper"
) -> tuple[float, float]:
    """``(mean latency, mean inverse bandwidth)`` under ``convention``, so that the average
    communication cost of an edge is ``lat + data * inv_bw``."""
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    lat, inv_bw = instance.comm_factors  # zero diagonals
    n = instance.num_pes
    if n == 1:
        return 0.0, 0.0
    pairs = n * (n - 1) if convention == "paper" else n * (n + 1)
    return float(lat.sum() / pairs), float(inv_bw.sum() / pairs)


def mean_comm(instance: SoCDAGInstance, convention: Convention = "paper") -> np.ndarray:
    """Average communication cost of every edge, ``(E,)``."""
    lat, inv_bw = mean_link_factors(instance, convention)
    return lat + instance.data * inv_bw


def upward_rank(instance: SoCDAGInstance, convention: Convention = "paper") -> np.ndarray:
    """HEFT's upward rank of every task, ``(T,)``."""
    comm = mean_comm(instance, convention)
    rank = np.zeros(instance.num_tasks)
    w = instance.mean_exec
    for t in instance.topo_order[::-1]:
        out = instance.succs(int(t))
        rank[t] = w[t] + ((comm[out] + rank[instance.dst[out]]).max() if len(out) else 0.0)
    return rank


def downward_rank(instance: SoCDAGInstance, convention: Convention = "paper") -> np.ndarray:
    """CPOP's downward rank of every task, ``(T,)``."""
    comm = mean_comm(instance, convention)
    rank = np.zeros(instance.num_tasks)
    w = instance.mean_exec
    for t in instance.topo_order:
        inc = instance.preds(int(t))
        if len(inc):
            src = instance.src[inc]
            rank[t] = (rank[src] + w[src] + comm[inc]).max()
    return rank


def optimistic_cost_table(instance: SoCDAGInstance, convention: Convention = "paper") -> np.ndarray:
    """PEFT's OCT, ``(T, P)``; +inf where the PE cannot run the task (it is never chosen)."""
    comm = mean_comm(instance, convention)
    tasks, pes = instance.num_tasks, instance.num_pes
    oct_ = np.zeros((tasks, pes))
    exec_inf = np.where(instance.allowed, instance.exec_time, np.inf)
    same = np.eye(pes, dtype=bool)
    for t in instance.topo_order[::-1]:
        out = instance.succs(int(t))
        if not len(out):
            continue
        succ = instance.dst[out]
        base = oct_[succ] + exec_inf[succ]  # (S, Q)
        # cost[s, p, q] = base[s, q] + (comm if q != p else 0)
        cost = base[:, None, :] + np.where(same[None], 0.0, comm[out][:, None, None])
        oct_[t] = cost.min(axis=2).max(axis=0)
    return np.where(instance.allowed, oct_, np.inf)


def priority_order(
    rank: np.ndarray, instance: SoCDAGInstance, job: np.ndarray | None = None
) -> np.ndarray:
    """Position of every task in the decision order: higher ``rank`` first, ties by job (lower
    first, when ``job`` is given), then by topological position. ``(T,)`` int64."""
    topo_pos = np.empty(instance.num_tasks, dtype=np.int64)
    topo_pos[instance.topo_order] = np.arange(instance.num_tasks)
    keys = (topo_pos, -rank) if job is None else (topo_pos, job, -rank)
    order = np.lexsort(keys)
    position = np.empty(instance.num_tasks, dtype=np.int64)
    position[order] = np.arange(instance.num_tasks)
    return position
