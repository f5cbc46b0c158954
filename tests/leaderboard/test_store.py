"""The SQLite store: UNIQUE keys, INSERT OR IGNORE, round trips, suite digests."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from pathlib import Path

import pytest

from schedgym.leaderboard.store import Row, Store, StoreError, default_db


def row(
    instance: str = "ft06", solver: str = "mwkr", limit: float | None = 1.0, **kw: object
) -> Row:
    base = Row(
        "jobshop",
        "demo",
        instance,
        solver,
        0,
        0,
        limit,
        "cfg",
        "6x6",
        "feasible",
        60.0,
        55.0,
        9.09,
        0.01,
        False,
        "",
        "s1",
    )
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def test_insert_or_ignore_keeps_one_row_per_key(tmp_path: Path) -> None:
    with Store(tmp_path / "r.sqlite") as store:
        assert store.insert([row(), row(limit=None), row(solver="spt")]) == 3
        assert store.insert([row(objective=1.0), row(limit=None)]) == 0  # same keys: ignored
        rows = store.rows("jobshop", "demo")
        assert [r.objective for r in rows] == [60.0, 60.0, 60.0]
        assert rows[1].time_limit is None and rows[0].time_limit == 1.0
        assert store.has(row().key) and not store.has(row(instance="la01").key)
        assert store.done_keys("jobshop", "demo") == {r.key for r in rows}
        assert store.rows("jobshop", "demo", solvers=["spt"]) == [row(solver="spt")]


def test_failed_rows_round_trip(tmp_path: Path) -> None:
    failed = row(status="invalid", objective=None, gap_pct=None, budget_hit=True, message="x")
    with Store(tmp_path / "r.sqlite") as store:
        store.insert([failed])
        (back,) = store.rows("jobshop")
    assert back == failed and not back.scored


def test_a_suite_digest_is_pinned_per_database(tmp_path: Path) -> None:
    with Store(tmp_path / "r.sqlite") as store:
        store.register_suite("jobshop", "demo", "a" * 64)
        store.register_suite("jobshop", "demo", "a" * 64)
        with pytest.raises(StoreError, match="other instance content"):
            store.register_suite("jobshop", "demo", "b" * 64)


def test_threads_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"

    def write(offset: int) -> None:
        with Store(path) as store:
            for i in range(30):
                store.insert([row(instance=f"i{(i + offset) % 40}")])

    threads = [threading.Thread(target=write, args=(k * 10,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Store(path) as store:
        assert len(store.rows("jobshop")) == 40
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_default_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SCHEDGYM_DB", str(tmp_path / "x.sqlite"))
    assert default_db() == tmp_path / "x.sqlite"
    monkeypatch.delenv("SCHEDGYM_DB")
    assert default_db().name == "leaderboard.sqlite" and "schedgym" in str(default_db())


def test_missing_directory_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such directory"):
        Store(tmp_path / "nope" / "r.sqlite")
