"""PPO env steps per second on 15x15 job shops (CPU, one torch thread), three ways side by side
in one process, with where the time goes (env, network forward while collecting, PPO update):

* ``engine``: schedgym's training engine as ``schedgym train --env jobshop --method ppo`` runs
  it: ``n_envs`` envs stepped in lockstep (:mod:`schedgym.agents.envs`), one batched graph-network
  call
  per step, the graph policy (:class:`schedgym.agents.policy.GraphPointerPolicy`) with the
  architecture
  and the number of epochs of the shipped PPO config (``experiments/configs/jobshop_ppo.yaml``);
* ``engine, 3x64 network``: the same engine with the network of the path before it (GIN, 3
  layers of 64), to separate what batching gives from what the network gives;
* ``one env (before)``: the 3x64 graph policy with SB3 MaskablePPO on one env, as training ran
  before the engine;
* ``plain MLP``: SB3 ``MaskablePPO("MultiInputPolicy")`` on one env, what a user starts from.

Each arm collects the same number of decisions per update (``--rollout``) and uses the same
minibatch size; the other arms run 4 epochs per update::

    OMP_NUM_THREADS=1 python benchmarks/train_throughput.py --steps 8192
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gymnasium as gym
import numpy as np
import torch
from sb3_contrib import MaskablePPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv

import schedgym  # noqa: F401  (registers the envs)
from schedgym.agents.command import CONFIG_DIR
from schedgym.agents.config import TrainConfig
from schedgym.agents.envs import make_vec_env
from schedgym.agents.policy import GraphPointerPolicy


class TimedEnv(gym.Wrapper[Any, Any, Any, Any]):
    """Accumulates the wall time spent in the wrapped env's reset, step and action_masks."""

    seconds = 0.0  # shared by every wrapped env of an arm (reset per arm)

    def reset(self, **kwargs: Any) -> Any:
        start = time.perf_counter()
        out = self.env.reset(**kwargs)
        TimedEnv.seconds += time.perf_counter() - start
        return out

    def step(self, action: Any) -> Any:
        start = time.perf_counter()
        out = self.env.step(action)
        TimedEnv.seconds += time.perf_counter() - start
        return out

    def action_masks(self) -> np.ndarray:
        start = time.perf_counter()
        mask = np.asarray(self.env.unwrapped.action_masks())  # type: ignore[attr-defined]
        TimedEnv.seconds += time.perf_counter() - start
        return mask

    def set_size(self, size: Any) -> None:
        """Forwarded to the curriculum wrapper."""
        self.env.set_size(size)  # type: ignore[attr-defined]


class RolloutClock(BaseCallback):
    """Wall time spent collecting rollouts (the rest of ``learn`` is the PPO update)."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds = 0.0
        self._start = 0.0

    def _on_rollout_start(self) -> None:
        self._start = time.perf_counter()

    def _on_rollout_end(self) -> None:
        self.seconds += time.perf_counter() - self._start

    def _on_step(self) -> bool:
        return True


def measure(
    policy: Any,
    venv: VecEnv,
    steps: int,
    n_steps: int,
    policy_kwargs: dict[str, Any],
    n_epochs: int = 4,
) -> dict[str, float]:
    """Train for ``steps`` env steps; wall time split into env, forward and update."""
    TimedEnv.seconds = 0.0
    with tempfile.TemporaryDirectory() as logdir:
        model = MaskablePPO(
            policy,
            venv,
            n_steps=n_steps,
            batch_size=256,
            n_epochs=n_epochs,
            gamma=1.0,
            learning_rate=1e-3,
            policy_kwargs=policy_kwargs,
            tensorboard_log=logdir,
            seed=0,
            device="cpu",
            verbose=0,
        )
        clock = RolloutClock()
        start = time.perf_counter()
        model.learn(total_timesteps=steps, callback=clock)
        wall = time.perf_counter() - start
        done = model.num_timesteps
    venv.close()
    return {
        "steps": done,
        "wall": wall,
        "env": TimedEnv.seconds,
        "forward": clock.seconds - TimedEnv.seconds,
        "update": wall - clock.seconds,
    }


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--steps", type=int, default=8192, help="env steps per arm")
    parser.add_argument("--size", type=int, default=15, help="jobs = machines")
    parser.add_argument("--envs", type=int, default=16, help="engine: envs in lockstep")
    parser.add_argument("--rollout", type=int, default=1024, help="decisions per update")
    args = parser.parse_args()
    torch.set_num_threads(1)
    size = {"num_jobs": args.size, "num_machines": args.size}
    config = TrainConfig.from_dict(
        {"env_id": "jobshop", "n_envs": args.envs, "curriculum": {"sizes": [size]}}
    )
    engine = make_vec_env(config, size)
    engine.envs = [TimedEnv(e) for e in engine.envs]  # type: ignore[attr-defined]

    def one_env() -> gym.Env[Any, Any]:
        return TimedEnv(gym.make("schedgym/JobShop-v0", num_jobs=args.size, num_machines=args.size))

    old_net = {"conv": "gin", "hidden": 64, "layers": 3, "head_hidden": 64}
    default = TrainConfig.from_yaml(CONFIG_DIR / "jobshop_ppo.yaml")
    shipped, epochs = default.arch, default.ppo.n_epochs
    wide = make_vec_env(config, size)
    wide.envs = [TimedEnv(e) for e in wide.envs]  # type: ignore[attr-defined]
    label = ", ".join(f"{k}={v}" for k, v in shipped.items() if k in ("hidden", "layers", "skip"))
    label += f", {epochs} epochs"
    rows = {
        f"engine ({args.envs} envs, {label})": measure(
            GraphPointerPolicy, engine, args.steps, args.rollout // args.envs, dict(shipped), epochs
        ),
        f"engine ({args.envs} envs, 3x64 network)": measure(
            GraphPointerPolicy, wide, args.steps, args.rollout // args.envs, old_net
        ),
        "one env (before)": measure(
            GraphPointerPolicy, DummyVecEnv([one_env]), args.steps, args.rollout, old_net
        ),
        "plain MLP (MultiInputPolicy, one env)": measure(
            "MultiInputPolicy", DummyVecEnv([one_env]), args.steps, args.rollout, {}
        ),
    }
    before = rows["one env (before)"]
    mlp = rows["plain MLP (MultiInputPolicy, one env)"]
    print(
        f"PPO on {args.size}x{args.size} JobShop-v0, CPU, torch threads {torch.get_num_threads()}"
    )
    print(
        f"{'arm':<58} {'steps/s':>8} {'x before':>9} {'x MLP':>6} {'env':>6} {'forward':>8} "
        f"{'update':>7}"
    )
    for name, r in rows.items():
        rate = r["steps"] / r["wall"]
        print(
            f"{name:<58} {rate:>8,.0f} {rate / (before['steps'] / before['wall']):>8.1f}x "
            f"{rate / (mlp['steps'] / mlp['wall']):>5.2f}x {r['env'] / r['wall']:>6.1%} "
            f"{r['forward'] / r['wall']:>8.1%} {r['update'] / r['wall']:>7.1%}"
        )


if __name__ == "__main__":
    main()
