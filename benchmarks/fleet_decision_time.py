"""Decision time per fleet day: the compiled ``agent`` against a per-decision GNN and the GA.

Plays the same default days with (1) the shipped ``agent`` solver, (2) the job-shop agents'
graph-neural pointer policy (untrained, the shipped job-shop architecture: GIN, 3 layers, 64
hidden), greedy, one forward pass per decision through ``FleetScheduling-v0``'s padded-graph
observation, and (3) the ``ga`` at its default budget, in one process, and prints seconds per day
and the ratios. Why the fleet agent is a compiled scoring network rather than the GNN::

    OMP_NUM_THREADS=1 python benchmarks/fleet_decision_time.py --days 2
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gymnasium as gym
import numpy as np
import torch

import schedgym  # noqa: F401  (registers the envs)
from schedgym.agents.checkpoint import load_checkpoint
from schedgym.agents.graph_batch import obs_to_tensors
from schedgym.agents.policy import build_policy
from schedgym.core.solver import Budget, load_solver
from schedgym.fleet.generator import default_scenario


def gnn_day(seed: int) -> tuple[float, int]:
    """Seconds and decisions of one greedy GNN day (untrained weights)."""
    env = gym.make("schedgym/FleetScheduling-v0")
    arch = load_checkpoint("agents/checkpoints/jobshop_gnn.pt")["arch"]
    torch.manual_seed(0)
    policy = build_policy(env.observation_space, env.action_space, arch)  # type: ignore[arg-type]
    started = time.perf_counter()
    obs, _ = env.reset(seed=seed)
    done, steps = False, 0
    while not done:
        with torch.no_grad():
            tensors = obs_to_tensors({k: v[None] for k, v in obs.items()})
            logits = policy.action_logits(tensors)[0].numpy()
        mask = env.unwrapped.action_masks()  # type: ignore[attr-defined]
        action = int(np.where(mask, logits, -np.inf).argmax())
        obs, _, done, _, _ = env.step(action)
        steps += 1
    return time.perf_counter() - started, steps


def main() -> None:
    """Print seconds per day and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    scenario = default_scenario()
    agent, ga = load_solver("fleet", "agent"), load_solver("fleet", "ga")
    agent.solve(scenario, Budget(seed=99))  # load the compiled kernels
    gnn_day(99)
    rows: dict[str, list[float]] = {"agent": [], "gnn (per decision)": [], "ga": []}
    decisions = []
    for day in range(args.days):
        rows["agent"].append(agent.solve(scenario, Budget(seed=day)).wall_time_s)
        seconds, steps = gnn_day(day)
        rows["gnn (per decision)"].append(seconds)
        decisions.append(steps)
        rows["ga"].append(ga.solve(scenario, Budget(seed=day)).wall_time_s)
    base = float(np.mean(rows["agent"]))
    print(f"default scenario, days 0..{args.days - 1}, ~{np.mean(decisions):,.0f} decisions/day")
    print("| policy | s / day | ratio to agent |")
    print("|---|---:|---:|")
    for name, times in rows.items():
        print(f"| {name} | {np.mean(times):.4f} | {np.mean(times) / base:,.1f}x |")


if __name__ == "__main__":
    main()
