"""Fleet scheduling's leaderboard registration.

Metric: the day's profit from the validator (maximised). Scores: mean profit (the headline) and
the mean gap (%) to the shipped clairvoyant LP upper bound of each day (``(bound - profit) /
bound``; the bound is loose, so this gap overstates the distance to the true optimum). Frozen
suites: ``default5`` (the demo) and ``default20``, the seeded days of the default 8-vertiport,
40-aircraft scenario.
"""

from __future__ import annotations

from schedgym.fleet.evaluation import ADAPTER
from schedgym.leaderboard.generated import dataclass_fingerprint
from schedgym.leaderboard.spec import ProblemSpec, Score

LEADERBOARD = ProblemSpec(
    problem="fleet",
    adapter=ADAPTER,
    metric="profit",
    direction="max",
    scores=(Score.objective("profit", lower_is_better=False), Score.gap("gap to LP bound %")),
    fingerprint=dataclass_fingerprint,
    demo_suite="default5",
    demo_solvers=("random", "greedy", "ga", "agent"),
    demo_time_limits=(1.0,),
)
