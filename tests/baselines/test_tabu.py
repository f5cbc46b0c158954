"""The N5 tabu-search job-shop baseline: optima on small classics, start rule, determinism."""

from __future__ import annotations

import time

import numpy as np
import pytest

from schedgym.baselines.jobshop import tabu_kernel as kernel
from schedgym.baselines.jobshop.tabu import TabuSearch
from schedgym.core.errors import UnsupportedVariantError
from schedgym.core.solver import Budget, available_solvers, load_solver
from schedgym.datasets.jobshop import load
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import Conditions
from schedgym.jobshop.validate import validate_schedule


def test_registered() -> None:
    assert "tabu" in available_solvers("jobshop")
    assert load_solver("jobshop", "tabu").name == "tabu"


@pytest.mark.parametrize(("name", "optimum"), [("ft06", 55), ("la01", 666)])
def test_reaches_known_optimum(name: str, optimum: int) -> None:
    instance = load(name)
    result = TabuSearch(iterations=20_000).solve(instance, Budget(time_limit_s=30))
    assert result.schedule is not None
    assert validate_schedule(instance, result.schedule) == result.objective == optimum
    assert result.schedule.makespan == optimum
    assert result.bound is not None and result.bound <= optimum


@pytest.mark.parametrize("start", ["mwkr", "fdd-mwkr", "spt"])
def test_never_worse_than_start_rule(start: str) -> None:
    instance = load("ft10")
    rule = load_solver("jobshop", start).solve(instance, Budget(seed=1))
    result = TabuSearch(start=start, iterations=300).solve(instance, Budget(seed=1))
    assert result.schedule is not None and result.objective is not None
    assert result.objective == validate_schedule(instance, result.schedule)
    assert rule.objective is not None and result.objective <= rule.objective
    assert result.info["start_makespan"] == rule.objective
    assert result.info["iterations"] == 300


def test_deterministic_for_seed_and_iterations() -> None:
    instance = load("ft10")
    # A small stall limit exercises restarts and kicks (random draws) too.
    runs = [
        TabuSearch(iterations=3000, stall=200).solve(instance, Budget(seed=seed))
        for seed in (7, 7, 8)
    ]
    starts = [r.schedule.start_times(10, 10) for r in runs if r.schedule is not None]
    assert runs[0].info["restarts"] > 0
    assert np.array_equal(starts[0], starts[1])
    assert runs[0].objective == runs[1].objective
    assert runs[0].info == runs[1].info
    for run in runs:
        assert run.schedule is not None
        validate_schedule(instance, run.schedule)


def test_chunking_does_not_change_the_run() -> None:
    instance = load("ft10")
    one = TabuSearch(iterations=500).solve(instance, Budget(seed=2))
    # Same iterations with a time limit large enough never to bind: same schedule.
    two = TabuSearch(iterations=500).solve(instance, Budget(seed=2, time_limit_s=60))
    assert one.schedule is not None and two.schedule is not None
    assert np.array_equal(one.schedule.start_times(10, 10), two.schedule.start_times(10, 10))


def test_respects_short_time_limit() -> None:
    instance = load("ft10")
    TabuSearch().solve(instance, Budget(time_limit_s=0.05))  # compile outside the timing
    t0 = time.perf_counter()
    result = TabuSearch().solve(instance, Budget(time_limit_s=0.3))
    elapsed = time.perf_counter() - t0
    assert elapsed < 5.0
    assert result.status in ("feasible", "optimal")
    assert result.schedule is not None
    validate_schedule(instance, result.schedule)


def test_uses_the_time_budget() -> None:
    instance = load("ft10")  # optimum 930 is above the trivial bound: no early stop
    TabuSearch().solve(instance, Budget(time_limit_s=0.05))
    result = TabuSearch().solve(instance, Budget(time_limit_s=0.5))
    assert result.wall_time_s >= 0.4
    assert result.info["iterations"] > 100


def test_refuses_dynamic_variants() -> None:
    with pytest.raises(UnsupportedVariantError):
        TabuSearch(mtbf=50.0).solve(load("ft06"), Budget(time_limit_s=1))
    with pytest.raises(UnsupportedVariantError):
        TabuSearch().solve(
            load("ft06"), Budget(time_limit_s=1), conditions=Conditions(blocking=True)
        )


