"""``schedgym leaderboard``: run, show, --export, suites, verify, problems, and bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from schedgym.cli import app

runner = CliRunner(env={"COLUMNS": "140"})


def lb(*args: str | Path) -> Any:
    return runner.invoke(app, ["leaderboard", *map(str, args)])


def test_run_then_show_and_export(tmp_path: Path) -> None:
    db, out = tmp_path / "r.sqlite", tmp_path / "out"
    out.mkdir()
    result = lb(
        "run",
        "--suite",
        "la-10x5",
        "--solvers",
        "mwkr,spt",
        "--seeds",
        "0-1",
        "-t",
        "1",
        "--db",
        db,
        "--quiet",
        "--csv",
        out / "runs.csv",
        "--json",
        out / "summary.json",
        "--markdown",
        out / "table.md",
        "--plots",
        out / "plots",
    )
    assert result.exit_code == 0, result.output
    assert "| solver | 10x5 | all | feasible | mean s |" in result.output
    assert "| `mwkr` | 16.03 | 16.03 | 100% |" in result.output
    with (out / "runs.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5 * 2 * 2 and {r["solver"] for r in rows} == {"mwkr", "spt"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["suite"] == "la-10x5" and len(summary["suite_sha256"]) == 64
    assert summary["environment"]["libraries"]["schedgym"] == "0.1.0"
    assert {"cpu", "logical_cores"} <= set(summary["environment"]["machine"])
    assert "commit" in summary["environment"]["git"] and summary["sessions"]
    cell = next(c for c in summary["cells"] if c["solver"] == "mwkr" and c["group"] == "all")
    assert cell["runs"] == 10 and cell["feasibility"] == 1.0 and "p95_wall_s" in cell
    assert (out / "table.md").read_text().startswith("### jobshop / la-10x5")
    assert sorted(p.name for p in (out / "plots").iterdir()) == [
        "jobshop_la-10x5_budget.png",
        "jobshop_la-10x5_groups.png",
    ]
    assert (out / "plots" / "jobshop_la-10x5_budget.png").read_bytes()[:4] == b"\x89PNG"

    shown = lb(
        "show", "--suite", "la-10x5", "--db", db, "--solvers", "spt", "--export", out / "spt.csv"
    )
    assert shown.exit_code == 0, shown.output
    assert "| `spt` |" in shown.output and "`mwkr`" not in shown.output
    with (out / "spt.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 10


def test_env_var_names_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEDGYM_DB", str(tmp_path / "env.sqlite"))
    assert lb("run", "--suite", "ft-6x6", "--solvers", "mwkr", "--quiet").exit_code == 0
    assert (tmp_path / "env.sqlite").is_file()
    assert "| `mwkr` |" in lb("show", "--suite", "ft-6x6").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--suite", "nope", "--solvers", "mwkr"), "not a frozen leaderboard suite"),
        (("--suite", "ft", "--solvers", "mwkr,nope"), "unknown solver 'nope'"),
        (("--suite", "ft", "--solvers", "mwkr", "-p", "nope"), "unknown problem 'nope'"),
        (("--suite", "ft", "--solvers", "mwkr", "-t", "soon"), "not a number of seconds"),
        (("--suite", "ft", "--solvers", "mwkr", "--seeds", "a"), "--seeds"),
        (("--suite", "ft", "--solvers", "mwkr", "--backend", "dask"), "unknown backend"),
        (("--suite", "ft", "--solvers", "mwkr", "--csv", "no/dir/x.csv"), "no such directory"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    db = tmp_path / "r.sqlite"
    result = lb("run", *args, "--db", db, "--quiet")
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_show_without_results(tmp_path: Path) -> None:
    result = lb("show", "--suite", "ft", "--db", tmp_path / "none.sqlite")
    assert result.exit_code == 2 and "no results database" in result.output
    assert list(tmp_path.iterdir()) == []


def test_listings() -> None:
    suites = lb("suites")
    assert suites.exit_code == 0 and "\nta\t80\t" in suites.output
    assert "demo\t8\t" in suites.output
    verified = lb("verify", "--suite", "demo")
    assert verified.exit_code == 0 and "1 frozen suites of jobshop verified" in verified.output
    problems = lb("problems")
    assert problems.output.startswith("jobshop\tmakespan (min)\tgap %")
