"""experiments/fleet_report.py: the table, solver options and resuming from the CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from schedgym.experiments import fleet_report
from schedgym.fleet.formats import write_scenario
from tests.fleet.scripts import small


def test_report_on_a_small_scenario_and_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "small.json"
    write_scenario(small(seed=4, hours=3), scenario)
    out = tmp_path / "runs.csv"
    args = [
        "--scenario",
        str(scenario),
        "--scenarios",
        "2",
        "--csv",
        str(out),
        "--set",
        "ga.generations=3",
        "--set",
        "ga.population=4",
    ]
    assert fleet_report.main(args) == 0
    table = capsys.readouterr().out
    for row in (
        "clairvoyant (its plan)",
        "| random |",
        "| greedy |",
        "| ga |",
        "| agent |",
        "bound (LP)",
    ):
        assert row in table
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 10 and all(r["status"] == "feasible" for r in rows)
    for r in rows:  # every profit at or below its day's bound
        assert float(r["objective"]) <= float(r["reference"])
    assert fleet_report.main([*args, "--resume"]) == 0  # nothing left to run
    assert len(list(csv.DictReader(out.open()))) == 10
    with pytest.raises(SystemExit):
        fleet_report.solver_options(["ga-generations"])
