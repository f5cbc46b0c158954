"""OR-Tools CP-SAT for static SoC-DAG instances: optimal on small DAGs, a bound on larger ones.

Model (times scaled to integers, see below): per task a start and an end variable; per (task, PE
that can run it) a presence literal and an optional interval of that PE's duration sharing the
task's start and end; exactly one presence per task; ``add_no_overlap`` over each PE's intervals
(zero-length ones occupy nothing, as in the validator); precedence with PE-dependent
communication: for edge ``u -> v`` and each PE ``q`` of ``v``,
``start[v] >= end[u] + sum_p comm(u -> v, p, q) * present[u, p]`` enforced by ``present[v, q]``
(and ``start[v] >= end[u]`` always); the makespan is at least every end, at least the min-cost
critical path, and at least the total chosen work over the number of PEs; minimise it.

Scaling: times are multiplied by the smallest power of ten up to ``resolution`` (default 1000)
that makes them all integers, and the model is exact. Otherwise they are multiplied by
``resolution`` and rounded up; the schedule is then re-timed
with the exact times (same PEs, same order per PE, each task as early as possible), which keeps
it valid, and the status is at best ``feasible`` with ``bound`` lowered by the rounding slack
(``(2 T - 1) / resolution``).

Hint (``hint="heft"`` by default; ``None`` for none; or ``"cpop"``, ``"peft"``, or any registered
socdag solver): the hint's schedule seeds the search and caps the makespan, and when CP-SAT
ends with nothing better the hint's schedule is returned (``info["schedule_from"] = "hint"``), so
the result is never worse than the hint.

Statuses: ``optimal`` (proven; ``bound == objective``), ``feasible`` (time limit or inexact
scaling; ``bound`` from CP-SAT), ``timeout`` (no schedule within the limit and no hint).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from schedgym.baselines.cpsat_common import check_workers, run_cpsat, time_left
from schedgym.core.solver import Budget, SolveResult, Status, Stopwatch, load_solver
from schedgym.socdag.instance import SoCDAGInstance
from schedgym.socdag.schedule import SoCDAGSchedule, TaskSlot
from schedgym.socdag.validate import validate_schedule


def _local_solver(name: str) -> Any:
    from schedgym.baselines.socdag.listsched import CPOP, HEFT, PEFT

    local = {"heft": HEFT, "cpop": CPOP, "peft": PEFT}
    return local[name]() if name in local else load_solver("socdag", name)


def comm_table(instance: SoCDAGInstance) -> np.ndarray:
    """Communication time of every edge between every pair of PEs, ``(E, P, P)``."""
    lat, inv_bw = instance.comm_factors
    return lat[None] + instance.data[:, None, None] * inv_bw[None]


def retime(
    instance: SoCDAGInstance,
    pe_of: np.ndarray,
    order: np.ndarray,
    durations: np.ndarray,
    comm: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Earliest start/end of every task for fixed PEs, taking tasks in ``order`` (a sequence
    consistent with precedence and with each PE's sequence): ``durations[t]`` on its PE,
    ``comm[e]`` per edge for the chosen PEs. Zero-length tasks do not occupy their PE."""
    start = np.zeros(instance.num_tasks)
    end = np.zeros(instance.num_tasks)
    free = np.zeros(instance.num_pes)
    for t in order:
        t = int(t)
        edges = instance.preds(t)
        ready = (end[instance.src[edges]] + comm[edges]).max() if len(edges) else 0.0
        p = int(pe_of[t])
        s = max(ready, free[p]) if durations[t] > 0 else ready
        start[t], end[t] = s, s + durations[t]
        if durations[t] > 0:
            free[p] = end[t]
    return start, end


