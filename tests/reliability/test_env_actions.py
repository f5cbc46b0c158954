"""Actions given to the four envs: one checked conversion (``schedgym.core.actions``), clear
errors for anything that is not an integer action, and observations that stay inside their
space under random seeds and random (masked or unmasked) actions."""

from __future__ import annotations

import math
import os
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schedgym  # noqa: F401  (registers the envs)
from schedgym.core.actions import as_action
from schedgym.problems import get_problem

ENV_IDS = [get_problem(name).env_id for name in ("jobshop", "socdag", "memory", "fleet")]
EXPECTED = r"expected an integer action in \[0, \d+\)"


@pytest.mark.parametrize(
    ("action", "value"),
    [
        (3, 3),
        (np.int64(3), 3),
        (np.int8(3), 3),
        (np.uint16(3), 3),
        (np.array(3), 3),
        (3.0, 3),
        (np.float32(3.0), 3),
        (np.array(3.0), 3),
        (-1, -1),  # out of range: the env refuses it as an invalid action
        (2**70, 2**70),
        (1e30, int(1e30)),
    ],
)
def test_integer_actions_are_accepted_exactly(action: Any, value: int) -> None:
    converted = as_action(action, 5)
    assert converted == value and type(converted) is int


@pytest.mark.parametrize(
    ("action", "error"),
    [
        (None, TypeError),
        ("x", TypeError),
        ("1", TypeError),
        (b"1", TypeError),
        (True, TypeError),
        (np.bool_(False), TypeError),
        (np.array([0, 1]), TypeError),
        (np.array([3]), TypeError),
        ([1], TypeError),
        (1 + 0j, TypeError),
        (object(), TypeError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        (-math.inf, ValueError),
        (1.7, ValueError),
        (np.float64(0.5), ValueError),
        (np.array(2.5), ValueError),
    ],
)
def test_other_actions_are_refused_naming_the_action_type(action: Any, error: type) -> None:
    with pytest.raises(error, match=EXPECTED):
        as_action(action, 5)


def _first_legal(env: gym.Env) -> int:
    return int(np.flatnonzero(env.unwrapped.action_masks())[0])  # type: ignore[attr-defined]


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_env_step_refuses_non_integer_actions(env_id: str) -> None:
    env = gym.make(env_id)
    env.reset(seed=3)
    n = int(env.action_space.n)  # type: ignore[attr-defined]
    for bad in (math.nan, None, "x", np.array([0, 1]), 1.7, np.float32(0.25)):
        with pytest.raises(
            (TypeError, ValueError), match=rf"expected an integer action in \[0, {n}\)"
        ):
            env.step(bad)
    # nothing happened: the same episode goes on as if the refused calls had not been made
    twin = gym.make(env_id)
    twin.reset(seed=3)
    action = _first_legal(env)
    obs, reward, *_ = env.step(float(action))  # an integral float is the integer action
    twin_obs, twin_reward, *_ = twin.step(np.array(action))
    assert reward == twin_reward
    for key in obs:
        np.testing.assert_array_equal(obs[key], twin_obs[key])


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_env_out_of_range_integers_are_invalid_actions(env_id: str) -> None:
    env = gym.make(env_id)
    env.reset(seed=0)
    n = int(env.action_space.n)  # type: ignore[attr-defined]
    penalty = float(env.unwrapped.invalid_penalty)  # type: ignore[attr-defined]
    for bad in (-1, n, n + 5, 2**70, float(n)):
        obs, reward, terminated, truncated, info = env.step(bad)
        assert info["invalid_action"] is True and reward == -penalty
        assert not terminated and not truncated
        assert env.observation_space.contains(obs)


SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Each action is passed in one of these forms (all mean the same integer).
FORMS = (int, np.int64, np.int32, float, np.array)


@pytest.mark.parametrize("env_id", ENV_IDS)
@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), masked=st.booleans(), steps=st.integers(1, 60))
def test_random_actions_keep_observations_in_their_space(
    env_id: str, seed: int, masked: bool, steps: int
) -> None:
    env = gym.make(env_id)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    assert env.observation_space.contains(obs)
    n = int(env.action_space.n)  # type: ignore[attr-defined]
    for _ in range(steps):
        legal = np.flatnonzero(env.unwrapped.action_masks())  # type: ignore[attr-defined]
        pick = masked and len(legal) > 0
        action = int(rng.choice(legal)) if pick else int(rng.integers(-1, n + 1))
        form = FORMS[int(rng.integers(len(FORMS)))]
        obs, reward, terminated, truncated, info = env.step(form(action))
        assert env.observation_space.contains(obs), f"{env_id} seed {seed}: {info}"
        assert math.isfinite(float(reward))
        if pick:
            assert info["invalid_action"] is False
        if terminated or truncated:
            obs, _ = env.reset(seed=int(rng.integers(2**31)))
            assert env.observation_space.contains(obs)
