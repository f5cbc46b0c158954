"""The trained agent as a solver: valid schedules, seeded sampling, safe checkpoint loading."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agents.checkpoint import CheckpointError, atomic_save, make_payload
from agents.solver import PPOGNNSampleSolver, PPOGNNSolver
from schedgym.core.solver import Budget
from schedgym.jobshop.generator import taillard_instance
from schedgym.jobshop.problem import load_instance
from schedgym.jobshop.validate import validate_schedule


@pytest.fixture
def checkpoint(tmp_path: Path, jobshop: Callable[..., Any], new_policy: Callable[..., Any]) -> Path:
    policy = new_policy(jobshop(10, 10), hidden=16, head_hidden=16)
    return atomic_save(make_payload(policy), tmp_path / "agent.pt")


def test_greedy_solver_returns_a_valid_schedule(checkpoint: Path) -> None:
    solver = PPOGNNSolver(checkpoint=checkpoint)
    assert (solver.name, solver.problem) == ("ppo-gnn", "jobshop")
    instance = load_instance("ft06")
    result = solver.solve(instance, Budget(seed=0))
    assert result.status == "feasible" and result.schedule is not None
    assert validate_schedule(instance, result.schedule) == result.objective
    assert result.schedule.solver == "ppo-gnn"


def test_sampling_solver_is_seeded_and_no_worse_than_greedy(checkpoint: Path) -> None:
    instance = taillard_instance(20, 12, seed=5)  # larger than the network was built for
    greedy = PPOGNNSolver(checkpoint=checkpoint).solve(instance, Budget(seed=0))
    sampler = PPOGNNSampleSolver(checkpoint=checkpoint, samples=6, batch=4)
    first = sampler.solve(instance, Budget(seed=3))
    again = sampler.solve(instance, Budget(seed=3))
    assert first.objective == again.objective
    assert first.objective is not None and greedy.objective is not None
    assert first.objective <= greedy.objective
    assert first.info["samples"] == 6
    assert first.schedule is not None
    assert validate_schedule(instance, first.schedule) == first.objective
    hurried = sampler.solve(instance, Budget(seed=3, time_limit_s=0.0))
    assert hurried.info["samples"] == 0 and hurried.status == "feasible"
    assert hurried.objective == greedy.objective  # only the greedy rollout fits the budget


def test_missing_or_foreign_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"nope\.pt"):
        PPOGNNSolver(checkpoint=tmp_path / "nope.pt")
    other = tmp_path / "other.pt"
    other.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"other\.pt"):
        PPOGNNSampleSolver(checkpoint=other)
