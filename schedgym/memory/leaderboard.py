"""Memory mapping's leaderboard registration.

Metric: the validator's objective (peak bytes for ``pack``, modelled time for ``assign``),
minimised. Score: the mean gap (%) to the shipped reference (the optimum peak for ``pack``, the
all-fast modelled time, a lower bound, for ``assign``). Frozen suites: ``pack``, ``pack-hard``,
``assign``.
"""

from __future__ import annotations

from schedgym.leaderboard.generated import dataclass_fingerprint
from schedgym.leaderboard.spec import ProblemSpec, Score
from schedgym.memory.evaluation import ADAPTER

LEADERBOARD = ProblemSpec(
    problem="memory",
    adapter=ADAPTER,
    metric="objective",
    direction="min",
    scores=(Score.gap(),),
    fingerprint=dataclass_fingerprint,
    demo_suite="assign",
    demo_solvers=("first-fit", "best-fit", "size-desc", "xla-greedy", "cpsat"),
    demo_time_limits=(0.25, 1.0),
)
