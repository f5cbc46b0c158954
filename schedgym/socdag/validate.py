"""Independent validator of SoC-DAG schedules, and the metrics computed from a valid one.

This module is the single source of truth for the objectives: the env, the baselines and the
leaderboard report what :func:`validate_schedule`, :func:`static_metrics` and
:func:`stream_metrics` return. It depends only on the instance and schedule records.

Rules checked, each failure raising :class:`InvalidScheduleError` with one line naming the task
and the PE (times are floats, compared with an absolute tolerance ``tol * max(1, latest end)``):

* every task of the instance appears exactly once (none missing, none duplicated, none outside
  the instance), on an existing PE that can run it (``exec_time`` not null);
* times are finite, ``start >= release`` (0, or the job's injection time in a stream) and the
  duration ``end - start`` equals the execution time of the task on its PE (the realised one,
  ``conditions.durations``, in a noisy stream);
* precedence with communication: for every edge ``u -> v``,
  ``start[v] >= end[u] + comm(u -> v)``, where ``comm`` is ``latency[p][q] + data /
  bandwidth[p][q]`` between different PEs and 0 on one PE;
* one task at a time per PE: intervals ``[start, end)`` on one PE do not overlap (half-open, so a
  task may start when another ends; zero-length tasks occupy nothing, as in CP-SAT).

Metrics: makespan; SLR = makespan / (sum over the critical path, computed with each task's
minimum execution time and no communication, of those minimum times); speedup = (best time of
the whole graph on one PE, :meth:`SoCDAGInstance.sequential_time`) / makespan; efficiency =
speedup / number of PEs; energy = sum over tasks of ``active_power[pe] * duration`` plus
``idle_power[pe]`` times each PE's idle time up to the makespan (watts x time units: W x us =
uJ on the DS3 profile). Stream: a job's latency is the completion of its tail task (its last
task) minus its injection time; energy-delay product (EDP) = energy per job x average job latency
(independent of the episode's length).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from schedgym.core.errors import InvalidScheduleError
from schedgym.socdag.instance import SoCDAGInstance
from schedgym.socdag.schedule import Conditions, SoCDAGSchedule

DEFAULT_TOL = 1e-6


def _where(instance: SoCDAGInstance, task: int, pe: int | None = None) -> str:
    name = instance.task_names[task]
    label = f"task {task}" if name in (f"t{task}", str(task)) else f"task {task} ({name})"
    return label if pe is None else f"{label} on PE {pe}"


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _tables(
    instance: SoCDAGInstance, schedule: SoCDAGSchedule
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PE, start and end per task; checks identity, PEs, permissions and finiteness."""
    n, p = instance.num_tasks, instance.num_pes
    pe = np.full(n, -1, dtype=np.int64)
    start = np.zeros(n)
    end = np.zeros(n)
    for slot in schedule.tasks:
        t, q = slot.task, slot.pe
        if not (_is_int(t) and _is_int(q)):
            raise InvalidScheduleError(f"{slot}: task and pe must be integers")
        if not 0 <= t < n:
            raise InvalidScheduleError(f"task {t}: no such task in {instance.name} ({n} tasks)")
        if pe[t] >= 0:
            raise InvalidScheduleError(f"{_where(instance, t)}: scheduled twice")
        if not 0 <= q < p:
            raise InvalidScheduleError(f"{_where(instance, t)}: no PE {q} ({p} PEs)")
        if not instance.allowed[t, q]:
            raise InvalidScheduleError(f"{_where(instance, t, q)}: this PE cannot run it")
        if not (math.isfinite(slot.start) and math.isfinite(slot.end)):
            raise InvalidScheduleError(f"{_where(instance, t, q)}: times must be finite")
        pe[t], start[t], end[t] = q, slot.start, slot.end
    missing = np.flatnonzero(pe < 0)
    if len(missing):
        raise InvalidScheduleError(
            f"{_where(instance, int(missing[0]))}: missing from the schedule"
        )
    return pe, start, end


