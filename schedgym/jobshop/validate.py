"""Independent validator of finished job-shop schedules: feasibility, then the makespan.

This module is the single source of truth for the job-shop objective: the env, the baselines and
the leaderboard report the makespan that :func:`validate_schedule` returns. It depends only on the
instance and schedule records (never on the env), so that a buggy simulator cannot certify itself.

Rules checked, each failure raising :class:`InvalidScheduleError` with one line that names the job,
the operation (its index in the job's route) and the machine:

* every operation ``(job, index)`` of the instance appears exactly once (none missing, none
  duplicated, none outside the instance), on the machine the instance gives it;
* times are integers, ``start >= 0`` and ``end >= start``;
* no operation starts inside a downtime ``[down_start, down_end)`` of its machine, and none ends
  inside ``(down_start, down_end]`` (an operation that completes at ``down_start`` is finished:
  its end must not be padded into the repair);
* processing time is exact: ``end - start - (downtime of its machine inside [start, end))``
  equals the realised duration (``conditions.durations``, else the nominal one): an operation
  that runs into a breakdown is suspended and resumes after the repair;
* route order: each operation starts at or after the end of the previous one in its job, and the
  first one at or after the job's release time (``conditions.release``, else 0);
* one operation at a time per machine. An operation occupies its machine on ``[start, end)``;
  under ``conditions.blocking`` (no buffers) a non-last operation holds its machine until its
  job's next operation starts. Intervals are half-open, so a job may enter a machine at the
  instant another leaves it, which makes swap cycles (A leaves m1 for m2 while B leaves m2 for m1,
  at the same instant) valid.
"""

from __future__ import annotations

import numbers

import numpy as np

from schedgym.core.errors import InvalidScheduleError
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import Conditions, JobShopSchedule


def validate_schedule(
    instance: JobShopInstance,
    schedule: JobShopSchedule,
    conditions: Conditions | None = None,
) -> int:
    """Check ``schedule`` against ``instance`` and return its makespan.

    ``conditions`` (realised durations, release times, machine downtimes, blocking) default to
    ``schedule.conditions``. Raises :class:`InvalidScheduleError` on the first violation found
    (see the module docstring for the rules).
    """
    cond = schedule.conditions if conditions is None else conditions
    durations = _realised_durations(instance, cond)
    release = _release_times(instance, cond)
    downtimes = _downtimes(cond)
    start, end = _start_end_table(instance, schedule)
    machines = instance.machines

    _check_times(machines, start, end)
    _check_processing(machines, start, end, durations, downtimes)
    _check_routes(machines, start, end, release)
    _check_machines(machines, start, end, cond.blocking)
    return int(end.max())


def makespan_gap(makespan: float, reference: float) -> float:
    """Relative gap ``(makespan - reference) / reference`` (0.1 means 10% above the reference)."""
    if reference <= 0:
        raise ValueError(f"reference makespan must be positive, got {reference}")
    return (float(makespan) - float(reference)) / float(reference)


def _where(machines: np.ndarray, j: int, k: int) -> str:
    return f"job {j} op {k} (machine {int(machines[j, k])})"


def _first(mask: np.ndarray) -> tuple[int, ...] | None:
    """Index of the first True entry of ``mask`` (row-major), or None."""
    hits = np.argwhere(mask)
    return tuple(int(i) for i in hits[0]) if len(hits) else None


def _realised_durations(instance: JobShopInstance, cond: Conditions) -> np.ndarray:
    if cond.durations is None:
        return instance.durations
    durations = np.asarray(cond.durations)
    if durations.shape != instance.durations.shape:
        raise InvalidScheduleError(
            f"conditions.durations has shape {durations.shape}, "
            f"instance {instance.name} has {instance.durations.shape}"
        )
    if (durations < 0).any():
        j, k = _first(durations < 0) or (0, 0)
        raise InvalidScheduleError(f"conditions.durations[{j}, {k}] is negative")
    return durations.astype(np.int64)


def _release_times(instance: JobShopInstance, cond: Conditions) -> np.ndarray:
    if cond.release is None:
        return np.zeros(instance.num_jobs, dtype=np.int64)
    release = np.asarray(cond.release)
    if release.shape != (instance.num_jobs,):
        raise InvalidScheduleError(
            f"conditions.release has shape {release.shape}, expected ({instance.num_jobs},)"
        )
    return release.astype(np.int64)


