"""Compiled (numba) inner loops of JobShop-v0: the legal-job mask, the next event time, the
per-step node features and, for active (Giffler-Thompson) construction, the earliest idle gap of
a machine, the conflict set and the sorted insertion into a machine's timeline. Each is one
call per step over small integer arrays, so a step costs a few microseconds instead of dozens
of numpy calls (see ``benchmarks/env_throughput.py``).

The functions mirror the docstrings of :mod:`schedgym.jobshop.simulator` and
:mod:`schedgym.jobshop.observation`; ``tests/jobshop/test_kernels.py`` checks them against
plain numpy formulations.
"""

from __future__ import annotations

import numba
import numpy as np

NOT_SET = -1


@numba.njit(cache=True)
def legal_jobs(
    next_op: np.ndarray,  # (jobs,) int64
    machines_ext: np.ndarray,  # (jobs, ops + 1) int64, sentinel column
    job_free: np.ndarray,  # (jobs,) int64
    machine_free: np.ndarray,  # (machines,) int64
    machine_up: np.ndarray,  # (machines,) bool
    holder: np.ndarray,  # (machines,) int64, blocked job holding the machine or -1
    blocking: bool,
    now: int,
    mask: np.ndarray,  # (jobs,) bool, written
    waiting: np.ndarray,  # (jobs,) bool, written: could start but for a held machine
) -> int:
    """Fill ``mask`` with the jobs whose next operation can start at ``now``; count them."""
    num_ops = machines_ext.shape[1] - 1
    count = 0
    for j in range(next_op.shape[0]):
        ok = next_op[j] < num_ops and job_free[j] <= now
        waiting[j] = False
        if ok:
            m = machines_ext[j, next_op[j]]
            ok = machine_free[m] <= now and machine_up[m]
            if ok and blocking and holder[m] != NOT_SET and holder[m] != j:
                ok = False
                waiting[j] = True
        mask[j] = ok
        count += ok
    return count


@numba.njit(cache=True)
def next_event(job_free: np.ndarray, machine_free: np.ndarray, now: int) -> int:
    """Earliest operation end strictly after ``now`` (-1 when none)."""
    best = -1
    for t in job_free:
        if t > now and (best < 0 or t < best):
            best = t
    for t in machine_free:
        if t > now and (best < 0 or t < best):
            best = t
    return best


@numba.njit(cache=True)
def _refresh(
    features: np.ndarray,  # (jobs, ops, 11) float32, written
    action_node: np.ndarray,  # (>= jobs,) int64, written
    start: np.ndarray,  # (jobs, ops) int64, -1 when not started
    end: np.ndarray,  # (jobs, ops) int64
    nominal: np.ndarray,  # (jobs, ops) int64
    cum: np.ndarray,  # (jobs, ops) inclusive prefix sums of nominal durations
    cum_ext: np.ndarray,  # (jobs, ops + 1) exclusive prefix sums
    next_op: np.ndarray,  # (jobs,) int64
    job_free: np.ndarray,  # (jobs,) int64
    release: np.ndarray,  # (jobs,) int64
    mask: np.ndarray,  # (jobs,) bool
    machine_load: np.ndarray,  # (machines,) float64
    machines: np.ndarray,  # (jobs, ops) int64
    now: int,
    scale: float,
    next_start: np.ndarray,  # (jobs,) int64, earliest start of each job's next op (active)
    use_next_start: bool,
) -> float:
    """Shared body of :func:`refresh_features` and :func:`refresh_features_active`.

    Completion estimates (L2D-style lower bounds): a finished operation ends at its actual end;
    a running one at ``max(start + nominal, now)`` (the agent does not see realised durations
    before they end); an unstarted one at the earliest start of its job's next operation
    (``max(job ready, now)``, or ``next_start[j]`` when ``use_next_start``: active construction
    passes the earliest idle-gap start on the machine) plus the nominal work up to and
    including it.
    """
    jobs, ops = start.shape
    best = 0.0
    for j in range(jobs):
        nxt = next_op[j]
        if nxt > 0:
            last_end = end[j, nxt - 1]
            ready = (
                last_end if last_end <= now else max(start[j, nxt - 1] + nominal[j, nxt - 1], now)
            )
        else:
            ready = release[j]
        if use_next_start:
            base = next_start[j] - cum_ext[j, nxt]
        else:
            base = max(ready, now) - cum_ext[j, nxt]
        wait = max(now - max(job_free[j], release[j]), 0) / scale
        released = 1.0 if release[j] <= now else 0.0
        legal = 1.0 if mask[j] else 0.0
        for k in range(ops):
            s = start[j, k]
            row = features[j, k]
            if s >= 0:
                e = end[j, k]
                if e <= now:
                    estimate = float(e)
                    row[2] = 1.0
                else:
                    estimate = float(max(s + nominal[j, k], now))
                    row[2] = 0.0
                row[1] = 1.0
            else:
                estimate = float(base + cum[j, k])
                row[1] = 0.0
                row[2] = 0.0
            row[3] = estimate / scale
            if k == nxt:
                row[6] = 1.0
                row[7] = legal
                row[9] = wait
            else:
                row[6] = 0.0
                row[7] = 0.0
                row[9] = 0.0
            row[8] = machine_load[machines[j, k]] / scale
            row[10] = released
            if estimate > best:
                best = estimate
        action_node[j] = j * ops + nxt if nxt < ops else -1
    return best


