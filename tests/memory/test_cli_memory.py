"""``schedgym solve/evaluate --problem memory`` through the shared CLI, with the memory adapter
plugged into ``PROBLEMS`` here (the one line the CLI needs) and baselines registered locally."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from baselines.memory import SOLVERS, solver_class
from schedgym import cli
from schedgym.core.solver import register_solver
from schedgym.datasets import memory as shipped
from schedgym.memory.formats import read_instance, write_csv
from schedgym.memory.mapping import read_mapping
from schedgym.memory.validate import validate_mapping

runner = CliRunner(env={"COLUMNS": "160"})


@pytest.fixture(autouse=True)
def memory_problem(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(cli.PROBLEMS, "memory", "schedgym.memory.evaluation:ADAPTER")
    for name in SOLVERS:
        register_solver("memory", name, solver_class(name))
    yield


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
    assert "assign-00" in result.output and "xla-greedy" in result.output


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
