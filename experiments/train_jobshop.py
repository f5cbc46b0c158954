"""Train the shipped job-shop agent and beat the best rule on Taillard.

One command reproduces the shipped checkpoint (rerun it after an interrupt to continue)::

    python -m schedgym.experiments.train_jobshop                       # train, then evaluate
    python -m schedgym.experiments.train_jobshop --eval-only --per-group 3
    python -m schedgym.experiments.train_jobshop --eval-only --checkpoint runs/jl/best.pt

The evaluation prints, per Taillard size group, the mean gap to the best-known bound of the greedy
agent and of the best dispatching rule of that group (both through JobShopEnv's non-delay
construction, masks applied), and whether
the agent wins: the bar for shipping is a win on every group.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from schedgym.agents.checkpoint import DEFAULT_CHECKPOINT
from schedgym.agents.solver import PPOGNNSolver
from schedgym.agents.train import limit_threads, train
from schedgym.baselines.jobshop.rules import RULES
from schedgym.core.solver import Budget
from schedgym.datasets.jobshop import bounds_table, load

DEFAULT_CONFIG = Path(__file__).resolve().parent / "configs" / "jobshop_self_label.yaml"


def taillard_groups(per_group: int) -> dict[str, list[str]]:
    """Taillard instance names by size group (at most ``per_group`` each, in order)."""
    groups: dict[str, list[str]] = {}
    for name, bound in sorted(bounds_table().items()):
        if name.startswith("ta") and name[2:].isdigit():
            members = groups.setdefault(bound.size_group, [])
            if len(members) < per_group:
                members.append(name)
    return dict(sorted(groups.items(), key=lambda kv: tuple(int(x) for x in kv[0].split("x"))))


def evaluate(checkpoint: str | Path, per_group: int, groups: Sequence[str] | None = None) -> bool:
    """Print the per-group comparison; True when the agent beats the best rule on every group.

    "Best rule" is, per group, the dispatching rule (random excluded) with the lowest mean gap.
    """
    agent = PPOGNNSolver(checkpoint=checkpoint)
    rules = {name: cls() for name, cls in RULES.items() if name != "random"}
    wins = True
    header = ("group", "n", "agent gap %", "best rule", "gap %", "agent s")
    print("{:>8} {:>3} {:>12} {:>10} {:>6} {:>8}  win".format(*header))
    for group, names in taillard_groups(per_group).items():
        if groups and group not in groups:
            continue
        gaps_agent: list[float] = []
        gaps_rule: dict[str, list[float]] = {name: [] for name in rules}
        seconds = 0.0
        for name in names:
            instance, reference = load(name), bounds_table()[name].reference
            assert reference is not None
            start = time.perf_counter()
            ours = agent.solve(instance, Budget(seed=0)).objective
            seconds += time.perf_counter() - start
            assert ours is not None
            gaps_agent.append(100 * (ours / reference - 1))
            for rule_name, rule in rules.items():
                theirs = rule.solve(instance, Budget(seed=0)).objective
                assert theirs is not None
                gaps_rule[rule_name].append(100 * (theirs / reference - 1))
        best_rule = min(gaps_rule, key=lambda n: float(np.mean(gaps_rule[n])))
        a, r = float(np.mean(gaps_agent)), float(np.mean(gaps_rule[best_rule]))
        wins &= a < r
        print(
            f"{group:>8} {len(names):>3} {a:>12.1f} {best_rule:>10} {r:>6.1f} "
            f"{seconds / len(names):>8.2f}  {'yes' if a < r else 'NO'}"
        )
    return wins


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG))
    parser.add_argument("--eval-only", action="store_true")
    parser.add_argument("--checkpoint", default=None, help="default: the config's best.pt")
    parser.add_argument("--per-group", type=int, default=10)
    parser.add_argument("--groups", default="", help="comma-separated, e.g. 15x15,100x20")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    limit_threads()
    torch.set_num_threads(1)
    checkpoint = args.checkpoint
    if not args.eval_only:
        best = train(args.config, progress=not args.no_progress)
        checkpoint = checkpoint or best
    checkpoint = checkpoint or DEFAULT_CHECKPOINT
    groups = [g for g in args.groups.split(",") if g]
    return 0 if evaluate(checkpoint, args.per_group, groups or None) else 1


if __name__ == "__main__":
    raise SystemExit(main())
