"""The job shop's registration with the leaderboard (:mod:`schedgym.leaderboard`).

Metric: makespan (minimised); headline score: mean gap (%) to the best-known bound (the proven
optimum, else the best-known upper bound of ``bounds.csv``). Frozen suites (manifest
``schedgym/leaderboard/manifests/jobshop.json``): every family (``ta``, ``dmu``, ``ft``, ...),
every family size group (``ta-15x15``, ``dmu-50x20``, ...) and ``demo`` (ft06, la01-la05,
ta01-ta02). An instance's checksum covers its routes and durations, not its file's layout.
"""

from __future__ import annotations

from collections.abc import Sequence

from schedgym.datasets import jobshop as shipped
from schedgym.jobshop.evaluation import ADAPTER
from schedgym.jobshop.instance import JobShopInstance
from schedgym.leaderboard.spec import ProblemSpec, Score

DEMO_SUITE = ("ft06", "la01", "la02", "la03", "la04", "la05", "ta01", "ta02")


def fingerprint(instance: JobShopInstance) -> bytes:
    """Canonical text of an instance: ``jobs machines``, then ``machine duration`` pairs per job."""
    lines = [f"jobshop/1 {instance.num_jobs} {instance.num_ops}"]
    for route, times in zip(instance.machines.tolist(), instance.durations.tolist(), strict=True):
        lines.append(" ".join(f"{m} {d}" for m, d in zip(route, times, strict=True)))
    return ("\n".join(lines) + "\n").encode()


def suite_members(name: str) -> Sequence[str]:
    """``demo`` is the small default suite; every other name is a shipped suite."""
    return DEMO_SUITE if name == "demo" else shipped.suite(name)


LEADERBOARD = ProblemSpec(
    problem="jobshop",
    adapter=ADAPTER,
    metric="makespan",
    direction="min",
    scores=(Score.gap(),),
    fingerprint=fingerprint,
    suite_members=suite_members,
    demo_suite="demo",
    demo_solvers=(
        "spt",
        "lpt",
        "mwkr",
        "mopnr",
        "fifo",
        "fdd-mwkr",
        "random",
        "ppo-gnn",
        "ppo-gnn-sample",
        "cpsat",
    ),
    demo_time_limits=(0.5, 2.0),
    warmup="ft06",
)
