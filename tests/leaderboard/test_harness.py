"""The harness in process and with a process pool: validation, determinism, resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from schedgym.core.errors import UnknownNameError
from schedgym.leaderboard.harness import make_plan, run_leaderboard
from schedgym.leaderboard.report import summarise
from schedgym.leaderboard.store import Row, Store
from schedgym.leaderboard.worker import solver_config
from schedgym.problems import get_problem


def outcome_of(row: Row) -> tuple[object, ...]:
    """Everything but the wall time and the session: what must not depend on the run."""
    return (*row.key, row.size_group, row.status, row.objective, row.reference, row.gap_pct)


def test_a_broken_solver_from_an_entry_point_fails_and_is_not_scored(
    plugin: Path, tmp_path: Path
) -> None:
    plan = make_plan("jobshop", "ft", ["test-broken", "mwkr"])
    config = solver_config("jobshop", "test-broken")[1]
    assert config["target"] == "schedgym_lb_testplugin:BrokenSolver"
    assert config["version"] == "0.1"
    outcome = run_leaderboard(plan, tmp_path / "r.sqlite")
    broken = [r for r in outcome.rows if r.solver == "test-broken"]
    assert len(broken) == 3
    assert all(r.status == "invalid" and r.objective is None and r.gap_pct is None for r in broken)
    assert "starts at 0 before op 0 of its job ends" in broken[0].message
    cells = {(c.solver, c.group): c for c in summarise(outcome.rows, get_problem("jobshop"))}
    assert cells[("test-broken", "all")].scored == 0
    assert cells[("test-broken", "all")].scores == (None,)
    assert cells[("mwkr", "all")].feasibility == 1.0


def test_same_seed_same_rows_and_reruns_reuse_them(tmp_path: Path) -> None:
    plan = make_plan("jobshop", "la-10x5", ["random", "mwkr"], seeds=[0, 1], repeats=2)
    first = run_leaderboard(plan, tmp_path / "a.sqlite")
    again = run_leaderboard(plan, tmp_path / "b.sqlite")
    assert first.planned == first.new == len(first.rows) == 5 * 2 * 2 * 2
    assert list(map(outcome_of, first.rows)) == list(map(outcome_of, again.rows))
    by_seed = {(r.instance, r.seed): r.objective for r in first.rows if r.solver == "random"}
    assert (
        by_seed[("la01", 0)] != by_seed[("la01", 1)] or by_seed[("la02", 0)] != by_seed[("la02", 1)]
    )
    resumed = run_leaderboard(plan, tmp_path / "a.sqlite")
    assert resumed.new == 0 and resumed.rows == first.rows


def test_process_pool_gives_the_same_rows(tmp_path: Path) -> None:
    plan = make_plan("jobshop", "demo", ["spt", "fdd-mwkr", "random"], seeds=[0, 3])
    local = run_leaderboard(plan, tmp_path / "a.sqlite")
    pooled = run_leaderboard(plan, tmp_path / "b.sqlite", workers=2)
    assert pooled.new == len(pooled.rows) == 8 * 3 * 2
    assert list(map(outcome_of, pooled.rows)) == list(map(outcome_of, local.rows))


def test_pool_workers_get_one_thread(
    plugin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    plan = make_plan("jobshop", "ft", ["test-env"])
    rows = run_leaderboard(plan, tmp_path / "r.sqlite", workers=2).rows
    assert [(r.status, r.message) for r in rows] == [
        ("error", "RuntimeError: OMP_NUM_THREADS=1")
    ] * 3


def test_time_budgets_and_budget_hits(tmp_path: Path) -> None:
    plan = make_plan("jobshop", "ft-10x10", ["cpsat", "mwkr"], time_limits=[0.2, 0.4])
    rows = run_leaderboard(plan, tmp_path / "r.sqlite").rows
    assert [(r.time_limit, r.solver) for r in rows] == [
        (0.2, "cpsat"),
        (0.2, "mwkr"),
        (0.4, "cpsat"),
        (0.4, "mwkr"),
    ]
    assert [r.budget_hit for r in rows] == [True, False, True, False]  # ft10 takes ~30 s to prove
    assert all(r.scored for r in rows)


def test_unknown_names_fail_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="unknown solver 'nope'"):
        make_plan("jobshop", "demo", ["mwkr", "nope"])
    with pytest.raises(UnknownNameError, match="not a frozen leaderboard suite"):
        make_plan("jobshop", "ta-1x1", ["mwkr"])


def test_results_of_other_suite_content_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    with Store(path) as store:
        store.register_suite("jobshop", "ft", "0" * 64)
    from schedgym.leaderboard.store import StoreError

    with pytest.raises(StoreError, match="other instance content"):
        run_leaderboard(make_plan("jobshop", "ft", ["mwkr"]), path)


def test_chunks_keep_the_runs_of_an_instance_together() -> None:
    plan = make_plan("jobshop", "la-10x5", ["spt", "mwkr"], seeds=[0, 1])
    chunks = plan.chunks(plan.runs(), 2, "s", None)
    assert [len({run[0] for run in c.runs}) for c in chunks] == [2, 2, 1]
    assert [run for c in chunks for run in c.runs] == plan.runs()
    assert dict(chunks[0].configs) == dict(plan.configs)
