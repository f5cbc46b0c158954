"""Event-driven job-shop simulator behind JobShop-v0 (numpy state, incremental updates).

Schedule construction (documented because published rule gaps depend on it): the clock sits at
a decision time ``now``; the legal actions are the jobs whose next operation can start *now*
(job released and not processing, its machine idle, working and not held by a blocked job). A
dispatched operation starts at ``now`` — there is no waiting and no left-shift insertion into
earlier gaps, so every schedule built is **non-delay** (Giffler-Thompson's non-delay class).
When no job can start, the clock jumps to the next event (an operation finishing, a machine
repaired, a job released). Blocking: a finished operation keeps its machine until the job's next
operation starts; with swaps, a cycle of blocked jobs each waiting for the machine held by the
next moves at once (all start at ``now``).
"""

from __future__ import annotations

import numpy as np

from schedgym.jobshop.dynamics import (
    Breakdowns,
    DynamicsConfig,
    realised_durations,
    release_times,
)
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.kernels import legal_jobs, next_event
from schedgym.jobshop.schedule import Conditions, JobShopSchedule, Operation

NOT_SET = -1


class JobShopSimulator:
    """Mutable state of one episode. Arrays are indexed by job ``j`` and route position ``k``."""

    def __init__(
        self, instance: JobShopInstance, dynamics: DynamicsConfig, rng: np.random.Generator
    ) -> None:
        self.instance = instance
        self.dynamics = dynamics
        jobs, ops = instance.num_jobs, instance.num_ops
        self.num_jobs, self.num_ops = jobs, ops
        self.num_machines = instance.num_machines
        self.machines = instance.machines  # (jobs, ops)
        self.nominal = instance.durations  # (jobs, ops)
        self.actual = realised_durations(self.nominal, dynamics.duration_noise, rng)
        self.release = release_times(jobs, dynamics.arrival_mean, rng)
        self.breakdowns = (
            Breakdowns(dynamics.mtbf, dynamics.mttr, int(rng.integers(2**31)), self.num_machines)
            if dynamics.mtbf is not None
            else None
        )
        # padded machine table with a sentinel column so next_op == ops is a valid index
        self._machines_ext = np.concatenate(
            [self.machines, np.zeros((jobs, 1), dtype=np.int64)], axis=1
        )
        self.start = np.full((jobs, ops), NOT_SET, dtype=np.int64)  # (jobs, ops)
        self.end = np.full((jobs, ops), NOT_SET, dtype=np.int64)  # (jobs, ops)
        self.next_op = np.zeros(jobs, dtype=np.int64)  # (jobs,)
        self.job_free = self.release.copy()  # (jobs,) when the job's current op ends
        self.machine_free = np.zeros(self.num_machines, dtype=np.int64)  # (machines,)
        self.holder = np.full(self.num_machines, NOT_SET, dtype=np.int64)  # blocking holder
        self.last_on_machine = np.full(self.num_machines, NOT_SET, dtype=np.int64)  # node id
        self.machine_up = np.ones(self.num_machines, dtype=bool)
        self.now = 0
        self.dispatched = 0
        self.total_ops = jobs * ops
        self.deadlock = False
        self.mask = np.zeros(jobs, dtype=bool)
        self._waiting = np.zeros(jobs, dtype=bool)
        self._job_index = np.arange(jobs)
        self._swap_cycles: dict[int, list[int]] = {}
        self.advance()

    # ------------------------------------------------------------------ queries
    @property
    def done(self) -> bool:
        """All operations dispatched (or deadlocked)."""
        return self.dispatched == self.total_ops or self.deadlock

    def next_machine(self) -> np.ndarray:
        """Machine of each job's next operation (meaningless for finished jobs)."""
        return self._machines_ext[self._job_index, self.next_op]

    def makespan(self) -> int:
        """Latest end among dispatched operations."""
        return int(self.end.max()) if self.dispatched else 0

    def _compute_mask(self) -> int:
        count = legal_jobs(
            self.next_op,
            self._machines_ext,
            self.job_free,
            self.machine_free,
            self.machine_up,
            self.holder,
            self.dynamics.blocking,
            self.now,
            self.mask,
            self._waiting,
        )
        if self._swap_cycles:
            self._swap_cycles = {}
        if self.dynamics.blocking and self.dynamics.swaps and self._waiting.any():
            self._find_swap_cycles(self._waiting)
            for job in self._swap_cycles:
                count += not self.mask[job]
                self.mask[job] = True
        return int(count)

    def _find_swap_cycles(self, waiting: np.ndarray) -> None:
        """Cycles of blocked jobs, each waiting for a machine held (idle) by the next one."""
        nxt = self.next_machine()
        for job in np.flatnonzero(waiting):
            cycle, current = [int(job)], int(job)
            while True:
                other = int(self.holder[nxt[current]])
                if other in (NOT_SET, job) or not waiting[other] or other in cycle:
                    break
                cycle.append(other)
                current = other
            if other == job and len(cycle) > 1:
                self._swap_cycles[int(job)] = cycle

    # ------------------------------------------------------------------ dynamics
    def dispatch(self, job: int) -> list[tuple[int, int]]:
        """Start ``job``'s next operation now (and its whole swap cycle, if it is in one).

        Returns the ``(job, index)`` pairs started. The caller checks legality first.
        """
        group = self._swap_cycles.get(job, [job])
        started = []
        for j in group:  # release held machines first, so a swap cycle can move at once
            k = int(self.next_op[j])
            if self.dynamics.blocking and k > 0:
                prev = int(self.machines[j, k - 1])
                if self.holder[prev] == j:
                    self.holder[prev] = NOT_SET
        for j in group:
            k = int(self.next_op[j])
            m = int(self.machines[j, k])
            work = int(self.actual[j, k])
            if self.breakdowns is None:
                end = self.now + work
            else:
                end = self.breakdowns.finish_time(m, self.now, work)
            self.start[j, k], self.end[j, k] = self.now, end
            self.job_free[j] = end
            self.machine_free[m] = end
            if self.dynamics.blocking and k + 1 < self.num_ops:
                self.holder[m] = j
            self.next_op[j] = k + 1
            self.dispatched += 1
            started.append((j, k))
        return started

    def advance(self) -> None:
        """Move the clock to the next time at which some job can start (or stop when done)."""
        while True:
            self._refresh_machines()
            if self._compute_mask() or self.dispatched == self.total_ops:
                return
            upcoming = self._next_event()
            if upcoming is None:
                self.deadlock = True
                return
            self.now = upcoming

    def _refresh_machines(self) -> None:
        if self.breakdowns is not None:
            for m in range(self.num_machines):
                self.machine_up[m] = self.breakdowns.is_up(m, self.now)

    def _next_event(self) -> int | None:
        upcoming = next_event(self.job_free, self.machine_free, self.now)
        if self.breakdowns is not None:
            repair = self.breakdowns.next_repair_after(self.now)
            if repair is not None and (upcoming < 0 or repair < upcoming):
                upcoming = repair
        return None if upcoming < 0 else int(upcoming)

    # ------------------------------------------------------------------ results
    def conditions(self) -> Conditions:
        """What happened in this episode (for the validator)."""
        d = self.dynamics
        horizon = max(self.makespan(), self.now) + 1
        return Conditions(
            durations=self.actual if d.duration_noise > 0 else None,
            release=self.release if d.arrival_mean > 0 else None,
            downtimes=self.breakdowns.intervals_before(horizon) if self.breakdowns else (),
            blocking=d.blocking,
        )

    def schedule(self, solver: str = "", status: str = "feasible") -> JobShopSchedule:
        """The operations dispatched so far as a :class:`JobShopSchedule`."""
        jobs, idx = np.nonzero(self.start >= 0)
        ops = tuple(
            Operation(
                int(j), int(k), int(self.machines[j, k]), int(self.start[j, k]), int(self.end[j, k])
            )
            for j, k in zip(jobs, idx, strict=True)
        )
        return JobShopSchedule(
            self.instance.name, ops, solver=solver, status=status, conditions=self.conditions()
        )
