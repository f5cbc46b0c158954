"""The one harness: every solver, the same budget, every schedule validated, every row stored.

Both ``schedgym evaluate`` (any suite; a temporary store unless ``--db``) and ``schedgym
leaderboard run`` (frozen suites only) run through it. :func:`make_plan` verifies a frozen
suite's checksums (or fingerprints an unfrozen one) and loads every solver before any work;
:func:`run_leaderboard` plans the runs ``instance x time limit x solver x seed x repeat``, skips
those already in the database, and runs the rest through a backend: in this process
(``workers=1``), a local process pool (``workers=N``, one instance per task) or Ray
(:mod:`schedgym.leaderboard.ray_backend`, a chunk of instances per task). Every run goes through
:func:`schedgym.leaderboard.worker.run_chunk`, so a schedule that fails validation is a failed
row (status ``invalid``), never scored. Before each run a worker checks the database again, so
concurrent leaderboard processes rarely repeat work and never duplicate rows.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal, Protocol

from schedgym.core.errors import SchedGymError, UnknownNameError
from schedgym.core.solver import ENTRY_POINT_GROUP
from schedgym.leaderboard.store import Row, Store
from schedgym.leaderboard.suites import FrozenSuite, check, unfrozen_suite
from schedgym.leaderboard.worker import (
    Chunk,
    Run,
    configured_problem,
    get_solver,
    options_json,
    run_chunk,
    solver_config,
)

Backend = Literal["local", "ray"]


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
    settings: Mapping[str, Any] = field(default_factory=dict)

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
        options = tuple((s, options_json(self.options.get(s, {}))) for s in self.solvers)
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
                options_json(self.settings),
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
    settings: Mapping[str, Any] | None = None,
    frozen_only: bool = True,
) -> Plan:
    """Check the suite and load every solver (raising on bad names) into a plan.

    A frozen suite is verified against its manifest; with ``frozen_only=False`` any suite the
    problem lists is accepted (unfrozen ones are fingerprinted now), and instance ``settings``
    (e.g. a memory capacity) may change the instances.
    """
    settings = {k: v for k, v in (settings or {}).items() if v is not None}
    described = configured_problem(problem, settings)
    if frozen_only:
        if settings:
            names = ", ".join(f"--{k}" for k in settings)
            raise UnknownNameError(f"{names}: frozen leaderboard suites run as shipped")
        chosen = check(described, suite)
    else:
        chosen = unfrozen_suite(described, suite, settings)
    options = dict(options or {})
    configs = {}
    for name in dict.fromkeys(solvers):
        get_solver(problem, name, options.get(name, {}), threads)
        configs[name] = solver_config(problem, name, options.get(name, {}), threads, settings)[0]
    return Plan(
        problem,
        chosen,
        tuple(configs),
        configs,
        tuple(seeds),
        repeats,
        tuple(time_limits),
        options,
        threads,
        settings,
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
                plan.problem, solver, plan.options.get(solver, {}), plan.threads, plan.settings
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
    """Modules the forkserver imports once, so that each worker starts warm: the worker, the
    problem's descriptor module and the solvers' entry-point modules."""
    from schedgym.problems import PROBLEMS

    names = {f"{problem}.{s}" for s in solvers}
    modules = ["schedgym.leaderboard.worker", PROBLEMS.get(problem, "").partition(":")[0]]
    modules += [ep.module for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name in names]
    return [m for m in dict.fromkeys(modules) if m]


#: How often a pool worker checks that the process that started the pool is still alive.
WATCHDOG_INTERVAL_S = 0.2
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (a killed parent not yet reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rpartition(b")")[2].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (not Linux): existence is all we can tell
    return state not in (b"Z", b"X")


def _die_with(owner: int) -> None:
    """Make this pool worker end when ``owner`` (the process that made the pool) ends, even by
    ``kill -9``: then the forkserver, whose children all ended, and the resource tracker, whose
    pipe closes, end too.

    Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` kills the worker when its parent (the
    forkserver) dies; a parent that died before the call is caught by comparing ``getppid``.
    Everywhere: a daemon thread polls ``owner`` every :data:`WATCHDOG_INTERVAL_S` and kills the
    worker once it is gone (the forkserver outlives the owner until its children end).
    """
    import signal
    import sys
    import threading
    import time

    parent = os.getppid()
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the watchdog still works
            pass
    if os.getppid() != parent or not _alive(owner):
        os.kill(os.getpid(), signal.SIGKILL)

    def watch() -> None:
        while _alive(owner):
            time.sleep(WATCHDOG_INTERVAL_S)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="schedgym-owner-watchdog", daemon=True).start()


def _init_worker(owner: int) -> None:
    import signal

    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["MKL_NUM_THREADS"] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _die_with(owner)


def _run_pool(chunks: list[Chunk], workers: int, count: Callable[[Sequence[Row]], None]) -> None:
    """Run ``chunks`` on a forkserver process pool of ``workers``; each worker dies with this
    process (:func:`_die_with`), and a worker that dies is one error line, not a traceback."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_preload(chunks[0].problem, [s for s, _ in chunks[0].configs]))
    pool = ProcessPoolExecutor(
        min(workers, len(chunks)),
        mp_context=context,
        initializer=_init_worker,
        initargs=(os.getpid(),),
    )
    try:
        pending = {pool.submit(run_chunk, chunk) for chunk in chunks}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                try:
                    rows = future.result()
                except BrokenProcessPool:
                    raise SchedGymError(
                        "a leaderboard worker process died (killed, or out of memory); the "
                        "finished runs are stored: rerun the same command to resume"
                    ) from None
                count(rows)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
