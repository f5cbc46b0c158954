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
    old, new = readme_tables.update(readme_tables.ROOT / "README.md", found)
    assert old == new, (
        "README is stale: run python -m schedgym.experiments.leaderboard.readme_tables"
    )
    assert "| `fdd-mwkr` | [Dispatching rules]" in new


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
