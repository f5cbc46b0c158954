"""The ``schedgym`` command: solve, evaluate, listings and the bad-input contract."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from schedgym.cli import app
from schedgym.core.solver import _LOCAL, Budget, SolveResult, register_solver
from schedgym.jobshop import JobShopInstance, JobShopSchedule, Operation
from schedgym.jobshop.problem import load_instance
from schedgym.jobshop.validate import validate_schedule
from schedgym.leaderboard import worker
from schedgym.leaderboard.report import read_rows_csv
from schedgym.leaderboard.store import Store

runner = CliRunner(env={"COLUMNS": "140"})


class SerialSolver:
    """Operations in route order, each as early as possible: feasible, never good."""

    problem = "jobshop"
    solved: ClassVar[list[str]] = []  # instances solved, in order (warm-up included)

    def __init__(self, name: str = "test-serial", broken: bool = False) -> None:
        self.name = name
        self.broken = broken

    def solve(self, instance: JobShopInstance, budget: Budget) -> SolveResult[JobShopSchedule]:
        SerialSolver.solved.append(instance.name)
        job_ready = [0] * instance.num_jobs
        machine_ready = [0] * instance.num_machines
        ops = []
        for k in range(instance.num_ops):
            for j in range(instance.num_jobs):
                m, d = int(instance.machines[j, k]), int(instance.durations[j, k])
                start = 0 if self.broken else max(job_ready[j], machine_ready[m])
                ops.append(Operation(j, k, m, start, start + d))
                job_ready[j] = machine_ready[m] = start + d
        schedule = JobShopSchedule(instance.name, tuple(ops))
        return SolveResult(schedule, self.name, "feasible", 0.0)


class NoSchedule:
    problem = "jobshop"
    name = "test-none"

    def solve(self, instance: Any, budget: Budget) -> SolveResult[JobShopSchedule]:
        return SolveResult(None, self.name, "timeout", 0.0)


@pytest.fixture(autouse=True)
def test_solvers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    register_solver("jobshop", "test-serial", lambda **kw: SerialSolver("test-serial"))
    register_solver("jobshop", "test-broken", lambda **kw: SerialSolver("test-broken", True))
    register_solver("jobshop", "test-none", lambda **kw: NoSchedule())
    monkeypatch.setattr(worker, "_SOLVERS", {})  # each test loads (and warms up) its solvers
    SerialSolver.solved = []
    yield
    for name in ("test-serial", "test-broken", "test-none"):
        _LOCAL.pop(f"jobshop.{name}", None)


def run(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def test_solve_writes_the_design_json(tmp_path: Path) -> None:
    out = tmp_path / "schedule.json"
    result = run(
        "solve", "--problem", "jobshop", "--instance", "ft06", "--solver", "mwkr", "--out", out
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert set(data) == {
        "problem",
        "instance",
        "solver",
        "status",
        "makespan",
        "wall_time_s",
        "operations",
    }
    assert (data["problem"], data["instance"], data["solver"]) == ("jobshop", "ft06", "mwkr")
    assert data["status"] in {"optimal", "feasible", "timeout"}
    assert isinstance(data["makespan"], int) and isinstance(data["wall_time_s"], float)
    assert len(data["operations"]) == 36
    for op in data["operations"]:
        assert set(op) == {"job", "index", "machine", "start", "end"}
        assert all(isinstance(v, int) for v in op.values())
    instance = load_instance("ft06")
    assert data["makespan"] == validate_schedule(instance, JobShopSchedule.read(out))
    assert {(op["job"], op["index"]) for op in data["operations"]} == {
        (j, k) for j in range(6) for k in range(6)
    }
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and f"makespan {data['makespan']}" in lines[0]
    assert os.listdir(tmp_path) == ["schedule.json"]  # no temporary files left


def test_solve_with_gantt_writes_png(tmp_path: Path) -> None:
    out, png = tmp_path / "s.json", tmp_path / "gantt.png"
    result = run("solve", "-i", "ft06", "-s", "spt", "-o", out, "--gantt", png, "--seed", "3")
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(os.listdir(tmp_path)) == ["gantt.png", "s.json"]


def test_solve_reads_an_instance_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.txt"
    path.write_text("2 2\n0 3 1 2\n1 4 0 1\n")
    out = tmp_path / "s.json"
    result = run("solve", "-i", path, "-s", "test-serial", "-o", out)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["instance"] == "tiny" and data["solver"] == "test-serial"
    assert data["makespan"] == validate_schedule(load_instance(path), JobShopSchedule.read(out))


def test_evaluate_prints_the_leaderboard_tables(tmp_path: Path) -> None:
    result = run(
        "evaluate",
        "--problem",
        "jobshop",
        "--suite",
        "ft",
        "--solvers",
        "spt,mwkr",
        "--time-limit",
        "1",
        "--csv",
        tmp_path / "r.csv",
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("### jobshop / ft (3 instances)")
    assert "gap % per size group, time limit 1 s:" in out
    assert "| solver | 6x6 | 10x10 | 20x5 | all | feasible | mean s |" in out
    assert "| solver | group | runs | feasible | gap % | mean s | p95 s | budget hits |" in out
    for solver in ("spt", "mwkr"):
        assert f"| `{solver}` |" in out
    rows = read_rows_csv(tmp_path / "r.csv")  # the leaderboard's row layout
    assert len(rows) == 6 and all(r.objective and r.gap_pct for r in rows)
    assert {(r.problem, r.suite, r.time_limit) for r in rows} == {("jobshop", "ft", 1.0)}
    assert {r.instance: r.size_group for r in rows} == {
        "ft06": "6x6",
        "ft10": "10x10",
        "ft20": "20x5",
    }
    ft06_spt = next(r for r in rows if r.instance == "ft06" and r.solver == "spt")
    assert ft06_spt.reference == 55
    assert ft06_spt.gap_pct == pytest.approx(100 * (ft06_spt.objective - 55) / 55)
    with (tmp_path / "r.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 6


def test_evaluate_never_scores_an_invalid_schedule(tmp_path: Path) -> None:
    result = run(
        "evaluate",
        "--suite",
        "ft06",
        "--solvers",
        "test-broken,test-none,test-serial",
        "--csv",
        tmp_path / "r.csv",
    )
    assert result.exit_code == 0, result.output
    assert "- failed: `test-broken` on ft06" in result.stdout
    assert ": invalid: " in result.stdout and ": timeout: " in result.stdout
    assert "| `test-broken` | - | - | 0% |" in result.stdout  # counted, never scored
    rows = {r["solver"]: r for r in csv.DictReader((tmp_path / "r.csv").open())}
    assert rows["test-broken"]["status"] == "invalid"
    assert rows["test-broken"]["objective"] == "" and rows["test-broken"]["gap_pct"] == ""
    assert "op" in rows["test-broken"]["message"]
    assert rows["test-none"]["status"] == "timeout" and rows["test-none"]["objective"] == ""
    assert rows["test-serial"]["objective"] != ""


def test_evaluate_resume_skips_finished_runs(tmp_path: Path) -> None:
    table = tmp_path / "r.csv"
    assert (
        run("evaluate", "--suite", "ft", "--solvers", "test-serial", "--csv", table).exit_code == 0
    )
    assert SerialSolver.solved[-3:] == ["ft06", "ft10", "ft20"]  # after the untimed warm-up
    before = len(SerialSolver.solved)
    result = run(
        "evaluate", "--suite", "ft", "--solvers", "test-serial,spt", "--csv", table, "--resume"
    )
    assert result.exit_code == 0, result.output
    assert len(SerialSolver.solved) == before  # nothing run twice
    rows = list(csv.DictReader(table.open()))
    assert sorted((r["instance"], r["solver"]) for r in rows) == sorted(
        (i, s) for i in ("ft06", "ft10", "ft20") for s in ("test-serial", "spt")
    )


def test_evaluate_db_keeps_rows_for_the_next_run(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    args = ("evaluate", "--suite", "ft", "--solvers", "test-serial", "--db", db)
    assert run(*args).exit_code == 0
    before = len(SerialSolver.solved)
    again = run(*args)
    assert again.exit_code == 0, again.output
    assert len(SerialSolver.solved) == before  # every row reused from the database
    assert "| `test-serial` |" in again.stdout
    with Store(db) as store:
        assert len(store.rows("jobshop", "ft")) == 3


def test_solve_fails_cleanly_on_an_invalid_schedule(tmp_path: Path) -> None:
    out, png = tmp_path / "s.json", tmp_path / "g.png"
    result = run("solve", "-i", "ft06", "-s", "test-broken", "-o", out, "--gantt", png)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "invalid" in lines[0]
    assert os.listdir(tmp_path) == []


BAD_FILES = {
    "malformed.txt": ("2 2\n0 3 1 4\n1 2 0 x\n", "malformed.txt:3"),
    "negative.txt": ("2 2\n0 3 1 4\n1 -4 0 2\n", "negative.txt:3: duration -4"),
    "short.txt": ("3 2\n0 3 1 4\n1 2 0 2\n", "short.txt:3"),
}


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["solve", "-i", "{tmp}/missing.txt", "-s", "spt"], "missing.txt: no such file"),
        (["solve", "-i", "{tmp}/malformed.txt", "-s", "spt"], BAD_FILES["malformed.txt"][1]),
        (["solve", "-i", "{tmp}/negative.txt", "-s", "spt"], BAD_FILES["negative.txt"][1]),
        (["solve", "-i", "{tmp}/short.txt", "-s", "spt"], BAD_FILES["short.txt"][1]),
        (["solve", "-i", "ft06", "-s", "nosuch"], "unknown solver 'nosuch'"),
        (["solve", "-i", "ft99", "-s", "spt"], "'ft99'"),
        (["solve", "-i", "ft06", "-s", "spt", "-p", "nosuch"], "unknown problem 'nosuch'"),
        (["evaluate", "--suite", "nosuch", "--solvers", "spt"], "unknown job-shop suite 'nosuch'"),
        (["evaluate", "--suite", "ft", "--solvers", "spt,nosuch"], "unknown solver 'nosuch'"),
    ],
)
def test_bad_input_gives_one_line_and_no_output(
    tmp_path: Path, command: list[str], expected: str
) -> None:
    for name, (text, _) in BAD_FILES.items():
        (tmp_path / name).write_text(text)
    before = sorted(os.listdir(tmp_path))
    out = tmp_path / ("s.json" if command[0] == "solve" else "r.csv")
    extra = ["-o", str(out), "--gantt", str(tmp_path / "g.png")] if command[0] == "solve" else []
    if command[0] == "evaluate":
        extra = ["--csv", str(out)]
    result = run(*[c.format(tmp=tmp_path) for c in command], *extra)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and expected in lines[0]
    assert sorted(os.listdir(tmp_path)) == before


def test_script_prints_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("2 2\n0 3 1 4\n1 -4 0 2\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "schedgym.cli",
            "solve",
            "-i",
            str(bad),
            "-s",
            "spt",
            "-o",
            str(tmp_path / "s.json"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith(f"error: {bad}:3: duration -4")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize("command", [[], ["solve"], ["evaluate"], ["suites"], ["solvers"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_listings() -> None:
    suites = run("suites", "--problem", "jobshop")
    assert suites.exit_code == 0
    listing = {line.split("\t")[0]: line.split("\t")[1:] for line in suites.stdout.splitlines()}
    assert listing["ft"][0] == "3" and len(listing["ft"][1]) == 16  # frozen: its digest
    assert listing["ta-15x15"][0] == "10"
    assert suites.stdout == run("leaderboard", "suites", "--problem", "jobshop").stdout
    solvers = run("solvers", "--problem", "jobshop")
    assert solvers.exit_code == 0
    rows = dict(line.split("\t", 1) for line in solvers.stdout.splitlines())
    assert {"spt", "mwkr", "test-serial"} <= set(rows)
    assert rows["spt"] == "Shortest processing time first."  # the docstring's first line


def test_solver_options_reach_the_rules_and_cpsat_refuses_dynamics(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    result = runner.invoke(
        app,
        [
            "solve",
            "-i",
            "ft06",
            "-s",
            "mwkr",
            "-O",
            "mtbf=30",
            "-O",
            "blocking=true",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["conditions"]["blocking"] is True and data["conditions"]["downtimes"]
    refused = tmp_path / "c.json"
    result = runner.invoke(
        app, ["solve", "-i", "ft06", "-s", "cpsat", "-O", "mtbf=30", "-o", str(refused)]
    )
    assert result.exit_code == 1 and not refused.exists()
    result = runner.invoke(
        app, ["solve", "-i", "ft06", "-s", "mwkr", "-O", "nonsense", "-o", str(refused)]
    )
    assert result.exit_code == 2 and not refused.exists()


def test_suites_lists_a_suites_instance_names() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["suites", "-p", "jobshop", "ft"])
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["ft06", "ft10", "ft20"]
    frozen = runner.invoke(app, ["leaderboard", "suites", "-p", "jobshop", "ta-15x15"])
    assert frozen.exit_code == 0, frozen.output
    assert frozen.output.split() == [f"ta{i:02d}" for i in range(1, 11)]
    assert runner.invoke(app, ["suites", "-p", "jobshop", "nope"]).exit_code == 2


def test_options_can_name_one_solver(tmp_path: Path) -> None:
    from schedgym.core.errors import UnknownNameError
    from schedgym.leaderboard.options import options_per_solver

    split = options_per_solver({"mtbf": 200, "cpsat.hint": "mwkr"}, ["mwkr", "cpsat"])
    assert split == {"mwkr": {"mtbf": 200}, "cpsat": {"mtbf": 200, "hint": "mwkr"}}
    with pytest.raises(UnknownNameError, match="not one of the solvers"):
        options_per_solver({"nope.hint": 1}, ["mwkr"])
    runner = CliRunner()
    args = ["evaluate", "-p", "jobshop", "--suite", "ft06", "--solvers", "mwkr,cpsat", "-t", "1"]
    result = runner.invoke(app, [*args, "-O", "cpsat.hint=mwkr"])
    assert result.exit_code == 0, result.output
    refused = runner.invoke(app, [*args, "-O", "hint=mwkr"])  # mwkr takes no hint
    assert refused.exit_code == 2
