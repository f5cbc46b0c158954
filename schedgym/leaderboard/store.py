"""The results database: one SQLite file holding every leaderboard run row.

Each finished run is committed at once (a kill loses at most the runs in flight); a row's key is
``(problem, suite, instance, solver, seed, repeat, time_limit, config)`` under a UNIQUE
constraint and rows go in with ``INSERT OR IGNORE``, so a rerun or a concurrent writer never
duplicates one. The file runs in WAL mode with a busy timeout, and writes take the lock up
front (``BEGIN IMMEDIATE``), so several leaderboard processes can write at once.

Opening a file checks it first: a regular file, SQLite's ``PRAGMA quick_check`` (once per
process and file), the schema version in ``PRAGMA user_version`` (:data:`SCHEMA_VERSION`; files
from before versioning are checked and stamped), and the tables with their columns and the
UNIQUE key as :data:`_SCHEMA` makes them. A damaged file or another database is refused with
one :class:`StoreFormatError` naming the file (bad input, exit code 2 in the CLI); no row is
added to it.

Default location: ``$SCHEDGYM_DB``, else ``leaderboard.sqlite`` in the user's data directory
(:func:`default_db`).
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from schedgym.core.errors import InstanceFormatError, SchedGymError

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


#: ``PRAGMA user_version`` of the files this module writes (0: a file from before versioning).
SCHEMA_VERSION = 1
#: The tables of the schema (a file with other tables and none of these is not a results file).
TABLES = ("runs", "suites", "configs", "sessions")
KEY_COLUMNS = ("problem", "suite", "instance", "solver", "seed", "repeat", "time_limit", "config")


class StoreError(SchedGymError):
    """The database cannot be opened or holds results that contradict this run."""


class StoreFormatError(StoreError, InstanceFormatError):
    """The file is damaged or is not a schedgym results database (bad input: exit code 2)."""

    def __init__(self, source: str | Path, message: str) -> None:
        super().__init__(source, message)
        self.detail = message

    def __reduce__(self) -> tuple[Any, ...]:  # pool workers send it back to the parent
        return (type(self), (self.source, self.detail))


P = ParamSpec("P")
R = TypeVar("R")


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Turn SQLite errors of a :class:`Store` method into one-line store errors naming the file:
    a damaged file (``DatabaseError``) -> :class:`StoreFormatError`, anything else operational
    (``database is locked``...) -> :class:`StoreError`."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{args[0].path}: {exc}") from None  # type: ignore[attr-defined]
        except (sqlite3.DatabaseError, json.JSONDecodeError) as exc:
            path = args[0].path  # type: ignore[attr-defined]
            raise StoreFormatError(path, f"damaged results database ({exc})") from None

    return wrapper


@functools.cache
def _expected_schema() -> dict[str, tuple[str, ...]]:
    """Table -> column names, as :data:`_SCHEMA` creates them (read from an in-memory copy)."""
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(_SCHEMA)
        return {t: tuple(r[1] for r in db.execute(f"PRAGMA table_info({t})")) for t in TABLES}
    finally:
        db.close()


_QUICK_CHECKED: set[tuple[str, int, int]] = set()  # (path, device, inode) checked this process


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
        if self.path.exists() and not self.path.is_file():
            raise StoreFormatError(self.path, "not a regular file (expected a SQLite database)")
        try:
            self._db = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the results database ({exc})") from None
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
            self._quick_check()
            self._check_schema()  # before any change: a refused file stays as it was
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            with self._write():
                self._create_schema()
        except BaseException as exc:
            self._db.close()
            if isinstance(exc, sqlite3.OperationalError):
                raise StoreError(f"{self.path}: cannot open the results database ({exc})") from None
            if isinstance(exc, sqlite3.DatabaseError):
                raise StoreFormatError(self.path, f"damaged results database ({exc})") from None
            raise

    @classmethod
    def check(cls, path: str | Path) -> None:
        """Check an existing database file (integrity, schema) without running anything; a
        missing file is fine (it is created on first use)."""
        if os.path.lexists(path):
            cls(path).close()

    def _quick_check(self) -> None:
        """``PRAGMA quick_check`` once per process and file (device, inode)."""
        try:
            info = os.stat(self.path)
        except OSError:
            return  # a new file
        key = (str(self.path.resolve()), info.st_dev, info.st_ino)
        if info.st_size == 0 or key in _QUICK_CHECKED:
            return
        found = [r[0] for r in self._db.execute("PRAGMA quick_check(5)")]
        if found != ["ok"]:
            raise StoreFormatError(self.path, f"damaged results database ({'; '.join(found)})")
        _QUICK_CHECKED.add(key)

    def _check_schema(self) -> list[str]:
        """Check the file's schema version, tables, columns and run key; return the tables of
        :data:`TABLES` it has (none for a new file)."""
        db = self._db
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreFormatError(
                self.path,
                f"results database of schema version {version}; this schedgym reads "
                f"version {SCHEMA_VERSION} (upgrade schedgym)",
            )
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        ours = [t for t in TABLES if t in tables]
        if (version == SCHEMA_VERSION and len(ours) < len(TABLES)) or (tables and not ours):
            missing = ", ".join(t for t in TABLES if t not in tables)
            raise StoreFormatError(
                self.path, f"not a schedgym results database (no table {missing})"
            )
        for table in ours:
            columns = tuple(r[1] for r in db.execute(f"PRAGMA table_info({table})"))
            if columns != _expected_schema()[table]:
                raise StoreFormatError(
                    self.path,
                    f"not a schedgym results database: table {table} has the columns "
                    f"{', '.join(columns)}; expected {', '.join(_expected_schema()[table])}",
                )
        if "runs" in tables and not self._has_unique_key():
            raise StoreFormatError(
                self.path, "not a schedgym results database: table runs has no UNIQUE run key"
            )
        return ours

    def _create_schema(self) -> None:
        """Inside the write transaction (so that concurrent openers agree): check again, create
        the missing tables and stamp the schema version."""
        if len(self._check_schema()) < len(TABLES):
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
        if self._db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _has_unique_key(self) -> bool:
        for index in self._db.execute("PRAGMA index_list(runs)"):
            if index[2]:  # unique
                columns = tuple(r[2] for r in self._db.execute(f"PRAGMA index_info('{index[1]}')"))
                if columns == KEY_COLUMNS:
                    return True
        return False

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

    @_guarded
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

    @_guarded
    def register_config(self, config: str, problem: str, solver: str, description: str) -> None:
        """Record what a config hash stands for (solver target, version, options)."""
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO configs VALUES (?, ?, ?, ?)",
                (config, problem, solver, description),
            )

    @_guarded
    def start_session(self, session: str, command: str, environment: dict[str, Any]) -> None:
        """Record a leaderboard invocation and the environment it ran in."""
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO sessions VALUES (?, ?, ?, ?)",
                (session, time.time(), command, json.dumps(environment, sort_keys=True)),
            )

    @_guarded
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

    @_guarded
    def done_keys(self, problem: str, suite: str) -> set[Key]:
        """Keys of the rows stored for ``problem``/``suite``."""
        query = (
            "SELECT problem, suite, instance, solver, seed, repeat, time_limit, config "
            "FROM runs WHERE problem = ? AND suite = ?"
        )
        return {(*k[:6], _limit_out(k[6]), k[7]) for k in self._db.execute(query, (problem, suite))}

    @_guarded
    def has(self, key: Key) -> bool:
        """Whether the row ``key`` is stored."""
        query = (
            "SELECT 1 FROM runs WHERE problem = ? AND suite = ? AND instance = ? AND solver = ? "
            "AND seed = ? AND repeat = ? AND time_limit = ? AND config = ?"
        )
        args = (*key[:6], _limit_in(key[6]), key[7])
        return self._db.execute(query, args).fetchone() is not None

    @_guarded
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

    @_guarded
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

    @_guarded
    def configs(self, problem: str) -> dict[str, dict[str, Any]]:
        """Config hash -> its description, for ``problem``."""
        query = "SELECT config, description FROM configs WHERE problem = ?"
        return {c: json.loads(d) for c, d in self._db.execute(query, (problem,))}