def _vector(values: np.ndarray | None, n: int, what: str) -> np.ndarray | None:
    if values is None:
        return None
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (n,):
        raise InvalidScheduleError(f"conditions.{what} has shape {array.shape}, expected ({n},)")
    return array


def validate_schedule(
    instance: SoCDAGInstance,
    schedule: SoCDAGSchedule,
    conditions: Conditions | None = None,
    *,
    tol: float = DEFAULT_TOL,
) -> float:
    """Check ``schedule`` against ``instance`` and return its makespan (latest end).

    ``conditions`` (release times, realised durations) default to ``schedule.conditions``.
    Raises :class:`InvalidScheduleError` on the first violation (rules in the module docstring).
    """
    cond = schedule.conditions if conditions is None else conditions
    n = instance.num_tasks
    pe, start, end = _tables(instance, schedule)
    atol = tol * max(1.0, float(np.abs(end).max()), float(np.abs(start).max()))
    release = _vector(cond.release, n, "release")
    durations = _vector(cond.durations, n, "durations")
    floor = np.zeros(n) if release is None else release
    hit = np.flatnonzero(start < floor - atol)
    if len(hit):
        t = int(hit[0])
        raise InvalidScheduleError(
            f"{_where(instance, t, int(pe[t]))}: starts at {start[t]:g} before its release "
            f"time {floor[t]:g}"
        )
    expected = instance.exec_time[np.arange(n), pe] if durations is None else durations
    hit = np.flatnonzero(np.abs((end - start) - expected) > atol)
    if len(hit):
        t = int(hit[0])
        raise InvalidScheduleError(
            f"{_where(instance, t, int(pe[t]))}: runs for {end[t] - start[t]:g} "
            f"(start {start[t]:g}, end {end[t]:g}) but its execution time there is {expected[t]:g}"
        )
    _check_precedence(instance, pe, start, end, atol)
    _check_overlap(instance, pe, start, end, atol)
    return float(end.max())


def _check_precedence(
    instance: SoCDAGInstance, pe: np.ndarray, start: np.ndarray, end: np.ndarray, atol: float
) -> None:
    src, dst = instance.src, instance.dst
    if not len(src):
        return
    lat, inv_bw = instance.comm_factors
    comm = lat[pe[src], pe[dst]] + instance.data * inv_bw[pe[src], pe[dst]]  # (E,)
    ready = end[src] + comm
    hit = np.flatnonzero(start[dst] < ready - atol)
    if len(hit):
        e = int(hit[0])
        u, v = int(src[e]), int(dst[e])
        raise InvalidScheduleError(
            f"{_where(instance, v, int(pe[v]))}: starts at {start[v]:g} before the data of "
            f"{_where(instance, u, int(pe[u]))} arrives at {ready[e]:g} "
            f"(ends {end[u]:g} + communication {comm[e]:g})"
        )


def _check_overlap(
    instance: SoCDAGInstance, pe: np.ndarray, start: np.ndarray, end: np.ndarray, atol: float
) -> None:
    busy = np.flatnonzero(end - start > atol)  # zero-length tasks occupy nothing
    order = busy[np.lexsort((end[busy], start[busy], pe[busy]))]
    same = pe[order[1:]] == pe[order[:-1]]
    hit = np.flatnonzero(same & (start[order[1:]] < end[order[:-1]] - atol))
    if len(hit):
        a, b = int(order[hit[0]]), int(order[hit[0] + 1])
        raise InvalidScheduleError(
            f"PE {int(pe[a])}: {_where(instance, b)} [{start[b]:g}, {end[b]:g}) overlaps "
            f"{_where(instance, a)} [{start[a]:g}, {end[a]:g})"
        )


# ---------------------------------------------------------------------------------- metrics


