"""SoCDAG-v0: Gymnasium contract for every option, determinism, invalid actions, objectives."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import schedgym  # noqa: F401
from schedgym.baselines.socdag.listsched import HEFT
from schedgym.core.graph_obs import GRAPH_KEYS
from schedgym.socdag.env import SoCDAGEnv
from schedgym.socdag.generator import layered_instance
from schedgym.socdag.observation import NODE_FEATURES
from schedgym.socdag.ranks import optimistic_cost_table
from schedgym.socdag.validate import static_metrics, stream_metrics, validate_schedule

STREAM = {"mode": "stream", "num_jobs": 4, "arrival_mean": 60.0, "max_in_flight": 3}
OPTIONS = {
    "static-shipped": {"instance": "topcuoglu"},
    "static-ds3": {"instance": "ds3-temporal-mitigation"},
    "static-generated": {"num_tasks": (4, 9), "num_pes": (2, 4)},
    "static-append": {"instance": "topcuoglu", "insertion": False},
    "static-padded": {"instance": "topcuoglu", "max_tasks": 14, "max_pes": 5},
    "stream": STREAM,
    "stream-noise": {**STREAM, "exec_noise": 0.3},
    "stream-one-app": {**STREAM, "apps": ["sc-tx"], "max_in_flight": 2},
    "stream-mix": {**STREAM, "apps": {"wifi-tx": 2.0, "range-detection": 1.0}},
}


def make(name: str, **extra) -> SoCDAGEnv:
    return SoCDAGEnv(**{**OPTIONS[name], **extra})


def rollout(env: gym.Env, seed: int, action_seed: int, invalid_every: int = 0):
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
        assert not truncated
        trace.append((action, reward, float(obs["node_features"].sum())))
        total += reward
        steps += 1
        if terminated:
            return total, info, trace


@pytest.mark.parametrize("name", OPTIONS)
def test_check_env_every_option(name: str) -> None:
    env = make(name)
    check_env(env, skip_render_check=True)
    env.reset(seed=3)
    for _ in range(40):  # sampled, unmasked actions never crash the env
        obs, _, terminated, _, info = env.step(env.action_space.sample())
        assert "invalid_action" in info and env.observation_space.contains(obs)
        if terminated:
            env.reset()


def test_registered_with_gymnasium() -> None:
    if "schedgym/SoCDAG-v0" not in gym.registry:
        pytest.skip("schedgym/SoCDAG-v0 not registered yet (schedgym/__init__.py)")
    env = gym.make("schedgym/SoCDAG-v0", instance="topcuoglu")
    obs, _ = env.reset(seed=0)
    assert set(GRAPH_KEYS) == set(obs)


@pytest.mark.parametrize("name", OPTIONS)
def test_same_seed_same_episode_and_valid_schedule(name: str) -> None:
    env_a, env_b = make(name), make(name)
    total_a, info_a, trace_a = rollout(env_a, seed=11, action_seed=5)
    total_b, _, trace_b = rollout(env_b, seed=11, action_seed=5)
    assert trace_a == trace_b and total_a == total_b
    schedule = env_a.schedule()
    if env_a.mode == "static":
        makespan = validate_schedule(env_a.instance, schedule)
        assert makespan == info_a["makespan"]
        assert total_a == pytest.approx(-makespan)
    else:
        metrics = stream_metrics(env_a.instance, schedule)
        assert info_a["avg_latency"] == pytest.approx(metrics.avg_latency)
        assert total_a == pytest.approx(-sum(metrics.latencies))


def test_different_seeds_differ() -> None:
    env = SoCDAGEnv(num_tasks=(6, 12), num_pes=(2, 4))
    env.reset(seed=1)
    first = env.instance.exec_time.copy()
    env.reset(seed=2)
    assert first.shape != env.instance.exec_time.shape or not np.allclose(
        first, env.instance.exec_time, equal_nan=True
    )
    stream = make("stream")
    stream.reset(seed=1)
    arrivals = stream.simulator.workload.arrival.copy()
    stream.reset(seed=2)
    assert not np.allclose(arrivals, stream.simulator.workload.arrival)


def test_invalid_action_refused_with_penalty_and_strict_mode() -> None:
    env = SoCDAGEnv("ds3-wifi-tx", invalid_penalty=2.5)
    env.reset(seed=0)
    mask = env.action_masks()
    bad = int(np.flatnonzero(~mask)[0])  # an accelerator cannot run the scrambler
    before = env.schedule()
    _, reward, terminated, truncated, info = env.step(bad)
    assert info["invalid_action"] and reward == -2.5 and not terminated and not truncated
    assert env.schedule().tasks == before.tasks
    _, reward, *_ = env.step(10**6)
    assert reward == -2.5
    strict = SoCDAGEnv("ds3-wifi-tx", strict=True)
    strict.reset(seed=0)
    with pytest.raises(ValueError, match="invalid action"):
        strict.step(bad)


def test_return_with_scale_and_final_metrics() -> None:
    env = SoCDAGEnv("topcuoglu", reward_scale=0.01)
    total, info, _ = rollout(env, seed=0, action_seed=1)
    assert total == pytest.approx(-0.01 * info["makespan"])
    metrics = static_metrics(env.instance, env.schedule())
    assert info["slr"] == pytest.approx(metrics.slr) and info["energy"] > 0


def test_auto_reward_scale_divides_by_the_critical_path() -> None:
    env = SoCDAGEnv("topcuoglu", reward_scale="auto")
    total, info, _ = rollout(env, seed=0, action_seed=1)
    assert total == pytest.approx(-info["makespan"] / env.instance.critical_path_min())
    with pytest.raises(ValueError, match="reward_scale"):
        SoCDAGEnv("topcuoglu", reward_scale="big")  # type: ignore[arg-type]


def test_heft_policy_through_env_equals_heft() -> None:
    for source in ("topcuoglu", "rand-12x3-03", "ds3-wifi-rx"):
        env = SoCDAGEnv(source)
        env.reset(seed=0)
        done = False
        while not done:
            sim = env.simulator
            _, finish = sim.estimates(sim.current())
            *_, done, _, info = env.step(int(np.nanargmin(finish)))
        assert info["makespan"] == pytest.approx(HEFT().solve(env.instance).objective)


def test_observation_layout() -> None:
    env = SoCDAGEnv("topcuoglu", max_tasks=12, max_pes=4)
    obs, _ = env.reset(seed=0)
    assert obs["node_features"].shape == (16, len(NODE_FEATURES))
    assert obs["num_nodes"][0] == 13 and obs["node_mask"].sum() == 13
    assert obs["num_edges"][0] == 15 and obs["edge_mask"].sum() == 15  # DAG edges only
    assert list(obs["action_node"]) == [0, 1, 2, -1]
    assert list(obs["action_mask"]) == [1, 1, 1, 0]
    f = obs["node_features"]
    assert (f[:3, NODE_FEATURES.index("is_pe")] == 1).all()
    assert f[3, NODE_FEATURES.index("current")] == 1  # task 0 (highest rank) is placed first
    assert f[3, NODE_FEATURES.index("rank")] == pytest.approx(108 / 41)
    est = f[:3, NODE_FEATURES.index("eft")] * 41
    assert est == pytest.approx([14, 16, 9])
    obs, *_ = env.step(2)
    assert obs["num_edges"][0] == 16  # one assignment edge task 0 -> PE 2
    assert obs["edge_index"][:, 15].tolist() == [3, 2]


def test_oct_feature_is_pefts_table_row_of_the_current_task() -> None:
    """Node feature ``oct`` on PE ``p``: PEFT's optimistic cost table entry of the current
    task on ``p`` over the time scale; 0 where the PE cannot run the task."""
    column = NODE_FEATURES.index("oct")
    rng = np.random.default_rng(2)
    instance = layered_instance(rng, 20, 4, heterogeneity=1.0, unavailable=0.3)
    table = optimistic_cost_table(instance)
    env = SoCDAGEnv(instance)
    obs, _ = env.reset(seed=0)
    scale = instance.critical_path_min()
    done = False
    while not done:
        current = env.simulator.current()
        allowed = instance.allowed[current]
        expected = np.where(allowed, np.where(np.isfinite(table[current]), table[current], 0), 0)
        assert obs["node_features"][:4, column] * scale == pytest.approx(expected)
        obs, _, done, _, _ = env.step(int(np.flatnonzero(allowed)[0]))

    # a stream's table (the observer's source) is its applications' tables, computed once per
    # stream config: the same as the union instance's
    stream = make("stream", max_in_flight=2, num_jobs=6, arrival_mean=20.0)
    stream.reset(seed=3)
    union = optimistic_cost_table(stream.simulator.instance)
    assert np.array_equal(stream.simulator.workload.oct, union)


def test_stream_observation_tracks_jobs_in_flight() -> None:
    env = make("stream", max_in_flight=2, num_jobs=8, arrival_mean=20.0)
    obs, _ = env.reset(seed=4)
    sim = env.simulator
    while True:
        live = int(obs["num_nodes"][0]) - sim.num_pes
        assert sim.in_flight <= 2
        in_flight = [j for j in range(sim.injected) if np.isnan(sim.completion[j])]
        sizes = sum(int(np.diff(sim.workload.job_ptr)[j]) for j in in_flight)
        assert live == sizes
        obs, _, done, _, _ = env.step(int(np.flatnonzero(env.action_masks())[0]))
        if done:
            break
    injection = sim.injection
    assert (injection >= sim.workload.arrival).all()


def test_reset_option_switches_instance_within_padding() -> None:
    env = SoCDAGEnv(num_tasks=12, num_pes=3)
    env.reset(seed=0, options={"instance": "topcuoglu"})
    assert env.instance.name == "topcuoglu"
    with pytest.raises(ValueError, match="exceeds"):
        env.reset(options={"instance": "ds3-wifi-tx"})


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="mode"):
        SoCDAGEnv(mode="batch")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="stream mode only"):
        SoCDAGEnv("topcuoglu", exec_noise=0.1)
    with pytest.raises(ValueError, match="not instance"):
        SoCDAGEnv("topcuoglu", mode="stream")


def test_render_modes() -> None:
    env = SoCDAGEnv("topcuoglu", render_mode="ansi")
    rollout(env, seed=0, action_seed=0)
    text = env.render()
    assert isinstance(text, str) and text.count("\n") == 4
    env = make("stream", render_mode="rgb_array")
    rollout(env, seed=0, action_seed=0)
    image = env.render()
    assert isinstance(image, np.ndarray) and image.ndim == 3 and image.dtype == np.uint8
