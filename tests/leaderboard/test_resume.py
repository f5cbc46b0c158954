"""Real processes: a leaderboard run killed with SIGKILL resumes to the same table, and two runs
writing into one database at once lose and duplicate nothing."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from schedgym.leaderboard.harness import make_plan, run_leaderboard
from schedgym.leaderboard.report import markdown, summarise
from schedgym.problems import get_problem

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

Env = Callable[..., dict[str, str]]
Cmd = Callable[..., list[str]]
SUITE = "demo"  # 8 instances
RUN = ("leaderboard", "run", "--suite", SUITE, "--quiet")
KEY = "problem, suite, instance, solver, seed, repeat, time_limit, config"


def count(db: Path) -> tuple[int, int]:
    """(rows, distinct keys) in ``db``."""
    if not db.exists():
        return 0, 0
    con = sqlite3.connect(db, timeout=30)
    try:
        rows = con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        keys = con.execute(f"SELECT COUNT(*) FROM (SELECT DISTINCT {KEY} FROM runs)").fetchone()[0]
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0, 0
    finally:
        con.close()
    return rows, keys


def table_without_times(db: Path, solvers: list[str]) -> str:
    """The Markdown table of ``solvers`` on the suite, wall-time columns dropped."""
    plan = make_plan("jobshop", SUITE, solvers)
    rows = run_leaderboard(plan, db).rows  # everything is stored: nothing runs
    jobshop = get_problem("jobshop")
    lines = markdown(summarise(rows, jobshop), jobshop, SUITE).splitlines()
    return "\n".join("|".join(line.split("|")[:-4]) for line in lines)


def test_sigkill_midway_then_rerun_gives_the_same_table(
    plugin: Path, tmp_path: Path, subprocess_env: Env, schedgym_cmd: Cmd
) -> None:
    env = subprocess_env(SCHEDGYM_TEST_DELAY="0.15")
    db = tmp_path / "killed.sqlite"
    args = [*RUN, "--solvers", "test-slow,mwkr", "--db", str(db)]
    proc = subprocess.Popen(
        schedgym_cmd(*args), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while count(db)[0] < 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    done_before = count(db)[0]
    assert 4 <= done_before < 16
    rerun = subprocess.run(
        schedgym_cmd(*args), env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"16 runs planned: {16 - done_before} new, {done_before} reused" in rerun.stderr
    assert count(db) == (16, 16)

    reference = tmp_path / "reference.sqlite"
    run_leaderboard(make_plan("jobshop", SUITE, ["test-slow", "mwkr"]), reference)
    assert table_without_times(db, ["test-slow", "mwkr"]) == table_without_times(
        reference, ["test-slow", "mwkr"]
    )


def test_two_concurrent_runs_into_one_database(
    plugin: Path, tmp_path: Path, subprocess_env: Env, schedgym_cmd: Cmd
) -> None:
    env = subprocess_env(SCHEDGYM_TEST_DELAY="0.1")
    db = tmp_path / "shared.sqlite"
    procs = [
        subprocess.Popen(
            schedgym_cmd(*RUN, "--solvers", solvers, "--db", str(db)),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for solvers in ("test-slow,mwkr", "test-slow,spt")
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "16 runs planned" in err and "| `test-slow` |" in out
    assert count(db) == (24, 24)  # 8 test-slow (shared), 8 mwkr, 8 spt
    tables = [table_without_times(db, s) for s in (["test-slow", "mwkr"], ["test-slow", "spt"])]
    assert all("| `test-slow` |" in t and "100%" in t for t in tables)


def test_ctrl_c_prints_the_finished_rows_and_exits_130(
    plugin: Path, tmp_path: Path, subprocess_env: Env, schedgym_cmd: Cmd
) -> None:
    db = tmp_path / "interrupted.sqlite"
    args = [*RUN, "--solvers", "test-slow", "--db", str(db)]
    proc = subprocess.Popen(
        schedgym_cmd(*args),
        env=subprocess_env(SCHEDGYM_TEST_DELAY="0.3"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a shell runs background jobs with SIGINT ignored, and Python keeps an ignored SIGINT
        # ignored: give the child the default disposition, however the tests were started
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while count(db)[0] < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "| `test-slow` |" in out
    assert "error: interrupted with" in err and "rerun the same command to resume" in err
    assert 2 <= count(db)[0] < 8
