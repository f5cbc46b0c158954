"""Tabu search for the deterministic job shop, with the N5 neighbourhood of Nowicki & Smutnicki.

Reference: E. Nowicki and C. Smutnicki, "A fast taboo search algorithm for the job shop
problem", Management Science 42(6):797-813, 1996.

A solution is the processing order on every machine; its semi-active schedule (every operation
at its earliest start) is the longest-path solution of the disjunctive graph. The search:

* **start**: the machine orders of a dispatching rule's schedule (``start="fdd-mwkr"`` by
  default; any registered job-shop solver name), so the result is never worse than that rule;
* **evaluation**: heads (earliest starts) and tails by one topological pass over the graph
  (Kahn's algorithm, numba, :mod:`schedgym.baselines.jobshop.tabu_kernel`), once per iteration;
* **neighbourhood N5**: one critical path (traced back from the last operation through tight
  arcs, machine arcs preferred) splits into blocks of consecutive operations on one machine;
  the moves swap the first two operations of every block but the first, and the last two of
  every block but the last. An empty N5 proves the schedule optimal;
* **move choice**: each move is scored by the longest path through the two swapped operations
  after the swap (Taillard's estimate, from heads and tails); the best non-tabu move is made;
* **tabu list**: a made move reverses arc ``u -> v``; the arc ``u -> v`` is then forbidden
  (recreating it is tabu) for a tenure drawn uniformly in ``[tenure, 2 * tenure]`` iterations
  (default ``tenure``: ``10 + num_jobs // num_machines``);
* **aspiration**: a tabu move is allowed when its estimate beats the best makespan found; when
  every move is tabu and none aspirates, a random move is made;
* **restarts**: after ``stall`` iterations without a new best (default ``max(2000, 10 *
  operations)``), the search jumps back to the best solution, clears the tabu list and makes
  ``kick`` random N5 swaps (default 2) before searching on.

Budget: the search runs until ``budget.time_limit_s`` is spent (10 s when it is None), or
exactly ``iterations`` iterations when that option is set (then also stopped by the time limit if
one is given), or until the makespan reaches the trivial lower bound (busiest machine, longest
job) or N5 is empty (both prove optimality; status ``optimal``). Random draws (tenures, the
moves of a kick) come from a generator seeded by ``budget.seed``, so a run with a fixed
iteration count is deterministic; a time-limited run depends on the machine's speed.

Only the static problem is solved: noise, breakdowns, release times and blocking raise
:class:`UnsupportedVariantError`, as for ``cpsat``.

Env actions: with ``construction="active"`` the best schedule is replayed through
``JobShopEnv(construction="active")`` (:func:`~schedgym.baselines.jobshop.replay.active_replay`);
when the replay is no longer than the search's schedule (nearly always; it can be shorter) it is
the result and ``info["actions"]`` holds its decisions, so the search can label an agent's
training (``self_label.label_solvers``). ``construction="non-delay"`` (default) reports no
actions: the search's schedules are generally not non-delay.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from schedgym.baselines.jobshop import tabu_kernel as kernel
from schedgym.baselines.jobshop.replay import active_replay
from schedgym.core.errors import InvalidScheduleError, UnsupportedVariantError
from schedgym.core.solver import Budget, SolveResult, Status, Stopwatch, load_solver
from schedgym.jobshop.active import check_supported
from schedgym.jobshop.dynamics import DynamicsConfig
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import Conditions, JobShopSchedule, Operation
from schedgym.jobshop.validate import validate_schedule

#: time limit (s) when neither ``budget.time_limit_s`` nor ``iterations`` is given
DEFAULT_TIME_LIMIT_S = 10.0
#: target wall time (s) of one compiled chunk of iterations between clock checks
_CHUNK_S = 0.02


class TabuSearch:
    """Tabu search with the N5 neighbourhood (``jobshop.tabu``); see the module docstring.

    ``start``: job-shop solver whose schedule starts the search; ``iterations``: fixed
    iteration count (deterministic runs); ``tenure``, ``stall``, ``kick``: search parameters
    (None: the defaults above); ``construction``: ``"active"`` to report env actions (above).
    """

    name = "tabu"
    problem = "jobshop"

    def __init__(
        self,
        *,
        start: str = "fdd-mwkr",
        iterations: int | None = None,
        tenure: int | None = None,
        stall: int | None = None,
        kick: int = 2,
        construction: str = "non-delay",
        **env_options: Any,
    ) -> None:
        self.dynamics = DynamicsConfig(**env_options)
        check_supported(construction, self.dynamics)
        self.construction = construction
        for label, value in (("iterations", iterations), ("tenure", tenure), ("stall", stall)):
            if value is not None and value < 1:
                raise ValueError(f"{label} must be >= 1, got {value}")
        if kick < 0:
            raise ValueError(f"kick must be >= 0, got {kick}")
        self.start = start
        self.iterations = iterations
        self.tenure = tenure
        self.stall = stall
        self.kick = kick
        self._start_solver: Any = load_solver("jobshop", start)

    def solve(
        self,
        instance: JobShopInstance,
        budget: Budget = Budget(),  # noqa: B008 (frozen, immutable)
        *,
        conditions: Conditions | None = None,
    ) -> SolveResult[JobShopSchedule]:
        """Minimise the makespan of ``instance`` within ``budget``.

        Raises :class:`UnsupportedVariantError` for non-static ``conditions`` or env options.
        """
        if (conditions is not None and not conditions.is_static) or not self.dynamics.is_static:
            raise UnsupportedVariantError(
                "tabu solves the deterministic non-blocking job shop; use a dispatching rule "
                "for noise/breakdowns/arrivals/blocking"
            )
        limit = budget.time_limit_s
        if limit is None and self.iterations is None:
            limit = DEFAULT_TIME_LIMIT_S
        with Stopwatch() as watch:
            initial = self._initial(instance, budget)
            search = _Search(instance, initial, budget.seed, self)
            code = search.run(watch, limit, self.iterations)
            starts = search.best_starts()
        if code < 0:
            raise RuntimeError(f"tabu: a move created a cycle on {instance.name} (a bug)")
        ops = tuple(
            Operation(j, k, int(instance.machines[j, k]), int(s), int(s + d))
            for (j, k), s, d in zip(
                np.ndindex(starts.shape), starts.ravel(), instance.durations.ravel(), strict=True
            )
        )
        lower = instance.lower_bound()
        best = int(search.state[kernel.BEST])
        actions: dict[str, Any] = {}
        if self.construction == "active":
            replay = active_replay(instance, starts, self.name)
            if replay.makespan <= best:
                ops, best = replay.schedule.operations, replay.makespan
                actions["actions"] = replay.actions
        status: Status = "optimal" if code == 1 or best <= lower else "feasible"
        schedule = JobShopSchedule(instance.name, ops, self.name, status, watch.elapsed)
        objective = validate_schedule(instance, schedule, Conditions())
        return SolveResult(
            schedule=schedule,
            solver=self.name,
            status=status,
            wall_time_s=watch.elapsed,
            objective=float(objective),
            bound=float(objective) if status == "optimal" else float(lower),
            info={
                "start": self.start,
                "start_makespan": initial.makespan,
                "iterations": int(search.state[kernel.ITER]),
                "restarts": int(search.state[kernel.RESTARTS]),
                "best_iteration": int(search.state[kernel.BEST_ITER]),
                **actions,
            },
        )

    def _initial(self, instance: JobShopInstance, budget: Budget) -> JobShopSchedule:
        """The start rule's schedule on the static instance, validated."""
        result = self._start_solver.solve(instance, Budget(seed=budget.seed))
        if result.schedule is None:
            raise InvalidScheduleError(f"tabu: start solver {self.start!r} found no schedule")
        validate_schedule(instance, result.schedule, Conditions())
        schedule: JobShopSchedule = result.schedule
        return schedule


