"""experiments/memory_generalization.py: generated instances, the ratio table, resuming."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pytest

from schedgym.experiments import memory_generalization as mg


def test_instances_are_seeded_and_sized() -> None:
    first = mg.instances(3, 7, (12, 15))
    again = mg.instances(3, 7, (12, 15))
    assert [i.name for i in first] == [i.name for i in again]
    assert len({i.name for i in first}) == 3
    assert all(12 <= i.num_buffers <= 15 and i.variant == "assign" for i in first)


def test_size_range() -> None:
    assert mg.size_range("60-120") == (60, 120)
    assert mg.size_range("90") == (90, 90)
    for bad in ("x", "9-3", "0-4"):
        with pytest.raises(argparse.ArgumentTypeError):
            mg.size_range(bad)


def test_report_and_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "runs.csv"
    args = ["--instances", "2", "--buffers", "8-10", "--time-limit", "0.2", "--csv", str(out)]
    assert mg.main([*args, "--solvers", "ppo-gnn"]) == 0  # the reference joins by itself
    table = capsys.readouterr().out
    assert "| xla-greedy | 2/2 | 1.0000 |" in table and "| ppo-gnn | 2/2 |" in table
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 4 and all(r["status"] == "feasible" for r in rows)
    assert mg.main([*args, "--solvers", "ppo-gnn", "--resume"]) == 0  # nothing left to run
    assert len(list(csv.DictReader(out.open()))) == 4
    assert mg.main([*args, "--solvers", "nope"]) == 2


def test_solver_options_and_no_time_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert mg.solver_options(["ppo-gnn-sample.samples=2", "a.b=x"]) == {
        "ppo-gnn-sample": {"samples": 2},
        "a": {"b": "x"},
    }
    with pytest.raises(argparse.ArgumentTypeError):
        mg.solver_options(["samples=2"])
    args = ["--instances", "1", "--buffers", "8", "--time-limit", "0"]
    args += ["--solvers", "ppo-gnn-sample", "--set", "ppo-gnn-sample.samples=2"]
    assert mg.main(args) == 0
    printed = capsys.readouterr().out
    assert "no time limit" in printed and "| ppo-gnn-sample | 1/1 |" in printed
