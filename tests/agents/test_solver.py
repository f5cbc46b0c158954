"""The trained agent as a solver: valid schedules, seeded sampling, safe checkpoint loading."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from schedgym.agents.checkpoint import CheckpointError, atomic_save, make_payload
from schedgym.agents.solver import PPOGNNSampleSolver, PPOGNNSolver
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


def test_sampling_solver_spends_its_budget(checkpoint: Path) -> None:
    instance = load_instance("ft06")
    sampler = PPOGNNSampleSolver(checkpoint=checkpoint, batch=8)
    sampler.solve(instance, Budget(seed=0, time_limit_s=0.0))  # warm-up: compiled kernels
    result = sampler.solve(instance, Budget(seed=0, time_limit_s=2.0))
    assert result.wall_time_s >= 1.0, result.wall_time_s  # keeps sampling until the budget is spent
    assert result.info["samples"] > 8  # more than its first batch (how many more depends on load)
    assert validate_schedule(instance, result.schedule) == result.objective
    unbounded = sampler.solve(instance, Budget(seed=0))
    assert unbounded.info["samples"] == PPOGNNSampleSolver.UNBOUNDED_SAMPLES


def test_missing_or_foreign_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"nope\.pt"):
        PPOGNNSolver(checkpoint=tmp_path / "nope.pt")
    other = tmp_path / "other.pt"
    other.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"other\.pt"):
        PPOGNNSampleSolver(checkpoint=other)


SHAPES = {  # a small env of each problem, for a checkpoint with that problem's feature sizes
    "socdag": ("schedgym/SoCDAG-v0", {"num_tasks": 10, "num_pes": 3}, "rand-12x3-01"),
    "memory": ("schedgym/MemoryMapping-v0", {"num_buffers": 20}, "assign-01"),
    "fleet": ("schedgym/FleetScheduling-v0", {"num_vertiports": 4, "num_aircraft": 8}, None),  # toy
}


@pytest.mark.parametrize("problem", sorted(SHAPES))
def test_every_problem_has_graph_agent_solvers(
    problem: str, tmp_path: Path, new_policy: Callable[..., Any]
) -> None:
    import gymnasium as gym

    from schedgym.core.run import run_one
    from schedgym.core.solver import load_solver
    from schedgym.problems import get_problem

    env_id, size, name = SHAPES[problem]
    policy = new_policy(gym.make(env_id, **size), hidden=16, head_hidden=16, skip=1)
    path = atomic_save(make_payload(policy), tmp_path / f"{problem}.pt")
    descriptor = get_problem(problem)
    if name is None:
        from schedgym.fleet.generator import toy_scenario

        name, instance = "toy", toy_scenario()
    else:
        instance = descriptor.load(name)
    objectives = {}
    # the fleet's ppo-gnn is the epoch-level agent (tests/agents/test_fleet_epoch.py); its
    # generic graph-pointer agent is registered as ppo-gnn-step
    greedy = "ppo-gnn-step" if problem == "fleet" else "ppo-gnn"
    for solver_name in (greedy, f"{greedy}-sample"):
        options = {"checkpoint": path} | ({"samples": 4} if "sample" in solver_name else {})
        solver = load_solver(problem, solver_name, **options)
        record = run_one(descriptor, name, instance, solver_name, solver, Budget(seed=1))
        assert record.status == "feasible" and record.objective is not None, record.message
        objectives[solver_name] = record.objective
    better = min if descriptor.direction == "min" else max
    assert better(objectives.values()) == objectives[f"{greedy}-sample"]
    with pytest.raises(CheckpointError, match=r"missing\.pt"):
        load_solver(problem, greedy, checkpoint=tmp_path / "missing.pt")


def test_cached_encoding_chooser_refresh_one_is_the_plain_policy(checkpoint: Path) -> None:
    """refresh_every=1 re-encodes every state: the same logits and episodes as policy_chooser;
    a larger refresh runs the GNN less often and still gives valid, seeded schedules."""
    import torch

    from schedgym.agents.graph_batch import obs_to_tensors, stack_observations
    from schedgym.agents.rollout import CachedEncodingChooser, policy_chooser, run_episodes

    solver = PPOGNNSolver(checkpoint=checkpoint)
    policy = solver.policy
    instance = taillard_instance(8, 6, seed=2)
    env = solver._env(instance)
    obs, _ = env.reset(seed=0)
    for action in (0, 1, 2):  # a state with some operations scheduled
        obs, *_ = env.step(int(np.flatnonzero(env.action_masks())[action % 2]))
    tensors = obs_to_tensors(stack_observations([obs]))
    with torch.no_grad():
        direct = policy.action_logits(tensors)
        split = policy.logits_from_encoding(tensors, *policy.node_encoding(tensors))
    assert torch.allclose(direct, split, atol=1e-5)
    envs = [solver._env(instance) for _ in range(3)]
    resets = [{"seed": 0}] * 3
    plain = run_episodes(envs, policy_chooser(policy), resets)
    cached = run_episodes(envs, CachedEncodingChooser(policy, 1), resets)
    assert plain.actions == cached.actions
    encoded = {"rows": 0}  # states the GNN encodes
    original = policy.node_encoding

    def counting(obs: Any) -> Any:
        encoded["rows"] += int(obs["node_mask"].shape[0])
        return original(obs)

    policy.node_encoding = counting  # type: ignore[method-assign]
    try:
        seeded = [
            run_episodes(
                envs,
                CachedEncodingChooser(policy, 4, True, torch.Generator().manual_seed(5)),
                resets,
            )
            for _ in range(2)
        ]
    finally:
        del policy.node_encoding
    assert seeded[0].actions == seeded[1].actions  # same seed, same episodes
    at_most = sum(-(-len(a) // 4) for a in seeded[0].actions)  # one pass per 4 decisions
    assert 2 * 3 <= encoded["rows"] <= 2 * at_most
    for env_done, value in zip(envs, seeded[1].objectives, strict=True):
        schedule = env_done.schedule(solver="t")  # type: ignore[attr-defined]
        assert validate_schedule(instance, schedule) == value
    with pytest.raises(ValueError, match="refresh_every"):
        CachedEncodingChooser(policy, 0)
    with pytest.raises(ValueError, match="refresh_every"):
        PPOGNNSampleSolver(checkpoint=checkpoint, refresh_every=0)
