"""SoC-DAG evaluation: the problem adapter the CLI uses, and the suite run loop.

:data:`ADAPTER` connects the static SoC-DAG problem to :mod:`schedgym.core.report`: shipped
instances and suites (``schedgym.datasets.socdag``), CP-SAT references, the independent
validator (:func:`schedgym.socdag.validate.validate_schedule`, the one source of the makespan),
the schedule JSON of DESIGN.md and the Gantt chart. Wiring it into the CLI is one line in
``schedgym.cli.PROBLEMS``: ``"socdag": "schedgym.socdag.evaluation:ADAPTER"``. ::

    from schedgym.core.solver import Budget
    from schedgym.socdag.evaluation import evaluate_suite
    records = evaluate_suite("rand-12x3", ["heft", "peft"], Budget())

Gaps are ``100 * (makespan - reference) / reference`` with the reference the CP-SAT optimum,
else its best makespan (``references.csv``). The stream mode is evaluated by
``experiments/socdag_stream.py``, not here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from schedgym.core import report
from schedgym.core.report import RunRecord, expect_schedule
from schedgym.core.solver import Budget, SolveResult
from schedgym.datasets import socdag as shipped
from schedgym.socdag.instance import SoCDAGInstance, load_instance
from schedgym.socdag.schedule import SoCDAGSchedule


class SoCDAGAdapter:
    """The static SoC-DAG problem seen through :class:`schedgym.core.report.ProblemAdapter`."""

    problem = "socdag"
    objective_name = "makespan"

    def load_instance(self, name_or_path: str) -> SoCDAGInstance:
        """A shipped instance (``"topcuoglu"``) or an interchange JSON / STG file."""
        return load_instance(name_or_path)

    def instance_name(self, instance: SoCDAGInstance) -> str:
        """The instance's name."""
        return instance.name

    def size_group(self, instance: SoCDAGInstance) -> str:
        """``"TtxPp"`` (tasks x PEs), e.g. ``"12tx3p"``."""
        return instance.size_group

    def suite(self, name: str) -> list[str]:
        """Instance names of a shipped suite."""
        return shipped.suite(name)

    def suite_names(self) -> list[str]:
        """Every shipped suite name."""
        return shipped.suite_names()

    def reference(self, name: str) -> float | None:
        """CP-SAT optimum (else best makespan) of a shipped instance; ``None`` otherwise."""
        found = shipped.bounds(name)
        return None if found is None else found.reference

    def finish(
        self, instance: SoCDAGInstance, result: SolveResult[Any], solver: str, wall_s: float
    ) -> SoCDAGSchedule:
        """The result's schedule carrying the instance name, solver, status and wall time."""
        schedule = expect_schedule(result.schedule, SoCDAGSchedule, solver)
        return dataclasses.replace(
            schedule,
            instance=instance.name,
            solver=solver,
            status=result.status,
            wall_time_s=wall_s,
        )

    def validate(self, instance: SoCDAGInstance, schedule: Any) -> float:
        """The makespan, from the independent validator (raises ``InvalidScheduleError``)."""
        from schedgym.socdag.validate import validate_schedule

        schedule = expect_schedule(schedule, SoCDAGSchedule)
        return validate_schedule(instance, schedule)

    def gap(self, objective: float, reference: float) -> float:
        """``(makespan - reference) / reference`` as a fraction."""
        from schedgym.socdag.validate import makespan_gap

        return makespan_gap(objective, reference)

    def write_schedule(self, schedule: SoCDAGSchedule, objective: float, path: Path) -> None:
        """Write the DESIGN.md schedule JSON with the validated makespan."""
        schedule.write(path, makespan=objective)

    def render(
        self, instance: SoCDAGInstance, schedule: SoCDAGSchedule, path: Path, fmt: str
    ) -> None:
        """Save the Gantt chart."""
        from schedgym.socdag.gantt import save_gantt

        save_gantt(instance, schedule, path, fmt=fmt)


ADAPTER = SoCDAGAdapter()


def evaluate_suite(
    suite: str | Sequence[str],
    solvers: Iterable[str],
    budget: Budget,
    before: Callable[[str, str], None] | None = None,
    after: Callable[[RunRecord], None] | None = None,
) -> list[RunRecord]:
    """Run ``solvers`` on a suite name (or a list of shipped instance names); every schedule is
    validated before it counts (an invalid one is a failed record, status ``invalid``)."""
    return report.evaluate_suite(
        ADAPTER, suite, solvers, budget, shipped.has_instance, before=before, after=after
    )
