"""HEFT, CPOP, PEFT: Topcuoglu's example, ranks, conventions; every solver's schedule validates."""

from __future__ import annotations

import numpy as np
import pytest

from schedgym.baselines.socdag.listsched import CPOP, HEFT, PEFT, LookaheadHEFT, critical_path
from schedgym.baselines.socdag.runtime import ETF, HEFTRT, MET, RandomScheduler
from schedgym.core.solver import Budget
from schedgym.datasets import socdag as shipped
from schedgym.hardware.platform import uniform_platform
from schedgym.socdag.generator import layered_instance
from schedgym.socdag.instance import SoCDAGInstance
from schedgym.socdag.ranks import (
    downward_rank,
    mean_comm,
    optimistic_cost_table,
    upward_rank,
)
from schedgym.socdag.validate import validate_schedule

# Topcuoglu, Hariri and Wu (2002), Table / Fig. 2: upward ranks of n1..n10
PAPER_RANKS = [108.0, 77.0, 80.0, 80.0, 69.0, 63.333, 42.667, 35.667, 44.333, 14.667]
PAPER_SCHEDULE = {  # task: (processor, start, end), HEFT's schedule in the paper
    0: (2, 0, 9), 1: (0, 27, 40), 2: (2, 9, 28), 3: (1, 18, 26), 4: (2, 28, 38),
    5: (1, 26, 42), 6: (2, 38, 49), 7: (0, 57, 62), 8: (1, 56, 68), 9: (1, 73, 80),
}  # fmt: skip


def test_heft_makespan_80_on_topcuoglu() -> None:
    instance = shipped.load("topcuoglu")
    result = HEFT().solve(instance, Budget())
    assert result.status == "feasible" and result.objective == 80.0
    assert validate_schedule(instance, result.schedule) == 80.0
    got = {s.task: (s.pe, s.start, s.end) for s in result.schedule.tasks}
    assert got == PAPER_SCHEDULE


def test_paper_ranks_and_cpop() -> None:
    instance = shipped.load("topcuoglu")
    assert upward_rank(instance) == pytest.approx(PAPER_RANKS, abs=1e-3)
    priority = upward_rank(instance) + downward_rank(instance)
    assert critical_path(instance, priority) == [0, 1, 8, 9]  # n1 n2 n9 n10, |CP| = 108
    assert CPOP().solve(instance).objective == 86.0  # the paper's CPOP schedule length


def test_communication_conventions() -> None:
    for n in (2, 3, 5):
        table = np.ones((2, n))
        inst = SoCDAGInstance(
            "c", ("a", "b"), [0], [1], [12.0], table, uniform_platform(n, bandwidth=3.0)
        )
        assert mean_comm(inst, "paper")[0] == pytest.approx(4.0)
        assert mean_comm(inst, "saga")[0] == pytest.approx(4.0 * (n - 1) / (n + 1))
    lat = uniform_platform(3, latency=2.0)
    inst = SoCDAGInstance("l", ("a", "b"), [0], [1], [6.0], np.ones((2, 3)), lat)
    assert mean_comm(inst, "paper")[0] == pytest.approx(8.0)
    with pytest.raises(ValueError, match="convention"):
        HEFT(convention="mean")  # type: ignore[arg-type]


def test_oct_table_on_a_chain() -> None:
    # a -> b, data 10 on unit links; b takes 4 on PE 0 and 1 on PE 1
    table = np.array([[1.0, 1.0], [4.0, 1.0]])
    inst = SoCDAGInstance("o", ("a", "b"), [0], [1], [10.0], table, uniform_platform(2))
    oct_ = optimistic_cost_table(inst)
    assert oct_[1].tolist() == [0.0, 0.0]
    assert oct_[0].tolist() == [4.0, 1.0]  # min(stay: 4, move: 1 + 10) ; min(move: 14, stay: 1)


ALL = {
    "heft": HEFT, "cpop": CPOP, "peft": PEFT, "met": MET, "etf": ETF,
    "heft-rt": HEFTRT, "random": RandomScheduler, "heft-oct": LookaheadHEFT,
}  # fmt: skip


@pytest.mark.parametrize("name", ALL)
def test_every_heuristic_schedule_validates(name: str) -> None:
    rng = np.random.default_rng(9)
    instances = [shipped.load(n) for n in ("topcuoglu", "ds3-wifi-rx", "ds3-range-detection")]
    instances += [layered_instance(rng, 25, 4, unavailable=0.3, latency=2.0) for _ in range(4)]
    instances += [layered_instance(rng, 20, 3, integer=False, ccr=3.0) for _ in range(2)]
    for instance in instances:
        for convention in ("paper", "saga"):
            solver = (
                ALL[name](convention=convention)
                if name in ("heft", "cpop", "peft", "heft-oct")
                else ALL[name]()
            )
            result = solver.solve(instance, Budget(seed=2))
            assert result.schedule is not None and result.solver == name
            assert validate_schedule(instance, result.schedule) == pytest.approx(result.objective)


def test_heft_rt_in_static_mode_is_heft() -> None:
    rng = np.random.default_rng(1)
    for _ in range(10):
        instance = layered_instance(rng, 18, 4, unavailable=0.2)
        assert HEFTRT().solve(instance).objective == HEFT().solve(instance).objective


def test_list_schedulers_refuse_streams() -> None:
    from schedgym.socdag.env import stream_config

    assert HEFT().solve(stream_config()).status == "unsupported"  # type: ignore[arg-type]


@pytest.mark.parametrize("solver", [HEFT, LookaheadHEFT])
def test_heft_actions_replay_through_the_env(solver: type[HEFT] | type[LookaheadHEFT]) -> None:
    """HEFT and heft-oct report their PEs in SoCDAG-v0's decision order; replayed through the
    env they give the solver's makespan (also with unavailable pairs); other conventions report
    no actions."""
    import gymnasium as gym

    import schedgym  # noqa: F401  (registers the envs)

    rng = np.random.default_rng(0)
    for _ in range(5):
        instance = layered_instance(rng, 30, 4, heterogeneity=1.0, unavailable=0.2, ccr=2.0)
        result = solver().solve(instance)
        env = gym.make("schedgym/SoCDAG-v0", instance=instance)
        env.reset(seed=0)
        info: dict = {}
        for action in result.info["actions"]:
            _, _, done, _, info = env.step(action)
        assert done and info["makespan"] == pytest.approx(result.objective)
    assert "actions" not in solver(convention="saga").solve(instance).info


def test_heft_oct_is_never_worse_than_heft_and_uses_its_lookahead() -> None:
    """With w = 0 among its weights heft-oct is at least as good as HEFT on every instance, and
    strictly better on some of these heterogeneous DAGs with unavailable pairs; with w = 0 alone
    it is HEFT."""
    rng = np.random.default_rng(4)
    better = 0
    for _ in range(12):
        instance = layered_instance(rng, 40, 5, heterogeneity=1.0, unavailable=0.2, ccr=2.0)
        heft, oct_ = HEFT().solve(instance).objective, LookaheadHEFT().solve(instance).objective
        assert heft is not None and oct_ is not None and oct_ <= heft + 1e-9
        better += oct_ < heft - 1e-9
        alone = LookaheadHEFT(weights=(0.0,)).solve(instance)
        assert alone.objective == pytest.approx(heft)
    assert better >= 3
    with pytest.raises(ValueError, match="weights"):
        LookaheadHEFT(weights=())