def _sequence(instance: SoCDAGInstance, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    topo_pos = np.empty(instance.num_tasks, dtype=np.int64)
    topo_pos[instance.topo_order] = np.arange(instance.num_tasks)
    return np.lexsort((topo_pos, end, start))


class SoCDAGCPSAT:
    """CP-SAT SoC-DAG solver (``socdag.cpsat``).

    ``workers``: CP-SAT search workers (default ``budget.workers``); ``hint``: solver whose
    schedule seeds the search (default ``"heft"``, ``None`` for none); ``resolution``: time
    scale for non-integer instances; ``log``: print CP-SAT's search log.
    """

    name = "cpsat"
    problem = "socdag"

    def __init__(
        self,
        *,
        workers: int | None = None,
        hint: str | None = "heft",
        resolution: int = 1000,
        log: bool = False,
    ) -> None:
        check_workers(workers)
        if resolution < 1:
            raise ValueError(f"resolution must be >= 1, got {resolution}")
        self.workers, self.hint, self.resolution, self.log = workers, hint, resolution, log
        self._hint_solver: Any = None if hint is None else _local_solver(hint)

    def solve(
        self,
        instance: SoCDAGInstance,
        budget: Budget = Budget(),  # noqa: B008 (frozen, immutable)
    ) -> SolveResult[SoCDAGSchedule]:
        """Minimise the makespan of ``instance`` within ``budget`` (10 s when unset)."""
        if not isinstance(instance, SoCDAGInstance):
            return SolveResult(None, self.name, "unsupported", 0.0, info={"reason": "not static"})
        with Stopwatch() as watch:
            hint = None
            if self._hint_solver is not None:
                hint = self._hint_solver.solve(instance, budget).schedule
            # ``or None``: a zero time limit means the default (10 s) here.
            limit = time_left(budget.time_limit_s or None, watch, floor_s=0.01)
            result = self._solve(instance, hint, limit, budget)
        schedule, status, bound, info = result
        if schedule is None:
            return SolveResult(None, self.name, status, watch.elapsed, None, bound, info)
        schedule = SoCDAGSchedule(instance.name, schedule.tasks, self.name, status, watch.elapsed)
        makespan = validate_schedule(instance, schedule)
        if status == "optimal":
            bound = makespan
        return SolveResult(schedule, self.name, status, watch.elapsed, makespan, bound, info)

    def _solve(
        self,
        instance: SoCDAGInstance,
        hint: SoCDAGSchedule | None,
        limit: float,
        budget: Budget,
    ) -> tuple[SoCDAGSchedule | None, Status, float | None, dict[str, Any]]:
        n, p = instance.num_tasks, instance.num_pes
        exec_time, allowed = instance.exec_time, instance.allowed
        comm = comm_table(instance)  # (E, P, P)
        scale, exact = self._scale(np.concatenate([exec_time[allowed], comm.ravel()]))
        dur = np.where(allowed, np.ceil(np.nan_to_num(exec_time) * scale - 1e-9), 0).astype(int)
        com = np.ceil(comm * scale - 1e-9).astype(int)
        hint_times = None
        if hint is not None:
            pe_h = hint.assignment(n)
            s_h = np.array([0.0] * n)
            e_h = np.array([0.0] * n)
            for slot in hint.tasks:
                s_h[slot.task], e_h[slot.task] = slot.start, slot.end
            order = _sequence(instance, s_h, e_h)
            e_idx = np.arange(instance.num_edges)
            hs, he = retime(
                instance, pe_h, order, dur[np.arange(n), pe_h].astype(float),
                com[e_idx, pe_h[instance.src], pe_h[instance.dst]].astype(float),
            )  # fmt: skip
            hint_times = (pe_h, hs.astype(int), he.astype(int))
        horizon = int(dur.max(axis=1).sum() + (com.max(axis=(1, 2)).sum() if len(com) else 0))
        if hint_times is not None:
            horizon = min(horizon, int(hint_times[2].max()))
        model = cp_model.CpModel()
        start = [model.new_int_var(0, horizon, f"s{t}") for t in range(n)]
        end = [model.new_int_var(0, horizon, f"e{t}") for t in range(n)]
        present: dict[tuple[int, int], cp_model.IntVar] = {}
        per_pe: list[list[Any]] = [[] for _ in range(p)]
        pes_of = [[int(q) for q in np.flatnonzero(allowed[t])] for t in range(n)]
        for t in range(n):
            for q in pes_of[t]:
                lit = model.new_bool_var(f"x{t}_{q}")
                present[t, q] = lit
                interval = model.new_optional_interval_var(
                    start[t], int(dur[t, q]), end[t], lit, ""
                )
                if dur[t, q] > 0:
                    per_pe[q].append(interval)
            model.add_exactly_one(present[t, q] for q in pes_of[t])
        for q in range(p):
            if len(per_pe[q]) > 1:
                model.add_no_overlap(per_pe[q])
        for e, (u, v) in enumerate(zip(instance.src, instance.dst, strict=True)):
            u, v = int(u), int(v)
            model.add(start[v] >= end[u])
            for q in pes_of[v]:
                terms = [(int(com[e, pu, q]), present[u, pu]) for pu in pes_of[u] if com[e, pu, q]]
                if terms:
                    delay = sum(c * lit for c, lit in terms)
                    model.add(start[v] >= end[u] + delay).only_enforce_if(present[v, q])
        makespan = model.new_int_var(0, horizon, "makespan")
        for t in instance.sinks:
            model.add(makespan >= end[int(t)])
        model.add(makespan >= self._cp_bound(instance, dur))
        work = sum(int(dur[t, q]) * lit for (t, q), lit in present.items())
        model.add(p * makespan >= work)
        model.minimize(makespan)
        if hint_times is not None:
            pe_h, hs, he = hint_times
            for t in range(n):
                model.add_hint(start[t], int(hs[t]))
                model.add_hint(end[t], int(he[t]))
                for q in pes_of[t]:
                    model.add_hint(present[t, q], q == int(pe_h[t]))
            model.add_hint(makespan, int(he.max()))
        run = run_cpsat(model, budget, time_limit_s=limit, workers=self.workers, log=self.log)
        solver = run.solver
        info: dict[str, Any] = {"cpsat_status": run.cp_status, "scale": scale, "exact": exact}
        if not run.found:
            if hint is not None:
                info["schedule_from"] = "hint"
                return hint, "feasible", self._bound(solver, scale, n, exact, instance), info
            status: Status = "timeout" if run.status == "timeout" else "error"
            return None, status, None, info
        chosen = [next(q for q in pes_of[t] if solver.value(present[t, q])) for t in range(n)]
        pe_of = np.array(chosen, dtype=np.int64)
        s_v = np.array([solver.value(x) for x in start], dtype=float)
        e_v = np.array([solver.value(x) for x in end], dtype=float)
        order = _sequence(instance, s_v, e_v)
        e_idx = np.arange(instance.num_edges)
        rs, re_ = retime(
            instance, pe_of, order, exec_time[np.arange(n), pe_of],
            comm[e_idx, pe_of[instance.src], pe_of[instance.dst]],
        )  # fmt: skip
        slots = tuple(TaskSlot(t, int(pe_of[t]), float(rs[t]), float(re_[t])) for t in range(n))
        schedule = SoCDAGSchedule(instance.name, slots)
        bound = self._bound(solver, scale, n, exact, instance)
        if hint is not None and hint.makespan < schedule.makespan:
            info["schedule_from"] = "hint"
            return hint, "feasible", bound, info
        optimal = run.status == "optimal" and exact
        info["schedule_from"] = "cpsat"
        return schedule, "optimal" if optimal else "feasible", bound, info

    def _scale(self, values: np.ndarray) -> tuple[int, bool]:
        """The smallest power of ten (up to ``resolution``) that makes every time an integer,
        and True; else ``resolution`` and False."""
        scale = 1
        while scale <= self.resolution:
            scaled = values * scale
            if np.all(np.abs(scaled - np.rint(scaled)) < 1e-6):
                return scale, True
            scale *= 10
        return self.resolution, False

    @staticmethod
    def _cp_bound(instance: SoCDAGInstance, dur: np.ndarray) -> int:
        """Longest path of the scaled minimum durations (no communication)."""
        low = np.where(instance.allowed, dur, np.iinfo(np.int64).max).min(axis=1)
        longest = np.zeros(instance.num_tasks, dtype=np.int64)
        for t in instance.topo_order[::-1]:
            succ = instance.dst[instance.succs(int(t))]
            longest[t] = low[t] + (longest[succ].max() if len(succ) else 0)
        return int(longest.max())

    @staticmethod
    def _bound(
        solver: cp_model.CpSolver, scale: int, tasks: int, exact: bool, instance: SoCDAGInstance
    ) -> float:
        raw = float(solver.best_objective_bound)
        if exact:
            return raw / scale
        slack = (2 * tasks - 1) / scale
        return max(raw / scale - slack, instance.critical_path_min(), 0.0)
