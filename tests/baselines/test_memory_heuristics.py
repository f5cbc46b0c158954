"""Greedy memory heuristics: valid on both variants, their documented orders and choices."""

from __future__ import annotations

import numpy as np
import pytest

from schedgym.baselines.memory.heuristics import (
    HEURISTICS,
    BestFit,
    FirstFit,
    SizeDescending,
    XlaGreedy,
)
from schedgym.core.solver import Budget
from schedgym.datasets import memory as shipped
from schedgym.memory.cost import CostModel
from schedgym.memory.instance import Buffer, MemoryInstance
from schedgym.memory.simulator import PlacementState, visiting_order
from schedgym.memory.validate import validate_mapping


@pytest.mark.parametrize("name", HEURISTICS)
@pytest.mark.parametrize("instance", ["pack-04", "assign-04"])
def test_every_heuristic_is_valid(name: str, instance: str) -> None:
    inst = shipped.load(instance)
    result = HEURISTICS[name]().solve(inst, Budget())
    assert result.solver == name and result.schedule is not None
    report = validate_mapping(inst, result.schedule)
    assert result.objective == report.objective
    if inst.variant == "assign":
        assert report.peak <= inst.capacity
        assert report.relative_time < 1.0
    else:
        assert report.fast_buffers == inst.num_buffers and report.peak >= inst.capacity


def test_first_fit_takes_the_lowest_gap_and_best_fit_the_tightest() -> None:
    inst = MemoryInstance.from_buffers(
        "holes",
        [
            Buffer("w", 0, 9, 1),
            Buffer("x", 0, 3, 3),
            Buffer("y", 0, 9, 1),
            Buffer("z", 0, 3, 1),
            Buffer("t", 0, 9, 1),
            Buffer("q", 3, 6, 1),
        ],
        10,
    )
    state = PlacementState(inst)
    for i, offset in enumerate([0, 1, 4, 5, 6]):  # w [0,1) x [1,4) y [4,5) z [5,6) t [6,7)
        state.place(i, offset)
    # q [3, 6) sees w, y, t only: holes [1, 4) (3 bytes) and [5, 6) (1 byte), then [7, inf)
    assert list(state.candidates(5).start) == [1, 5, 7]
    assert state.first_fit(5) == 1 and state.best_fit(5) == 5
    assert list(FirstFit().order(inst)) == list(visiting_order(inst, "start"))
    assert list(BestFit().order(inst)) == [0, 2, 4, 1, 3, 5]  # start, longer, larger, index


def test_size_descending_order_and_xla_benefit_order() -> None:
    inst = shipped.load("assign-05")
    order = SizeDescending().order(inst)
    assert (np.diff(inst.sizes[order]) <= 0).all()
    xla = XlaGreedy().order(inst)
    benefit = CostModel(inst).isolated_benefit()
    priority = benefit[xla] / np.sqrt(inst.sizes[xla])
    assert (np.diff(priority) <= 1e-12).all() and (benefit[xla] > 0).all()
    offsets = XlaGreedy().offsets(inst)
    no_benefit = np.flatnonzero(benefit <= 0)
    assert (offsets[no_benefit] == -1).all()


def test_xla_greedy_beats_the_live_range_heuristics_on_assign() -> None:
    wins = 0
    for name in shipped.suite("assign"):
        inst = shipped.load(name)
        xla = XlaGreedy().solve(inst).objective
        others = [HEURISTICS[h]().solve(inst).objective for h in ("first-fit", "best-fit")]
        assert xla is not None
        wins += all(xla <= o for o in others if o is not None)
    assert wins >= 7
