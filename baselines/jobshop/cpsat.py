"""OR-Tools CP-SAT for the deterministic job shop: the exact baseline, with a proven bound.

Model: one fixed-size interval variable per operation, ``AddNoOverlap`` on the intervals of each
machine, precedence between consecutive operations of a job (route order), and a makespan
variable (at least every job's last end) to minimise. Start domains are tightened with each job's
head and tail work; the makespan lies between the instance's trivial lower bound (busiest machine,
longest job) and the horizon: the sum of all durations, or the makespan of a dispatching-rule
schedule passed as a solution hint (``hint="mwkr"``), which is then a proven upper bound.

Statuses (``SolveResult.status``):

* ``optimal``: CP-SAT proved the makespan optimal (``bound == objective``);
* ``feasible``: a schedule, but the time limit stopped the search before a proof
  (``info["hit_time_limit"]`` is True; ``bound`` says how far from optimal it can be);
* ``timeout``: no schedule found within the limit (``schedule`` is None); with a hint, the hint's
  schedule is returned instead, as ``feasible`` with ``info["schedule_from"] == "hint"``;
* ``infeasible``: cannot happen for a job shop (kept for completeness).

``bound`` is CP-SAT's best proven lower bound on the makespan (``BestObjectiveBound``), raised to
the trivial bound (busiest machine, longest job) when CP-SAT stopped before computing one;
``objective`` is the makespan recomputed by the independent validator, which checks every
returned schedule (an invalid one raises: that would be a bug). Only the static problem is
modelled: noise, breakdowns, release times and blocking raise :class:`UnsupportedVariantError`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from schedgym.baselines.cpsat_common import check_workers, run_cpsat, time_left
from schedgym.core.errors import InvalidScheduleError, UnsupportedVariantError
from schedgym.core.solver import Budget, SolveResult, Status, Stopwatch, load_solver
from schedgym.jobshop.dynamics import DynamicsConfig
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import Conditions, JobShopSchedule, Operation
from schedgym.jobshop.validate import validate_schedule


class JobShopCPSAT:
    """CP-SAT job-shop solver (``jobshop.cpsat``).

    ``workers``: CP-SAT search workers (default: ``budget.workers``); ``hint``: name of a
    job-shop solver (a dispatching rule such as ``"mwkr"``) whose schedule seeds the search and
    caps the horizon; ``log``: print CP-SAT's search log.
    """

    name = "cpsat"
    problem = "jobshop"

    def __init__(
        self,
        *,
        workers: int | None = None,
        hint: str | None = None,
        log: bool = False,
        **env_options: Any,
    ) -> None:
        check_workers(workers)
        # The env's dynamics options (duration_noise, mtbf, blocking...) are accepted so that
        # one option set can be passed to every job-shop solver; CP-SAT refuses all but static.
        self.dynamics = DynamicsConfig(**env_options)
        self.workers = workers
        self.hint = hint
        self.log = log
        # Resolve the hint now, so that an unknown name fails before any solving.
        self._hint_solver: Any = None if hint is None else load_solver("jobshop", hint)

    def solve(
        self,
        instance: JobShopInstance,
        budget: Budget = Budget(),  # noqa: B008 (frozen, immutable)
        *,
        conditions: Conditions | None = None,
    ) -> SolveResult[JobShopSchedule]:
        """Minimise the makespan of ``instance`` within ``budget`` (time limit: 10 s if unset).

        Raises :class:`UnsupportedVariantError` for non-static ``conditions``.
        """
        if conditions is not None and not conditions.is_static:
            raise UnsupportedVariantError(
                "cpsat solves the deterministic non-blocking job shop; use a dispatching rule "
                f"for noise/breakdowns/blocking (got {_describe(conditions)})"
            )
        if not self.dynamics.is_static:
            raise UnsupportedVariantError(
                "cpsat solves the deterministic non-blocking job shop; use a dispatching rule "
                f"for noise/breakdowns/arrivals/blocking (got {self.dynamics})"
            )
        with Stopwatch() as watch:
            hint = self._hint_schedule(instance, budget)
            model, starts = _build_model(instance, hint)
            limit = time_left(budget.time_limit_s, watch)
            run = run_cpsat(model, budget, time_limit_s=limit, workers=self.workers, log=self.log)
        if run.status == "error":  # MODEL_INVALID: a bug in the model
            raise RuntimeError(f"CP-SAT returned {run.cp_status} on {instance.name}")
        status = run.status
        info: dict[str, Any] = {
            "cp_status": run.cp_status,
            "hit_time_limit": run.hit_time_limit,
            "workers": run.workers,
            "conflicts": run.solver.num_conflicts,
        }
        schedule: JobShopSchedule | None = None
        if run.found:
            schedule = _read_schedule(instance, run.solver, starts, status, watch.elapsed)
            info["schedule_from"] = "cpsat"
        elif status == "timeout" and hint is not None:
            status = "feasible"
            schedule = JobShopSchedule(
                instance.name, hint.operations, self.name, status, watch.elapsed
            )
            info["schedule_from"] = "hint"
        if hint is not None:
            info["hint"] = self.hint
            info["hint_makespan"] = hint.makespan
        objective = None if schedule is None else validate_schedule(instance, schedule)
        # CP-SAT reports 0 when stopped before presolve ends; the trivial bound is proven too.
        bound = max(run.bound, float(instance.lower_bound()))
        return SolveResult(
            schedule=schedule,
            solver=self.name,
            status=status,
            wall_time_s=watch.elapsed,
            objective=objective,
            bound=None if status == "infeasible" else bound,
            info=info,
        )

    def _hint_schedule(self, instance: JobShopInstance, budget: Budget) -> JobShopSchedule | None:
        """The hint solver's schedule on the static instance (validated), or None."""
        if self._hint_solver is None:
            return None
        result = self._hint_solver.solve(instance, Budget(seed=budget.seed))
        if result.schedule is None:
            return None
        try:
            validate_schedule(instance, result.schedule, Conditions())
        except InvalidScheduleError as exc:
            raise InvalidScheduleError(
                f"hint {self.hint!r} gave an invalid schedule: {exc}"
            ) from None
        schedule: JobShopSchedule = result.schedule
        return schedule


