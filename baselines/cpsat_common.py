"""What the CP-SAT baselines share: solver set-up from a :class:`Budget`, and reading the outcome.

Each baseline builds its own model, then calls :func:`run_cpsat`, which configures a
``cp_model.CpSolver`` (time limit, search workers, seed, log, Ctrl-C handling), solves, and
returns a :class:`CpSatRun`: CP-SAT's status name, schedgym's status (:data:`CPSAT_STATUS`), and
the solver to read values, the objective and the proven bound from.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from schedgym.core.solver import Budget, Status, Stopwatch

DEFAULT_TIME_LIMIT_S = 10.0
"""CP-SAT's time limit when the budget sets none."""

CPSAT_STATUS: dict[str, Status] = {
    "OPTIMAL": "optimal",
    "FEASIBLE": "feasible",  # a solution, no proof: the search stopped (time limit)
    "INFEASIBLE": "infeasible",
    "UNKNOWN": "timeout",  # no solution within the limit
    "MODEL_INVALID": "error",  # a bug in the model
}
"""CP-SAT status name -> schedgym status."""


def check_workers(workers: int | None) -> None:
    """Raise ``ValueError`` unless ``workers`` is None (use ``budget.workers``) or at least 1."""
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")


def time_left(limit_s: float | None, watch: Stopwatch, *, floor_s: float = 0.001) -> float:
    """Seconds left of ``limit_s`` (:data:`DEFAULT_TIME_LIMIT_S` when None) since ``watch``
    started, and at least ``floor_s`` (CP-SAT needs a positive limit)."""
    limit = DEFAULT_TIME_LIMIT_S if limit_s is None else limit_s
    return max(limit - watch.now(), floor_s)


@dataclass(frozen=True)
class CpSatRun:
    """The outcome of one :func:`run_cpsat`: statuses, and the solver to read values from."""

    solver: cp_model.CpSolver
    cp_status: str  # CP-SAT's status name, e.g. "OPTIMAL"
    status: Status  # schedgym's, from CPSAT_STATUS
    workers: int  # search workers CP-SAT was given

    @property
    def found(self) -> bool:
        """Whether CP-SAT found a solution (``optimal`` or ``feasible``)."""
        return self.status in ("optimal", "feasible")

    @property
    def hit_time_limit(self) -> bool:
        """Whether the time limit stopped the search (``feasible`` or ``timeout``)."""
        return self.status in ("feasible", "timeout")

    @property
    def objective(self) -> float | None:
        """The model's objective value of the solution found, or None."""
        return float(self.solver.objective_value) if self.found else None

    @property
    def bound(self) -> float:
        """CP-SAT's proven bound on the model's objective (raw: it may be 0 or infinite when
        the search stopped early)."""
        return float(self.solver.best_objective_bound)

    @property
    def wall_time_s(self) -> float:
        """CP-SAT's own wall time for the solve, in seconds."""
        return float(self.solver.wall_time)


def run_cpsat(
    model: cp_model.CpModel,
    budget: Budget,
    *,
    time_limit_s: float,
    workers: int | None = None,
    log: bool = False,
    catch_sigint: bool = False,
) -> CpSatRun:
    """Solve ``model`` with CP-SAT: ``time_limit_s`` seconds (see :func:`time_left`), ``workers``
    search workers (``budget.workers`` when None), seed ``budget.seed``; ``log`` prints CP-SAT's
    search log; ``catch_sigint=False`` lets Ctrl-C stop the whole sweep, not just this solve."""
    solver = cp_model.CpSolver()
    n_workers = int(workers or budget.workers)
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = n_workers
    solver.parameters.random_seed = int(budget.seed)
    solver.parameters.log_search_progress = log
    solver.parameters.catch_sigint_signal = catch_sigint
    cp_status = solver.status_name(solver.solve(model))
    return CpSatRun(solver, cp_status, CPSAT_STATUS.get(cp_status, "error"), n_workers)