@numba.njit(cache=True)
def refresh_features(
    features: np.ndarray,
    action_node: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    nominal: np.ndarray,
    cum: np.ndarray,
    cum_ext: np.ndarray,
    next_op: np.ndarray,
    job_free: np.ndarray,
    release: np.ndarray,
    mask: np.ndarray,
    machine_load: np.ndarray,
    machines: np.ndarray,
    now: int,
    scale: float,
) -> float:
    """Write the time-dependent node features; return the largest completion estimate.

    Completion estimates (L2D-style lower bounds): a finished operation ends at its actual end;
    a running one at ``max(start + nominal, now)`` (the agent does not see realised durations
    before they end); an unstarted one at the earliest start of its job's next operation
    (``max(job ready, now)``) plus the nominal work up to and including it. Arrays as in
    ``_refresh``.
    """
    return _refresh(
        features,
        action_node,
        start,
        end,
        nominal,
        cum,
        cum_ext,
        next_op,
        job_free,
        release,
        mask,
        machine_load,
        machines,
        now,
        scale,
        next_op,
        False,
    )


@numba.njit(cache=True)
def refresh_features_active(
    next_start: np.ndarray,  # (jobs,) int64, earliest feasible start of each job's next op
    features: np.ndarray,
    action_node: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    nominal: np.ndarray,
    cum: np.ndarray,
    cum_ext: np.ndarray,
    next_op: np.ndarray,
    job_free: np.ndarray,
    release: np.ndarray,
    mask: np.ndarray,
    machine_load: np.ndarray,
    machines: np.ndarray,
    now: int,
    scale: float,
) -> float:
    """:func:`refresh_features` under active construction: an unstarted operation's estimate
    starts from ``next_start`` of its job (earliest idle-gap start on the machine)."""
    return _refresh(
        features,
        action_node,
        start,
        end,
        nominal,
        cum,
        cum_ext,
        next_op,
        job_free,
        release,
        mask,
        machine_load,
        machines,
        now,
        scale,
        next_start,
        True,
    )


@numba.njit(cache=True)
def earliest_gap(
    starts: np.ndarray,  # (capacity,) int64, sorted starts of the machine's intervals
    ends: np.ndarray,  # (capacity,) int64, their ends (intervals do not overlap)
    count: int,  # intervals in use
    ready: int,
    work: int,
) -> tuple[int, int]:
    """Earliest start ``>= ready`` of an idle interval of length ``work``, and the position at
    which the new interval goes into the sorted arrays (left-shift insertion)."""
    t = ready
    for i in range(count):
        if ends[i] <= t:
            continue
        if starts[i] >= t + work:
            return t, i
        t = ends[i]
    return t, count


@numba.njit(cache=True)
def active_candidates(
    next_op: np.ndarray,  # (jobs,) int64
    machines_ext: np.ndarray,  # (jobs, ops + 1) int64, sentinel column
    work: np.ndarray,  # (jobs, ops) int64 processing times
    job_free: np.ndarray,  # (jobs,) int64, when the job's previous op ends (or its release)
    slot_start: np.ndarray,  # (machines, capacity) int64
    slot_end: np.ndarray,  # (machines, capacity) int64
    slot_count: np.ndarray,  # (machines,) int64
    dirty_machine: int,  # machine changed by the last dispatch; -1 recomputes every job
    dirty_job: int,  # job dispatched last (-1: none)
    est: np.ndarray,  # (jobs,) int64, read and written: earliest start of each next op
    est_pos: np.ndarray,  # (jobs,) int64, written: its insertion position
    mask: np.ndarray,  # (jobs,) bool, written: the conflict set
) -> tuple[int, int]:
    """Giffler-Thompson conflict set; returns ``(size, earliest next-op start)``.

    ``C*`` is the smallest earliest completion over the next operations (the lowest job index
    wins ties) and ``M*`` its machine; the conflict set is the jobs whose next operation is on
    ``M*`` and can start before ``C*`` (the job attaining ``C*`` always belongs to it, even at
    zero duration). Only the jobs whose next operation is on ``dirty_machine``, and
    ``dirty_job``, get their earliest start recomputed: nothing else changed.
    """
    num_ops = machines_ext.shape[1] - 1
    best_end = -1
    best_job = -1
    earliest = -1
    for j in range(next_op.shape[0]):
        mask[j] = False
        k = next_op[j]
        if k >= num_ops:
            continue
        m = machines_ext[j, k]
        if dirty_machine < 0 or m == dirty_machine or j == dirty_job:
            s, pos = earliest_gap(
                slot_start[m], slot_end[m], slot_count[m], job_free[j], work[j, k]
            )
            est[j] = s
            est_pos[j] = pos
        c = est[j] + work[j, k]
        if best_job < 0 or c < best_end:
            best_end = c
            best_job = j
        if earliest < 0 or est[j] < earliest:
            earliest = est[j]
    if best_job < 0:
        return 0, earliest
    target = machines_ext[best_job, next_op[best_job]]
    count = 0
    for j in range(next_op.shape[0]):
        k = next_op[j]
        if k < num_ops and machines_ext[j, k] == target and (est[j] < best_end or j == best_job):
            mask[j] = True
            count += 1
    return count, earliest


@numba.njit(cache=True)
def insert_interval(
    starts: np.ndarray,  # (capacity,) int64, written
    ends: np.ndarray,  # (capacity,) int64, written
    nodes: np.ndarray,  # (capacity,) int64, written: node id of each interval
    count: int,
    pos: int,
    start: int,
    end: int,
    node: int,
) -> None:
    """Insert ``[start, end)`` of ``node`` at ``pos`` of a machine's sorted arrays (shift right)."""
    for i in range(count, pos, -1):
        starts[i] = starts[i - 1]
        ends[i] = ends[i - 1]
        nodes[i] = nodes[i - 1]
    starts[pos] = start
    ends[pos] = end
    nodes[pos] = node
