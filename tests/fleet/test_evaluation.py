"""The fleet problem descriptor (load, suites, references, gap direction, finish), run_one and
the day plot."""

from __future__ import annotations

from pathlib import Path

import pytest

from schedgym.core.errors import InvalidScheduleError
from schedgym.core.run import run_one
from schedgym.core.solver import Budget, SolveResult
from schedgym.fleet.dynamics import realise_day
from schedgym.fleet.problem import PROBLEM
from schedgym.fleet.schedule import FleetSchedule, read_schedule
from schedgym.fleet.simulator import FleetSimulator
from schedgym.problems import get_problem
from tests.fleet.scripts import small


class _Stay:
    """A minimal solver: every aircraft stays all day (zero profit)."""

    name = "stay"
    problem = "fleet"

    def solve(self, instance, budget: Budget) -> SolveResult[FleetSchedule]:  # type: ignore[no-untyped-def]
        sim = FleetSimulator(instance, realise_day(instance, budget.seed))
        sim.run(lambda s: s.location)
        return SolveResult(sim.schedule(), "stay", "feasible", 0.0, objective=0.0)


def test_descriptor_names_suites_and_gap_direction() -> None:
    assert get_problem("fleet") is PROBLEM
    assert PROBLEM.name == "fleet" and PROBLEM.objective_name == "profit"
    assert PROBLEM.direction == "max" and PROBLEM.objective_name == "profit"
    day = PROBLEM.load("default-d2")
    assert day.name == "dfw-8v40a-d2" and PROBLEM.group_of(day) == "8v40a"
    assert "default20" in PROBLEM.suite_names() and len(PROBLEM.suite("default5")) == 5
    assert PROBLEM.gap(90.0, 100.0) == pytest.approx(0.1)  # profit below the bound: positive
    assert PROBLEM.reference("default-d2") == PROBLEM.reference("dfw-8v40a-d2") > 0
    assert PROBLEM.reference("dfw-8v40a") is None and PROBLEM.reference("dfw-8v40a-d99") is None
    assert [s.name for s in PROBLEM.scores] == ["profit", "gap to LP bound %"]


def test_run_one_validates_writes_and_draws(tmp_path: Path) -> None:
    scenario = small().with_day(3)
    record = run_one(PROBLEM, scenario.name, scenario, "stay", _Stay(), Budget(seed=99))
    assert record.status == "feasible" and record.objective == 0.0
    assert record.schedule.day_seed == 3  # the scenario's day wins over the budget's seed
    assert record.schedule.scenario == scenario.name and record.schedule.solver == "stay"
    out = tmp_path / "day.json"
    PROBLEM.write_schedule(record.schedule, record.objective, out)
    assert read_schedule(out).solver == "stay"
    assert PROBLEM.read_schedule(out, scenario).solver == "stay"
    image = tmp_path / "day.png"
    PROBLEM.render(scenario, record.schedule, image, "png")
    assert image.stat().st_size > 1000


def test_finish_keeps_the_bound_and_refuses_another_type() -> None:
    scenario = small().with_day(1)
    result = _Stay().solve(scenario, Budget())
    bounded = SolveResult(result.schedule, "stay", "feasible", 0.0, objective=0.0, bound=12.5)
    stamped = PROBLEM.finish(scenario, bounded, "mine", 0.25)
    assert (stamped.solver, stamped.wall_time_s, stamped.bound) == ("mine", 0.25, 12.5)
    with pytest.raises(InvalidScheduleError, match="not a FleetSchedule"):
        PROBLEM.finish(scenario, SolveResult(None, "x", "feasible", 0.0), "x", 0.0)
