"""Steps per second of ``schedgym/SoCDAG-v0`` (full padded-graph observation every step).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/socdag_throughput.py --seconds 5

Runs whole episodes with uniformly random *valid* actions (from ``action_masks()``) until
``--seconds`` have passed, for each configuration: static ``ds3-wifi-rx`` (34 tasks, 16 PEs),
static generated DAGs (20-40 tasks, 4-8 PEs), and the DS3 stream (``--jobs`` jobs, 20 jobs/ms,
8 in flight). ``reset()`` time is included; the final validation of each episode too.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from schedgym.socdag.env import SoCDAGEnv

CONFIGS: dict[str, dict[str, Any]] = {
    "static-ds3-wifi-rx": {"instance": "ds3-wifi-rx"},
    "static-generated": {"num_tasks": (20, 40), "num_pes": (4, 8)},
    "stream-ds3": {"mode": "stream", "arrival_mean": 50.0, "max_in_flight": 8},
}


def measure(options: dict[str, Any], seconds: float, seed: int) -> tuple[float, int, int]:
    """``(steps per second, steps, episodes)`` over ``seconds`` of whole episodes."""
    env = SoCDAGEnv(**options)
    rng = np.random.default_rng(seed)
    steps = episodes = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.reset(seed=seed + episodes)
        done = False
        while not done:
            action = int(rng.choice(np.flatnonzero(env.action_masks())))
            *_, done, _, _ = env.step(action)
            steps += 1
        episodes += 1
    return steps / (time.perf_counter() - start), steps, episodes


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="timed budget per config")
    parser.add_argument("--jobs", type=int, default=50, help="jobs per stream episode")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    CONFIGS["stream-ds3"]["num_jobs"] = args.jobs
    print("| config | steps/s | us/step | steps | episodes |")
    print("|---|---:|---:|---:|---:|")
    for name, options in CONFIGS.items():
        rate, steps, episodes = measure(options, args.seconds, args.seed)
        print(f"| {name} | {rate:,.0f} | {1e6 / rate:.1f} | {steps} | {episodes} |")


if __name__ == "__main__":
    main()
