"""Submissions generate the README's tables; the demo runs the leaderboard and writes plots."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from schedgym.core.errors import InstanceFormatError
from schedgym.experiments import demo
from schedgym.experiments.leaderboard import readme_tables
from schedgym.problems import all_problems


def test_readme_tables_are_generated_from_the_submissions() -> None:
    found = readme_tables.entries()
    assert {e.name for e in found} >= {"jobshop-dispatching-rules", "jobshop-cpsat-10s"}
    old, new = readme_tables.update(readme_tables.README, found)
    assert old == new, (
        "README is stale: run python -m schedgym.experiments.leaderboard.readme_tables"
    )
    # the README keeps the headline rows: the best classical and the best learned solver
    assert "| jobshop / `ta` | gap %, lower is better | `fdd-mwkr` [" in new
    assert "| `mwkr` |" not in new
    old, new = readme_tables.update(readme_tables.RESULTS, found)
    assert old == new, (
        "docs/results.md is stale: run python -m schedgym.experiments.leaderboard.readme_tables"
    )
    # docs/results.md has every row, naming each entry folder (the site cannot link outside docs/)
    assert "| `fdd-mwkr` | Dispatching rules (`experiments/leaderboard/" in new
    assert "| `mwkr` | Dispatching rules (`experiments/leaderboard/" in new
    assert readme_tables.main(["--check"]) == 0


def test_readme_tables_check_reports_a_stale_file(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    results = tmp_path / "results.md"
    for path in (readme, results):
        path.write_text(f"head\n{readme_tables.BEGIN}\nold\n{readme_tables.END}\ntail\n")
    args = ["--readme", str(readme), "--results", str(results)]
    assert readme_tables.main([*args, "--check"]) == 1
    assert readme_tables.main(args) == 0
    assert readme_tables.main([*args, "--check"]) == 0
    assert readme.read_text().startswith("head\n") and readme.read_text().endswith("tail\n")
    assert "| problem / suite |" in readme.read_text()
    assert "| `mwkr` | Dispatching rules (`experiments/leaderboard/" in results.read_text()


def test_an_incomplete_entry_is_refused(tmp_path: Path) -> None:
    entry = tmp_path / "jobshop-partial"
    shutil.copytree(readme_tables.HERE / "jobshop-dispatching-rules", entry)
    lines = (entry / "results.csv").read_text().splitlines()
    (entry / "results.csv").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(InstanceFormatError, match="no row for"):
        readme_tables.read_entry(entry)
    (entry / "entry.yaml").write_text("title: x\n")
    with pytest.raises(InstanceFormatError, match="missing field 'problem'"):
        readme_tables.read_entry(entry)


def test_demo_prints_tables_and_writes_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    solvers = "spt,mwkr,cpsat,heft,peft,first-fit,xla-greedy,greedy,least-loaded"
    args = ["--out", str(tmp_path), "--time-limits", "0.05,0.1", "--solvers", solvers]
    assert demo.main(args) == 0
    out = capsys.readouterr().out
    assert "### jobshop / demo (8 instances)" in out and "| `cpsat` |" in out
    names = {p.name for p in tmp_path.iterdir()}
    for problem in all_problems():
        assert f"### {problem.name} / {problem.demo.suite} (" in out
        assert f"{problem.name}_{problem.demo.suite}_budget.png" in names
    assert {
        "jobshop_demo_budget.png",
        "jobshop_demo_groups.png",
        "jobshop_demo.csv",
        "jobshop_demo.json",
        "gantt_jobshop_ft06.png",
        "leaderboard.sqlite",
    } <= names
