"""Every registered schedgym env: check_env passes and the same seed gives the same episode."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import schedgym  # noqa: F401  (registers every problem's env)
from schedgym.problems import all_problems

ENV_IDS = sorted(problem.env_id for problem in all_problems())


def test_every_problem_env_is_registered() -> None:
    assert "schedgym/JobShop-v0" in ENV_IDS and "schedgym/FleetScheduling-v0" in ENV_IDS
    for env_id in ENV_IDS:
        assert env_id in gym.registry


def _episode(env: gym.Env, seed: int, max_steps: int = 400) -> list[tuple[int, float]]:
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    trace = []
    for _ in range(max_steps):
        action = int(rng.choice(np.flatnonzero(env.unwrapped.action_masks())))
        _, reward, terminated, truncated, _ = env.step(action)
        trace.append((action, float(reward)))
        if terminated or truncated:
            break
    return trace


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_check_env(env_id: str) -> None:
    env = gym.make(env_id)
    check_env(env.unwrapped, skip_render_check=True)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_same_seed_same_episode(env_id: str) -> None:
    assert _episode(gym.make(env_id), seed=7) == _episode(gym.make(env_id), seed=7)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_sampled_actions_never_crash(env_id: str) -> None:
    env = gym.make(env_id)
    env.reset(seed=0)
    for _ in range(200):
        _, _, terminated, truncated, info = env.step(env.action_space.sample())
        if info.get("invalid_action"):
            continue
        if terminated or truncated:
            env.reset()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_human_render_prints_text_without_pygame(
    env_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    env = gym.make(env_id)
    if "human" not in env.metadata["render_modes"]:
        pytest.skip(f"{env_id} has no human render mode")
    env = gym.make(env_id, render_mode="human")
    assert env.render_mode == "human" and "HumanRendering" not in str(env)
    trace = _episode(env, seed=0, max_steps=5000)
    assert trace, "no step taken"
    assert capsys.readouterr().out.strip(), "nothing printed when the episode ended"
    assert env.render() is None
