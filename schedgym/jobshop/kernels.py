"""Compiled (numba) inner loops of JobShop-v0: the legal-job mask, the next event time and the
per-step node features. Each is one call per step over small integer arrays, so a step costs a
few microseconds instead of dozens of numpy calls (see ``benchmarks/env_throughput.py``).

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
def refresh_features(
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
) -> float:
    """Write the time-dependent node features; return the largest completion estimate.

    Completion estimates (L2D-style lower bounds): a finished operation ends at its actual end;
    a running one at ``max(start + nominal, now)`` (the agent does not see realised durations
    before they end); an unstarted one at the earliest start of its job's next operation
    (``max(job ready, now)``) plus the nominal work up to and including it.
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
