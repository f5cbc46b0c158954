"""What a leaderboard worker runs: a :class:`Chunk` of runs, each solved, validated and stored.

Every backend (this process, a local process pool, Ray tasks) calls :func:`run_chunk`. Each run
goes through :func:`schedgym.core.run.run_one`, so a schedule that fails validation is a failed
row (status ``invalid``), never scored. Solvers are loaded once per process
(:func:`get_solver`) and warmed up on the problem's ``warmup`` instance, so that first-call
costs (JIT compilation, model loading) are not charged to the first timed run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from schedgym.core.problem import Problem
from schedgym.core.run import run_one
from schedgym.core.solver import Budget, load_solvers, solver_target
from schedgym.leaderboard.store import Row, Store
from schedgym.problems import get_problem

#: One run inside a chunk: (instance, solver, seed, repeat, time limit).
Run = tuple[str, str, int, int, float | None]

_SOLVERS: dict[tuple[str, str, str, int, tuple[int, int] | None], Any] = {}


def options_json(options: Mapping[str, Any]) -> str:
    """Canonical JSON of solver options (or instance settings)."""
    return json.dumps(dict(options), sort_keys=True, default=str)


def solver_config(
    problem: str,
    name: str,
    options: Mapping[str, Any] | None = None,
    threads: int = 1,
    settings: Mapping[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The config hash of a solver and what it stands for: the entry point's target and the
    version of the distribution that provides it, the options, the thread count, the instance
    settings (if any), schedgym's version and the solver's ``fingerprint`` attribute if it has
    one (agents: their checkpoint file's digest). A new solver release, other options or other
    weights give new rows rather than reusing old ones."""
    from schedgym import __version__

    target, version = solver_target(problem, name)
    description = {
        "solver": name,
        "target": target,
        "version": version,
        "options": json.loads(options_json(options or {})),
        "threads": threads,
        "schedgym": __version__,
    }
    fingerprint = getattr(get_solver(problem, name, options or {}, threads), "fingerprint", None)
    if fingerprint is not None:  # e.g. an agent's checkpoint digest: new weights, new rows
        description["fingerprint"] = str(fingerprint)
    if settings:
        description["settings"] = json.loads(options_json(settings))
    digest = hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()
    return digest[:12], description


def configured_problem(name: str, settings: Mapping[str, Any] | None = None) -> Problem:
    """The registered problem ``name`` under instance ``settings`` (e.g. a memory capacity)."""
    return get_problem(name).configured(**dict(settings or {}))


def _file_version(options: Mapping[str, Any]) -> tuple[int, int] | None:
    """(mtime, size) of a ``checkpoint`` option's file: a file rewritten in place (a retrained
    agent) is loaded again rather than served from the per-process cache."""
    path = options.get("checkpoint")
    if not isinstance(path, str | os.PathLike):
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def get_solver(problem: str, name: str, options: Mapping[str, Any], threads: int) -> Any:
    """Load (once per process) solver ``name`` with ``options``, warmed up on the problem's
    ``warmup`` instance."""
    key = (problem, name, options_json(options), threads, _file_version(options))
    if key not in _SOLVERS:
        solver = load_solvers(problem, [name], options)[name]
        described = get_problem(problem)
        if described.warmup is not None:
            instance = described.load(described.warmup)
            with contextlib.suppress(Exception):  # a failing solver fails in the timed runs
                solver.solve(instance, Budget(time_limit_s=1.0, seed=0, workers=threads))
        _SOLVERS[key] = solver
    return _SOLVERS[key]


@dataclass(frozen=True)
class Chunk:
    """A unit of work for a backend: runs of a few instances, all of one suite."""

    problem: str
    suite: str
    runs: tuple[Run, ...]
    configs: tuple[tuple[str, str], ...]  # (solver, config hash)
    options: tuple[tuple[str, str], ...]  # (solver, options as JSON)
    threads: int
    session: str
    db: str | None = None  # workers that can reach the database check and write it themselves
    settings: str = "{}"  # instance settings as JSON (e.g. the memory problem's capacity)


def run_chunk(chunk: Chunk, sink: Callable[[Row], None] | None = None) -> list[Row]:
    """Run a chunk's runs in order and return their rows.

    With ``chunk.db`` set, each run already in the database is skipped and each new row is
    committed at once; ``sink`` (if given) is called with each new row as it finishes.
    """
    problem = configured_problem(chunk.problem, json.loads(chunk.settings))
    configs, options = dict(chunk.configs), dict(chunk.options)
    store = Store(chunk.db) if chunk.db is not None else None
    rows: list[Row] = []
    loaded: tuple[str, Any] | None = None
    try:
        for name, solver, seed, repeat, limit in chunk.runs:
            key = (chunk.problem, chunk.suite, name, solver, seed, repeat, limit, configs[solver])
            if store is not None and store.has(key):
                continue
            if loaded is None or loaded[0] != name:
                loaded = (name, problem.load(name))
            obj = get_solver(chunk.problem, solver, json.loads(options[solver]), chunk.threads)
            budget = Budget(time_limit_s=limit, seed=seed, workers=chunk.threads)
            record = run_one(problem, name, loaded[1], solver, obj, budget)
            hit = (
                record.status == "timeout"
                or bool(record.info.get("hit_time_limit"))
                or (limit is not None and record.wall_time_s >= limit)
            )
            row = Row(
                *key,
                record.size_group,
                record.status,
                record.objective,
                record.reference,
                record.gap_pct,
                record.wall_time_s,
                hit,
                record.message,
                chunk.session,
            )
            if store is not None:
                store.insert([row])
            rows.append(row)
            if sink is not None:
                sink(row)
    finally:
        if store is not None:
            store.close()
    return rows
