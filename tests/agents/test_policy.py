"""Pointer policy: masks are respected, sizes generalise, checkpoints load safely."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch
from sb3_contrib import MaskablePPO
from stable_baselines3.common.vec_env import DummyVecEnv

from schedgym.agents.checkpoint import (
    CheckpointError,
    atomic_save,
    load_checkpoint,
    make_payload,
    policy_from_payload,
)
from schedgym.agents.graph_batch import obs_to_tensors, stack_observations
from schedgym.agents.policy import GraphPointerPolicy

MakeEnv = Callable[..., gym.Env[Any, Any]]
MakePolicy = Callable[..., GraphPointerPolicy]


def collect(env: gym.Env[Any, Any], count: int, seed: int = 0) -> list[dict[str, np.ndarray]]:
    """``count`` observations along random legal rollouts."""
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    seen: list[dict[str, np.ndarray]] = []
    while len(seen) < count:
        seen.append(obs)
        mask = env.get_wrapper_attr("action_masks")()
        obs, _, terminated, truncated, _ = env.step(int(rng.choice(np.flatnonzero(mask))))
        if terminated or truncated:
            obs, _ = env.reset()
    return seen


@pytest.mark.parametrize("conv", ["gin", "gatv2"])
def test_masked_actions_never_sampled(conv: str, jobshop: MakeEnv, new_policy: MakePolicy) -> None:
    env = jobshop(6, 5)
    policy = new_policy(env, conv=conv, hidden=16, head_hidden=16)
    observations = collect(env, 24)
    batch = obs_to_tensors(stack_observations(observations))
    # stricter external masks: only the highest legal index stays allowed
    legal = batch["action_mask"].numpy().astype(bool)
    strict = np.zeros_like(legal)
    strict[np.arange(len(legal)), legal.shape[1] - 1 - legal[:, ::-1].argmax(axis=1)] = True
    with torch.no_grad():
        for _ in range(50):
            actions, _, log_prob = policy(batch)
            assert legal[np.arange(len(legal)), actions.numpy()].all()
            assert torch.isfinite(log_prob).all()
            forced = policy.get_distribution(batch, strict).sample().numpy()
            assert strict[np.arange(len(strict)), forced].all()


def test_predict_respects_action_masks_with_maskable_ppo(jobshop: MakeEnv) -> None:
    venv = DummyVecEnv([lambda: jobshop(6, 5)])
    model = MaskablePPO(
        GraphPointerPolicy,
        venv,
        n_steps=32,
        batch_size=16,
        seed=0,
        device="cpu",
        policy_kwargs={"hidden": 16, "head_hidden": 16},
        tensorboard_log=None,
    )
    obs: Any = venv.reset()
    rng = np.random.default_rng(0)
    for _ in range(300):
        legal = np.asarray(venv.env_method("action_masks")[0], dtype=bool)
        allowed = np.zeros_like(legal)
        allowed[rng.choice(np.flatnonzero(legal))] = True  # a random single legal action
        action, _ = model.predict(obs, action_masks=allowed[None], deterministic=False)
        assert allowed[int(action[0])]
        unmasked, _ = model.predict(obs, deterministic=False)  # the obs mask still applies
        assert legal[int(unmasked[0])]
        obs, *_ = venv.step(action)


def test_model_for_10x10_runs_on_30x20(
    tmp_path: Path, jobshop: MakeEnv, new_policy: MakePolicy
) -> None:
    small_env = jobshop(10, 10)
    small = new_policy(small_env, hidden=16, head_hidden=16)
    path = atomic_save(make_payload(small, {"note": "10x10"}), tmp_path / "p.pt")
    big_env = jobshop(30, 20)
    big = policy_from_payload(
        load_checkpoint(path), big_env.observation_space, big_env.action_space
    )
    assert sum(p.numel() for p in big.parameters()) == sum(p.numel() for p in small.parameters())
    obs, _ = big_env.reset(seed=4)
    steps = 0
    while True:
        mask = big_env.get_wrapper_attr("action_masks")()
        action, _ = big.predict(obs, action_masks=mask, deterministic=True)
        batch = obs_to_tensors(stack_observations([obs]))
        with torch.no_grad():  # the 10x10-built network scores 30x20 directly, identically
            torch.testing.assert_close(small.action_logits(batch), big.action_logits(batch))
        obs, _, terminated, truncated, info = big_env.step(int(action))
        steps += 1
        if terminated or truncated:
            break
    assert steps == 600 and info["makespan"] > 0


def test_checkpoint_never_unpickles_objects(
    tmp_path: Path, jobshop: MakeEnv, new_policy: MakePolicy
) -> None:
    env = jobshop(4, 4)
    policy = new_policy(env, hidden=8, head_hidden=8)
    good = atomic_save(make_payload(policy), tmp_path / "good.pt")
    rebuilt = policy_from_payload(load_checkpoint(good))
    batch = obs_to_tensors(stack_observations(collect(env, 5)))
    with torch.no_grad():
        torch.testing.assert_close(rebuilt.action_logits(batch), policy.action_logits(batch))
    evil = tmp_path / "evil.pt"
    payload = make_payload(policy)
    payload["meta"] = {"obj": pickle.loads(pickle.dumps(Path("x")))}  # an arbitrary object
    torch.save(payload, evil)
    with pytest.raises(CheckpointError, match=r"evil\.pt"):
        load_checkpoint(evil)
    with pytest.raises(CheckpointError, match="no such"):
        load_checkpoint(tmp_path / "missing.pt")
    assert not list(tmp_path.glob(".*.tmp"))


def test_widened_checkpoint_computes_what_the_narrow_one_did(tmp_path: Path) -> None:
    """An observation that gains node features (appended after the old ones) can start from a
    checkpoint trained without them: ``widened_node_inputs`` pads the raw-feature inputs with
    zero weights, so logits and values are unchanged whatever the new features hold, and
    ``load_initial_state`` (a config's ``init_from``) does it by itself."""
    from gymnasium import spaces

    from schedgym.agents.checkpoint import load_initial_state, widened_node_inputs
    from schedgym.agents.policy import build_policy

    env = gym.make("schedgym/SoCDAG-v0", num_tasks=12, num_pes=3)
    obs_space = env.observation_space
    assert isinstance(obs_space, spaces.Dict)
    node = obs_space["node_features"]
    narrow_space = spaces.Dict(
        {
            **obs_space.spaces,
            "node_features": spaces.Box(-np.inf, np.inf, (node.shape[0], node.shape[1] - 2)),
        }
    )
    arch = {"hidden": 16, "layers": 2, "head_hidden": 16, "skip": 1}
    torch.manual_seed(0)
    narrow = build_policy(narrow_space, env.action_space, arch)
    wide = build_policy(obs_space, env.action_space, arch)
    path = atomic_save(make_payload(narrow), tmp_path / "narrow.pt")
    load_initial_state(wide, path)
    observations = collect(env, 6)
    batch = stack_observations(observations)
    batch_narrow = {**batch, "node_features": batch["node_features"][..., :-2]}
    batch["node_features"][..., -2:] = np.random.default_rng(0).normal(size=(6, node.shape[0], 2))
    with torch.no_grad():
        a_logits, a_values = narrow.logits_and_values(obs_to_tensors(batch_narrow))
        b_logits, b_values = wide.logits_and_values(obs_to_tensors(batch))
    assert a_logits is not None and b_logits is not None
    assert torch.allclose(a_logits, b_logits, atol=1e-5)
    assert torch.allclose(a_values, b_values, atol=1e-5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="narrow"):
        widened_node_inputs(load_checkpoint(path), 3)
