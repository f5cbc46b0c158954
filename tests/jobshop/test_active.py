"""Active (Giffler-Thompson) construction: optimum reach, validity, masks, rejected variants."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given, settings
from hypothesis import strategies as st

import schedgym  # noqa: F401  (registers the envs)
from schedgym.baselines.jobshop.rules import RULES
from schedgym.core.errors import UnsupportedVariantError
from schedgym.core.solver import Budget
from schedgym.jobshop.env import JobShopEnv
from schedgym.jobshop.generator import known_optimum_instance, known_optimum_schedule
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.problem import load_instance
from schedgym.jobshop.schedule import JobShopSchedule
from schedgym.jobshop.validate import validate_schedule

#: 3x3 instance whose optimum (18) is active but not non-delay (best non-delay: 21)
TOY = JobShopInstance(
    "toy3x3",
    np.array([[0, 2, 1], [1, 2, 0], [1, 0, 2]]),
    np.array([[2, 2, 6], [4, 2, 9], [3, 2, 5]]),
)
#: start times of an optimal ft06 schedule (makespan 55), from CP-SAT
FT06_OPTIMAL_STARTS = np.array(
    [
        [5, 6, 16, 30, 42, 49],
        [0, 8, 13, 28, 38, 48],
        [0, 5, 9, 18, 27, 42],
        [8, 13, 22, 27, 30, 45],
        [13, 22, 25, 38, 48, 52],
        [13, 16, 19, 28, 38, 42],
    ]
)
CONSTRUCTIONS = ("non-delay", "active")
RULE_NAMES = ("spt", "lpt", "mwkr", "mopnr", "fifo", "fdd-mwkr")


def _all_makespans(instance: JobShopInstance, construction: str) -> set[int]:
    """Makespans of every schedule reachable by some action sequence (exhaustive, tiny only)."""
    env = JobShopEnv(instance, construction=construction)
    found: set[int] = set()

    def visit(prefix: list[int]) -> None:
        env.reset(seed=0)
        for action in prefix:
            env.step(action)
        if env.simulator.done:
            found.add(env.simulator.makespan())
            return
        for choice in np.flatnonzero(env.action_masks()):
            visit([*prefix, int(choice)])

    visit([])
    return found


def _optimum(instance: JobShopInstance) -> int:
    """Brute-force optimum over all semi-active (append-only) schedules."""
    machines, durations = instance.machines, instance.durations
    jobs, ops = machines.shape
    best = [int(durations.sum())]

    def visit(nxt: tuple[int, ...], job_free: tuple[int, ...], mach_free: tuple[int, ...]) -> None:
        span = max(job_free)
        if span >= best[0]:
            return
        if all(k == ops for k in nxt):
            best[0] = span
            return
        for j in range(jobs):
            k = nxt[j]
            if k == ops:
                continue
            m = int(machines[j, k])
            end = max(job_free[j], mach_free[m]) + int(durations[j, k])
            visit(
                (*nxt[:j], k + 1, *nxt[j + 1 :]),
                (*job_free[:j], end, *job_free[j + 1 :]),
                (*mach_free[:m], end, *mach_free[m + 1 :]),
            )

    visit((0,) * jobs, (0,) * jobs, (0,) * instance.num_machines)
    return best[0]


def _is_non_delay(instance: JobShopInstance, schedule: JobShopSchedule) -> bool:
    """No machine idles at a time when an operation for it is ready (its job's previous op
    ended) but starts later."""
    busy: dict[int, list[tuple[int, int]]] = {}
    for op in schedule.operations:
        busy.setdefault(op.machine, []).append((op.start, op.end))
    starts = schedule.start_times(instance.num_jobs, instance.num_ops)
    for op in schedule.operations:
        ready = (
            0
            if op.index == 0
            else starts[op.job, op.index - 1] + int(instance.durations[op.job, op.index - 1])
        )
        for t in range(int(ready), op.start):
            if not any(s <= t < e for s, e in busy[op.machine]):
                return False
    return True


def test_active_reaches_an_optimum_non_delay_cannot() -> None:
    active, non_delay = _all_makespans(TOY, "active"), _all_makespans(TOY, "non-delay")
    assert _optimum(TOY) == min(active) == 18
    assert min(non_delay) == 21


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_active_best_is_the_optimum_on_random_toys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    machines = np.array([rng.permutation(3) for _ in range(3)])
    instance = JobShopInstance("toy", machines, rng.integers(0, 8, size=(3, 3)))
    assert min(_all_makespans(instance, "active")) == _optimum(instance)


def test_ft06_some_active_sequence_reaches_55() -> None:
    env = JobShopEnv("ft06", construction="active")
    env.reset(seed=0)
    sim = env.simulator
    while True:
        jobs = np.flatnonzero(env.action_masks())
        job = min(jobs, key=lambda j: FT06_OPTIMAL_STARTS[j, sim.next_op[j]])
        _, _, terminated, _, info = env.step(int(job))
        if terminated:
            break
    assert info["makespan"] == 55
    assert validate_schedule(env.instance, env.schedule()) == 55


@pytest.mark.parametrize("name", ["ft06", "la01", "ta01"])
def test_rules_active_build_delay_schedules_non_delay_never(name: str) -> None:
    instance = load_instance(name)
    delayed = 0
    for rule in RULE_NAMES:
        for construction in CONSTRUCTIONS:
            result = RULES[rule](construction=construction).solve(instance, Budget(seed=0))
            assert result.schedule is not None
            assert validate_schedule(instance, result.schedule) == result.objective
            non_delay = _is_non_delay(instance, result.schedule)
            if construction == "non-delay":
                assert non_delay
            else:
                delayed += not non_delay
    assert delayed > 0  # active rules reach schedules non-delay construction cannot


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    jobs=st.integers(2, 7),
    machines=st.integers(1, 5),
    construction=st.sampled_from(CONSTRUCTIONS),
    arrivals=st.booleans(),
)
def test_random_masked_play_validates(
    seed: int, jobs: int, machines: int, construction: str, arrivals: bool
) -> None:
    env = gym.make(
        "schedgym/JobShop-v0",
        num_jobs=jobs,
        num_machines=machines,
        construction=construction,
        arrival_mean=12.0 if arrivals else 0.0,
    )
    env.reset(seed=seed)
    u = env.unwrapped
    assert isinstance(u, JobShopEnv)
    rng = np.random.default_rng(seed)
    total = 0.0
    while True:
        mask = u.action_masks()
        assert mask.any()  # never empty before termination
        obs, reward, terminated, truncated, info = env.step(int(rng.choice(np.flatnonzero(mask))))
        total += float(reward)
        assert not truncated and not info["invalid_action"]
        if terminated:
            break
    assert not u.action_masks().any()
    makespan = validate_schedule(u.instance, u.schedule())
    assert makespan == info["makespan"]
    assert total == pytest.approx(-makespan)
    assert obs["edge_mask"].sum() == obs["num_edges"][0] <= obs["edge_mask"].shape[0]


def test_same_observation_space_and_check_env() -> None:
    spaces = []
    for construction in CONSTRUCTIONS:
        env = gym.make("schedgym/JobShop-v0", instance="ft06", construction=construction)
        check_env(env.unwrapped, skip_render_check=True)
        spaces.append(env.observation_space)
        assert env.action_space == gym.spaces.Discrete(6)
    assert spaces[0] == spaces[1]


@pytest.mark.parametrize(
    "options",
    [{"duration_noise": 0.2}, {"mtbf": 50.0}, {"blocking": True}, {"blocking": True, "mtbf": 9}],
)
def test_unsupported_variants_are_rejected(options: dict) -> None:
    with pytest.raises(ValueError, match="construction='active' does not support"):
        JobShopEnv("ft06", construction="active", **options)
    with pytest.raises(ValueError, match="construction='active' does not support"):
        gym.make("schedgym/JobShop-v0", construction="active", **options)
    with pytest.raises(ValueError, match="construction='active' does not support"):
        RULES["mwkr"](construction="active", **options)
    with pytest.raises(UnsupportedVariantError):  # the CLI prints it as a one-line error
        JobShopEnv("ft06", construction="active", **options)
    JobShopEnv("ft06", construction="non-delay", **options)  # still fine


def test_unknown_construction_is_rejected() -> None:
    with pytest.raises(ValueError, match="construction must be one of"):
        JobShopEnv("ft06", construction="semi-active")
    with pytest.raises(ValueError, match="construction must be one of"):
        RULES["spt"](construction="delay")


def test_arrivals_under_active_respect_release_times() -> None:
    env = JobShopEnv("la01", construction="active", arrival_mean=30.0)
    for seed in range(3):
        env.reset(seed=seed)
        rng = np.random.default_rng(seed)
        while not env.simulator.done:
            env.step(int(rng.choice(np.flatnonzero(env.action_masks()))))
        schedule = env.schedule()
        assert schedule.conditions.release is not None
        starts = schedule.start_times(env.instance.num_jobs, env.instance.num_ops)
        assert (starts[:, 0] >= schedule.conditions.release).all()
        validate_schedule(env.instance, schedule)


@pytest.mark.parametrize("rule", [*RULE_NAMES, "random"])
@pytest.mark.parametrize("options", [{}, {"arrival_mean": 20.0}], ids=["static", "arrivals"])
def test_rule_schedule_equals_env_replay(rule: str, options: dict) -> None:
    instance = load_instance("la06")
    result = RULES[rule](construction="active", **options).solve(instance, Budget(seed=4))
    env = JobShopEnv(instance, construction="active", **options)
    env.reset(seed=4)
    for action in result.info["actions"]:
        _, _, terminated, _, info = env.step(action)
    assert terminated and info["makespan"] == result.objective
    assert result.schedule is not None
    assert set(env.schedule().operations) == set(result.schedule.operations)


def test_default_construction_is_non_delay() -> None:
    assert JobShopEnv("ft06").construction == "non-delay"
    assert RULES["mwkr"]().env_options == {"construction": "non-delay"}
    # ft06 non-delay rule makespans of the stored demo leaderboard rows are unchanged
    expected = {"spt": 88, "lpt": 77}
    for rule, makespan in expected.items():
        result = RULES[rule]().solve(load_instance("ft06"), Budget(seed=0))
        assert result.objective == makespan


@pytest.mark.parametrize(("jobs", "machines"), [(4, 3), (6, 6), (10, 5), (8, 12)])
def test_known_optimum_instances_reached_under_active(jobs: int, machines: int) -> None:
    """Dispatching in the order of a witness optimal schedule reaches the optimum."""
    for seed in range(3):
        instance, optimum = known_optimum_instance(jobs, machines, seed)
        witness = known_optimum_schedule(jobs, machines, seed)
        starts = witness.start_times(instance.num_jobs, instance.num_ops)
        env = JobShopEnv(instance, construction="active")
        env.reset(seed=0)
        sim = env.simulator
        while not sim.done:
            candidates = np.flatnonzero(env.action_masks())
            env.step(int(min(candidates, key=lambda j: starts[j, sim.next_op[j]])))
        assert validate_schedule(instance, env.schedule()) == optimum