def energy(
    instance: SoCDAGInstance, schedule: SoCDAGSchedule, horizon: float | None = None
) -> float:
    """Active energy of every task plus idle energy of every PE up to ``horizon`` (default: the
    makespan). Units: power x time (W x us = uJ on the DS3 profile)."""
    active, idle = instance.platform.power()
    busy = np.zeros(instance.num_pes)
    total = 0.0
    for s in schedule.tasks:
        busy[s.pe] += s.end - s.start
        total += active[s.pe] * (s.end - s.start)
    span = schedule.makespan if horizon is None else horizon
    return float(total + (idle * np.maximum(span - busy, 0.0)).sum())


@dataclass(frozen=True)
class StaticMetrics:
    """Metrics of a valid static schedule (definitions in the module docstring)."""

    makespan: float
    slr: float
    speedup: float
    efficiency: float
    energy: float


def static_metrics(instance: SoCDAGInstance, schedule: SoCDAGSchedule) -> StaticMetrics:
    """Validate ``schedule`` and compute its metrics."""
    makespan = validate_schedule(instance, schedule)
    cp = instance.critical_path_min()
    slr = makespan / cp if cp > 0 else math.nan
    speedup = instance.sequential_time() / makespan if makespan > 0 else math.nan
    return StaticMetrics(
        makespan, slr, speedup, speedup / instance.num_pes, energy(instance, schedule)
    )


@dataclass(frozen=True)
class StreamMetrics:
    """Metrics of a stream episode, from its validated trace.

    ``latencies``: ``(J,)`` per job, in job order; ``makespan``: last completion; ``edp``:
    energy per job x ``avg_latency``; ``throughput``: jobs per time unit over
    ``[0, makespan]``; ``avg_wait``: mean time jobs waited outside (injection - arrival, when
    the in-flight cap was reached), so ``avg_latency + avg_wait`` is the mean response time.
    """

    jobs: int
    avg_latency: float
    p95_latency: float
    max_latency: float
    makespan: float
    energy: float
    edp: float
    throughput: float
    latencies: tuple[float, ...]
    avg_wait: float = 0.0


def job_completions(
    instance: SoCDAGInstance, schedule: SoCDAGSchedule, conditions: Conditions
) -> np.ndarray:
    """Completion time of each job (latest end among its tasks), ``(J,)``."""
    if conditions.job is None or conditions.injection is None:
        raise InvalidScheduleError("stream metrics need conditions.job and conditions.injection")
    end = np.zeros(instance.num_tasks)
    for s in schedule.tasks:
        end[s.task] = s.end
    jobs = len(conditions.injection)
    done = np.full(jobs, -np.inf)
    np.maximum.at(done, conditions.job, end)
    return done


def stream_metrics(
    instance: SoCDAGInstance, schedule: SoCDAGSchedule, conditions: Conditions | None = None
) -> StreamMetrics:
    """Validate a stream trace and compute its metrics."""
    cond = schedule.conditions if conditions is None else conditions
    makespan = validate_schedule(instance, schedule, cond)
    done = job_completions(instance, schedule, cond)
    assert cond.injection is not None
    latency = done - cond.injection
    total_energy = energy(instance, schedule, makespan)
    avg = float(latency.mean())
    arrival = cond.arrival if cond.arrival is not None else cond.injection
    wait = float((cond.injection - arrival).mean())
    return StreamMetrics(
        jobs=len(latency),
        avg_latency=avg,
        p95_latency=float(np.percentile(latency, 95)),
        max_latency=float(latency.max()),
        makespan=makespan,
        energy=total_energy,
        edp=total_energy / len(latency) * avg,
        throughput=len(latency) / makespan if makespan > 0 else math.nan,
        latencies=tuple(float(x) for x in latency),
        avg_wait=wait,
    )


def makespan_gap(makespan: float, reference: float) -> float:
    """Relative gap ``(makespan - reference) / reference``."""
    if reference <= 0:
        raise ValueError(f"reference makespan must be positive, got {reference}")
    return (float(makespan) - float(reference)) / float(reference)
