"""The leaderboard survives what a careless user does to it (issue 16): a damaged or foreign
results database is one ``error:`` line naming the file (exit 2) for ``run`` and ``show``
alike, with the file left as it was; pool workers die with the process that started them, even
after ``kill -9``; a worker that dies is one error line."""

from __future__ import annotations

import hashlib
import os
import pickle
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from typer.testing import CliRunner

from schedgym.cli import app
from schedgym.leaderboard import store as store_module
from schedgym.leaderboard.store import SCHEMA_VERSION, Row, Store, StoreFormatError

runner = CliRunner(env={"COLUMNS": "140"})
ROOT = Path(__file__).resolve().parents[2]

PLUGIN = '''
"""Test solvers for tests/reliability/test_leaderboard_robustness.py."""
import multiprocessing
import os
import time

from schedgym.baselines.jobshop.rules import MWKR


class Sleepy(MWKR):
    """MWKR, then a sleep of $REL_SLEEP_S seconds (not in the warm-up, which has a budget)."""

    name = "rel-sleep"

    def solve(self, instance, budget):
        result = super().solve(instance, budget)
        if budget.time_limit_s is None:
            time.sleep(float(os.environ.get("REL_SLEEP_S", "1")))
        return result


class Crash(MWKR):
    """Kills its own process when run in a pool worker."""

    name = "rel-crash"

    def solve(self, instance, budget):
        if multiprocessing.parent_process() is not None:
            os._exit(3)
        return super().solve(instance, budget)
'''
ENTRY_POINTS = """[schedgym.solvers]
jobshop.rel-sleep = schedgym_rel_plugin:Sleepy
jobshop.rel-crash = schedgym_rel_plugin:Crash
"""


def lb(*args: str | Path) -> Any:
    return runner.invoke(app, ["leaderboard", *map(str, args)])


def one_error_line(result: Any) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return str(lines[0])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def filled_db(path: Path, count: int = 600) -> Path:
    """A results database holding ``count`` rows of ``jobshop/ft`` (about 30 pages)."""
    rows = [
        Row(
            problem="jobshop",
            suite="ft",
            instance=f"ft{i % 3}",
            solver="mwkr",
            seed=i,
            repeat=0,
            time_limit=None,
            config="cfg",
            size_group="g",
            status="feasible",
            objective=55.0,
            reference=55.0,
            gap_pct=0.0,
            wall_time_s=0.01,
            budget_hit=False,
        )
        for i in range(count)
    ]
    with Store(path) as store:
        store.insert(rows)
    return path


@pytest.fixture(autouse=True)
def fresh_checks() -> Iterator[None]:
    """Each test sees quick_check run again (it runs once per process and file)."""
    store_module._QUICK_CHECKED.clear()
    yield
    store_module._QUICK_CHECKED.clear()


# ------------------------------------------------------------------------ database integrity


def both_refuse(db: Path, message: str) -> None:
    """``run`` and ``show`` on ``db``: one error line naming the file, the file unchanged."""
    before = digest(db)
    ran = lb("run", "--suite", "ft", "--solvers", "mwkr", "--db", db, "--quiet")
    line = one_error_line(ran)
    assert str(db) in line and message in line
    shown = lb("show", "--suite", "ft", "--db", db)
    line = one_error_line(shown)
    assert str(db) in line and message in line
    assert digest(db) == before
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]


def test_junk_bytes_inside_the_database(tmp_path: Path) -> None:
    db = filled_db(tmp_path / "r.sqlite")
    assert lb("show", "--suite", "ft", "--db", db).exit_code == 0
    with db.open("r+b") as fh:
        fh.seek(8192)
        fh.write(random.Random(0).randbytes(8192))
    both_refuse(db, "damaged results database")


def test_junk_over_the_header(tmp_path: Path) -> None:
    db = filled_db(tmp_path / "r.sqlite")
    with db.open("r+b") as fh:
        fh.write(b"\0" * 100)
    both_refuse(db, "file is not a database")


def test_a_runs_table_with_the_wrong_schema(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, problem TEXT, score REAL)")
    con.commit()
    con.close()
    both_refuse(db, "table runs has the columns id, problem, score")


