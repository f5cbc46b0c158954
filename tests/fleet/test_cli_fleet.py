"""``schedgym solve/evaluate --problem fleet`` through the CLI (the problem from the registry, the
baselines from their entry points)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from schedgym import cli
from schedgym.leaderboard.report import read_rows_csv

runner = CliRunner(env={"COLUMNS": "160"})


def test_solve_writes_a_validated_day_and_its_plot(tmp_path: Path) -> None:
    out, plot = tmp_path / "day.json", tmp_path / "day.png"
    result = runner.invoke(
        cli.app,
        [
            "solve",
            "-p",
            "fleet",
            "-i",
            "default-d2",
            "-s",
            "greedy",
            "-o",
            str(out),
            "--gantt",
            str(plot),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "profit" in result.output and "gap" in result.output
    data = json.loads(out.read_text())
    assert data["problem"] == "fleet" and data["day_seed"] == 2 and data["solver"] == "greedy"
    assert data["profit"] > 0 and plot.stat().st_size > 1000


def test_evaluate_a_suite_and_bad_input(tmp_path: Path) -> None:
    table = tmp_path / "rows.csv"
    args = ["evaluate", "-p", "fleet", "--suite", "default", "--solvers", "random,greedy"]
    result = runner.invoke(cli.app, [*args, "--csv", str(table)])
    assert result.exit_code == 0, result.output
    assert "### fleet / default (1 instances)" in result.stdout
    assert "| solver | 8v40a | all | feasible | mean s |" in result.stdout
    rows = read_rows_csv(table)
    assert {(r.instance, r.size_group) for r in rows} == {("dfw-8v40a-d0", "8v40a")}
    assert [r.solver for r in rows] == ["random", "greedy"] and all(r.scored for r in rows)
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "vertiports": []}')
    result = runner.invoke(
        cli.app, ["solve", "-p", "fleet", "-i", str(bad), "-s", "greedy", "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 2 and "bad.json" in result.output
    assert not (tmp_path / "o").exists()
