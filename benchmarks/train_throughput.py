"""Environment steps per second during MaskablePPO training on 15x15 job shops (CPU), with the
share of wall time spent inside the env (``step``/``reset``/``action_masks``) versus the rest
(network forward passes while collecting, PPO updates, SB3 bookkeeping).

    OMP_NUM_THREADS=1 python benchmarks/train_throughput.py --steps 4096

The same graph-pointer policy as the shipped agent (``agents.policy.GraphPointerPolicy``), one
env, one torch thread. A timing wrapper around the env measures the env's share. For comparison
it also times one self-labelling rollout phase (the method of the shipped checkpoint): batched
lockstep sampling of 32 solutions of one 15x15 instance.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from typing import Any, cast

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from sb3_contrib import MaskablePPO
from stable_baselines3.common.vec_env import DummyVecEnv

import schedgym  # noqa: F401  (registers the envs)
from agents.policy import GraphPointerPolicy, build_policy
from agents.rollout import policy_chooser, run_episodes
from schedgym.jobshop.generator import taillard_instance


class TimedEnv(gym.Wrapper[Any, Any, Any, Any]):
    """Accumulates the wall time spent in the wrapped env's reset, step and action_masks."""

    def __init__(self, env: gym.Env[Any, Any]) -> None:
        super().__init__(env)
        self.seconds = 0.0
        self.steps = 0

    def reset(self, **kwargs: Any) -> Any:
        start = time.perf_counter()
        out = self.env.reset(**kwargs)
        self.seconds += time.perf_counter() - start
        return out

    def step(self, action: Any) -> Any:
        start = time.perf_counter()
        out = self.env.step(action)
        self.seconds += time.perf_counter() - start
        self.steps += 1
        return out

    def action_masks(self) -> np.ndarray:
        start = time.perf_counter()
        mask = np.asarray(self.env.unwrapped.action_masks())  # type: ignore[attr-defined]
        self.seconds += time.perf_counter() - start
        return mask


def ppo_throughput(steps: int, size: int, seed: int) -> dict[str, float]:
    """Train MaskablePPO for ``steps`` env steps; return steps/s and the env's share."""
    timed = TimedEnv(gym.make("schedgym/JobShop-v0", num_jobs=size, num_machines=size))
    with tempfile.TemporaryDirectory() as logdir:
        model = MaskablePPO(
            GraphPointerPolicy,
            DummyVecEnv([lambda: timed]),
            n_steps=1024,
            batch_size=256,
            n_epochs=4,
            gamma=1.0,
            policy_kwargs={"conv": "gin", "hidden": 64, "layers": 3},
            tensorboard_log=logdir,
            seed=seed,
            device="cpu",
            verbose=0,
        )
        start = time.perf_counter()
        model.learn(total_timesteps=steps)
        wall = time.perf_counter() - start
    return {"steps": timed.steps, "wall_s": wall, "env_s": timed.seconds}


def self_label_throughput(size: int, samples: int, seed: int) -> dict[str, float]:
    """One self-labelling sampling phase: ``samples`` lockstep rollouts of one instance."""
    instance = taillard_instance(size, size, seed=seed)
    envs = [gym.make("schedgym/JobShop-v0", instance=instance) for _ in range(samples)]
    torch.manual_seed(seed)
    obs_space = cast(spaces.Dict, envs[0].observation_space)
    policy = build_policy(obs_space, cast(spaces.Discrete, envs[0].action_space), {"hidden": 64})
    policy.set_training_mode(False)
    timed = [TimedEnv(e) for e in envs]
    chooser = policy_chooser(policy, sample=True, generator=torch.Generator().manual_seed(seed))
    start = time.perf_counter()
    episodes = run_episodes(timed, chooser, [{"seed": 0}] * samples)
    wall = time.perf_counter() - start
    return {"steps": episodes.steps, "wall_s": wall, "env_s": sum(t.seconds for t in timed)}


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4096, help="PPO env steps (default 4096)")
    parser.add_argument("--size", type=int, default=15, help="jobs = machines (default 15)")
    parser.add_argument("--samples", type=int, default=32, help="self-labelling samples")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = {
        f"MaskablePPO ({args.steps} steps, n_steps 1024, 4 epochs)": ppo_throughput(
            args.steps, args.size, args.seed
        ),
        f"self-labelling sampling ({args.samples} lockstep rollouts)": self_label_throughput(
            args.size, args.samples, args.seed
        ),
    }
    print(f"{args.size}x{args.size} job shop, CPU, torch threads = {torch.get_num_threads()}")
    print(f"{'phase':<58} {'env steps/s':>12} {'env share':>10} {'rest share':>11}")
    for name, r in rows.items():
        share = r["env_s"] / r["wall_s"]
        print(f"{name:<58} {r['steps'] / r['wall_s']:>12,.0f} {share:>10.1%} {1 - share:>11.1%}")


if __name__ == "__main__":
    main()
