"""Env actions that rebuild a static job-shop schedule under active construction.

Under ``construction="active"`` (Giffler-Thompson, :mod:`schedgym.jobshop.active`) each step
offers the conflict set of one machine; choosing, every time, the job whose next operation
starts first in a target schedule rebuilds that schedule's machine orders as an active schedule
(its operations left-shifted into idle gaps where they fit). The result is usually the target
itself (a search's semi-active schedule is mostly active already); a left shift can also
reorder later conflicts, so its makespan is measured, not assumed (:class:`ActiveReplay`).

Used by solvers that build schedules outside the env (``tabu`` with ``construction="active"``)
to report ``info["actions"]``: the decisions an agent can be trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schedgym.jobshop.env import JobShopEnv
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import JobShopSchedule


@dataclass(frozen=True)
class ActiveReplay:
    """The actions (jobs dispatched, in order), the schedule they build and its makespan."""

    actions: tuple[int, ...]
    schedule: JobShopSchedule
    makespan: int


def active_replay(instance: JobShopInstance, starts: np.ndarray, solver: str = "") -> ActiveReplay:
    """Replay the schedule with start times ``starts`` ``(num_jobs, num_ops)`` through
    ``JobShopEnv(instance, construction="active")``: at each step the legal job whose next
    operation starts first in ``starts`` (lowest job index on ties)."""
    env = JobShopEnv(instance, construction="active")
    env.reset(seed=0)
    sim = env.simulator
    actions: list[int] = []
    while not sim.done:
        jobs = np.flatnonzero(sim.mask)
        job = int(jobs[int(np.argmin(starts[jobs, sim.next_op[jobs]]))])
        actions.append(job)
        sim.dispatch(job)
        sim.advance()
    return ActiveReplay(tuple(actions), sim.schedule(solver), int(sim.makespan()))
