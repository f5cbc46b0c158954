"""``schedgym solve/evaluate --problem fleet`` through the CLI, with the fleet adapter wired in
the way the one-line ``PROBLEMS`` entry will wire it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from baselines.fleet import register_local
from schedgym import cli

runner = CliRunner(env={"COLUMNS": "160"})


@pytest.fixture(autouse=True)
def fleet_wired(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(cli.PROBLEMS, "fleet", "schedgym.fleet.evaluation:ADAPTER")
    register_local()
    yield


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
    result = runner.invoke(
        cli.app, ["evaluate", "-p", "fleet", "--suite", "default", "--solvers", "random,greedy"]
    )
    assert result.exit_code == 0, result.output
    assert "dfw-8v40a-d0" in result.output and "8v40a" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "vertiports": []}')
    result = runner.invoke(
        cli.app, ["solve", "-p", "fleet", "-i", str(bad), "-s", "greedy", "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 2 and "bad.json" in result.output
    assert not (tmp_path / "o").exists()
