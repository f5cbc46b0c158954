"""Route mode's routing features: least-loaded and shortest-queue are one linear map away, and
``wait=False`` never lets the agent hold a request."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from schedgym.core.solver import load_solver
from schedgym.llm.env import LLMServingEnv
from schedgym.llm.generator import ServingGenerator
from schedgym.llm.instance import ServingInstance
from schedgym.llm.observation import NODE_FEATURES


def _instance(seed: int = 3) -> ServingInstance:
    generator = ServingGenerator(num_requests=120, num_replicas=3, rate_per_replica=9.0)
    return generator.sample(np.random.default_rng(seed))


def _greedy_on(feature: str, instance: ServingInstance, wait: bool) -> float:
    env = LLMServingEnv(instance, wait=wait)
    obs, _ = env.reset(seed=0)
    column = NODE_FEATURES.index(feature)
    nrep = instance.num_replicas
    done = False
    info: dict[str, object] = {}
    while not done:
        legal = obs["action_mask"][:nrep].astype(bool)
        if not wait:
            assert not obs["action_mask"][env.max_replicas]
        values = np.where(legal, obs["node_features"][:nrep, column], np.inf)
        obs, _, done, _, info = env.step(int(np.argmin(values)))
    return float(info["slo_attainment"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("feature", "solver"),
    [("load", "least-loaded"), ("outstanding", "shortest-queue"), ("load_kv", "least-loaded-kv")],
)
def test_argmin_feature_is_the_router(feature: str, solver: str) -> None:
    instance = _instance()
    expected = load_solver("llm", solver).solve(instance).objective
    assert _greedy_on(feature, instance, wait=False) == pytest.approx(expected)
    assert _greedy_on(feature, instance, wait=True) == pytest.approx(expected)


def test_wait_false_masks_waiting() -> None:
    env = LLMServingEnv(_instance(), wait=False)
    env.reset(seed=0)
    assert not env.action_masks()[env.max_replicas]
    _, reward, _, _, info = env.step(env.max_replicas)
    assert info["invalid_action"] and reward == -1.0


@pytest.mark.parametrize(
    ("flag", "solver"),
    [
        ("least_loaded", "least-loaded"),
        ("shortest_queue", "shortest-queue"),
        ("least_loaded_kv", "least-loaded-kv"),
    ],
)
def test_choice_flags_are_the_router(flag: str, solver: str) -> None:
    instance = _instance(5)
    expected = load_solver("llm", solver).solve(instance).objective
    env = LLMServingEnv(instance, wait=False)
    obs, _ = env.reset(seed=0)
    column = NODE_FEATURES.index(flag)
    done = False
    info: dict[str, object] = {}
    while not done:
        flags = obs["node_features"][: instance.num_replicas, column]
        assert flags.sum() == 1.0
        obs, _, done, _, info = env.step(int(np.argmax(flags)))
    assert info["slo_attainment"] == pytest.approx(expected)


def test_llm_graph_agent_solvers(tmp_path: Path) -> None:
    """``llm.ppo-gnn`` and ``llm.ppo-gnn-sample`` route through the env with wait=False and
    return validated schedules (a fresh, untrained policy)."""
    from schedgym.agents.checkpoint import atomic_save, make_payload
    from schedgym.agents.policy import build_policy
    from schedgym.core.solver import Budget
    from schedgym.llm.validate import validate_schedule

    instance = ServingGenerator(num_requests=40, num_replicas=2, rate_per_replica=6.0).sample(
        np.random.default_rng(1)
    )
    env = LLMServingEnv(instance, wait=False)
    arch = {"hidden": 16, "head_hidden": 16, "layers": 2, "skip": 1}
    policy = build_policy(env.observation_space, env.action_space, arch)
    path = atomic_save(make_payload(policy), tmp_path / "llm.pt")
    objectives = {}
    for name in ("ppo-gnn", "ppo-gnn-sample"):
        options: dict[str, object] = {"checkpoint": path}
        if name == "ppo-gnn-sample":
            options["samples"] = 4
        result = load_solver("llm", name, **options).solve(instance, Budget(seed=0))
        assert result.schedule is not None and result.objective is not None
        assert validate_schedule(instance, result.schedule).slo_attainment == result.objective
        objectives[name] = result.objective
    assert objectives["ppo-gnn-sample"] >= objectives["ppo-gnn"]
