"""Runtime schedulers (DS3's family): MET, ETF, runtime HEFT and random, in both modes.

They drive SoCDAG-v0's own simulator (after ``env.reset(seed=budget.seed)``, so a stream sees
the same jobs, arrivals and noise as an agent with that seed would), placing every ready task
before the clock moves on. Called with a :class:`SoCDAGInstance` they run the static mode (list
scheduling, insertion by default, as the env); with a
:class:`schedgym.socdag.workload.StreamConfig` the stream mode. Extra keyword options go to the
env (e.g. ``insertion=False``).

=============  ==========================================================================
``met``        minimum execution time: the env's current task (highest upward rank) on the
               PE type that runs it fastest; among equally fast PEs the earliest finish
``etf``        earliest task first (DS3's): among all ready tasks and their PEs, the pair
               with the earliest estimated finish (``key="start"``: earliest start, as
               Hwang et al.'s ETF, ties by finish); ties by the env's task order, then PE id
``heft-rt``    runtime HEFT: the env's current task (ready tasks in decreasing upward rank)
               on the PE of earliest estimated finish; in static mode with insertion this is
               exactly HEFT
``random``     the env's current task on a uniformly random PE that can run it (seeded by
               the budget)
=============  ==========================================================================

``objective``: makespan (static) or average job latency (stream); ``info["metrics"]`` holds the
validated :class:`StaticMetrics` / :class:`StreamMetrics`, and ``info["actions"]`` the env
actions (PE per decision) of the schedulers that place the env's current task (all but ETF).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from schedgym.core.solver import Budget, SolveResult, Status, Stopwatch
from schedgym.socdag.env import SoCDAGEnv
from schedgym.socdag.instance import SoCDAGInstance
from schedgym.socdag.schedule import SoCDAGSchedule
from schedgym.socdag.simulator import SoCSimulator
from schedgym.socdag.validate import static_metrics, stream_metrics
from schedgym.socdag.workload import StreamConfig


class RuntimeScheduler:
    """Base class: subclasses define ``name`` and :meth:`pick`."""

    name = "runtime"
    problem = "socdag"

    def __init__(self, **env_options: Any) -> None:
        self.env_options = env_options

    def pick(self, sim: SoCSimulator, rng: np.random.Generator) -> tuple[int, int]:
        """The ``(task, pe)`` to assign now (the task must be ready)."""
        raise NotImplementedError

    def make_env(self, problem: SoCDAGInstance | StreamConfig) -> SoCDAGEnv:
        """The env that runs ``problem``."""
        if isinstance(problem, StreamConfig):
            return SoCDAGEnv(mode="stream", stream=problem, **self.env_options)
        return SoCDAGEnv(problem, mode="static", **self.env_options)

    def run(self, problem: SoCDAGInstance | StreamConfig, seed: int = 0) -> SoCSimulator:
        """Run one episode and return the finished simulator."""
        return self._play(problem, seed)[0]

    def _play(
        self, problem: SoCDAGInstance | StreamConfig, seed: int
    ) -> tuple[SoCSimulator, list[int] | None]:
        """One episode; also its env actions (the PE of each decision) when every pick was the
        env's current task, else ``None`` (ETF picks among all ready tasks)."""
        env = self.make_env(problem)
        env.reset(seed=seed)
        sim = env.simulator
        rng = np.random.default_rng(seed)
        actions: list[int] | None = []
        while not sim.finished:
            while sim.ready_count:
                current = sim.current()
                task, pe = self.pick(sim, rng)
                if actions is not None:
                    if task == current:
                        actions.append(pe)
                    else:
                        actions = None
                sim.assign(task, pe)
            sim.advance()
        return sim, actions

    def solve(
        self,
        problem: SoCDAGInstance | StreamConfig,
        budget: Budget = Budget(),  # noqa: B008 (frozen, immutable)
    ) -> SolveResult[SoCDAGSchedule]:
        """Schedule a static instance or one seeded stream episode."""
        with Stopwatch() as watch:
            sim, actions = self._play(problem, budget.seed)
        status: Status = "feasible"
        raw = sim.schedule(self.name, status)
        schedule = SoCDAGSchedule(
            raw.instance, raw.tasks, self.name, status, watch.elapsed, raw.conditions
        )
        metrics: Any
        if sim.online:
            metrics = stream_metrics(sim.instance, schedule)
            objective = metrics.avg_latency
        else:
            metrics = static_metrics(sim.instance, schedule)
            objective = metrics.makespan
        info: dict[str, Any] = {"metrics": metrics}
        if actions is not None:
            info["actions"] = actions  # env actions: replayable, e.g. as self-labelling labels
        return SolveResult(schedule, self.name, status, watch.elapsed, objective, info=info)


def _earliest_finish(sim: SoCSimulator, task: int, candidates: np.ndarray) -> int:
    _, finish = sim.estimates(task)
    finish = np.where(candidates, finish, np.inf)
    return int(np.argmin(finish))


class MET(RuntimeScheduler):
    """Minimum execution time (``socdag.met``)."""

    name = "met"

    def pick(self, sim: SoCSimulator, rng: np.random.Generator) -> tuple[int, int]:
        task = sim.current()
        row = sim.exec[task]
        fastest = sim.allowed[task] & (row <= np.nanmin(row))
        return task, _earliest_finish(sim, task, fastest)


class HEFTRT(RuntimeScheduler):
    """Runtime HEFT (``socdag.heft-rt``)."""

    name = "heft-rt"

    def pick(self, sim: SoCSimulator, rng: np.random.Generator) -> tuple[int, int]:
        task = sim.current()
        return task, _earliest_finish(sim, task, sim.allowed[task])


class ETF(RuntimeScheduler):
    """Earliest task first (``socdag.etf``); ``key`` is ``"finish"`` (DS3) or ``"start"``."""

    name = "etf"

    def __init__(self, *, key: Literal["finish", "start"] = "finish", **env_options: Any) -> None:
        if key not in ("finish", "start"):
            raise ValueError(f"key must be 'finish' or 'start', got {key!r}")
        super().__init__(**env_options)
        self.key = key

    def pick(self, sim: SoCSimulator, rng: np.random.Generator) -> tuple[int, int]:
        tasks = sim.ready_tasks()  # in the env's order: ties go to the first
        best: tuple[float, float] | None = None
        choice = (-1, -1)
        for task in tasks:
            start, finish = sim.estimates(int(task))
            start = np.where(np.isnan(start), np.inf, start)
            finish = np.where(np.isnan(finish), np.inf, finish)
            first, second = (finish, start) if self.key == "finish" else (start, finish)
            pe = int(np.lexsort((second, first))[0])
            score = (float(first[pe]), float(second[pe]))
            if best is None or score < best:
                best, choice = score, (int(task), pe)
        return choice


class RandomScheduler(RuntimeScheduler):
    """A uniformly random PE for the env's current task (``socdag.random``)."""

    name = "random"

    def pick(self, sim: SoCSimulator, rng: np.random.Generator) -> tuple[int, int]:
        task = sim.current()
        return task, int(rng.choice(np.flatnonzero(sim.allowed[task])))


RUNTIME: dict[str, type[RuntimeScheduler]] = {
    cls.name: cls for cls in (MET, ETF, HEFTRT, RandomScheduler)
}
