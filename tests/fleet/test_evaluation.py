"""The fleet problem adapter (CLI / leaderboard protocol) and the day plot."""

from __future__ import annotations

from pathlib import Path

import pytest

from schedgym.core.report import run_one
from schedgym.core.solver import Budget, SolveResult
from schedgym.fleet.evaluation import ADAPTER
from schedgym.fleet.realisation import realise_day
from schedgym.fleet.schedule import FleetSchedule, read_schedule
from schedgym.fleet.simulator import FleetSimulator
from tests.fleet.scripts import small


class _Stay:
    """A minimal solver: every aircraft stays all day (zero profit)."""

    name = "stay"
    problem = "fleet"

    def solve(self, instance, budget: Budget) -> SolveResult[FleetSchedule]:  # type: ignore[no-untyped-def]
        sim = FleetSimulator(instance, realise_day(instance, budget.seed))
        sim.run(lambda s: s.location)
        return SolveResult(sim.schedule(), "stay", "feasible", 0.0, objective=0.0)


def test_adapter_names_suites_and_gap_direction() -> None:
    assert ADAPTER.problem == "fleet" and ADAPTER.objective_name == "profit"
    day = ADAPTER.load_instance("default-d2")
    assert ADAPTER.instance_name(day) == "dfw-8v40a-d2" and ADAPTER.size_group(day) == "8v40a"
    assert "default20" in ADAPTER.suite_names() and len(ADAPTER.suite("default5")) == 5
    assert ADAPTER.gap(90.0, 100.0) == pytest.approx(0.1)  # profit below the bound: positive
    assert ADAPTER.reference("default-d2") == ADAPTER.reference("dfw-8v40a-d2") > 0
    assert ADAPTER.reference("dfw-8v40a") is None and ADAPTER.reference("dfw-8v40a-d99") is None


def test_run_one_validates_writes_and_draws(tmp_path: Path) -> None:
    scenario = small().with_day(3)
    record = run_one(ADAPTER, scenario.name, scenario, "stay", _Stay(), Budget(seed=99))
    assert record.status == "feasible" and record.objective == 0.0
    assert record.schedule.day_seed == 3  # the scenario's day wins over the budget's seed
    out = tmp_path / "day.json"
    ADAPTER.write_schedule(record.schedule, record.objective, out)
    assert read_schedule(out).solver == "stay"
    image = tmp_path / "day.png"
    ADAPTER.render(scenario, record.schedule, image, "png")
    assert image.stat().st_size > 1000
