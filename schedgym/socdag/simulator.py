"""Event-driven SoC simulator behind SoCDAG-v0 and the list/runtime schedulers (numpy state).

Two ways of running, chosen by ``online``:

* **static** (``online=False``, one DAG): list scheduling, no clock. A task is *ready* once all
  its predecessors are assigned; assigning it to PE ``p`` fixes its start: the earliest time at
  or after the arrival of all its input data on ``p`` (``end[u] + comm(u -> t)``) at which ``p``
  is free. ``insertion=True`` may use an idle gap between tasks already on ``p`` (HEFT's
  insertion policy, :mod:`schedgym.socdag.timeline`), else the task goes after ``p``'s last one.
* **stream** (``online=True``, jobs arriving): a clock. A task is ready once its job is injected
  and all its predecessors have *completed*; every ready task is assigned (to a PE's FIFO queue)
  before the clock moves to the next event (a task completing, a job arriving). A queued task
  starts when its input data has arrived and its PE has finished the tasks queued before it.
  Realised (noisy) durations decide when things actually happen; schedulers see the means,
  through the estimates ``est_start``/``est_end``/``est_pe_free`` (equal to the actual times
  without noise, refreshed as tasks complete).

Latency bookkeeping (stream): ``accrued`` is the sum, over jobs, of the time each has spent in the
system so far; at the end it equals the sum of job latencies.
"""

from __future__ import annotations

import heapq

import numpy as np

from schedgym.socdag.schedule import Conditions, SoCDAGSchedule, TaskSlot
from schedgym.socdag.timeline import Timeline
from schedgym.socdag.workload import Workload