def _downtimes(cond: Conditions) -> np.ndarray:
    """Downtimes as a ``(count, 3)`` int64 array of ``(machine, start, end)``, checked."""
    table = np.asarray(cond.downtimes, dtype=np.int64).reshape(-1, 3)
    for m, s, e in table:
        if not 0 <= s < e:
            raise InvalidScheduleError(f"downtime [{s}, {e}) of machine {m} is empty or negative")
    order = np.lexsort((table[:, 1], table[:, 0]))
    table = table[order]
    same = table[1:, 0] == table[:-1, 0]
    clash = _first(same & (table[1:, 1] < table[:-1, 2]))
    if clash is not None:
        (i,) = clash
        m, s, e = table[i]
        s2, e2 = table[i + 1, 1:]
        raise InvalidScheduleError(f"downtimes [{s}, {e}) and [{s2}, {e2}) of machine {m} overlap")
    return table


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _start_end_table(
    instance: JobShopInstance, schedule: JobShopSchedule
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end times as ``(num_jobs, num_ops)`` arrays; checks identity, machine, integers."""
    shape = (instance.num_jobs, instance.num_ops)
    start = np.zeros(shape, dtype=np.int64)
    end = np.zeros(shape, dtype=np.int64)
    seen = np.zeros(shape, dtype=bool)
    for op in schedule.operations:
        j, k, m = op.job, op.index, op.machine
        if not (_is_int(j) and _is_int(k) and _is_int(m)):
            raise InvalidScheduleError(f"operation {op}: job, index and machine must be integers")
        if not (0 <= j < shape[0] and 0 <= k < shape[1]):
            raise InvalidScheduleError(
                f"job {j} op {k}: no such operation in {instance.name} "
                f"({shape[0]} jobs x {shape[1]} operations)"
            )
        if seen[j, k]:
            raise InvalidScheduleError(f"{_where(instance.machines, j, k)}: scheduled twice")
        seen[j, k] = True
        if m != instance.machines[j, k]:
            raise InvalidScheduleError(
                f"{_where(instance.machines, j, k)}: scheduled on machine {m} instead"
            )
        if not (_is_int(op.start) and _is_int(op.end)):
            raise InvalidScheduleError(
                f"{_where(instance.machines, j, k)}: times must be integers, "
                f"got start {op.start!r}, end {op.end!r}"
            )
        start[j, k], end[j, k] = op.start, op.end
    missing = _first(~seen)
    if missing is not None:
        j, k = missing
        raise InvalidScheduleError(f"{_where(instance.machines, j, k)}: missing from the schedule")
    return start, end


def _check_times(machines: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
    hit = _first(start < 0)
    if hit is not None:
        j, k = hit
        raise InvalidScheduleError(f"{_where(machines, j, k)}: negative start {start[j, k]}")
    hit = _first(end < start)
    if hit is not None:
        j, k = hit
        raise InvalidScheduleError(
            f"{_where(machines, j, k)}: ends at {end[j, k]} before it starts at {start[j, k]}"
        )


def _check_processing(
    machines: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    durations: np.ndarray,
    downtimes: np.ndarray,
) -> None:
    """No start inside a downtime, exact processing time net of downtime, no padded end."""
    dm, ds, de = downtimes[:, 0], downtimes[:, 1], downtimes[:, 2]  # (count,)
    s, e = start[..., None], end[..., None]  # (num_jobs, num_ops, 1)
    same = machines[..., None] == dm  # (num_jobs, num_ops, count)
    hit = _first(same & (ds <= s) & (s < de))
    if hit is not None:
        j, k, d = hit
        raise InvalidScheduleError(
            f"{_where(machines, j, k)}: starts at {start[j, k]} inside downtime "
            f"[{ds[d]}, {de[d]}) of its machine"
        )
    # Downtime of each operation's machine inside its [start, end): (num_jobs, num_ops).
    lost = np.where(same, np.clip(np.minimum(e, de) - np.maximum(s, ds), 0, None), 0).sum(-1)
    hit = _first(end - start - lost != durations)
    if hit is not None:
        j, k = hit
        net = int(end[j, k] - start[j, k] - lost[j, k])
        raise InvalidScheduleError(
            f"{_where(machines, j, k)}: processed for {net} (start {start[j, k]}, end {end[j, k]}, "
            f"downtime {int(lost[j, k])}) but its duration is {int(durations[j, k])}"
        )
    hit = _first(same & (s < ds) & (ds < e) & (e <= de))
    if hit is not None:
        j, k, d = hit
        raise InvalidScheduleError(
            f"{_where(machines, j, k)}: ends at {end[j, k]} inside downtime [{ds[d]}, {de[d]}) "
            f"of its machine, but its processing completes at {ds[d]}"
        )


def _check_routes(
    machines: np.ndarray, start: np.ndarray, end: np.ndarray, release: np.ndarray
) -> None:
    hit = _first(start[:, 0] < release)
    if hit is not None:
        (j,) = hit
        raise InvalidScheduleError(
            f"{_where(machines, j, 0)}: starts at {start[j, 0]} before the job's release "
            f"time {release[j]}"
        )
    hit = _first(start[:, 1:] < end[:, :-1])
    if hit is not None:
        j, k = hit[0], hit[1] + 1
        raise InvalidScheduleError(
            f"{_where(machines, j, k)}: starts at {start[j, k]} before op {k - 1} of its job "
            f"ends at {end[j, k - 1]}"
        )


def _check_machines(
    machines: np.ndarray, start: np.ndarray, end: np.ndarray, blocking: bool
) -> None:
    """One operation at a time per machine; under blocking, a job holds its machine until it
    starts its next operation."""
    held = end.copy()
    if blocking:
        held[:, :-1] = start[:, 1:]
    num_ops = machines.shape[1]
    m, s, h = machines.ravel(), start.ravel(), held.ravel()
    order = np.lexsort((h, s, m))  # by machine, then start, then release of the machine
    m, s, h = m[order], s[order], h[order]
    hit = _first((m[1:] == m[:-1]) & (s[1:] < h[:-1]))
    if hit is None:
        return
    (i,) = hit
    (ja, ka), (jb, kb) = divmod(int(order[i]), num_ops), divmod(int(order[i + 1]), num_ops)
    if s[i + 1] >= end[ja, ka]:  # only the blocked hold overlaps
        raise InvalidScheduleError(
            f"machine {m[i]}: job {jb} op {kb} enters at {s[i + 1]} while job {ja} op {ka} "
            f"(finished at {end[ja, ka]}) still holds it, blocked until {h[i]}"
        )
    raise InvalidScheduleError(
        f"machine {m[i]}: job {jb} op {kb} [{s[i + 1]}, {end[jb, kb]}) overlaps "
        f"job {ja} op {ka} [{s[i]}, {end[ja, ka]})"
    )