def test_runs_without_the_unique_key(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    reference = sqlite3.connect(":memory:")
    reference.executescript(store_module._SCHEMA)
    columns = [r[1] for r in reference.execute("PRAGMA table_info(runs)")]
    con = sqlite3.connect(db)
    con.execute(f"CREATE TABLE runs ({', '.join(columns)})")
    con.commit()
    con.close()
    both_refuse(db, "no UNIQUE run key")


def test_another_sqlite_database_and_a_newer_schema(tmp_path: Path) -> None:
    other = tmp_path / "other" / "notes.sqlite"
    other.parent.mkdir()
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE notes (text TEXT)")
    con.commit()
    con.close()
    both_refuse(other, "not a schedgym results database")
    (tmp_path / "newer").mkdir()
    newer = filled_db(tmp_path / "newer" / "r.sqlite")
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    both_refuse(newer, f"schema version {SCHEMA_VERSION + 1}")


def test_a_directory_as_database(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    db.mkdir()
    ran = lb("run", "--suite", "ft", "--solvers", "mwkr", "--db", db, "--quiet")
    assert "--db: is a directory" in one_error_line(ran)
    assert "no results database" in one_error_line(lb("show", "--suite", "ft", "--db", db))


def test_a_file_from_before_versioning_is_accepted_and_stamped(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    con = sqlite3.connect(db)
    con.executescript(store_module._SCHEMA)
    con.close()
    with Store(db) as store:
        assert store.rows("jobshop") == []
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


def test_store_format_error_survives_a_process_boundary() -> None:
    error = pickle.loads(pickle.dumps(StoreFormatError("r.sqlite", "damaged")))
    assert isinstance(error, StoreFormatError) and str(error) == "r.sqlite: damaged"


# ----------------------------------------------------------------------------- process pool


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for a ``schedgym`` subprocess that sees the rel-sleep and rel-crash solvers
    (a tiny installed distribution with entry points, nothing pip-installed)."""
    site = tmp_path_factory.mktemp("relsite")
    (site / "schedgym_rel_plugin.py").write_text(PLUGIN)
    info = site / "schedgym_rel_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: schedgym-rel-plugin\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    env = dict(os.environ, OMP_NUM_THREADS="1", COLUMNS="140")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), str(ROOT), env.get("PYTHONPATH")]))
    env.pop("SCHEDGYM_DB", None)
    return env


def stored(db: Path) -> int:
    try:
        con = sqlite3.connect(db, timeout=5)
        try:
            return int(con.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def living(processes: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                out.append(process)
        except psutil.NoSuchProcess:
            pass
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux process tree")
def test_kill_9_leaves_no_worker_forkserver_or_tracker(
    tmp_path: Path, plugin_env: dict[str, str]
) -> None:
    db = tmp_path / "k.sqlite"
    command = [sys.executable, "-m", "schedgym.cli", "leaderboard", "run", "--suite", "demo",
               "--solvers", "rel-sleep", "--workers", "2", "--quiet", "--db", str(db)]  # fmt: skip
    proc = subprocess.Popen(
        command,
        env={**plugin_env, "REL_SLEEP_S": "1.0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    parent = psutil.Process(proc.pid)
    tree: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            tree = parent.children(recursive=True)
            if len(tree) >= 4 and stored(db) >= 1:  # tracker, forkserver, 2 busy workers
                break
            time.sleep(0.1)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        tree = parent.children(recursive=True)
        assert len(tree) >= 4, [p.cmdline()[-1][:60] for p in tree]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while living(tree) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert living(tree) == [], [(p.pid, p.ppid(), p.name()) for p in living(tree)]
    finally:
        for process in living(tree):
            process.kill()
        if proc.poll() is None:
            proc.kill()
        if proc.stderr:
            proc.stderr.close()


def test_a_worker_that_dies_is_one_error_line(tmp_path: Path, plugin_env: dict[str, str]) -> None:
    db = tmp_path / "c.sqlite"
    command = [sys.executable, "-m", "schedgym.cli", "leaderboard", "run", "--suite", "ft",
               "--solvers", "rel-crash", "--workers", "2", "--quiet", "--db", str(db)]  # fmt: skip
    proc = subprocess.run(
        command, env=plugin_env, capture_output=True, text=True, timeout=120, check=False
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and "worker process died" in lines[0]


def test_ray_that_cannot_start_is_one_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from schedgym.core.errors import SchedGymError
    from schedgym.leaderboard.ray_backend import run_ray

    def refuse(**kwargs: Any) -> None:
        raise ConnectionError("Could not find any running Ray instance.\nPlease start one.")

    fake = SimpleNamespace(is_initialized=lambda: False, init=refuse)
    monkeypatch.setitem(sys.modules, "ray", fake)
    with pytest.raises(SchedGymError, match=r"^cannot start or reach the Ray cluster at 'auto'"):
        run_ray(lambda cpus: [], "auto", 2, lambda rows: None)
