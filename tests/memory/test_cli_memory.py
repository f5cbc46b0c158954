"""``schedgym solve/evaluate --problem memory`` through the shared CLI (the problem comes from
the registry, the baselines from their entry points)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from schedgym import cli
from schedgym.datasets import memory as shipped
from schedgym.leaderboard.report import read_rows_csv
from schedgym.memory.formats import read_instance, write_csv
from schedgym.memory.schedule import read_mapping
from schedgym.memory.validate import validate_mapping

runner = CliRunner(env={"COLUMNS": "160"})


def test_solve_writes_a_validated_mapping_and_a_plot(tmp_path: Path) -> None:
    out, plot = tmp_path / "m.json", tmp_path / "m.png"
    args = ["solve", "-p", "memory", "-i", "pack-01", "-s", "canonical-search", "-o", str(out)]
    result = runner.invoke(cli.app, [*args, "--gantt", str(plot), "-t", "5"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["problem"] == "memory" and data["fits"] and data["peak"] == data["capacity"]
    inst = shipped.load("pack-01")
    assert validate_mapping(inst, read_mapping(out, inst)).peak == data["peak"]
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_evaluate_a_single_instance_suite() -> None:
    args = ["evaluate", "-p", "memory", "--suite", "assign-00", "--solvers", "xla-greedy,best-fit"]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    assert "### memory / assign-00 (1 instances)" in result.stdout
    assert "| `xla-greedy` |" in result.stdout and "| `best-fit` |" in result.stdout


def test_evaluate_under_a_capacity_writes_leaderboard_rows(tmp_path: Path) -> None:
    table = tmp_path / "rows.csv"
    args = ["evaluate", "-p", "memory", "--suite", "pack-00", "--solvers", "first-fit"]
    result = runner.invoke(cli.app, [*args, "--capacity", "100000", "--csv", str(table)])
    assert result.exit_code == 0, result.output
    rows = read_rows_csv(table)
    assert [(r.suite, r.instance, r.solver) for r in rows] == [
        ("pack-00[capacity=100000]", "pack-00", "first-fit")
    ]
    assert rows[0].reference is None  # the shipped reference holds for the shipped capacity
    other = ["evaluate", "-p", "jobshop", "--suite", "ft06", "--solvers", "mwkr", "--capacity", "9"]
    refused = runner.invoke(cli.app, other)
    assert refused.exit_code == 2 and "--capacity does not apply" in refused.output


def test_malformed_csv_is_one_error_line_and_no_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.1024.csv"
    bad.write_text("id,lower,upper,size\n0,0,3,4\n1,2,x,4\n")
    out = tmp_path / "out.json"
    result = runner.invoke(
        cli.app, ["solve", "-p", "memory", "-i", str(bad), "-s", "first-fit", "-o", str(out)]
    )
    assert result.exit_code == 2 and not out.exists()
    assert f"{bad}:3: field 'upper'" in result.output


def test_csv_file_with_capacity_in_its_name(tmp_path: Path) -> None:
    inst = shipped.load("pack-04")
    path = tmp_path / f"mine.{inst.capacity}.csv"
    write_csv(inst, path)
    assert read_instance(path).capacity == inst.capacity
    out = tmp_path / "out.json"
    result = runner.invoke(
        cli.app, ["solve", "-p", "memory", "-i", str(path), "-s", "size-desc", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["instance"] == "mine"
