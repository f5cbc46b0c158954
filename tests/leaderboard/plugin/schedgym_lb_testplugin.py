"""Test-only solvers, published through the ``schedgym.solvers`` entry-point group by the
``schedgym-lb-testplugin`` distribution that ``tests/leaderboard/conftest.py`` lays out.

* ``jobshop.test-broken``: claims a feasible schedule, but starts every operation at time 0.
* ``jobshop.test-slow``: MWKR, then sleeps ``SCHEDGYM_TEST_DELAY`` seconds (default 0.2), so
  that a test can kill a leaderboard run midway or run two at once.
* ``jobshop.test-env``: fails with a message naming its ``OMP_NUM_THREADS``.
"""

from __future__ import annotations

import os
import time
from typing import Any

from schedgym.core.solver import Budget, SolveResult
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import JobShopSchedule, Operation


class BrokenSolver:
    """Every operation at time 0: machines and routes overlap, so validation must fail."""

    name = "test-broken"
    problem = "jobshop"

    def __init__(self, **options: Any) -> None:
        self.options = options

    def solve(self, instance: JobShopInstance, budget: Budget) -> SolveResult[JobShopSchedule]:
        ops = [
            Operation(j, k, int(instance.machines[j, k]), 0, int(instance.durations[j, k]))
            for j in range(instance.num_jobs)
            for k in range(instance.num_ops)
        ]
        makespan = max(op.end for op in ops)
        schedule = JobShopSchedule(instance.name, tuple(ops))
        return SolveResult(schedule, self.name, "feasible", 0.0, objective=float(makespan))


class SlowSolver:
    """The MWKR rule, slowed down."""

    name = "test-slow"
    problem = "jobshop"

    def __init__(self, **options: Any) -> None:
        from schedgym.baselines.jobshop.rules import MWKR

        self.rule = MWKR(**options)
        self.delay = float(os.environ.get("SCHEDGYM_TEST_DELAY", "0.2"))

    def solve(self, instance: JobShopInstance, budget: Budget) -> SolveResult[JobShopSchedule]:
        result = self.rule.solve(instance, budget)
        time.sleep(self.delay)
        return result


class EnvSolver:
    """Fails on purpose, saying how many OpenMP threads its process was given."""

    name = "test-env"
    problem = "jobshop"

    def __init__(self, **options: Any) -> None:
        self.options = options

    def solve(self, instance: JobShopInstance, budget: Budget) -> SolveResult[JobShopSchedule]:
        raise RuntimeError(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
