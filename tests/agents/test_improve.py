"""ppo-gnn-improve: agent samples, then tabu search; never worse than its start, validated."""

from __future__ import annotations

import pytest

from schedgym.agents.improve import PPOGNNImprove
from schedgym.core.solver import Budget, load_solver
from schedgym.jobshop.problem import load_instance
from schedgym.jobshop.schedule import Conditions
from schedgym.jobshop.validate import validate_schedule


def test_improves_on_its_start_and_validates() -> None:
    instance = load_instance("ft06")
    solver = PPOGNNImprove(samples=4, iterations=1000)  # fixed work: deterministic
    result = solver.solve(instance, Budget(time_limit_s=60.0, seed=0))
    assert result.schedule is not None and result.objective is not None
    assert validate_schedule(instance, result.schedule, Conditions()) == result.objective
    assert result.objective <= result.info["start_makespan"]
    assert result.info["start"] == "ppo-gnn-sample"
    assert result.objective == 55  # ft06's optimum, reached within 1,000 N5 iterations
    assert load_solver("jobshop", "ppo-gnn-improve").name == "ppo-gnn-improve"


def test_rejects_a_share_outside_the_budget() -> None:
    with pytest.raises(ValueError, match="sample_share"):
        PPOGNNImprove(sample_share=1.0)
