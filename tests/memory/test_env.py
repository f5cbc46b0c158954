"""MemoryMapping-v0: Gymnasium contract, determinism, invalid actions, objective = validator's."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import schedgym  # noqa: F401  (registers the envs that are registered)
from schedgym.memory.env import MemoryMappingEnv
from schedgym.memory.generator import AssignGenerator, PackGenerator
from schedgym.memory.instance import Buffer, MemoryInstance
from schedgym.memory.observation import NODE_FEATURES
from schedgym.memory.validate import validate_mapping

OPTIONS = {
    "pack": {},
    "assign": {"variant": "assign"},
    "shipped-pack": {"instance": "pack-00"},
    "shipped-assign": {"instance": "assign-03"},
    "size-order": {"order": "size", "variant": "assign"},
    "few-candidates": {"max_candidates": 2, "max_degree": 2},
}
TOY = MemoryInstance.from_buffers(
    "toy",
    [Buffer(0, 0, 4, 4), Buffer(1, 2, 6, 2), Buffer(2, 4, 8, 4), Buffer(3, 0, 8, 2)],
    8,
)


def _rollout(env: MemoryMappingEnv, seed: int, action_seed: int) -> tuple[float, dict, list]:
    env.reset(seed=seed)
    rng = np.random.default_rng(action_seed)
    total, trace = 0.0, []
    while True:
        action = int(rng.choice(np.flatnonzero(env.action_masks())))
        obs, reward, terminated, truncated, info = env.step(action)
        trace.append((action, reward, float(obs["node_features"].sum())))
        total += reward
        assert not truncated
        if terminated:
            return total, info, trace


def _make(name: str) -> MemoryMappingEnv:
    return MemoryMappingEnv(**OPTIONS[name])


@pytest.mark.parametrize("name", OPTIONS)
def test_check_env_and_sampled_actions(name: str) -> None:
    env = _make(name)
    check_env(env, skip_render_check=True)
    env.reset(seed=3)
    for _ in range(100):
        obs, _, terminated, truncated, info = env.step(env.action_space.sample())
        assert "invalid_action" in info and env.observation_space.contains(obs)
        if terminated or truncated:
            env.reset()


@pytest.mark.parametrize("name", OPTIONS)
def test_same_seed_same_episode_and_objective_equals_validator(name: str) -> None:
    total_a, _info_a, trace_a = _rollout(_make(name), seed=11, action_seed=5)
    env = _make(name)
    total_b, info_b, trace_b = _rollout(env, seed=11, action_seed=5)
    assert trace_a == trace_b and total_a == total_b
    report = validate_mapping(env.instance, env.mapping())
    assert info_b["objective"] == report.objective  # bit for bit
    assert info_b["peak"] == report.peak and info_b["fits"] == report.fits
    assert info_b["modelled_time"] == report.modelled_time
    assert total_b == pytest.approx(-report.objective * env._scale)


def test_unscaled_return_is_minus_objective() -> None:
    for variant in ("pack", "assign"):
        env = MemoryMappingEnv(variant=variant, reward_scale=1.0)
        total, info, _ = _rollout(env, seed=2, action_seed=2)
        assert total == pytest.approx(-info["objective"])
        assert info["relative_time"] == pytest.approx(info["modelled_time"] / env._all_slow)


def test_invalid_action_refused_with_penalty_and_strict_mode() -> None:
    env = MemoryMappingEnv(TOY, invalid_penalty=2.5)
    env.reset(seed=0)
    mask = env.action_masks()
    assert not mask[-1]  # pack: no slow memory
    before = env.state.offsets.copy()
    _, reward, terminated, _, info = env.step(len(mask) - 1)
    assert info["invalid_action"] and reward == -2.5 and not terminated
    assert (env.state.offsets == before).all()
    assert env.step(10**6)[1] == -2.5
    strict = MemoryMappingEnv(TOY, strict=True)
    strict.reset(seed=0)
    with pytest.raises(ValueError):
        strict.step(len(mask) - 1)


def test_observation_layout_and_action_nodes() -> None:
    env = MemoryMappingEnv(TOY, max_buffers=6, max_candidates=4)
    obs, _ = env.reset(seed=0)
    cur, cand = NODE_FEATURES.index("current"), NODE_FEATURES.index("candidate")
    assert obs["node_features"].shape == (6, len(NODE_FEATURES))
    assert obs["num_nodes"][0] == 4 and obs["node_mask"].sum() == 4
    # live-range order: b3 [0, 8) first (longest), then b0, b1, b2
    assert obs["node_features"][3, cur] == 1 and list(obs["action_mask"]) == [1, 0, 0, 0, 0]
    assert obs["action_node"][0] == 3  # offset 0 points at the current buffer
    assert obs["num_edges"][0] == obs["edge_mask"].sum() == 5  # every overlapping pair
    obs, *_ = env.step(0)  # b3 at 0 -> [0, 2)
    obs, *_ = env.step(0)  # b0 on top of b3 -> [2, 6)
    assert list(env.state.offsets) == [2, -2, -2, 0]
    obs, *_ = env.step(0)  # b1 on top of b0 -> [6, 8)
    # b2 [4, 8) sees b3 [0, 2) and b1 [6, 8): gaps [2, 6) (on b3) and [8, inf) (on b1)
    assert list(env._offsets) == [2, 8] and list(obs["action_node"][:2]) == [3, 1]
    assert obs["node_features"][3, cand] == 1 and obs["node_features"][1, cand] == 1
    assert obs["node_features"][0, cand] == 0
    _, _, terminated, _, info = env.step(0)
    assert terminated and info["peak"] == 8 and info["fits"]


def test_candidate_truncation_keeps_lowest_and_best_fit() -> None:
    env = MemoryMappingEnv(generator=PackGenerator((30, 40)), max_candidates=3)
    rng = np.random.default_rng(0)
    checked = 0
    for seed in range(4):
        env.reset(seed=seed)
        while env._pos < env.instance.num_buffers:
            state, i = env.state, env._current
            gaps = state.candidates(i)
            if len(gaps.start) > 3:
                best = int(gaps.start[int(np.argmin(state.slack(i, gaps)))])
                assert list(env._offsets[:2]) == list(gaps.start[:2])
                assert best in env._offsets and len(env._offsets) == 3
                checked += 1
            env.step(int(rng.choice(np.flatnonzero(env.action_masks()))))
    assert checked > 0


def test_assign_slow_action_and_capacity() -> None:
    env = MemoryMappingEnv(generator=AssignGenerator(30), variant="assign")
    env.reset(seed=4)
    while True:
        mask = env.action_masks()
        assert mask[-1]  # slow memory is always legal in assign
        _, _, terminated, _, info = env.step(len(mask) - 1)
        if terminated:
            break
    assert info["peak"] == 0 and info["relative_time"] == pytest.approx(1.0)
    env.reset(seed=4)
    _, info, _ = _rollout(env, seed=4, action_seed=0)
    assert info["peak"] <= env.instance.capacity


def test_benefit_order_with_best_fit_or_slow_equals_xla_greedy() -> None:
    from schedgym.baselines.memory.heuristics import XlaGreedy
    from schedgym.memory.cost import CostModel

    for name in ("assign-01", "assign-05"):
        env = MemoryMappingEnv(name, order="benefit")
        env.reset(seed=0)
        benefit = CostModel(env.instance).isolated_benefit()
        terminated = False
        while not terminated:
            state, i, mask = env.state, env._current, env.action_masks()
            best = state.best_fit(i)
            action = len(mask) - 1  # slow
            if benefit[i] > 0 and best is not None:
                action = int(np.flatnonzero(env._offsets == best)[0])
            _, _, terminated, _, info = env.step(action)
        assert info["objective"] == pytest.approx(XlaGreedy().solve(env.instance).objective)


def test_reset_option_instance_and_padding() -> None:
    env = MemoryMappingEnv(max_buffers=60)
    env.reset(seed=0, options={"instance": TOY})
    assert env.instance.name == "toy"
    with pytest.raises(ValueError, match="exceeds"):
        env.reset(options={"instance": "pack-01"})


def test_render_modes() -> None:
    env = MemoryMappingEnv(TOY, render_mode="ansi")
    _rollout(env, seed=0, action_seed=0)
    text = env.render()
    assert isinstance(text, str) and "capacity" in text and text.count("\n") >= 10
    env = MemoryMappingEnv("assign-00", render_mode="rgb_array")
    _rollout(env, seed=0, action_seed=0)
    image = env.render()
    assert isinstance(image, np.ndarray) and image.ndim == 3 and image.dtype == np.uint8


def test_gym_make_when_registered() -> None:
    if "schedgym/MemoryMapping-v0" not in gym.registry:
        pytest.skip("MemoryMapping-v0 is not registered in schedgym/__init__.py yet")
    env = gym.make("schedgym/MemoryMapping-v0")
    check_env(env.unwrapped, skip_render_check=True)


def test_csv_file_with_capacity_option(tmp_path: Path) -> None:
    from schedgym.memory.formats import write_csv

    path = tmp_path / "toy.csv"
    write_csv(TOY, path)
    env = MemoryMappingEnv(str(path), capacity=8)
    total, info, _ = _rollout(env, seed=0, action_seed=0)
    assert env.instance.capacity == 8 and env.instance.num_buffers == 4
    assert total == pytest.approx(-info["peak"] / 8)


def test_best_fit_flag_and_load_features_follow_the_greedy() -> None:
    """``cand_best_fit`` marks best fit's candidate; ``fast_load`` and ``demand`` track the
    placed and the still-wanted bytes over the current buffer's range; the public accessors."""
    from schedgym.memory.observation import GLOBAL_FEATURES

    env = MemoryMappingEnv("assign-09", order="benefit")
    obs, _ = env.reset(seed=0)
    flag, dens = NODE_FEATURES.index("cand_best_fit"), NODE_FEATURES.index("density")
    fast, demand = GLOBAL_FEATURES.index("fast_load"), GLOBAL_FEATURES.index("demand")
    assert obs["node_features"][:, dens].max() == pytest.approx(1.0)
    assert obs["global_features"][fast] == 0 and obs["global_features"][demand] > 0
    while (i := env.current_buffer) is not None:
        best = env.state.best_fit(i)
        g = obs["global_features"]
        assert 0 <= g[fast] <= 1 + 1e-6 and g[demand] >= g[fast] - 1e-6
        if best is None:
            action = env.max_candidates
        else:
            action = int(np.flatnonzero(env.candidate_offsets == best)[0])
            node = int(obs["action_node"][action])
            assert obs["node_features"][node, flag] == 1
            assert obs["node_features"][:, flag].sum() == 1
        obs, _, terminated, _, _ = env.step(action)
    assert terminated and len(env.candidate_offsets) == 0
    assert obs["global_features"][fast] == obs["global_features"][demand] == 0
