"""JobShop-v0: Gymnasium contract, options, determinism, invalid actions, objective."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import schedgym  # noqa: F401  (registers the envs)
from schedgym.jobshop.env import JobShopEnv
from schedgym.jobshop.validate import validate_schedule

DYNAMICS = {
    "static": {},
    "noise": {"duration_noise": 0.3},
    "breakdowns": {"mtbf": 40.0, "mttr": 8.0},
    "arrivals": {"arrival_mean": 15.0},
    "blocking": {"blocking": True},
    "blocking-noswap": {"blocking": True, "swaps": False},
    "all": {
        "duration_noise": 0.2,
        "mtbf": 60.0,
        "mttr": 10.0,
        "arrival_mean": 10.0,
        "blocking": True,
    },
}
SOURCES = {"ft06": {"instance": "ft06"}, "generated": {"num_jobs": (3, 6), "num_machines": (2, 5)}}


def _rollout(env: gym.Env, seed: int, action_seed: int, invalid_every: int = 0):
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(action_seed)
    total, steps, trace = 0.0, 0, []
    while True:
        mask = env.unwrapped.action_masks()
        if invalid_every and steps % invalid_every == 0 and (~mask).any():
            action = int(np.flatnonzero(~mask)[0])
        else:
            action = int(rng.choice(np.flatnonzero(mask)))
        obs, reward, terminated, truncated, info = env.step(action)
        assert env.observation_space.contains(obs)
        trace.append((action, reward, obs["node_features"].sum()))
        total += reward
        steps += 1
        if terminated or truncated:
            return total, info, trace


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("dynamics", DYNAMICS)
def test_check_env_every_option(source: str, dynamics: str) -> None:
    env = gym.make("schedgym/JobShop-v0", **SOURCES[source], **DYNAMICS[dynamics])
    check_env(env.unwrapped, skip_render_check=True)
    # sampled, unmasked actions never crash the env
    env.reset(seed=3)
    for _ in range(60):
        _, _, terminated, truncated, info = env.step(env.action_space.sample())
        assert "invalid_action" in info
        if terminated or truncated:
            env.reset()


@pytest.mark.parametrize("dynamics", DYNAMICS)
def test_same_seed_same_episode_and_valid_schedule(dynamics: str) -> None:
    def make():
        return gym.make(
            "schedgym/JobShop-v0", num_jobs=(4, 6), num_machines=(3, 5), **DYNAMICS[dynamics]
        )

    env_a, env_b = make(), make()
    total_a, info_a, trace_a = _rollout(env_a, seed=11, action_seed=5)
    total_b, _info_b, trace_b = _rollout(env_b, seed=11, action_seed=5)
    assert trace_a == trace_b and total_a == total_b
    if info_a.get("deadlock"):
        assert dynamics == "blocking-noswap"
        return
    unwrapped = env_a.unwrapped
    assert isinstance(unwrapped, JobShopEnv)
    makespan = validate_schedule(unwrapped.instance, unwrapped.schedule())
    assert makespan == info_a["makespan"]
    assert total_a == pytest.approx(-makespan)


def test_different_seeds_give_different_instances() -> None:
    env = JobShopEnv(num_jobs=(5, 8), num_machines=(4, 6))
    env.reset(seed=1)
    first = env.instance.durations.copy()
    env.reset(seed=2)
    assert first.shape != env.instance.durations.shape or (first != env.instance.durations).any()


def test_invalid_action_refused_with_penalty_and_strict_mode() -> None:
    env = JobShopEnv("ft06", invalid_penalty=2.5)
    _obs, _ = env.reset(seed=0)
    env.step(int(np.flatnonzero(env.action_masks())[0]))
    mask = env.action_masks()
    bad = int(np.flatnonzero(~mask)[0])
    before = env.schedule()
    _obs2, reward, terminated, truncated, info = env.step(bad)
    assert info["invalid_action"] and reward == -2.5 and not terminated and not truncated
    assert env.schedule().operations == before.operations
    _obs3, reward, *_ = env.step(10**6)
    assert reward == -2.5
    strict = JobShopEnv("ft06", strict=True)
    strict.reset(seed=0)
    strict.step(int(np.flatnonzero(strict.action_masks())[0]))
    with pytest.raises(ValueError):
        strict.step(int(np.flatnonzero(~strict.action_masks())[0]))


def test_return_is_minus_makespan_with_scale() -> None:
    env = JobShopEnv("ft06", reward_scale=0.01)
    total, info, _ = _rollout(env, seed=0, action_seed=1)
    assert total == pytest.approx(-0.01 * info["makespan"])


def test_auto_reward_scale_divides_by_the_lower_bound() -> None:
    env = JobShopEnv("ft06", reward_scale="auto")
    total, info, _ = _rollout(env, seed=0, action_seed=1)
    bound = env.simulator.instance.lower_bound()
    assert total == pytest.approx(-info["makespan"] / bound)
    with pytest.raises(ValueError, match="reward_scale"):
        JobShopEnv("ft06", reward_scale="big")  # type: ignore[arg-type]


def test_observation_layout() -> None:
    env = JobShopEnv("ft06", max_jobs=8, max_machines=7)
    obs, _ = env.reset(seed=0)
    assert obs["node_features"].shape == (56, 11)
    assert obs["num_nodes"][0] == 36 and obs["node_mask"].sum() == 36
    assert obs["num_edges"][0] == 30 and obs["edge_mask"].sum() == 30  # route edges
    assert (obs["action_mask"][:6].astype(bool) == env.action_masks()[:6]).all()
    assert (obs["action_mask"][6:] == 0).all()
    assert list(obs["action_node"][:6]) == [0, 6, 12, 18, 24, 30]
    env.step(int(np.flatnonzero(env.action_masks())[0]))
    env.step(int(np.flatnonzero(env.action_masks())[0]))
    obs, *_ = env.step(int(np.flatnonzero(env.action_masks())[0]))
    assert obs["num_edges"][0] >= 30


def test_reset_option_switches_instance_within_padding() -> None:
    env = JobShopEnv(num_jobs=10, num_machines=10)
    env.reset(seed=0, options={"instance": "ft06"})
    assert env.instance.name == "ft06"
    with pytest.raises(ValueError, match="exceeds"):
        env.reset(options={"instance": "ta01"})


def test_render_modes() -> None:
    env = JobShopEnv("ft06", render_mode="ansi")
    _rollout(env, seed=0, action_seed=0)
    text = env.render()
    assert isinstance(text, str) and text.count("\n") >= 5
    env = JobShopEnv("ft06", render_mode="rgb_array")
    _rollout(env, seed=0, action_seed=0)
    image = env.render()
    assert isinstance(image, np.ndarray) and image.ndim == 3 and image.dtype == np.uint8


def test_blocking_holds_machine_until_next_operation_starts() -> None:
    env = JobShopEnv("ft06", blocking=True)
    _rollout(env, seed=0, action_seed=2)
    schedule = env.schedule()
    ops = {(o.job, o.index): o for o in schedule.operations}
    for (job, index), op in ops.items():
        if (job, index + 1) not in ops:
            continue
        leave = ops[(job, index + 1)].start
        for other in schedule.operations:
            if other.machine == op.machine and other.job != job:
                assert other.start >= leave or other.end <= op.start


def test_breakdowns_interrupt_and_resume() -> None:
    env = JobShopEnv("ft06", mtbf=15.0, mttr=5.0)
    _rollout(env, seed=4, action_seed=0)
    schedule = env.schedule()
    assert schedule.conditions.downtimes
    stretched = [
        o for o in schedule.operations if o.end - o.start > env.instance.durations[o.job, o.index]
    ]
    assert stretched, "some operation should have been interrupted by a breakdown"
    validate_schedule(env.instance, schedule)
