"""The Ray backend gives the same rows, and so the same table, as the local one; its workers
run with one OpenMP thread."""

from __future__ import annotations

from pathlib import Path

import pytest

from schedgym.leaderboard.harness import make_plan, run_leaderboard
from schedgym.leaderboard.report import markdown, summarise
from schedgym.leaderboard.store import Row
from schedgym.problems import get_problem

pytest.importorskip("ray")


def outcome_of(row: Row) -> tuple[object, ...]:
    return (*row.key, row.size_group, row.status, row.objective, row.gap_pct)


def scores_only(text: str) -> list[str]:
    """Table lines without the wall-time columns."""
    return ["|".join(line.split("|")[:-4]) for line in text.splitlines()]


def test_ray_matches_local_on_a_small_jobshop_suite(
    plugin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(plugin))  # Ray workers find the test solvers too
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    plan = make_plan("jobshop", "demo", ["spt", "mwkr", "random", "test-env"], seeds=[0, 1])
    local = run_leaderboard(plan, tmp_path / "local.sqlite")
    fanned = run_leaderboard(plan, tmp_path / "ray.sqlite", backend="ray", workers=2)
    assert fanned.new == len(fanned.rows) == 8 * 4 * 2
    assert list(map(outcome_of, fanned.rows)) == list(map(outcome_of, local.rows))
    jobshop = get_problem("jobshop")
    tables = [markdown(summarise(o.rows, jobshop), jobshop, "demo") for o in (local, fanned)]
    assert scores_only(tables[0]) == scores_only(tables[1])
    threads = {r.message for r in fanned.rows if r.solver == "test-env"}
    assert threads == {"RuntimeError: OMP_NUM_THREADS=1"}
