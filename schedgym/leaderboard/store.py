"""The results database: one SQLite file holding every leaderboard run row.

Each finished run is committed at once (a kill loses at most the runs in flight); a row's key is
``(problem, suite, instance, solver, seed, repeat, time_limit, config)`` under a UNIQUE
constraint and rows go in with ``INSERT OR IGNORE``, so a rerun or a concurrent writer never
duplicates one. The file runs in WAL mode with a busy timeout, and writes take the lock up
front (``BEGIN IMMEDIATE``), so several leaderboard processes can write at once.

Default location: ``$SCHEDGYM_DB``, else ``leaderboard.sqlite`` in the user's data directory
(:func:`default_db`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any

from schedgym.core.errors import SchedGymError

Key = tuple[str, str, str, str, int, int, float | None, str]
NO_LIMIT = -1.0  # how a missing time limit (the solver's default) is stored

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    problem TEXT NOT NULL, suite TEXT NOT NULL, instance TEXT NOT NULL, solver TEXT NOT NULL,
    seed INTEGER NOT NULL, repeat INTEGER NOT NULL, time_limit REAL NOT NULL,
    config TEXT NOT NULL,
    size_group TEXT NOT NULL, status TEXT NOT NULL, objective REAL, reference REAL,
    gap_pct REAL, wall_time_s REAL NOT NULL, budget_hit INTEGER NOT NULL,
    message TEXT NOT NULL, session TEXT NOT NULL, created REAL NOT NULL,
    UNIQUE (problem, suite, instance, solver, seed, repeat, time_limit, config)
);
CREATE TABLE IF NOT EXISTS suites (
    problem TEXT NOT NULL, suite TEXT NOT NULL, sha256 TEXT NOT NULL,
    PRIMARY KEY (problem, suite)
);
CREATE TABLE IF NOT EXISTS configs (
    config TEXT PRIMARY KEY, problem TEXT NOT NULL, solver TEXT NOT NULL, description TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    session TEXT PRIMARY KEY, started REAL NOT NULL, command TEXT NOT NULL,
    environment TEXT NOT NULL
);
"""


class StoreError(SchedGymError):
    """The database cannot be opened or holds results that contradict this run."""


@dataclass(frozen=True)
class Row:
    """One run: its key (problem ... config), the validated outcome and the time it took.

    ``objective`` is the validator's value, ``None`` for a failed run (status ``invalid``,
    ``error``, ``timeout``...); ``budget_hit`` is true when the run used its whole time limit.
    """

    problem: str
    suite: str
    instance: str
    solver: str
    seed: int
    repeat: int
    time_limit: float | None
    config: str
    size_group: str
    status: str
    objective: float | None
    reference: float | None
    gap_pct: float | None
    wall_time_s: float
    budget_hit: bool
    message: str = ""
    session: str = ""

    @property
    def key(self) -> Key:
        """The UNIQUE key of the row."""
        return (
            self.problem,
            self.suite,
            self.instance,
            self.solver,
            self.seed,
            self.repeat,
            self.time_limit,
            self.config,
        )

    @property
    def scored(self) -> bool:
        """Whether the run produced a validated schedule."""
        return self.objective is not None


ROW_COLUMNS = tuple(f.name for f in fields(Row))


