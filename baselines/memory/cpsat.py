"""OR-Tools CP-SAT for memory mapping: fixed time intervals, offsets as variables, 2-D no-overlap.

Each buffer is a rectangle: its live range ``[start, end)`` is a fixed interval on the time axis,
its offset ``y`` a variable with a fixed-size interval ``[y, y + size)`` on the address axis;
``AddNoOverlap2D`` keeps rectangles apart.

* ``pack``: minimise ``peak >= y + size`` over all buffers, with ``peak`` between the peak live
  load (a lower bound) and the hint's peak (an upper bound: every ``y <= peak_hint - size``).
  All integers: ``optimal`` is a proof, and ``bound`` is CP-SAT's proven lower bound on the peak.
* ``assign``: a presence literal per buffer (fast memory) makes both intervals optional;
  ``y + size <= capacity``. Each step ``t`` with uses gets ``z_t >= compute_t`` and
  ``z_t >= `` the memory time of its uses given the literals; the objective is ``sum z_t``.
  Times are scaled to integers by ``S`` (so that the all-slow time is about 10^9 units) and every
  coefficient is rounded *down*, so the model never overestimates a mapping's time: CP-SAT's
  bound, scaled back, is a valid lower bound on the modelled time. The rounding costs at most
  ``(uses + steps) / S`` time units (``info["rounding_error"]``, about 1e-6 of the all-slow time
  on the shipped instances); status ``optimal`` means the validator's objective is within that
  of the bound (optimal up to the rounding). The returned objective is always the validator's.

The hint (``hint="auto"``: the best of the greedy heuristics; or a memory solver's name; or
``None``) seeds the search; if CP-SAT finds nothing within the limit, the hint's mapping is
returned as ``feasible`` with ``info["mapping_from"] == "hint"``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from schedgym.baselines.cpsat_common import check_workers, run_cpsat, time_left
from schedgym.baselines.memory.heuristics import HEURISTICS, finish, lower_bound
from schedgym.core.solver import Budget, SolveResult, Status, Stopwatch, load_solver
from schedgym.memory.cost import CostModel
from schedgym.memory.instance import MemoryInstance
from schedgym.memory.schedule import SLOW, MemoryMapping
from schedgym.memory.validate import validate_mapping

_SCALE_TARGET = 1e9


class MemoryCPSAT:
    """CP-SAT memory-mapping solver (``memory.cpsat``).

    ``workers``: CP-SAT search workers (default ``budget.workers``); ``hint``: ``"auto"``, a
    memory solver's name, or ``None``; ``log``: print CP-SAT's search log.
    """

    name = "cpsat"
    problem = "memory"

    def __init__(
        self, *, workers: int | None = None, hint: str | None = "auto", log: bool = False
    ) -> None:
        check_workers(workers)
        self.workers = workers
        self.hint = hint
        self.log = log
        self._hint_solver: Any = (
            None if hint in (None, "auto") else load_solver("memory", str(hint))
        )

    def _hint_offsets(self, instance: MemoryInstance, budget: Budget) -> np.ndarray | None:
        if self.hint is None:
            return None
        if self._hint_solver is not None:
            result = self._hint_solver.solve(instance, Budget(seed=budget.seed))
            mapping = result.schedule
            return None if mapping is None else mapping.offsets_array()
        best: tuple[float, np.ndarray] | None = None
        for cls in HEURISTICS.values():
            offsets = cls().offsets(instance)
            value = validate_mapping(instance, MemoryMapping.build(instance, offsets)).objective
            if best is None or value < best[0]:
                best = (value, offsets)
        return None if best is None else best[1]

    def solve(
        self,
        instance: MemoryInstance,
        budget: Budget = Budget(),  # noqa: B008 (frozen, immutable)
    ) -> SolveResult[MemoryMapping]:
        """Solve within ``budget`` (time limit: 10 s if unset)."""
        with Stopwatch() as watch:
            hint = self._hint_offsets(instance, budget)
            if instance.variant == "pack":
                model, ys, present, scale, offset = _pack_model(instance, hint)
            else:
                model, ys, present, scale, offset = _assign_model(instance, hint)
            limit = time_left(budget.time_limit_s, watch)
            run = run_cpsat(
                model,
                budget,
                time_limit_s=limit,
                workers=self.workers,
                log=self.log,
                catch_sigint=True,  # CP-SAT's default, which this solver has always kept
            )
        if run.status == "error":
            raise RuntimeError(f"CP-SAT model invalid on {instance.name}")
        info: dict[str, Any] = {
            "cp_status": run.cp_status,
            "workers": run.workers,
            "hint": self.hint,
        }
        bound = lower_bound(instance)  # CP-SAT's own bound is kept where it is better
        if run.found and math.isfinite(run.bound):
            bound = max(bound, run.bound / scale + offset)
        if run.found:
            solver = run.solver
            offsets = np.array(
                [
                    solver.value(y) if p is None or solver.boolean_value(p) else SLOW
                    for y, p in zip(ys, present, strict=True)
                ],
                dtype=np.int64,
            )
            info["mapping_from"] = "cpsat"
        elif hint is not None:
            offsets = hint
            info["mapping_from"] = "hint"
        else:  # infeasible, or timeout
            return SolveResult(None, self.name, run.status, watch.elapsed, info=info)
        result = finish(instance, offsets, self.name, watch.elapsed, **info)
        assert result.objective is not None
        tolerance = 0.0
        if instance.variant == "pack":
            bound = math.ceil(bound - 1e-9)
        else:
            tolerance = (len(instance.use_steps) + len(np.unique(instance.use_steps))) / scale
            info["rounding_error"] = tolerance
        proven = result.objective <= bound + tolerance + 1e-9 * abs(bound)
        status: Status = "optimal" if proven or result.status == "optimal" else "feasible"
        mapping = MemoryMapping.build(instance, offsets, self.name, status, watch.elapsed)
        return SolveResult(
            mapping,
            self.name,
            status,
            watch.elapsed,
            result.objective,
            bound,
            {**result.info, **info},
        )


Model = tuple[cp_model.CpModel, list[cp_model.IntVar], list[Any], float, float]


def _pack_model(instance: MemoryInstance, hint: np.ndarray | None) -> Model:
    """Minimise the peak; every buffer in fast memory."""
    model = cp_model.CpModel()
    sizes, starts, ends = instance.sizes, instance.starts, instance.ends
    lower = instance.max_load()
    upper = int((hint + sizes).max()) if hint is not None else int(sizes.sum())
    upper = max(upper, lower)
    peak = model.new_int_var(lower, upper, "peak")
    ys, xs, boxes = [], [], []
    for i in range(instance.num_buffers):
        size = int(sizes[i])
        y = model.new_int_var(0, upper - size, f"y{i}")
        xs.append(
            model.new_fixed_size_interval_var(int(starts[i]), int(ends[i] - starts[i]), f"x{i}")
        )
        boxes.append(model.new_fixed_size_interval_var(y, size, f"b{i}"))
        model.add(peak >= y + size)
        ys.append(y)
        if hint is not None:
            model.add_hint(y, int(hint[i]))
    model.add_no_overlap_2d(xs, boxes)
    if hint is not None:
        model.add_hint(peak, upper)
    model.minimize(peak)
    return model, ys, [None] * len(ys), 1.0, 0.0


def _assign_model(instance: MemoryInstance, hint: np.ndarray | None) -> Model:
    """Minimise the integer-scaled modelled time (coefficients rounded down)."""
    model = cp_model.CpModel()
    cost = CostModel(instance)
    capacity = instance.capacity
    sizes, starts, ends = instance.sizes, instance.starts, instance.ends
    scale = _SCALE_TARGET / max(cost.all_slow_time(), 1e-12)
    inv_sr, inv_sw, inv_fr, inv_fw = cost.inv
    ys, present, xs, boxes = [], [], [], []
    for i in range(instance.num_buffers):
        size = int(sizes[i])
        fits = size <= capacity
        p = model.new_bool_var(f"p{i}")
        if not fits:
            model.add(p == 0)
        y = model.new_int_var(0, max(capacity - size, 0), f"y{i}")
        length = int(ends[i] - starts[i])
        xs.append(model.new_optional_fixed_size_interval_var(int(starts[i]), length, p, f"x{i}"))
        boxes.append(model.new_optional_fixed_size_interval_var(y, size, p, f"b{i}"))
        ys.append(y)
        present.append(p)
        if hint is not None:
            fast = bool(hint[i] != SLOW) and fits
            model.add_hint(p, fast)
            model.add_hint(y, int(hint[i]) if fast else 0)
    model.add_no_overlap_2d(xs, boxes)
    slow_coef = np.where(cost.use_write, cost.use_bytes * inv_sw, cost.use_bytes * inv_sr)
    fast_coef = np.where(cost.use_write, cost.use_bytes * inv_fw, cost.use_bytes * inv_fr)
    slow_int = np.floor(slow_coef * scale).astype(np.int64)
    fast_int = np.floor(fast_coef * scale).astype(np.int64)
    compute_int = np.floor(cost.compute * scale).astype(np.int64)
    high_int = np.maximum(slow_int, fast_int)
    by_step = np.argsort(cost.use_step, kind="stable")
    bounds = np.searchsorted(cost.use_step[by_step], np.arange(len(cost.steps) + 1))
    terms: list[Any] = []
    for k in range(len(cost.steps)):
        uses = by_step[bounds[k] : bounds[k + 1]]
        base = int(slow_int[uses].sum())
        memory = base + sum(
            int(fast_int[u] - slow_int[u]) * present[int(cost.use_owner[u])] for u in uses
        )
        floor_c = int(compute_int[k])
        z = model.new_int_var(floor_c, max(floor_c, int(high_int[uses].sum())), f"z{k}")
        model.add(z >= memory)
        terms.append(z)
    model.minimize(sum(terms))
    return model, ys, present, scale, cost.constant
