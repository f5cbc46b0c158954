"""Static list schedulers: HEFT, CPOP and PEFT (insertion-based, Topcuoglu et al. 2002;
Arabnejad and Barbosa 2014).

All three place tasks one at a time through the static simulator
(:class:`schedgym.socdag.simulator.SoCSimulator` with ``insertion=True``), so a task's start on a
PE is the first idle gap after its input data has arrived there that fits it.

* ``heft``: tasks in decreasing upward rank (ties: topological position), each on the PE giving
  its earliest finish time (EFT; ties: lowest PE id).
* ``cpop``: priority ``rank_u + rank_d``; the critical path (CP) is followed from the entry task
  of highest priority through successors whose priority equals ``|CP|``; the CP processor is the
  PE, among those that can run every CP task, with the least total time for them. The ready task
  of highest priority is placed next: CP tasks on the CP processor, others at their EFT. (With no
  PE able to run the whole CP, CP tasks go to their EFT too.)
* ``peft``: optimistic cost table; the ready task of highest ``rank_oct`` (mean of its OCT row)
  goes to the PE minimising ``EFT + OCT``.

``convention`` picks the average communication cost (``"paper"``, default, or ``"saga"``, see
:mod:`schedgym.socdag.ranks`). Only static instances: a stream gets status ``unsupported``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from schedgym.core.solver import Budget, SolveResult, Status, Stopwatch
from schedgym.socdag.instance import SoCDAGInstance
from schedgym.socdag.ranks import (
    CONVENTIONS,
    Convention,
    downward_rank,
    optimistic_cost_table,
    priority_order,
    upward_rank,
)
from schedgym.socdag.schedule import SoCDAGSchedule
from schedgym.socdag.simulator import SoCSimulator
from schedgym.socdag.workload import static_workload


def eft_choice(sim: SoCSimulator, task: int, extra: np.ndarray | None = None) -> int:
    """The PE minimising the estimated finish time of ``task`` (plus ``extra`` per PE)."""
    _, finish = sim.estimates(task)
    if extra is not None:
        finish = finish + extra
    return int(np.nanargmin(finish))


def rank_order(instance: SoCDAGInstance, convention: Convention = "paper") -> np.ndarray:
    """Tasks in decreasing upward rank (ties: topological position): HEFT's order, and with the
    paper's convention ``SoCDAG-v0``'s static decision order."""
    return np.argsort(priority_order(upward_rank(instance, convention), instance))


def _unsupported(name: str, instance: Any) -> SolveResult[SoCDAGSchedule]:
    return SolveResult(
        None, name, "unsupported", 0.0, info={"reason": f"{type(instance).__name__} is not static"}
    )


class ListScheduler:
    """Base class: subclasses implement :meth:`build` on a fresh static simulator.

    Subclasses that place tasks in ``SoCDAG-v0``'s static decision order (upward rank, paper
    convention, insertion) set ``env_order``; their results then carry ``info["actions"]``, the
    PEs in that order, which replayed through the env rebuild the schedule (self-labelling
    candidates, :mod:`schedgym.agents.self_label`)."""

    name = "list"
    problem = "socdag"
    env_order = False

    def __init__(self, *, convention: Convention = "paper", insertion: bool = True) -> None:
        if convention not in CONVENTIONS:
            raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
        self.convention = convention
        self.insertion = insertion

    def build(self, instance: SoCDAGInstance, sim: SoCSimulator) -> None:
        """Assign every task."""
        raise NotImplementedError

    def schedule(self, instance: SoCDAGInstance) -> SoCDAGSchedule:
        """The schedule of ``instance`` (no metadata)."""
        sim = SoCSimulator(static_workload(instance), insertion=self.insertion)
        self.build(instance, sim)
        return sim.schedule(self.name)

    def solve(
        self,
        instance: SoCDAGInstance,
        budget: Budget = Budget(),  # noqa: B008 (frozen, immutable)
    ) -> SolveResult[SoCDAGSchedule]:
        """Build one schedule (deterministic; the budget is not needed)."""
        if not isinstance(instance, SoCDAGInstance):
            return _unsupported(self.name, instance)
        with Stopwatch() as watch:
            schedule = self.schedule(instance)
        status: Status = "feasible"
        schedule = SoCDAGSchedule(
            schedule.instance, schedule.tasks, self.name, status, watch.elapsed
        )
        info: dict[str, Any] = {}
        if self.env_order and self.convention == "paper" and self.insertion:
            pes = schedule.assignment(instance.num_tasks)[rank_order(instance)]
            info["actions"] = tuple(int(pe) for pe in pes)
        return SolveResult(schedule, self.name, status, watch.elapsed, schedule.makespan, info=info)


class HEFT(ListScheduler):
    """Heterogeneous Earliest Finish Time (``socdag.heft``)."""

    name = "heft"
    env_order = True

    def build(self, instance: SoCDAGInstance, sim: SoCSimulator) -> None:
        for task in rank_order(instance, self.convention):
            sim.assign(int(task), eft_choice(sim, int(task)))


def _best_ready(sim: SoCSimulator, priority: np.ndarray, topo_pos: np.ndarray) -> int:
    ready = np.flatnonzero(sim.ready)
    best = np.lexsort((topo_pos[ready], -priority[ready]))[0]
    return int(ready[best])


def _topo_pos(instance: SoCDAGInstance) -> np.ndarray:
    pos = np.empty(instance.num_tasks, dtype=np.int64)
    pos[instance.topo_order] = np.arange(instance.num_tasks)
    return pos


def critical_path(instance: SoCDAGInstance, priority: np.ndarray) -> list[int]:
    """CPOP's critical path: tasks whose priority equals the entry's maximum, entry to exit."""
    indegree = np.bincount(instance.dst, minlength=instance.num_tasks)
    entries = np.flatnonzero(indegree == 0)
    cp_len = float(priority[entries].max())
    tol = 1e-9 * max(1.0, abs(cp_len))
    task = int(entries[np.argmax(priority[entries])])
    path = [task]
    while True:
        succ = instance.dst[instance.succs(task)]
        on_cp = succ[np.abs(priority[succ] - cp_len) <= tol]
        if not len(on_cp):
            return path
        task = int(on_cp.min())
        path.append(task)


class CPOP(ListScheduler):
    """Critical Path On a Processor (``socdag.cpop``)."""

    name = "cpop"

    def build(self, instance: SoCDAGInstance, sim: SoCSimulator) -> None:
        priority = upward_rank(instance, self.convention) + downward_rank(instance, self.convention)
        path = critical_path(instance, priority)
        on_path = np.zeros(instance.num_tasks, dtype=bool)
        on_path[path] = True
        can_all = instance.allowed[path].all(axis=0)
        cp_pe = -1
        if can_all.any():
            totals = np.where(can_all, np.nan_to_num(instance.exec_time[path]).sum(axis=0), np.inf)
            cp_pe = int(np.argmin(totals))
        topo_pos = _topo_pos(instance)
        for _ in range(instance.num_tasks):
            task = _best_ready(sim, priority, topo_pos)
            pe = cp_pe if on_path[task] and cp_pe >= 0 else eft_choice(sim, task)
            sim.assign(task, pe)


class PEFT(ListScheduler):
    """Predict Earliest Finish Time (``socdag.peft``)."""

    name = "peft"

    def build(self, instance: SoCDAGInstance, sim: SoCSimulator) -> None:
        table = optimistic_cost_table(instance, self.convention)
        rank = np.where(instance.allowed, table, 0.0).sum(axis=1) / instance.allowed.sum(axis=1)
        topo_pos = _topo_pos(instance)
        for _ in range(instance.num_tasks):
            task = _best_ready(sim, rank, topo_pos)
            sim.assign(task, eft_choice(sim, task, table[task]))


class LookaheadHEFT(ListScheduler):
    """HEFT's task order with PEFT's lookahead (``socdag.heft-oct``): each task, in decreasing
    upward rank, goes to the PE minimising ``EFT + w * OCT`` (OCT: PEFT's optimistic cost of its
    successors from that PE); one schedule per weight of ``weights``, the shortest kept (the
    first on ties). ``w = 0`` is HEFT, so with it among the weights (the default: 0, 0.25, 0.5,
    0.75, 1) it is never worse than HEFT."""

    name = "heft-oct"
    env_order = True

    def __init__(
        self,
        *,
        weights: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0),
        convention: Convention = "paper",
        insertion: bool = True,
    ) -> None:
        super().__init__(convention=convention, insertion=insertion)
        self.weights = tuple(float(w) for w in weights)
        if not self.weights or min(self.weights) < 0:
            raise ValueError(f"weights must be non-negative and not empty, got {weights}")

    def schedule(self, instance: SoCDAGInstance) -> SoCDAGSchedule:
        order = rank_order(instance, self.convention)
        table = optimistic_cost_table(instance, self.convention)
        lookahead = np.where(np.isfinite(table), table, 0.0)
        work = static_workload(instance)  # read-only: one per instance, shared by the passes
        best: SoCDAGSchedule | None = None
        for weight in self.weights:
            sim = SoCSimulator(work, insertion=self.insertion)
            for task in order:
                sim.assign(int(task), eft_choice(sim, int(task), weight * lookahead[task]))
            schedule = sim.schedule(self.name)
            if best is None or schedule.makespan < best.makespan - 1e-9:
                best = schedule
        assert best is not None
        return best