def _describe(conditions: Conditions) -> str:
    parts = []
    if conditions.durations is not None:
        parts.append("realised durations")
    if conditions.release is not None:
        parts.append("release times")
    if conditions.downtimes:
        parts.append("downtimes")
    if conditions.blocking:
        parts.append("blocking")
    return ", ".join(parts)


def _build_model(
    instance: JobShopInstance, hint: JobShopSchedule | None
) -> tuple[cp_model.CpModel, list[list[cp_model.IntVar]]]:
    """The CP-SAT model and its start variables ``starts[job][op]``."""
    durations = instance.durations.tolist()
    machines = instance.machines.tolist()
    horizon = int(instance.durations.sum()) if hint is None else hint.makespan
    heads = np.cumsum(instance.durations, axis=1) - instance.durations  # work before each op
    tails = np.cumsum(instance.durations[:, ::-1], axis=1)[:, ::-1]  # work from each op on
    model = cp_model.CpModel()
    starts: list[list[cp_model.IntVar]] = []
    per_machine: dict[int, list[cp_model.IntervalVar]] = {}
    for j in range(instance.num_jobs):
        row: list[cp_model.IntVar] = []
        for k in range(instance.num_ops):
            start = model.new_int_var(int(heads[j, k]), horizon - int(tails[j, k]), f"s{j}_{k}")
            interval = model.new_fixed_size_interval_var(start, durations[j][k], f"x{j}_{k}")
            per_machine.setdefault(machines[j][k], []).append(interval)
            if k > 0:
                model.add(start >= row[-1] + durations[j][k - 1])
            row.append(start)
        starts.append(row)
    for intervals in per_machine.values():
        model.add_no_overlap(intervals)
    makespan = model.new_int_var(instance.lower_bound(), horizon, "makespan")
    for j, row in enumerate(starts):
        model.add(makespan >= row[-1] + durations[j][-1])
    model.minimize(makespan)
    if hint is not None:
        for op in hint.operations:
            model.add_hint(starts[op.job][op.index], op.start)
        model.add_hint(makespan, hint.makespan)
    return model, starts


def _read_schedule(
    instance: JobShopInstance,
    solver: cp_model.CpSolver,
    starts: list[list[cp_model.IntVar]],
    status: Status,
    wall_time_s: float,
) -> JobShopSchedule:
    ops = []
    for j, row in enumerate(starts):
        for k, var in enumerate(row):
            start = int(solver.value(var))
            end = start + int(instance.durations[j, k])
            ops.append(Operation(j, k, int(instance.machines[j, k]), start, end))
    return JobShopSchedule(instance.name, tuple(ops), JobShopCPSAT.name, status, wall_time_s)
