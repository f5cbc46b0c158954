"""SoC-DAG's leaderboard registration.

Metric: makespan (minimised). Scores: the geometric-mean ratio of the makespan to HEFT's on the
same instance (the headline), SLR (makespan over the critical path of minimum execution times,
no communication), and the gap (%) to the CP-SAT reference where one is shipped. Frozen suites:
the shipped ``topcuoglu``, ``ds3``, ``rand-12x3``, ``rand-50x8``, ``rand-100x4`` and the
generated ``socdag-gen1-s0-n20`` (20 instances of :class:`SoCDAGGenerator`'s defaults: 8-20
tasks on 2-5 PEs, integer times; grouped by PE count).
"""

from __future__ import annotations

from functools import lru_cache

from schedgym.leaderboard.generated import GeneratedSuite, WithGenerated, dataclass_fingerprint
from schedgym.leaderboard.spec import ProblemSpec, Score
from schedgym.socdag.evaluation import ADAPTER as SHIPPED
from schedgym.socdag.generator import SoCDAGGenerator
from schedgym.socdag.instance import SoCDAGInstance

GEN1 = GeneratedSuite(
    "socdag", 1, 0, 20, SoCDAGGenerator().sample, group=lambda inst: f"{inst.num_pes}p"
)
ADAPTER = WithGenerated(SHIPPED, [GEN1])


@lru_cache(maxsize=1024)
def slr_denominator(name: str) -> float | None:
    """Sum of minimum execution times along the critical path (no communication)."""
    instance: SoCDAGInstance = ADAPTER.load_instance(name)
    value = float(instance.critical_path_min())
    return value if value > 0 else None


LEADERBOARD = ProblemSpec(
    problem="socdag",
    adapter=ADAPTER,
    metric="makespan",
    direction="min",
    scores=(
        Score.ratio_to_solver("heft"),
        Score.ratio("SLR", slr_denominator),
        Score.gap("gap % to CP-SAT"),
    ),
    fingerprint=dataclass_fingerprint,
    demo_suite="rand-12x3",
    demo_solvers=("heft", "cpop", "peft", "etf", "met", "heft-rt", "random", "cpsat"),
    demo_time_limits=(0.5, 2.0),
    warmup="topcuoglu",
)
