"""Fleet evaluation: the problem adapter the CLI uses, and the suite run loop.

:data:`ADAPTER` connects the fleet problem to :mod:`schedgym.core.report`: shipped scenarios
(``dfw-8v40a``, ``default-d7``...) and suites (``default20``...), scenario JSON files, the
independent validator (:func:`schedgym.fleet.validate.validate_schedule`, the one source of the
profit, plus a replay of the decisions through the simulator), the day record JSON and the day
plot. The objective is the day's **profit, maximised**: gaps are ``(reference - profit) /
|reference|`` against a reference that is an upper bound (the clairvoyant bound), so they are
non-negative like the job shop's. A schedule is played on the scenario's ``day_seed`` when it has
one (the shipped suites do), else on the budget's seed::

    from schedgym.core.solver import Budget
    from schedgym.fleet.evaluation import evaluate_suite
    records = evaluate_suite("default5", ["greedy", "ga"], Budget())
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from schedgym.core import report
from schedgym.core.report import RunRecord, expect_schedule
from schedgym.core.solver import Budget, SolveResult
from schedgym.datasets import fleet as shipped
from schedgym.fleet.instance import FleetScenario, load_scenario
from schedgym.fleet.schedule import FleetSchedule


class FleetAdapter:
    """The fleet problem seen through :class:`schedgym.core.report.ProblemAdapter`."""

    problem = "fleet"
    objective_name = "profit"
    sense = "max"

    def load_instance(self, name_or_path: str) -> FleetScenario:
        """A shipped scenario (``"default-d3"``) or a scenario JSON file."""
        return load_scenario(name_or_path)

    def instance_name(self, instance: FleetScenario) -> str:
        """The scenario's name (with its ``-dN`` day suffix)."""
        return instance.name

    def size_group(self, instance: FleetScenario) -> str:
        """``"8v40a"`` (vertiports, aircraft)."""
        return instance.size_group

    def suite(self, name: str) -> list[str]:
        """Scenario names of a shipped suite (or a shipped scenario name)."""
        return shipped.suite(name)

    def suite_names(self) -> list[str]:
        """Every shipped suite name."""
        return shipped.suite_names()

    def reference(self, name: str) -> float | None:
        """The shipped clairvoyant upper bound of a day (``default20``), else ``None``."""
        return shipped.bound(name)

    def finish(
        self, instance: FleetScenario, result: SolveResult[Any], solver: str, wall_s: float
    ) -> FleetSchedule:
        """The result's record carrying the scenario name, solver, status, time and bound."""
        schedule = expect_schedule(result.schedule, FleetSchedule, solver)
        return dataclasses.replace(
            schedule,
            scenario=instance.name,
            solver=solver,
            status=result.status,
            wall_time_s=wall_s,
            bound=result.bound,
        )

    def validate(self, instance: FleetScenario, schedule: Any) -> float:
        """The exact profit from the independent validator, after an exact replay."""
        from schedgym.fleet.validate import replay_schedule, validate_schedule

        schedule = expect_schedule(schedule, FleetSchedule)
        profit = validate_schedule(instance, schedule)
        replay_schedule(instance, schedule)
        return profit

    def gap(self, objective: float, reference: float) -> float:
        """``(reference - profit) / |reference|`` (profit is maximised)."""
        return (reference - objective) / max(abs(reference), 1e-9)

    def write_schedule(self, schedule: FleetSchedule, objective: float, path: Path) -> None:
        """Write the day record JSON with the validated profit."""
        schedule.write(path, profit=objective)

    def render(
        self, instance: FleetScenario, schedule: FleetSchedule, path: Path, fmt: str
    ) -> None:
        """Save the day plot (aircraft timelines, passengers served vs demand)."""
        from schedgym.fleet.plot import save_day_plot

        save_day_plot(instance, schedule, path, fmt=fmt)


ADAPTER = FleetAdapter()


def evaluate_suite(
    suite: str | Sequence[str],
    solvers: Iterable[str],
    budget: Budget,
    before: Callable[[str, str], None] | None = None,
    after: Callable[[RunRecord], None] | None = None,
) -> list[RunRecord]:
    """Run ``solvers`` on a suite name (or a list of shipped scenario names); every record is
    validated (a failing one is recorded as ``invalid``, never scored)."""
    return report.evaluate_suite(
        ADAPTER, suite, solvers, budget, shipped.has_scenario, before=before, after=after
    )
