"""The CP-SAT job-shop baseline: proofs on small classics, statuses, bounds, hints, variants."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from schedgym.baselines.jobshop import cpsat
from schedgym.baselines.jobshop.cpsat import JobShopCPSAT
from schedgym.core.errors import UnknownNameError, UnsupportedVariantError
from schedgym.core.solver import Budget, SolveResult, Stopwatch, load_solver
from schedgym.datasets.jobshop import load
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import Conditions, JobShopSchedule, Operation
from schedgym.jobshop.validate import validate_schedule


@pytest.mark.parametrize(("name", "optimum"), [("ft06", 55), ("la01", 666)])
def test_proves_small_classics(name: str, optimum: int) -> None:
    instance = load(name)
    result = JobShopCPSAT(workers=1).solve(instance, Budget(time_limit_s=10, seed=0))
    assert result.status == "optimal"
    assert result.solver == "cpsat"
    assert result.schedule is not None
    assert validate_schedule(instance, result.schedule) == optimum
    assert result.objective == optimum == result.bound
    assert result.schedule.status == "optimal" and result.schedule.instance == name
    assert result.info["hit_time_limit"] is False
    assert 0 < result.wall_time_s < 10


def test_registered_as_an_entry_point() -> None:
    solver = load_solver("jobshop", "cpsat", workers=1)
    assert isinstance(solver, JobShopCPSAT)
    assert (solver.name, solver.problem, solver.workers) == ("cpsat", "jobshop", 1)


@pytest.mark.parametrize(
    "conditions",
    [
        Conditions(blocking=True),
        Conditions(downtimes=((0, 5, 9),)),
        Conditions(release=np.zeros(6, dtype=np.int64)),
        Conditions(durations=np.ones((6, 6), dtype=np.int64)),
    ],
)
def test_dynamic_variants_are_refused(conditions: Conditions) -> None:
    with pytest.raises(UnsupportedVariantError, match="deterministic non-blocking job shop"):
        JobShopCPSAT().solve(load("ft06"), Budget(time_limit_s=1), conditions=conditions)


def test_static_conditions_are_accepted() -> None:
    result = JobShopCPSAT().solve(load("ft06"), Budget(time_limit_s=10), conditions=Conditions())
    assert result.objective == 55


def test_fields_when_the_time_limit_stops_the_search() -> None:
    instance = load("ta21")  # 20x20: not proven in a fraction of a second
    result = JobShopCPSAT(workers=1).solve(instance, Budget(time_limit_s=0.3))
    assert result.status in ("feasible", "timeout")
    assert result.info["hit_time_limit"] is True
    assert result.bound is not None
    assert instance.lower_bound() <= result.bound <= 1642  # ta21's proven optimum
    if result.status == "feasible":
        assert result.schedule is not None and result.objective is not None
        assert validate_schedule(instance, result.schedule) == result.objective >= result.bound
    else:
        assert result.schedule is None and result.objective is None


def test_timeout_without_a_schedule() -> None:
    instance = load("dmu80")  # 50x20: nothing found in a millisecond
    result = JobShopCPSAT(workers=1).solve(instance, Budget(time_limit_s=0.001))
    assert result.status == "timeout"
    assert result.schedule is None and result.objective is None
    assert result.bound == instance.lower_bound()  # CP-SAT had no bound yet: the trivial one
    assert result.info["hit_time_limit"] is True


class SerialSolver:
    """A deliberately poor but valid schedule: operations in round-robin order, each as early as
    its job and machine allow."""

    name = "test-serial"
    problem = "jobshop"

    def solve(self, instance: JobShopInstance, budget: Budget) -> SolveResult[JobShopSchedule]:
        job_free = [0] * instance.num_jobs
        machine_free = [0] * instance.num_machines
        ops = []
        with Stopwatch() as watch:
            for k in range(instance.num_ops):
                for j in range(instance.num_jobs):
                    m, d = int(instance.machines[j, k]), int(instance.durations[j, k])
                    start = max(job_free[j], machine_free[m])
                    job_free[j] = machine_free[m] = start + d
                    ops.append(Operation(j, k, m, start, start + d))
        schedule = JobShopSchedule(instance.name, tuple(ops), self.name)
        return SolveResult(schedule, self.name, "feasible", watch.elapsed, schedule.makespan)


@pytest.fixture
def serial_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``hint="test-serial"`` resolve to :class:`SerialSolver` (no global registration)."""

    def fake_load_solver(problem: str, name: str, **options: Any) -> Any:
        return SerialSolver() if name == "test-serial" else load_solver(problem, name, **options)

    monkeypatch.setattr(cpsat, "load_solver", fake_load_solver)


@pytest.mark.usefixtures("serial_hint")
def test_hint_caps_the_horizon_and_keeps_optimality() -> None:
    instance = load("ft06")
    hint = SerialSolver().solve(instance, Budget())
    assert hint.schedule is not None
    result = JobShopCPSAT(hint="test-serial").solve(instance, Budget(time_limit_s=10))
    assert result.status == "optimal" and result.objective == 55
    assert result.info["hint"] == "test-serial"
    assert result.info["hint_makespan"] == validate_schedule(instance, hint.schedule) > 55


@pytest.mark.usefixtures("serial_hint")
def test_hint_schedule_is_returned_whatever_the_limit() -> None:
    instance = load("ta21")
    result = JobShopCPSAT(hint="test-serial").solve(instance, Budget(time_limit_s=0.05))
    assert result.status in ("optimal", "feasible")
    assert result.schedule is not None and result.objective is not None
    assert validate_schedule(instance, result.schedule) <= result.info["hint_makespan"]
    assert result.info["schedule_from"] in ("cpsat", "hint")


def test_dispatching_rule_hint() -> None:
    pytest.importorskip("schedgym.baselines.jobshop.rules")
    result = JobShopCPSAT(hint="mwkr").solve(load("ft06"), Budget(time_limit_s=10))
    assert result.status == "optimal" and result.objective == 55
    assert result.info["hint_makespan"] >= 55


def test_bad_options_fail_early() -> None:
    with pytest.raises(UnknownNameError, match="no-such-rule"):
        JobShopCPSAT(hint="no-such-rule")
    with pytest.raises(ValueError, match="workers"):
        JobShopCPSAT(workers=0)


@pytest.mark.slow
def test_proves_ft10_within_a_minute() -> None:
    instance = load("ft10")
    result = JobShopCPSAT(workers=2).solve(instance, Budget(time_limit_s=60, seed=0))
    assert result.status == "optimal"
    assert result.schedule is not None
    assert validate_schedule(instance, result.schedule) == 930 == result.bound


def test_dynamic_env_options_are_refused_with_a_clear_error() -> None:
    solver = load_solver("jobshop", "cpsat", mtbf=200.0)
    with pytest.raises(UnsupportedVariantError, match="dispatching rule"):
        solver.solve(load("ft06"), Budget(time_limit_s=1))