class _Search:
    """The arrays of one tabu search (see :mod:`schedgym.baselines.jobshop.tabu_kernel`)."""

    def __init__(
        self, instance: JobShopInstance, initial: JobShopSchedule, seed: int, opts: TabuSearch
    ) -> None:
        jobs, num_ops = instance.num_jobs, instance.num_ops
        n = jobs * num_ops
        self.shape = (jobs, num_ops)
        self.p = np.ascontiguousarray(instance.durations.ravel(), dtype=np.int64)
        ids = np.arange(n, dtype=np.int64).reshape(jobs, num_ops)
        self.job_next = np.full(n, -1, dtype=np.int64)
        self.job_prev = np.full(n, -1, dtype=np.int64)
        self.job_next[ids[:, :-1].ravel()] = ids[:, 1:].ravel()
        self.job_prev[ids[:, 1:].ravel()] = ids[:, :-1].ravel()
        # Machine orders of the initial schedule: by start, end, route index, job. Every arc
        # (route or machine) goes up in that order, so the orders are acyclic even with
        # zero-length operations.
        starts = initial.start_times(jobs, num_ops).ravel()
        ends = starts + self.p
        machines = instance.machines.ravel()
        ranked = np.lexsort((ids.ravel() // num_ops, ids.ravel() % num_ops, ends, starts, machines))
        self.mnext = np.full(n, -1, dtype=np.int64)
        self.mprev = np.full(n, -1, dtype=np.int64)
        same = machines[ranked[:-1]] == machines[ranked[1:]]
        self.mnext[ranked[:-1][same]] = ranked[1:][same]
        self.mprev[ranked[1:][same]] = ranked[:-1][same]
        self.work = np.zeros((7, n), dtype=np.int64)
        self.on_machine = np.zeros(n + 1, dtype=np.bool_)
        ms = self._evaluate(self.mnext, self.mprev)
        if ms < 0:
            raise RuntimeError(f"tabu: the start schedule's machine orders have a cycle ({n} ops)")
        self.best_next = self.mnext.copy()
        self.best_prev = self.mprev.copy()
        self.tabu = np.zeros((n, n), dtype=np.int64)
        self.state = np.zeros(6, dtype=np.int64)
        self.state[kernel.BEST] = ms
        self.state[kernel.CURRENT] = ms
        self.rng = np.array([(seed * 0x9E3779B97F4A7C15 + 1) % 2**64], dtype=np.uint64)
        base = opts.tenure or 10 + jobs // max(1, instance.num_machines)
        self.tenure = (base, 2 * base)
        self.stall = opts.stall or max(2000, 10 * n)
        self.kick = opts.kick
        self.lower = instance.lower_bound()

    def _evaluate(self, mnext: np.ndarray, mprev: np.ndarray) -> int:
        w = self.work
        return int(
            kernel.heads_tails(
                self.p, self.job_next, self.job_prev, mnext, mprev, w[0], w[1], w[2], w[3]
            )
        )

    def run(self, watch: Stopwatch, limit: float | None, iterations: int | None) -> int:
        """Iterate in compiled chunks until the budget is spent; the kernel's return code."""
        chunk = 16
        while True:
            todo = chunk
            if iterations is not None:
                todo = min(todo, iterations - int(self.state[kernel.ITER]))
            if todo <= 0:
                return 0
            if limit is not None and watch.now() >= limit:
                return 0
            t0 = watch.now()
            code = int(
                kernel.tabu_run(
                    self.p,
                    self.job_next,
                    self.job_prev,
                    self.mnext,
                    self.mprev,
                    self.best_next,
                    self.best_prev,
                    self.tabu,
                    self.state,
                    self.rng,
                    self.work,
                    self.on_machine,
                    todo,
                    self.tenure[0],
                    self.tenure[1],
                    self.stall,
                    self.kick,
                    self.lower,
                )
            )
            if code != 0:
                return code
            spent = watch.now() - t0
            # Aim for _CHUNK_S per chunk, and never much past the time limit.
            target = _CHUNK_S if limit is None else min(_CHUNK_S, max(limit - watch.now(), 0.0))
            rate = todo / max(spent, 1e-6)
            chunk = int(min(max(rate * target, 1), 4 * chunk + 16))

    def best_starts(self) -> np.ndarray:
        """Earliest start times of the best machine orders, shaped ``(jobs, ops)``."""
        ms = self._evaluate(self.best_next, self.best_prev)
        if ms < 0:
            raise RuntimeError("tabu: the best machine orders have a cycle (a bug)")
        return self.work[0].reshape(self.shape).copy()
