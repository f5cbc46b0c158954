"""The one harness: every solver, the same budget, every schedule validated, every row stored.

:func:`run_leaderboard` checks the frozen suite's checksums, loads every solver (all before any
work), plans the runs ``instance x time limit x solver x seed x repeat``, skips those already in
the database, and runs the rest through a backend: in this process (``workers=1``), a local
process pool (``workers=N``, one instance per task) or Ray (:mod:`schedgym.leaderboard.ray_backend`,
a chunk of instances per task). Each run goes through :func:`schedgym.core.report.run_one`, so a
schedule that fails validation is a failed row (status ``invalid``), never scored. Before each
run a worker checks the database again, so concurrent leaderboard processes rarely repeat work
and never duplicate rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal, Protocol

from schedgym.core.report import run_one
from schedgym.core.solver import ENTRY_POINT_GROUP, Budget, load_solver
from schedgym.leaderboard.spec import get_spec
from schedgym.leaderboard.store import Row, Store
from schedgym.leaderboard.suites import FrozenSuite, check

Backend = Literal["local", "ray"]
#: One run inside a chunk: (instance, solver, seed, repeat, time limit).
Run = tuple[str, str, int, int, float | None]

_SOLVERS: dict[tuple[str, str, str, int], Any] = {}


def _options_json(options: Mapping[str, Any]) -> str:
    return json.dumps(dict(options), sort_keys=True, default=str)


def solver_config(
    problem: str, name: str, options: Mapping[str, Any] | None = None, threads: int = 1
) -> tuple[str, dict[str, Any]]:
    """The config hash of a solver and what it stands for: the entry point's target and the
    version of the distribution that provides it, the options, the thread count and schedgym's
    version. A new solver release or other options give new rows rather than reusing old ones."""
    from schedgym import __version__
    from schedgym.core.solver import _LOCAL

    key = f"{problem}.{name}"
    target, version = "unknown", "unknown"
    if key in _LOCAL:
        factory = _LOCAL[key]
        target = f"local:{factory.__module__}:{getattr(factory, '__qualname__', repr(factory))}"
    else:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == key:
                target = ep.value
                version = ep.dist.version if ep.dist is not None else "unknown"
    description = {
        "solver": name,
        "target": target,
        "version": version,
        "options": json.loads(_options_json(options or {})),
        "threads": threads,
        "schedgym": __version__,
    }
    digest = hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()
    return digest[:12], description


def get_solver(problem: str, name: str, options: Mapping[str, Any], threads: int) -> Any:
    """Load (once per process) solver ``name`` with ``options``, warmed up on the spec's
    ``warmup`` instance."""
    key = (problem, name, _options_json(options), threads)
    if key not in _SOLVERS:
        solver = load_solver(problem, name, **options)
        spec = get_spec(problem)
        if spec.warmup is not None:
            instance = spec.adapter.load_instance(spec.warmup)
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


def run_chunk(chunk: Chunk, sink: Callable[[Row], None] | None = None) -> list[Row]:
    """Run a chunk's runs in order and return their rows.

    With ``chunk.db`` set, each run already in the database is skipped and each new row is
    committed at once; ``sink`` (if given) is called with each new row as it finishes.
    """
    spec = get_spec(chunk.problem)
    adapter = spec.adapter
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
                loaded = (name, adapter.load_instance(name))
            obj = get_solver(chunk.problem, solver, json.loads(options[solver]), chunk.threads)
            budget = Budget(time_limit_s=limit, seed=seed, workers=chunk.threads)
            record = run_one(adapter, name, loaded[1], solver, obj, budget)
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


@dataclass(frozen=True)
class Plan:
    """What a leaderboard invocation asks for; :meth:`runs` lists it in a stable order."""

    problem: str
    suite: FrozenSuite
    solvers: tuple[str, ...]
    configs: Mapping[str, str]
    seeds: tuple[int, ...] = (0,)
    repeats: int = 1
    time_limits: tuple[float | None, ...] = (None,)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    threads: int = 1

    def runs(self) -> list[Run]:
        """Every run: instance, then time limit, solver, seed and repeat."""
        return [
            (name, solver, seed, repeat, limit)
            for name in self.suite.names
            for limit in self.time_limits
            for solver in self.solvers
            for seed in self.seeds
            for repeat in range(self.repeats)
        ]

    def key(self, run: Run) -> tuple[str, str, str, str, int, int, float | None, str]:
        """The database key of ``run``."""
        name, solver, seed, repeat, limit = run
        return (
            self.problem,
            self.suite.name,
            name,
            solver,
            seed,
            repeat,
            limit,
            self.configs[solver],
        )

    def select(self, rows: Iterable[Row]) -> list[Row]:
        """The rows of this plan, in plan order (one per key)."""
        by_key = {r.key: r for r in rows}
        return [by_key[k] for k in map(self.key, self.runs()) if k in by_key]

    def chunks(self, todo: Sequence[Run], size: int, session: str, db: str | None) -> list[Chunk]:
        """``todo`` split into chunks of ``size`` instances (runs of one instance stay together)."""
        by_instance: dict[str, list[Run]] = {}
        for run in todo:
            by_instance.setdefault(run[0], []).append(run)
        groups = list(by_instance.values())
        configs = tuple((s, self.configs[s]) for s in self.solvers)
        options = tuple((s, _options_json(self.options.get(s, {}))) for s in self.solvers)
        return [
            Chunk(
                self.problem,
                self.suite.name,
                tuple(run for group in groups[i : i + size] for run in group),
                configs,
                options,
                self.threads,
                session,
                db,
            )
            for i in range(0, len(groups), size)
        ]


@dataclass
class Outcome:
    """What :func:`run_leaderboard` did: the plan's rows now stored, and how many are new."""

    plan: Plan
    rows: list[Row]
    new: int
    planned: int
    session: str
    interrupted: bool = False