def default_db() -> Path:
    """``$SCHEDGYM_DB`` if set, else ``leaderboard.sqlite`` in the user's data directory."""
    env = os.environ.get("SCHEDGYM_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("schedgym", appauthor=False)) / "leaderboard.sqlite"


def _limit_in(value: float | None) -> float:
    return NO_LIMIT if value is None else float(value)


def _limit_out(value: float) -> float | None:
    return None if value < 0 else value


class Store:
    """An open results database (``Store(path)``; use as a context manager or ``close()``)."""

    def __init__(self, path: str | Path, timeout_s: float = 120.0) -> None:
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise StoreError(f"{self.path}: no such directory for the database")
        try:
            self._db = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            with self._write():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the results database ({exc})") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def register_suite(self, problem: str, suite: str, sha256: str) -> None:
        """Record the suite's digest; raises :class:`StoreError` if the file holds another."""
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO suites VALUES (?, ?, ?)", (problem, suite, sha256))
            (stored,) = db.execute(
                "SELECT sha256 FROM suites WHERE problem = ? AND suite = ?", (problem, suite)
            ).fetchone()
        if stored != sha256:
            raise StoreError(
                f"{self.path} holds results of {problem}/{suite} with other instance content "
                f"({stored[:12]} vs {sha256[:12]}); use another --db"
            )

    def register_config(self, config: str, problem: str, solver: str, description: str) -> None:
        """Record what a config hash stands for (solver target, version, options)."""
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO configs VALUES (?, ?, ?, ?)",
                (config, problem, solver, description),
            )

    def start_session(self, session: str, command: str, environment: dict[str, Any]) -> None:
        """Record a leaderboard invocation and the environment it ran in."""
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO sessions VALUES (?, ?, ?, ?)",
                (session, time.time(), command, json.dumps(environment, sort_keys=True)),
            )

    def insert(self, rows: Iterable[Row]) -> int:
        """Insert rows in one transaction, ignoring keys already present; returns how many."""
        values = [
            (*astuple(r)[:6], _limit_in(r.time_limit), *astuple(r)[7:], time.time()) for r in rows
        ]
        if not values:
            return 0
        marks = ", ".join("?" * (len(ROW_COLUMNS) + 1))
        with self._write() as db:
            before = db.total_changes
            db.executemany(
                f"INSERT OR IGNORE INTO runs ({', '.join(ROW_COLUMNS)}, created) VALUES ({marks})",
                values,
            )
            return db.total_changes - before

    def done_keys(self, problem: str, suite: str) -> set[Key]:
        """Keys of the rows stored for ``problem``/``suite``."""
        query = (
            "SELECT problem, suite, instance, solver, seed, repeat, time_limit, config "
            "FROM runs WHERE problem = ? AND suite = ?"
        )
        return {(*k[:6], _limit_out(k[6]), k[7]) for k in self._db.execute(query, (problem, suite))}

    def has(self, key: Key) -> bool:
        """Whether the row ``key`` is stored."""
        query = (
            "SELECT 1 FROM runs WHERE problem = ? AND suite = ? AND instance = ? AND solver = ? "
            "AND seed = ? AND repeat = ? AND time_limit = ? AND config = ?"
        )
        args = (*key[:6], _limit_in(key[6]), key[7])
        return self._db.execute(query, args).fetchone() is not None

    def rows(
        self,
        problem: str,
        suite: str | None = None,
        solvers: Sequence[str] | None = None,
        configs: Sequence[str] | None = None,
    ) -> list[Row]:
        """Stored rows of ``problem`` (optionally one suite, some solvers/configs), oldest first."""
        where, args = ["problem = ?"], [problem]
        if suite is not None:
            where.append("suite = ?")
            args.append(suite)
        for column, values in (("solver", solvers), ("config", configs)):
            if values is not None:
                where.append(f"{column} IN ({', '.join('?' * len(values))})")
                args.extend(values)
        query = f"SELECT {', '.join(ROW_COLUMNS)} FROM runs WHERE {' AND '.join(where)} ORDER BY id"
        out = []
        for values in self._db.execute(query, args):
            v = list(values)
            v[6] = _limit_out(v[6])
            v[14] = bool(v[14])
            out.append(Row(*v))
        return out

    def sessions(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        """The recorded sessions ``ids`` (command, start time, environment), oldest first."""
        wanted = sorted(set(ids))
        if not wanted:
            return []
        query = (
            "SELECT session, started, command, environment FROM sessions "
            f"WHERE session IN ({', '.join('?' * len(wanted))}) ORDER BY started"
        )
        return [
            {"session": s, "started": t, "command": c, "environment": json.loads(e)}
            for s, t, c, e in self._db.execute(query, wanted)
        ]

    def configs(self, problem: str) -> dict[str, dict[str, Any]]:
        """Config hash -> its description, for ``problem``."""
        query = "SELECT config, description FROM configs WHERE problem = ?"
        return {c: json.loads(d) for c, d in self._db.execute(query, (problem,))}
