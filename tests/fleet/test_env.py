"""FleetScheduling-v0: Gymnasium contract, options, determinism, invalid actions, objective."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.registration import register, registry
from gymnasium.utils.env_checker import check_env

from schedgym.fleet.env import FleetSchedulingEnv
from schedgym.fleet.validate import replay_schedule, validate_schedule
from tests.fleet.scripts import small

ENV_ID = "schedgym/FleetScheduling-v0"
if ENV_ID not in registry:  # until schedgym/__init__ registers it
    register(
        id=ENV_ID, entry_point="schedgym.fleet.env:FleetSchedulingEnv", disable_env_checker=True
    )

OPTIONS: dict[str, dict[str, Any]] = {
    "default": {},
    "generated": {"num_vertiports": (3, 5), "num_aircraft": (4, 8)},
    "small": {"scenario": small()},
    "calm": {"scenario": small(), "delays": False, "closures": False, "downtime": False},
    "stormy": {"scenario": small(), "uncertainty": 3.0, "demand_level": 2.0},
}


def _rollout(env: gym.Env, seed: int, action_seed: int, invalid_every: int = 0):  # type: ignore[no-untyped-def]
    env.reset(seed=seed)
    rng = np.random.default_rng(action_seed)
    total, steps, trace = 0.0, 0, []
    while True:
        mask = env.unwrapped.action_masks()  # type: ignore[attr-defined]
        if invalid_every and steps % invalid_every == 0 and (~mask).any():
            action = int(np.flatnonzero(~mask)[0])
        else:
            action = int(rng.choice(np.flatnonzero(mask)))
        obs, reward, terminated, truncated, info = env.step(action)
        trace.append((action, reward, float(obs["node_features"].sum()), info["invalid_action"]))
        total += reward
        steps += 1
        if terminated or truncated:
            return total, info, trace


@pytest.mark.parametrize("option", OPTIONS)
def test_check_env_every_option(option: str) -> None:
    env = gym.make(ENV_ID, **OPTIONS[option])
    check_env(env.unwrapped, skip_render_check=True)
    env.reset(seed=3)
    for _ in range(60):  # sampled, unmasked actions never crash the env
        obs, _, terminated, truncated, info = env.step(env.action_space.sample())
        assert "invalid_action" in info and env.observation_space.contains(obs)
        if terminated or truncated:
            env.reset()


def test_same_seed_same_episode_and_return_is_the_validated_profit() -> None:
    make = lambda: FleetSchedulingEnv(small(), reward_scale=0.01)  # noqa: E731
    env_a, env_b = make(), make()
    total_a, info_a, trace_a = _rollout(env_a, seed=11, action_seed=5, invalid_every=7)
    total_b, _, trace_b = _rollout(env_b, seed=11, action_seed=5, invalid_every=7)
    assert trace_a == trace_b and total_a == total_b
    record = env_a.schedule()
    profit = validate_schedule(env_a.scenario, record)
    assert profit == info_a["profit"] == replay_schedule(env_a.scenario, record)
    invalid = sum(1 for *_, refused in trace_a if refused)
    assert invalid > 0
    assert total_a == pytest.approx(0.01 * profit - invalid, abs=1e-6)
    _, _, trace_c = _rollout(make(), seed=12, action_seed=5)
    assert trace_c != trace_a


def test_auto_reward_scale_is_profit_in_full_flights_per_aircraft() -> None:
    env = FleetSchedulingEnv(small(), reward_scale="auto")
    total, info, _ = _rollout(env, seed=3, action_seed=2)
    unit = env.unwrapped._observer.margin_scale * env.scenario.num_aircraft
    assert total == pytest.approx(info["profit"] / unit, abs=1e-9)
    with pytest.raises(ValueError, match="reward_scale"):
        FleetSchedulingEnv(small(), reward_scale="big")  # type: ignore[arg-type]


def test_invalid_action_refused_with_penalty_and_strict_mode() -> None:
    env = FleetSchedulingEnv(small(), invalid_penalty=2.5)
    env.reset(seed=0)
    mask = env.action_masks()
    before = env.schedule().decisions.copy()
    bad = int(np.flatnonzero(~mask)[0]) if (~mask).any() else env.action_space.n
    for action in (bad, 10**6, -3):
        _, reward, terminated, truncated, info = env.step(action)
        assert info["invalid_action"] and reward == -2.5 and not (terminated or truncated)
    assert (env.schedule().decisions == before).all()
    strict = FleetSchedulingEnv(small(), strict=True)
    strict.reset(seed=0)
    with pytest.raises(ValueError):
        strict.step(10**6)


def test_observation_layout_and_pointer_mapping() -> None:
    env = FleetSchedulingEnv(small(), max_vertiports=6, max_aircraft=10)
    obs, info = env.reset(seed=0)
    ports, fleet = 4, 8
    assert obs["node_features"].shape == (16, 22) and obs["action_mask"].shape == (7,)
    assert obs["num_nodes"][0] == ports + fleet and obs["node_mask"].sum() == ports + fleet
    assert obs["num_edges"][0] == ports * (ports - 1) + fleet
    assert list(obs["action_node"][:ports]) == list(range(ports))
    assert list(obs["action_node"][ports:6]) == [-1, -1]  # padding vertiports
    assert obs["action_node"][6] == ports + info["aircraft"]  # charge -> the deciding aircraft
    assert (obs["action_mask"].astype(bool) == env.action_masks()).all()
    assert not obs["action_mask"][ports:6].any()
    # flying moves the aircraft's edge to its destination
    flights = [d for d in range(ports) if env.action_masks()[d] and d != env.simulator.location]
    aircraft = info["aircraft"]
    obs, *_ = env.step(flights[0])
    edge = ports * (ports - 1) + aircraft
    assert obs["edge_index"][:, edge].tolist() == [ports + aircraft, flights[0]]
    with pytest.raises(ValueError, match="exceeds"):
        env.reset(options={"scenario": "default"})


def test_reset_seed_is_the_solvers_day_and_render_modes() -> None:
    env = FleetSchedulingEnv(small(), render_mode="ansi")
    _, info = env.reset(seed=9)
    assert info["day_seed"] == 9
    _, info2 = env.reset()
    assert info2["day_seed"] != 9
    _rollout(env, seed=2, action_seed=0)
    assert "profit" in str(env.render())
    env = FleetSchedulingEnv(small(), render_mode="rgb_array")
    _rollout(env, seed=2, action_seed=0)
    image = env.render()
    assert isinstance(image, np.ndarray) and image.ndim == 3 and image.dtype == np.uint8
