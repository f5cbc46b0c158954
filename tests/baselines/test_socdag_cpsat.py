"""CP-SAT: proves optima of 12-task 3-PE DAGs within 10 s, never worse than its HEFT hint."""

from __future__ import annotations

import numpy as np
import pytest

from schedgym.baselines.socdag.cpsat import SoCDAGCPSAT
from schedgym.baselines.socdag.listsched import HEFT
from schedgym.core.solver import Budget
from schedgym.datasets import socdag as shipped
from schedgym.socdag.generator import known_optimum_instance, layered_instance
from schedgym.socdag.validate import validate_schedule

BUDGET = Budget(time_limit_s=10.0, workers=2)


def test_proves_optimum_on_random_12x3_and_never_worse_than_heft() -> None:
    rng = np.random.default_rng(12)
    for k in range(8):
        instance = layered_instance(rng, 12, 3, heterogeneity=1.0, ccr=float(0.5 + k / 2))
        result = SoCDAGCPSAT().solve(instance, BUDGET)
        assert result.status == "optimal", result.info
        assert result.wall_time_s < 10.0
        assert result.bound == result.objective
        assert validate_schedule(instance, result.schedule) == result.objective
        heft = HEFT().solve(instance).objective
        assert result.objective <= heft
        plain = SoCDAGCPSAT(hint=None).solve(instance, BUDGET)
        assert plain.status == "optimal" and plain.objective == result.objective


def test_known_optimum_found() -> None:
    rng = np.random.default_rng(3)
    for _ in range(4):
        instance, optimum = known_optimum_instance(rng, num_pes=3, tasks_per_pe=4, horizon=40)
        result = SoCDAGCPSAT().solve(instance, BUDGET)
        assert result.status == "optimal" and result.objective == optimum


def test_shipped_references_and_unavailable_pes() -> None:
    for name in ("topcuoglu", "ds3-range-detection", "ds3-temporal-mitigation"):
        instance = shipped.load(name)
        result = SoCDAGCPSAT().solve(instance, BUDGET)
        reference = shipped.bounds(name)
        assert reference is not None and result.objective == pytest.approx(reference.optimum)
    instance = layered_instance(np.random.default_rng(5), 12, 3, unavailable=0.4, latency=3.0)
    result = SoCDAGCPSAT().solve(instance, BUDGET)
    assert result.status == "optimal"
    assert all(instance.allowed[s.task, s.pe] for s in result.schedule.tasks)


def test_inexact_times_are_rescaled_and_retimed() -> None:
    instance = layered_instance(np.random.default_rng(8), 10, 3, integer=False)
    result = SoCDAGCPSAT(resolution=100).solve(instance, BUDGET)
    assert result.status == "feasible" and not result.info["exact"]
    assert validate_schedule(instance, result.schedule) == pytest.approx(result.objective)
    assert result.bound is not None and result.bound <= result.objective
    assert result.objective <= HEFT().solve(instance).objective


def test_time_out_falls_back_to_the_hint() -> None:
    instance = layered_instance(np.random.default_rng(2), 60, 6)
    result = SoCDAGCPSAT().solve(instance, Budget(time_limit_s=0.05, workers=1))
    assert result.schedule is not None
    assert result.objective <= HEFT().solve(instance).objective
    assert result.status in ("feasible", "optimal")
    with pytest.raises(ValueError, match="workers"):
        SoCDAGCPSAT(workers=0)