class Progress(Protocol):
    """Progress display: told the number of runs to do, then each batch that finishes."""

    def start(self, total: int) -> None:
        """``total`` runs are about to start."""
        ...

    def advance(self, count: int, description: str) -> None:
        """``count`` more runs finished; ``description`` names the last one."""
        ...


def make_plan(
    problem: str,
    suite: str,
    solvers: Sequence[str],
    seeds: Sequence[int] = (0,),
    repeats: int = 1,
    time_limits: Sequence[float | None] = (None,),
    options: Mapping[str, Mapping[str, Any]] | None = None,
    threads: int = 1,
) -> Plan:
    """Check the suite's checksums and load every solver (raising on bad names) into a plan."""
    spec = get_spec(problem)
    frozen = check(spec, suite)
    options = dict(options or {})
    configs = {}
    for name in dict.fromkeys(solvers):
        get_solver(problem, name, options.get(name, {}), threads)
        configs[name] = solver_config(problem, name, options.get(name, {}), threads)[0]
    return Plan(
        problem,
        frozen,
        tuple(configs),
        configs,
        tuple(seeds),
        repeats,
        tuple(time_limits),
        options,
        threads,
    )


def run_leaderboard(
    plan: Plan,
    db: str | Path,
    backend: Backend = "local",
    workers: int = 1,
    ray_address: str | None = None,
    progress: Progress | None = None,
    environment: Mapping[str, Any] | None = None,
    command: str = "",
) -> Outcome:
    """Run what ``plan`` asks for that ``db`` does not hold yet; return the plan's rows.

    Ctrl-C stops the run: the rows finished so far stay stored and ``interrupted`` is set;
    running the same plan again resumes.
    """
    session = uuid.uuid4().hex[:12]
    with Store(db) as store:
        store.register_suite(plan.problem, plan.suite.name, plan.suite.sha256)
        for solver, config in plan.configs.items():
            _, description = solver_config(
                plan.problem, solver, plan.options.get(solver, {}), plan.threads
            )
            store.register_config(config, plan.problem, solver, json.dumps(description))
        store.start_session(session, command, dict(environment or {}))
        done = store.done_keys(plan.problem, plan.suite.name)
        todo = [run for run in plan.runs() if plan.key(run) not in done]
        interrupted = False

        def count(rows: Sequence[Row]) -> None:
            if progress is not None and rows:
                progress.advance(len(rows), f"{rows[-1].instance} / {rows[-1].solver}")

        if progress is not None:
            progress.start(len(todo))

        try:
            if not todo:
                pass
            elif backend == "ray":
                from schedgym.leaderboard.ray_backend import run_ray

                instances = len({run[0] for run in todo})

                def chunks_for(cpus: int) -> list[Chunk]:
                    size = max(1, math.ceil(instances / (2 * max(cpus, 1))))
                    return plan.chunks(todo, size, session, None)

                def keep(rows: Sequence[Row]) -> None:
                    store.insert(rows)
                    count(rows)

                run_ray(chunks_for, ray_address, workers, keep)
            elif workers <= 1:
                for chunk in plan.chunks(todo, 1, session, str(db)):
                    run_chunk(chunk, sink=lambda row: count([row]))
            else:
                _run_pool(plan.chunks(todo, 1, session, str(db)), workers, count)
        except KeyboardInterrupt:
            interrupted = True
        rows = plan.select(store.rows(plan.problem, plan.suite.name))
    new = sum(r.session == session for r in rows)  # also counts rows workers wrote themselves
    return Outcome(plan, rows, new, len(plan.runs()), session, interrupted)


def _preload(problem: str, solvers: Sequence[str]) -> list[str]:
    """Modules the forkserver imports once, so that each worker starts warm: the harness, the
    problem's spec module and the solvers' entry-point modules."""
    from schedgym.leaderboard.spec import spec_target

    names = {f"{problem}.{s}" for s in solvers}
    modules = [__name__, (spec_target(problem) or "").partition(":")[0]]
    modules += [ep.module for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name in names]
    return [m for m in dict.fromkeys(modules) if m]


def _init_worker() -> None:
    import signal

    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["MKL_NUM_THREADS"] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C


def _run_pool(chunks: list[Chunk], workers: int, count: Callable[[Sequence[Row]], None]) -> None:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_preload(chunks[0].problem, [s for s, _ in chunks[0].configs]))
    pool = ProcessPoolExecutor(
        min(workers, len(chunks)), mp_context=context, initializer=_init_worker
    )
    try:
        pending = {pool.submit(run_chunk, chunk) for chunk in chunks}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                count(future.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
