"""Priority dispatching rules for the job shop, run through JobShop-v0's simulator.

Each rule scores the env's legal jobs and dispatches the best one (lowest score; ties go to the
lowest job index, or are broken at random for ``random``). Because they drive the env's own
simulator (after ``env.reset(seed=budget.seed)``, skipping only the observation encoding), the
rules build the same schedules an agent would, and they run unchanged under processing-time
noise, breakdowns, arrivals and blocking: pass those env options to the constructor, e.g.
``MWKR(mtbf=200, mttr=20)``.

``construction``: ``"non-delay"`` (default, the leaderboard's rows) scores the jobs that can
start at the current time; ``"active"`` scores the Giffler-Thompson conflict set and starts the
chosen operation at its earliest feasible start, left-shifted into idle gaps
(:mod:`schedgym.jobshop.active`; static job shop and arrivals only). From the CLI:
``schedgym evaluate --suite ta --solvers mwkr -O construction=active``. There is no compiled
fast path: both constructions run through the env's simulator, so a rule's schedule is exactly
the one the env builds when its ``info["actions"]`` are replayed.

=============  =====================================================================
``spt``        shortest processing time of the next operation
``lpt``        longest processing time of the next operation
``mwkr``       most work remaining (next operation included)
``mopnr``      most operations remaining
``fifo``       earliest time the job became ready for its next operation
``fdd-mwkr``   flow due date (release + work up to the next operation, inclusive)
               divided by the work remaining, smallest first
``random``     uniformly random legal job (seeded by the budget)
=============  =====================================================================
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np

from schedgym.core.solver import Budget, SolveResult, Status, Stopwatch
from schedgym.jobshop.active import check_supported
from schedgym.jobshop.dynamics import DynamicsConfig
from schedgym.jobshop.env import JobShopEnv
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import JobShopSchedule
from schedgym.jobshop.simulator import JobShopSimulator


class DispatchingRule:
    """Base class: subclasses define ``name`` and ``scores(sim, jobs)`` (lower is better)."""

    name = "rule"
    problem = "jobshop"

    def __init__(self, construction: str = "non-delay", **env_options: Any) -> None:
        self.construction = construction
        self.env_options = {"construction": construction, **env_options}
        # an unknown construction or an unsupported combination fails here, not per instance
        names = {f.name for f in fields(DynamicsConfig)}
        dynamics = DynamicsConfig(**{k: v for k, v in env_options.items() if k in names})
        check_supported(construction, dynamics)

    def scores(self, sim: JobShopSimulator, jobs: np.ndarray) -> np.ndarray:
        """Priority of each candidate job (lower dispatches first)."""
        raise NotImplementedError

    def choose(self, sim: JobShopSimulator, rng: np.random.Generator) -> int:
        """The job to dispatch next (among ``sim.mask``)."""
        jobs = np.flatnonzero(sim.mask)
        return int(jobs[int(np.argmin(self.scores(sim, jobs)))])

    def solve(self, instance: JobShopInstance, budget: Budget) -> SolveResult[JobShopSchedule]:
        """Build one schedule greedily (the time limit is never reached in practice).

        ``info["actions"]`` holds the jobs dispatched, in order: replayed through
        ``JobShopEnv`` with the same options and seed, they rebuild the same schedule.
        """
        with Stopwatch() as watch:
            env = JobShopEnv(instance, **self.env_options)
            env.reset(seed=budget.seed)
            sim = env.simulator
            rng = np.random.default_rng(budget.seed)
            actions: list[int] = []
            while not sim.done:
                actions.append(self.choose(sim, rng))
                sim.dispatch(actions[-1])
                sim.advance()
        status: Status = "infeasible" if sim.deadlock else "feasible"
        schedule = sim.schedule(self.name, status)
        schedule = JobShopSchedule(
            schedule.instance,
            schedule.operations,
            self.name,
            status,
            watch.elapsed,
            schedule.conditions,
        )
        return SolveResult(
            schedule=None if sim.deadlock else schedule,
            solver=self.name,
            status=status,
            wall_time_s=watch.elapsed,
            objective=None if sim.deadlock else float(sim.makespan()),
            info={"actions": tuple(actions)},
        )


def _next_duration(sim: JobShopSimulator, jobs: np.ndarray) -> np.ndarray:
    return sim.nominal[jobs, sim.next_op[jobs]]


def _work_remaining(sim: JobShopSimulator, jobs: np.ndarray) -> np.ndarray:
    total = sim.nominal[jobs].sum(axis=1)
    done = np.where(
        sim.next_op[jobs] > 0,
        np.cumsum(sim.nominal[jobs], axis=1)[np.arange(len(jobs)), sim.next_op[jobs] - 1],
        0,
    )
    return total - done


class SPT(DispatchingRule):
    """Shortest processing time first."""

    name = "spt"

    def scores(self, sim: JobShopSimulator, jobs: np.ndarray) -> np.ndarray:
        return _next_duration(sim, jobs)


class LPT(DispatchingRule):
    """Longest processing time first."""

    name = "lpt"

    def scores(self, sim: JobShopSimulator, jobs: np.ndarray) -> np.ndarray:
        return -_next_duration(sim, jobs)


class MWKR(DispatchingRule):
    """Most work remaining first."""

    name = "mwkr"

    def scores(self, sim: JobShopSimulator, jobs: np.ndarray) -> np.ndarray:
        return -_work_remaining(sim, jobs)


class MOPNR(DispatchingRule):
    """Most operations remaining first."""

    name = "mopnr"

    def scores(self, sim: JobShopSimulator, jobs: np.ndarray) -> np.ndarray:
        return -(sim.num_ops - sim.next_op[jobs])


class FIFO(DispatchingRule):
    """First in (ready for its next operation), first out."""

    name = "fifo"

    def scores(self, sim: JobShopSimulator, jobs: np.ndarray) -> np.ndarray:
        return np.maximum(sim.job_free[jobs], sim.release[jobs])


class FDDMWKR(DispatchingRule):
    """Flow due date divided by most work remaining, smallest first."""

    name = "fdd-mwkr"

    def scores(self, sim: JobShopSimulator, jobs: np.ndarray) -> np.ndarray:
        cum = np.cumsum(sim.nominal[jobs], axis=1)[np.arange(len(jobs)), sim.next_op[jobs]]
        # zero work remaining (zero-duration operations, e.g. orb07) scores inf, or nan for 0/0,
        # as it always has (schedules unchanged); only the RuntimeWarning is silenced
        with np.errstate(divide="ignore", invalid="ignore"):
            return (sim.release[jobs] + cum) / _work_remaining(sim, jobs)


class RandomRule(DispatchingRule):
    """A uniformly random legal job, seeded by the budget's seed."""

    name = "random"

    def choose(self, sim: JobShopSimulator, rng: np.random.Generator) -> int:
        return int(rng.choice(np.flatnonzero(sim.mask)))


RULES: dict[str, type[DispatchingRule]] = {
    cls.name: cls for cls in (SPT, LPT, MWKR, MOPNR, FIFO, FDDMWKR, RandomRule)
}
