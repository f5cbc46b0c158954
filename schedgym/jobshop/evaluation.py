"""Job-shop evaluation: the problem adapter the CLI uses, and the suite run loop.

:data:`ADAPTER` connects the job shop to the problem-independent machinery of
:mod:`schedgym.core.report`: shipped instances and suites, best-known references, the independent
validator (:func:`schedgym.jobshop.validate.validate_schedule`, the one source of the makespan),
the schedule JSON of DESIGN.md and the Gantt chart. :func:`evaluate_suite` runs solvers over a
suite; every schedule is validated before it counts::

    from schedgym.core.solver import Budget
    from schedgym.jobshop.evaluation import evaluate_suite
    records = evaluate_suite("ft", ["spt", "mwkr"], Budget(time_limit_s=2.0))

Gaps are ``100 * (makespan - reference) / reference`` with the reference the proven optimum, else
the best-known upper bound (``schedgym.datasets.jobshop.bounds``). Wall time is measured by the
harness around ``solver.solve`` (the same clock for every solver).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from schedgym.core import report
from schedgym.core.report import RunRecord, expect_schedule
from schedgym.core.solver import Budget, SolveResult
from schedgym.datasets import jobshop as shipped
from schedgym.jobshop.instance import JobShopInstance, load_instance
from schedgym.jobshop.schedule import JobShopSchedule


class JobShopAdapter:
    """The job shop seen through :class:`schedgym.core.report.ProblemAdapter`."""

    problem = "jobshop"
    objective_name = "makespan"

    def load_instance(self, name_or_path: str) -> JobShopInstance:
        """A shipped instance (``"ta01"``) or an OR-Library/Taillard file."""
        return load_instance(name_or_path)

    def instance_name(self, instance: JobShopInstance) -> str:
        """The instance's name."""
        return instance.name

    def size_group(self, instance: JobShopInstance) -> str:
        """``"JxM"`` (jobs x machines)."""
        return instance.shape_name

    def suite(self, name: str) -> list[str]:
        """Instance names of a shipped suite (family, family size group, instance, ``all``)."""
        return shipped.suite(name)

    def suite_names(self) -> list[str]:
        """Every shipped suite name."""
        return shipped.suite_names()

    def reference(self, name: str) -> float | None:
        """Optimum, else best-known upper bound, of a shipped instance; ``None`` otherwise."""
        found = shipped.bounds(name)
        return None if found is None else found.reference

    def finish(
        self, instance: JobShopInstance, result: SolveResult[Any], solver: str, wall_s: float
    ) -> JobShopSchedule:
        """The result's schedule carrying the instance name, solver, status and wall time."""
        schedule = expect_schedule(result.schedule, JobShopSchedule, solver)
        return dataclasses.replace(
            schedule,
            instance=instance.name,
            solver=solver,
            status=result.status,
            wall_time_s=wall_s,
        )

    def validate(self, instance: JobShopInstance, schedule: Any) -> int:
        """The makespan, from the independent validator (raises ``InvalidScheduleError``)."""
        from schedgym.jobshop.validate import validate_schedule

        schedule = expect_schedule(schedule, JobShopSchedule)
        return int(validate_schedule(instance, schedule))

    def gap(self, objective: float, reference: float) -> float:
        """``(makespan - reference) / reference`` as a fraction."""
        from schedgym.jobshop.validate import makespan_gap

        return float(makespan_gap(int(objective), int(reference)))

    def write_schedule(self, schedule: JobShopSchedule, objective: float, path: Path) -> None:
        """Write the DESIGN.md schedule JSON with the validated makespan."""
        schedule.write(path, makespan=int(objective))

    def render(
        self, instance: JobShopInstance, schedule: JobShopSchedule, path: Path, fmt: str
    ) -> None:
        """Save the Gantt chart."""
        from schedgym.jobshop.gantt import save_gantt

        save_gantt(instance, schedule, path, fmt=fmt)


ADAPTER = JobShopAdapter()


def evaluate_suite(
    suite: str | Sequence[str],
    solvers: Iterable[str],
    budget: Budget,
    before: Callable[[str, str], None] | None = None,
    after: Callable[[RunRecord], None] | None = None,
) -> list[RunRecord]:
    """Run ``solvers`` on a suite name (or a list of shipped instance names) and score each run.

    Suite and solver names are all checked before the first solve. Each record holds the
    validated makespan, the reference, the gap in percent and the validated schedule; a run
    whose schedule fails validation is a failed record (status ``invalid``), never scored.
    """
    return report.evaluate_suite(
        ADAPTER, suite, solvers, budget, shipped.has_instance, before=before, after=after
    )


def best_schedule(records: Iterable[RunRecord], instance: str) -> RunRecord | None:
    """The scored record with the smallest makespan on ``instance`` (first one on ties)."""
    scored = [r for r in records if r.instance == instance and r.objective is not None]
    return min(scored, key=lambda r: r.objective or 0.0, default=None)
