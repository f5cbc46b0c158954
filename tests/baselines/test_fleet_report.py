"""experiments/fleet_report.py: the table, solver options and resuming from the CSV."""

from __future__ import annotations

import argparse
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


@pytest.mark.parametrize(
    ("option", "reason"),
    [
        ("ga-generations", "'ga-generations': expected KEY=VALUE"),
        ("ga.generations=", "no value after '='"),
        ("nope.generations=3", "'nope' is not one of the solvers of this run"),
        ("generations=3", "solver 'greedy' does not take these options"),  # shared: every solver
    ],
)
def test_a_bad_option_is_a_usage_error(
    option: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:  # before any day is played
        fleet_report.main(["--no-bound", "--solvers", "greedy,ga", "--set", option])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "error: " in err and reason in err, err


def test_a_bad_size_range_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    for flag, bad in (("--vertiports", "20-4"), ("--aircraft", "x")):
        with pytest.raises(SystemExit) as exited:
            fleet_report.main(["--generated", flag, bad])
        assert exited.value.code == 2
        assert f"argument {flag}: expected" in capsys.readouterr().err


def test_generated_scenarios_without_bound(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "gen.csv"
    args = ["--generated", "--scenarios", "2", "--vertiports", "4", "--aircraft", "10-11"]
    args += ["--no-bound", "--solvers", "greedy,agent", "--csv", str(out)]
    assert fleet_report.main(args) == 0
    printed = capsys.readouterr().out
    assert "clairvoyant" not in printed and "bound (LP)" not in printed
    assert "| greedy | 2/2 |" in printed and "mean (2 scenarios)" in printed
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 4 and all(r["status"] == "feasible" for r in rows)
    assert {r["instance"].split("-")[1][:2] for r in rows} == {"4v"}
    assert fleet_report.main([*args, "--resume"]) == 0
    assert len(list(csv.DictReader(out.open()))) == 4
    days = fleet_report.generated_days(2, 0, (4, 4), (10, 11))
    assert list(days) == list(fleet_report.generated_days(2, 0, (4, 4), (10, 11)))
    assert [d.day_seed for d in days.values()] == [0, 1]
    listed = fleet_report.generated_days(3, 5, (4, 20), (10, 100), [(4, 10), (5, 12)])
    assert [(d.num_vertiports, d.num_aircraft) for d in listed.values()] == [
        (4, 10),
        (5, 12),
        (4, 10),
    ]
    assert fleet_report.sizes_list("4x10, 20x100") == [(4, 10), (20, 100)]
    with pytest.raises(argparse.ArgumentTypeError):
        fleet_report.sizes_list("4-10")
