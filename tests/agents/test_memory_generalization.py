"""experiments/memory_generalization.py: generated instances, the ratio table, resuming."""

from __future__ import annotations

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


def test_buffer_range(capsys: pytest.CaptureFixture[str]) -> None:
    assert mg.parse_args(["--buffers", "60-120"]).buffers == (60, 120)
    assert mg.parse_args(["--buffers", "90"]).buffers == (90, 90)
    for bad in ("x", "9-3", "0-4"):  # a usage error (exit 2), not a traceback
        with pytest.raises(SystemExit) as exited:
            mg.parse_args(["--buffers", bad])
        assert exited.value.code == 2
        assert "argument --buffers: expected" in capsys.readouterr().err


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
    own = mg.parse_args(["--solvers", "ppo-gnn-sample", "--set", "ppo-gnn-sample.samples=2"])
    assert own.solver_names == ["xla-greedy", "ppo-gnn-sample"]  # the reference joins
    assert own.options == {"xla-greedy": {}, "ppo-gnn-sample": {"samples": 2}}
    shared = mg.parse_args(["--solvers", "ppo-gnn", "--set", "a=x", "--set", "ppo-gnn.a=[1]"])
    assert shared.options == {"xla-greedy": {"a": "x"}, "ppo-gnn": {"a": [1]}}  # YAML values
    for bad, reason in (
        ("samples", "expected KEY=VALUE"),
        ("samples=", "no value after '='"),
        ("nope.samples=2", "'nope' is not one of the solvers of this run"),
    ):  # a usage error (exit 2) naming --set, not a traceback
        with pytest.raises(SystemExit) as exited:
            mg.parse_args(["--set", bad])
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert "error: --set " in err and reason in err, err
    # an option the solver does not take: refused before any run
    refused = ["--instances", "1", "--buffers", "8", "--solvers", "xla-greedy", "--set", "k=1"]
    assert mg.main(refused) == 2
    assert "solver 'xla-greedy' does not take these options" in capsys.readouterr().err
    args = ["--instances", "1", "--buffers", "8", "--time-limit", "0"]
    args += ["--solvers", "ppo-gnn-sample", "--set", "ppo-gnn-sample.samples=2"]
    assert mg.main(args) == 0
    printed = capsys.readouterr().out
    assert "no time limit" in printed and "| ppo-gnn-sample | 1/1 |" in printed