class SoCSimulator:
    """Mutable state of one episode. Task arrays are ``(T,)``, PE arrays ``(P,)``."""

    def __init__(
        self,
        workload: Workload,
        *,
        online: bool = False,
        insertion: bool = False,
        max_in_flight: int | None = None,
    ) -> None:
        inst = workload.instance
        self.workload, self.instance = workload, inst
        self.online = online
        self.insertion = insertion and not online
        n, p = inst.num_tasks, inst.num_pes
        self.num_tasks, self.num_pes = n, p
        self.exec = inst.exec_time  # (T, P) nominal, NaN where not allowed
        self.actual = workload.actual  # (T, P) realised
        self.allowed = inst.allowed  # (T, P)
        self.lat, self.inv_bw = inst.comm_factors  # (P, P)
        self.priority = workload.priority  # (T,)
        self.job_of = workload.job_of  # (T,)
        self.noisy = workload.noisy
        jobs = workload.num_jobs
        self.cap = max_in_flight or jobs
        self.pe_of = np.full(n, -1, dtype=np.int64)
        self.start = np.full(n, np.nan)
        self.end = np.full(n, np.nan)
        self.est_start = np.full(n, np.nan)
        self.est_end = np.full(n, np.nan)
        self.data_ready_at = np.full(n, np.nan)  # input data arrival on the chosen PE
        self.release = np.full(n, np.nan)  # injection time of each task's job
        self.waiting = np.bincount(inst.dst, minlength=n)  # predecessors not yet satisfied
        self.ready = np.zeros(n, dtype=bool)  # ready and not assigned
        self.ready_count = 0
        self.completed = np.zeros(n, dtype=bool)  # stream only
        self.assigned = 0
        self.pe_free = np.zeros(p)  # actual end of the last task on each PE
        self.est_pe_free = np.zeros(p)
        self.timeline = Timeline(p, n) if self.insertion else None
        self.queues: list[list[int]] = [[] for _ in range(p)]  # stream: queued or running
        self.injection = np.full(jobs, np.nan)
        self.completion = np.full(jobs, np.nan)
        self.job_left = np.diff(workload.job_ptr).copy()
        self.arrived = self.injected = self.in_flight = self.finished_jobs = 0
        self.now = 0.0
        self.accrued = 0.0
        self._events: list[tuple[float, int, int]] = []  # (time, seq, task) completions
        self._seq = 0
        self._arrive_and_inject()
        if online:
            self.advance()

    # ------------------------------------------------------------------ queries
    @property
    def finished(self) -> bool:
        """Every task assigned (static) or every job completed (stream)."""
        if self.online:
            return self.finished_jobs == self.workload.num_jobs
        return self.assigned == self.num_tasks

    def ready_tasks(self) -> np.ndarray:
        """Ready, unassigned tasks in the fixed decision order."""
        idx = np.flatnonzero(self.ready)
        return idx[np.argsort(self.priority[idx], kind="stable")]

    def current(self) -> int:
        """The ready task first in the decision order (-1 when none)."""
        if self.ready_count == 0:
            return -1
        idx = np.flatnonzero(self.ready)
        return int(idx[np.argmin(self.priority[idx])])

    def data_ready(self, task: int) -> np.ndarray:
        """When all of ``task``'s input data can be on each PE, ``(P,)``."""
        edges = self.instance.preds(task)
        release = self.release[task]
        if not len(edges):
            return np.full(self.num_pes, release)
        src = self.instance.src[edges]
        q = self.pe_of[src]
        arrival = (
            self.end[src][:, None]
            + self.lat[q]
            + self.instance.data[edges][:, None] * self.inv_bw[q]
        )
        return np.maximum(arrival.max(axis=0), release)

    def estimates(self, task: int) -> tuple[np.ndarray, np.ndarray]:
        """Estimated start and finish of ``task`` on every PE (NaN where it cannot run)."""
        ready = self.data_ready(task)
        duration = self.exec[task]
        if self.timeline is not None:
            start = self.timeline.earliest(ready, duration)
        else:
            start = np.maximum(np.maximum(ready, self.est_pe_free), self.now)
        start = np.where(self.allowed[task], start, np.nan)
        return start, start + duration

    def makespan(self) -> float:
        """Latest end among assigned tasks (0 before any)."""
        return float(np.nanmax(self.end)) if self.assigned else 0.0

    def estimated_makespan(self) -> float:
        """Latest estimated end among assigned tasks."""
        return float(np.nanmax(self.est_end)) if self.assigned else 0.0

    # ------------------------------------------------------------------ dynamics
    def assign(self, task: int, pe: int) -> tuple[float, float]:
        """Assign ready ``task`` to ``pe``; returns its (actual) start and end."""
        if not (0 <= task < self.num_tasks and self.ready[task]):
            raise ValueError(f"task {task} is not ready")
        if not (0 <= pe < self.num_pes and self.allowed[task, pe]):
            raise ValueError(f"PE {pe} cannot run task {task}")
        ready = float(self.data_ready(task)[pe])
        nominal, actual = float(self.exec[task, pe]), float(self.actual[task, pe])
        if self.timeline is not None:
            start = self.timeline.earliest_on(pe, ready, nominal)
            self.timeline.insert(pe, start, start + nominal)
            est_start = start
        else:
            start = max(ready, self.pe_free[pe])
            est_start = max(ready, self.est_pe_free[pe], self.now)
        end = start + actual
        self.pe_of[task] = pe
        self.start[task], self.end[task] = start, end
        self.est_start[task], self.est_end[task] = est_start, est_start + nominal
        self.data_ready_at[task] = ready
        self.pe_free[pe] = max(self.pe_free[pe], end)
        self.est_pe_free[pe] = max(self.est_pe_free[pe], est_start + nominal)
        self.ready[task] = False
        self.ready_count -= 1
        self.assigned += 1
        if self.online:
            self.queues[pe].append(task)
            heapq.heappush(self._events, (end, self._seq, task))
            self._seq += 1
        else:
            self._release_successors(task)
        return start, end

    def advance(self) -> None:
        """Stream: move the clock until some task is ready or every job is done (no-op static)."""
        if not self.online:
            return
        jobs = self.workload.num_jobs
        while self.ready_count == 0 and not self.finished:
            upcoming = []
            if self._events:
                upcoming.append(self._events[0][0])
            if self.arrived < jobs:
                upcoming.append(float(self.workload.arrival[self.arrived]))
            if not upcoming:  # cannot happen: a job in flight has a task queued or ready
                raise RuntimeError("stream simulation stalled")
            later = max(min(upcoming), self.now)
            self.accrued += (later - self.now) * self.in_flight
            self.now = later
            while self._events and self._events[0][0] <= self.now:
                _, _, task = heapq.heappop(self._events)
                self._complete(task)
            self._arrive_and_inject()

    def _arrive_and_inject(self) -> None:
        arrival, jobs = self.workload.arrival, self.workload.num_jobs
        while self.arrived < jobs and arrival[self.arrived] <= self.now:
            self.arrived += 1
        while self.injected < self.arrived and self.in_flight < self.cap:
            self._inject(self.injected)
            self.injected += 1

    def _inject(self, job: int) -> None:
        lo, hi = self.workload.job_ptr[job], self.workload.job_ptr[job + 1]
        self.injection[job] = self.now
        self.release[lo:hi] = self.now
        heads = np.flatnonzero(self.waiting[lo:hi] == 0) + lo
        self.ready[heads] = True
        self.ready_count += len(heads)
        self.in_flight += 1

    def _release_successors(self, task: int) -> None:
        out = self.instance.succs(task)
        if not len(out):
            return
        succ = self.instance.dst[out]
        np.subtract.at(self.waiting, succ, 1)
        fresh = np.unique(succ[self.waiting[succ] == 0])
        self.ready[fresh] = True
        self.ready_count += len(fresh)

    def _complete(self, task: int) -> None:
        self.completed[task] = True
        pe = int(self.pe_of[task])
        self.queues[pe].remove(task)
        if self.noisy:
            self._rechain(pe, task)
        self._release_successors(task)
        job = int(self.job_of[task])
        self.job_left[job] -= 1
        if self.job_left[job] == 0:
            self.completion[job] = self.now
            self.in_flight -= 1
            self.finished_jobs += 1

    def _rechain(self, pe: int, done: int) -> None:
        """Refresh the estimates of ``pe``'s queue once ``done`` has really finished."""
        self.est_start[done], self.est_end[done] = self.start[done], self.end[done]
        free = self.now
        for t in self.queues[pe]:
            if self.start[t] <= self.now:  # already running: its real start is known
                s = self.start[t]
                e = max(s + self.exec[t, pe], self.now)
            else:
                s = max(free, self.data_ready_at[t])
                e = s + self.exec[t, pe]
            self.est_start[t], self.est_end[t] = s, e
            free = e
        self.est_pe_free[pe] = free

    # ------------------------------------------------------------------ results
    def conditions(self) -> Conditions:
        """What happened (stream), for the validator; empty for a static episode."""
        if not self.online:
            return Conditions()
        n = self.num_tasks
        durations = None
        if self.noisy:
            pe = np.maximum(self.pe_of, 0)
            durations = np.where(self.pe_of >= 0, self.actual[np.arange(n), pe], np.nan)
        return Conditions(
            release=self.release,
            durations=durations,
            job=self.job_of,
            arrival=self.workload.arrival,
            injection=self.injection,
            apps=self.workload.apps,
        )

    def schedule(self, solver: str = "", status: str = "feasible") -> SoCDAGSchedule:
        """The tasks assigned so far as a :class:`SoCDAGSchedule`."""
        tasks = np.flatnonzero(self.pe_of >= 0)
        slots = tuple(
            TaskSlot(int(t), int(self.pe_of[t]), float(self.start[t]), float(self.end[t]))
            for t in tasks
        )
        return SoCDAGSchedule(
            self.instance.name, slots, solver=solver, status=status, conditions=self.conditions()
        )
