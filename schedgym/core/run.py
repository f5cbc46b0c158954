"""One solver on one instance: solve, validate, score. Every tool reports through this.

:func:`run_one` times ``solver.solve`` (the same clock for every solver), attaches the run's
metadata to the schedule (:meth:`schedgym.core.problem.Problem.finish`), validates it
independently (:attr:`Problem.validate`, the one source of a reported objective) and computes the
gap to the instance's reference. A solver that raises, returns no schedule, or returns one that
fails validation gives a failed :class:`RunRecord` (status ``error``, its own status, or
``invalid``), never a score. The leaderboard harness turns each record into a stored row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from schedgym.core.errors import SchedGymError, UnsupportedVariantError
from schedgym.core.solver import Budget, Stopwatch

if TYPE_CHECKING:
    from schedgym.core.problem import Problem

#: Statuses under which a run is failed: no schedule, or one that did not validate.
FAILED = ("invalid", "error", "infeasible", "unsupported", "timeout")


@dataclass(frozen=True)
class RunRecord:
    """One solver on one instance. ``objective`` is the validator's value (``None`` if failed);
    ``schedule`` the validated schedule; ``info`` the solver's own metadata (e.g.
    ``hit_time_limit``)."""

    instance: str
    size_group: str
    solver: str
    status: str
    objective: float | None
    reference: float | None
    gap_pct: float | None
    wall_time_s: float
    message: str = ""
    schedule: Any = field(default=None, compare=False, repr=False)
    info: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def scored(self) -> bool:
        """Whether the run produced a validated schedule."""
        return self.objective is not None


def run_one(
    problem: Problem,
    name: str,
    instance: Any,
    solver_name: str,
    solver: Any,
    budget: Budget,
) -> RunRecord:
    """Solve, validate and score one instance. Solver exceptions become failed records."""
    group = problem.group_of(instance)
    reference = problem.reference(name)

    def failed(status: str, message: str, wall: float) -> RunRecord:
        one_line = " ".join(message.split())
        return RunRecord(name, group, solver_name, status, None, reference, None, wall, one_line)

    error: Exception | None = None
    with Stopwatch() as watch:
        try:
            result = solver.solve(instance, budget)
        except Exception as exc:  # a sweep goes on past one crashing solver, and says why
            error = exc
    if isinstance(error, UnsupportedVariantError):
        return failed("unsupported", str(error), watch.elapsed)
    if error is not None:
        return failed("error", f"{type(error).__name__}: {error}", watch.elapsed)
    if result.schedule is None:
        status = result.status if result.status in FAILED else "error"
        return failed(status, f"no schedule (solver status {result.status})", watch.elapsed)
    try:
        schedule = problem.finish(instance, result, solver_name, watch.elapsed)
        objective = problem.validate(instance, schedule)
    except SchedGymError as exc:
        return failed("invalid", str(exc), watch.elapsed)
    gap = None if reference is None else 100.0 * problem.gap(objective, reference)
    return RunRecord(
        name,
        group,
        solver_name,
        result.status,
        objective,
        reference,
        gap,
        watch.elapsed,
        "",
        schedule,
        dict(result.info),
    )
