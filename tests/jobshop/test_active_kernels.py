"""Active construction's incremental state agrees with a from-scratch numpy recomputation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from schedgym.jobshop.active import ActiveSimulator
from schedgym.jobshop.env import JobShopEnv
from schedgym.jobshop.kernels import earliest_gap


def _reference_gap(intervals: list[tuple[int, int]], ready: int, work: int) -> int:
    """Earliest t >= ready with [t, t + work) free, trying ready and every interval end."""
    for t in sorted({ready, *(e for _, e in intervals if e >= ready)}):
        if all(e <= t or s >= t + work for s, e in intervals if e > s) and all(
            not (t < s < t + work) for s, e in intervals if e == s
        ):
            return t
    raise AssertionError("unreachable")


def _reference_conflict_set(sim: ActiveSimulator) -> tuple[np.ndarray, np.ndarray, int]:
    """(earliest starts, Giffler-Thompson mask, clock) from the schedule arrays alone."""
    jobs = np.arange(sim.num_jobs)
    est = np.zeros(sim.num_jobs, dtype=np.int64)
    open_jobs = jobs[sim.next_op < sim.num_ops]
    for j in open_jobs:
        k = sim.next_op[j]
        m = sim.machines[j, k]
        placed = sim.start >= 0
        intervals = sorted(
            (int(s), int(e))
            for s, e in zip(
                sim.start[placed & (sim.machines == m)],
                sim.end[placed & (sim.machines == m)],
                strict=True,
            )
        )
        ready = int(sim.end[j, k - 1]) if k > 0 else int(sim.release[j])
        est[j] = _reference_gap(intervals, ready, int(sim.actual[j, k]))
    mask = np.zeros(sim.num_jobs, dtype=bool)
    if open_jobs.size:
        work = sim.actual[open_jobs, sim.next_op[open_jobs]]
        ect = est[open_jobs] + work
        best = open_jobs[int(np.argmin(ect))]
        target = sim.machines[best, sim.next_op[best]]
        on_target = sim.machines[open_jobs, sim.next_op[open_jobs]] == target
        mask[open_jobs] = on_target & (est[open_jobs] < ect.min())
        mask[best] = True
    return est, mask, int(est[open_jobs].min()) if open_jobs.size else -1


def test_earliest_gap_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        cuts = np.sort(rng.choice(60, size=2 * rng.integers(0, 6), replace=False))
        intervals = [(int(a), int(b)) for a, b in cuts.reshape(-1, 2)]
        starts = np.array([s for s, _ in intervals] + [0], dtype=np.int64)
        ends = np.array([e for _, e in intervals] + [0], dtype=np.int64)
        ready, work = int(rng.integers(0, 50)), int(rng.integers(0, 10))
        start, pos = earliest_gap(starts, ends, len(intervals), ready, work)
        assert start == _reference_gap(intervals, ready, work)
        assert all(e <= start for _, e in intervals[:pos])
        assert all(s >= start + work for s, _ in intervals[pos:])


@pytest.mark.parametrize("options", [{}, {"arrival_mean": 10.0}], ids=["static", "arrivals"])
def test_incremental_state_matches_recomputation(options: dict) -> None:
    env = JobShopEnv(num_jobs=(3, 8), num_machines=(2, 6), construction="active", **options)
    rng = np.random.default_rng(1)
    for seed in range(6):
        env.reset(seed=seed)
        while True:
            sim = env.simulator
            assert isinstance(sim, ActiveSimulator)
            est, mask, now = _reference_conflict_set(sim)
            open_jobs = sim.next_op < sim.num_ops
            np.testing.assert_array_equal(sim.est[open_jobs], est[open_jobs])
            np.testing.assert_array_equal(sim.mask, mask)
            if now >= 0:
                assert sim.now == now
            _check_timelines_and_edges(env)
            action = int(rng.choice(np.flatnonzero(env.action_masks())))
            _, _, terminated, _, _ = env.step(action)
            if terminated:
                _check_timelines_and_edges(env)
                break


def _check_timelines_and_edges(env: JobShopEnv) -> None:
    sim = env.simulator
    assert isinstance(sim, ActiveSimulator)
    ops = sim.num_ops
    expected_edges = {
        (j * ops + k, j * ops + k + 1) for j in range(sim.num_jobs) for k in range(ops - 1)
    }
    for m in range(sim.num_machines):
        n = int(sim.slot_count[m])
        nodes = sim.slot_node[m, :n]
        starts, ends = sim.slot_start[m, :n], sim.slot_end[m, :n]
        assert (np.diff(starts) >= 0).all() and (ends[:-1] <= starts[1:]).all()
        np.testing.assert_array_equal(starts, sim.start.ravel()[nodes])
        np.testing.assert_array_equal(ends, sim.end.ravel()[nodes])
        assert (sim.machines.ravel()[nodes] == m).all()
        expected_edges |= {(int(a), int(b)) for a, b in itertools.pairwise(nodes)}
    assert int(sim.slot_count.sum()) == sim.dispatched
    buf = env._observer.buffer
    edges = buf.edge_index[:, : buf.num_edges]
    got = list(zip(edges[0].tolist(), edges[1].tolist(), strict=True))
    assert len(got) == len(set(got)) and set(got) == expected_edges
    assert buf.edge_mask.sum() == buf.num_edges


def test_active_features_lower_bound_the_final_schedule() -> None:
    """``lb_end`` of every operation never exceeds its end in the schedule finally built."""
    env = JobShopEnv("la01", construction="active")
    rng = np.random.default_rng(3)
    env.reset(seed=0)
    history = []
    while True:
        history.append(env._observer.features[:, :, 3] * env._observer.time_scale)
        _, _, terminated, _, _ = env.step(int(rng.choice(np.flatnonzero(env.action_masks()))))
        if terminated:
            break
    final_end = env.simulator.end
    for lb in history:
        assert (lb <= final_end + 1e-6 * final_end.max()).all()