def test_bad_options() -> None:
    with pytest.raises(ValueError):
        TabuSearch(iterations=0)
    with pytest.raises(ValueError):
        TabuSearch(kick=-1)


def test_heads_tails_match_semi_active_schedule() -> None:
    # Two jobs, two machines, crossing routes: j0 = m0(3) m1(2); j1 = m1(4) m0(1).
    p = np.array([3, 2, 4, 1], dtype=np.int64)
    job_next = np.array([1, -1, 3, -1], dtype=np.int64)
    job_prev = np.array([-1, 0, -1, 2], dtype=np.int64)
    # m0: op0 then op3; m1: op2 then op1.
    mnext = np.array([3, -1, 1, -1], dtype=np.int64)
    mprev = np.array([-1, 2, -1, 0], dtype=np.int64)
    work = np.zeros((4, 4), dtype=np.int64)
    ms = kernel.heads_tails(p, job_next, job_prev, mnext, mprev, work[0], work[1], work[2], work[3])
    assert ms == 6
    assert work[0].tolist() == [0, 4, 0, 4]
    assert work[1].tolist() == [2, 0, 2, 0]
    # The reversed orders on both machines form a cycle.
    kernel.swap(mnext, mprev, 0, 3)
    kernel.swap(mnext, mprev, 2, 1)
    assert kernel.heads_tails(p, job_next, job_prev, mnext, mprev, *work) == -1


def test_zero_lengths_and_repeated_machines() -> None:
    # orb07 has a zero-length operation; the random instance revisits machines and has zeros.
    rng = np.random.default_rng(0)
    machines = rng.integers(0, 3, size=(6, 5))
    durations = rng.integers(0, 4, size=(6, 5))
    durations[0, 0] = 5
    # (mwkr starts: fdd-mwkr divides by a zero remaining work there, with a RuntimeWarning.)
    for instance in (load("orb07"), JobShopInstance("revisit", machines, durations)):
        solver = TabuSearch(start="mwkr", iterations=3000, stall=300)
        result = solver.solve(instance, Budget(seed=1))
        assert result.schedule is not None and result.objective is not None
        assert validate_schedule(instance, result.schedule) == result.objective
        assert result.objective <= result.info["start_makespan"]


@pytest.mark.parametrize("name", ["ft06", "la01", "ft10"])
def test_active_construction_reports_actions_that_rebuild_the_schedule(name: str) -> None:
    from schedgym.jobshop.env import JobShopEnv

    instance = load(name)
    plain = TabuSearch(iterations=500).solve(instance, Budget(seed=3))
    active = TabuSearch(iterations=500, construction="active").solve(instance, Budget(seed=3))
    assert "actions" not in plain.info  # a search schedule is generally not non-delay
    actions = active.info["actions"]
    assert active.objective is not None and plain.objective is not None
    assert active.objective <= plain.objective  # the replay left-shifts, never lengthens
    env = JobShopEnv(instance, construction="active")
    env.reset(seed=0)
    for action in actions:
        _, _, terminated, _, info = env.step(action)
    assert terminated and info["makespan"] == active.objective
    assert active.schedule is not None
    assert validate_schedule(instance, active.schedule) == active.objective


def test_active_replay_of_a_shuffled_schedule_is_valid() -> None:
    from schedgym.baselines.jobshop.replay import active_replay

    instance = load("ft10")
    rule = load_solver("jobshop", "spt").solve(instance, Budget(seed=0))
    assert rule.schedule is not None and rule.objective is not None
    starts = rule.schedule.start_times(instance.num_jobs, instance.num_ops)
    replay = active_replay(instance, starts)
    assert validate_schedule(instance, replay.schedule) == replay.makespan
    assert replay.makespan <= rule.objective  # a non-delay schedule is active: rebuilt or shifted
    assert len(replay.actions) == instance.machines.size


def test_construction_option_is_checked() -> None:
    from schedgym.jobshop.active import ConstructionError

    with pytest.raises(ConstructionError):
        TabuSearch(construction="lazy")
