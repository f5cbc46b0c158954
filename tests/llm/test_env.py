"""LLMServing-v0: the Gymnasium contract, determinism, masks and invalid actions, and that the
episode's return is the validated SLO attainment of the recorded schedule."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import schedgym  # noqa: F401  (registers the envs)
from schedgym.baselines.llm.solvers import RoundRobinVLLM
from schedgym.llm.env import LLMServingEnv
from schedgym.llm.generator import ServingGenerator
from schedgym.llm.instance import ServingInstance
from schedgym.llm.observation import GLOBAL_FEATURES, NODE_FEATURES
from schedgym.llm.validate import validate_schedule


@pytest.fixture(scope="module")
def instance() -> ServingInstance:
    gen = ServingGenerator(num_requests=80, num_replicas=3, rate_per_replica=10.0)
    return gen.sample(np.random.default_rng(3))


def _episode(env: LLMServingEnv, seed: int) -> tuple[list[tuple[int, float]], dict]:
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    trace = []
    while True:
        assert env.observation_space.contains(obs)
        assert np.array_equal(obs["action_mask"].astype(bool), env.action_masks())
        action = int(rng.choice(np.flatnonzero(env.action_masks())))
        obs, reward, terminated, truncated, info = env.step(action)
        trace.append((action, reward))
        assert not truncated and not info["invalid_action"]
        if terminated:
            return trace, info


def test_check_env_and_registration() -> None:
    env = gym.make("schedgym/LLMServing-v0")
    check_env(env.unwrapped, skip_render_check=True)
    obs, _ = env.reset(seed=0)
    assert obs["node_features"].shape[1] == len(NODE_FEATURES)
    assert obs["global_features"].shape == (len(GLOBAL_FEATURES),)


def test_same_seed_same_episode_and_return_is_the_validated_attainment() -> None:
    first, info = _episode(LLMServingEnv(), seed=5)
    second, _ = _episode(LLMServingEnv(), seed=5)
    assert first == second
    env = LLMServingEnv()
    trace, info = _episode(env, seed=5)
    metrics = validate_schedule(env.instance, env.schedule())
    assert info["slo_attainment"] == metrics.slo_attainment == info["objective"]
    assert sum(r for _, r in trace) == pytest.approx(metrics.slo_attainment, abs=1e-12)
    waits = sum(a == env.max_replicas for a, _ in trace)
    assert waits > 0 and len(trace) == env.instance.num_requests + waits


def test_round_robin_in_the_env_matches_the_solver(instance: ServingInstance) -> None:
    env = LLMServingEnv(instance)
    obs, _ = env.reset(seed=0)
    k, terminated = 0, False
    info: dict[str, object] = {}
    while not terminated:
        assert obs["action_node"][k % instance.num_replicas] == k % instance.num_replicas
        obs, _, terminated, _, info = env.step(k % instance.num_replicas)
        k += 1
    solved = RoundRobinVLLM().solve(instance)
    assert info["slo_attainment"] == solved.objective
    assert np.array_equal(env.schedule().step_end, solved.schedule.step_end)


def test_invalid_actions_are_refused(instance: ServingInstance) -> None:
    env = LLMServingEnv(instance, max_replicas=5, invalid_penalty=0.5)
    obs, _ = env.reset(seed=0)
    mask = env.action_masks()
    assert mask[:3].all() and not mask[3:5].any()  # padding replicas are masked
    for bad in (3, 4, 99, -1):
        again, reward, terminated, _, info = env.step(bad)
        assert info["invalid_action"] and reward == -0.5 and not terminated
        assert all(np.array_equal(again[key], obs[key]) for key in obs)
    strict = LLMServingEnv(instance, max_replicas=5, strict=True)
    strict.reset(seed=0)
    with pytest.raises(ValueError, match="invalid action"):
        strict.step(4)


def test_sampled_unmasked_actions_never_crash() -> None:
    env = LLMServingEnv(num_requests=30, num_replicas=2)
    env.reset(seed=1)
    episodes = 0
    for _ in range(600):
        _, _, terminated, _, _ = env.step(env.action_space.sample())
        if terminated:
            episodes += 1
            env.reset()
    assert episodes >= 1


def test_waiting_everything_until_the_end_is_masked(instance: ServingInstance) -> None:
    env = LLMServingEnv(instance)
    env.reset(seed=0)
    wait = env.max_replicas
    steps = 0
    while env.action_masks()[wait]:  # wait while it is legal: requests pile up
        env.step(wait)
        steps += 1
    assert steps >= instance.num_requests  # every arrival was deferred at least once
    terminated = False
    while not terminated:
        _, _, terminated, _, info = env.step(0)
    assert validate_schedule(instance, env.schedule()).slo_attainment == info["slo_attainment"]


def test_renders(instance: ServingInstance) -> None:
    env = LLMServingEnv(instance, render_mode="ansi")
    env.reset(seed=0)
    for _ in range(20):
        env.step(int(np.flatnonzero(env.action_masks())[0]))
    text = env.render()
    assert isinstance(text, str) and "replica 0" in text
    env = LLMServingEnv(instance, render_mode="rgb_array")
    env.reset(seed=0)
    for _ in range(20):
        env.step(0)
    image = env.render()
    assert isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 3


def test_batch_mode_check_env_masks_and_validated_return() -> None:
    from schedgym.llm.env import PREFILL_BUDGETS

    env = gym.make("schedgym/LLMServing-v0", mode="batch")
    check_env(env.unwrapped, skip_render_check=True)
    batch = LLMServingEnv(mode="batch")
    assert batch.action_space == gym.spaces.Discrete(len(PREFILL_BUDGETS))
    trace, info = _episode(batch, seed=4)
    metrics = validate_schedule(batch.instance, batch.schedule())
    assert info["slo_attainment"] == metrics.slo_attainment
    assert sum(r for _, r in trace) == pytest.approx(metrics.slo_attainment, abs=1e-12)
    assert _episode(LLMServingEnv(mode="batch"), seed=4)[0] == trace
    obs, _ = batch.reset(seed=1)
    assert not obs["action_mask"][0]  # nothing decodes yet: decode-only is illegal
    assert (obs["action_node"] == obs["action_node"][0]).all() and obs["action_node"][0] >= 0


def test_batch_mode_with_budget_512_is_the_sarathi_solver(instance: ServingInstance) -> None:
    from schedgym.baselines.llm.solvers import SarathiLeastLoaded
    from schedgym.llm.env import PREFILL_BUDGETS

    env = LLMServingEnv(instance, mode="batch")
    env.reset(seed=0)
    terminated, steps = False, 0
    while not terminated:
        _, _, terminated, _, _ = env.step(PREFILL_BUDGETS.index(512))
        steps += 1
    ours = env.schedule()
    ref = SarathiLeastLoaded().solve(instance).schedule
    assert steps > instance.num_requests // 2
    assert np.array_equal(ours.step_end, ref.step_end)
    assert np.array_equal(ours.member_request, ref.member_request)
    assert np.array_equal(ours.request_replica, ref.request_replica)


def test_batch_mode_decode_only_lasts_one_iteration(instance: ServingInstance) -> None:
    env = LLMServingEnv(instance, mode="batch")
    env.reset(seed=0)
    terminated = False
    while not terminated:  # decode only whenever legal: prompts still progress (budget 128)
        action = 0 if env.action_masks()[0] else 1
        _, _, terminated, _, _ = env.step(action)
    s = env.schedule()
    assert validate_schedule(instance, s).slo_attainment >= 0.0
