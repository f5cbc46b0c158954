"""The independent mapping validator: valid mappings pass, each kind of broken one is named;
the cost model on a hand-computed example; mapping files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from schedgym.core.errors import InstanceFormatError, InvalidScheduleError
from schedgym.hardware.memory import two_tier
from schedgym.memory.cost import CostModel
from schedgym.memory.instance import Buffer, MemoryInstance
from schedgym.memory.schedule import MemoryMapping, read_mapping
from schedgym.memory.validate import validate_mapping

# time:   0 1 2 3 4 5 6 7        a valid packing at capacity 8 (peak 8 = peak live load):
#  b0    [0, 4) size 4 @ 0       b0 and b2 touch in time (4 = 4): same addresses allowed
#  b1    [2, 6) size 2 @ 6       b1 sits on b3 (top 6): touching addresses allowed
#  b2    [4, 8) size 4 @ 0
#  b3    [0, 8) size 2 @ 4
TOY = MemoryInstance.from_buffers(
    "toy",
    [Buffer(0, 0, 4, 4), Buffer(1, 2, 6, 2), Buffer(2, 4, 8, 4), Buffer(3, 0, 8, 2)],
    8,
)
GOOD = [0, 6, 0, 4]


def test_valid_packing_and_its_measures() -> None:
    report = validate_mapping(TOY, GOOD)
    assert report.peak == 8 and report.fits and report.objective == 8.0
    assert report.peak_ratio == 1.0 and report.fast_buffers == 4 and report.variant == "pack"
    assert TOY.max_load() == 8
    over = validate_mapping(TOY, [0, 8, 0, 4])  # valid, but above the capacity
    assert over.peak == 10 and not over.fits


@pytest.mark.parametrize(
    ("offsets", "variant", "match"),
    [
        ([0, 6, 0], "pack", "3 entries for 4 buffers"),
        ([0, 6, 0, 1.5], "pack", "buffer 3: offset 1.5 is not an integer"),
        ([0, 6, 0, True], "pack", "buffer 3: offset True is not an integer"),
        ([0, -2, 0, 4], "pack", "buffer 1: negative offset -2"),
        ([0, None, 0, 4], "pack", "buffer 1: left in slow memory"),
        ([0, 7, 0, 4], "assign", r"buffer 1: \[7, 9\) exceeds the fast-memory capacity 8"),
        ([0, 4, 0, 4], "pack", r"buffers 1 and 3 overlap: live ranges \[2, 6\) and \[0, 8\)"),
        ([0, 6, 2, 4], "pack", r"buffers 2 and 3 overlap"),
        ([0, 6, 3, None], "assign", r"buffers 1 and 2 overlap"),
    ],
)
def test_each_broken_mapping_is_named(offsets: list, variant: str, match: str) -> None:
    with pytest.raises(InvalidScheduleError, match=match):
        validate_mapping(TOY, offsets, variant)


def test_assign_accepts_slow_buffers_and_pack_mapping_object() -> None:
    report = validate_mapping(TOY, [0, None, None, 4], "assign")
    assert report.fast_buffers == 2 and report.peak == 6 and report.variant == "assign"
    assert report.objective == report.modelled_time
    mapping = MemoryMapping.build(TOY, np.array(GOOD))
    assert mapping.peak == 8 and validate_mapping(TOY, mapping).objective == 8.0


# Hand-computed cost: fast memory 10 bytes/unit, slow 1 byte/unit, compute [1, 5, 50].
#   A [0, 2) 10 bytes, written at 0, read at 1; B [1, 3) 20 bytes, written at 1, read at 2.
#   all slow: max(1, 10) + max(5, 10 + 20) + max(50, 20) = 90
#   A fast:   max(1, 1) + max(5, 1 + 20) + 50 = 72;  B fast: 10 + max(5, 10 + 2) + 50 = 72
#   all fast: 1 + max(5, 1 + 2) + 50 = 56
COST = MemoryInstance.from_buffers(
    "cost",
    [Buffer("A", 0, 2, 10, (0, 1), (0,)), Buffer("B", 1, 3, 20, (1, 2), (1,))],
    two_tier(30, fast_bandwidth=10.0, slow_bandwidth=1.0),
    compute=[1.0, 5.0, 50.0],
    variant="assign",
)


def test_cost_model_by_hand() -> None:
    cost = CostModel(COST)
    assert cost.all_slow_time() == pytest.approx(90.0)
    assert cost.modelled_time(np.array([True, False])) == pytest.approx(72.0)
    assert cost.modelled_time(np.array([False, True])) == pytest.approx(72.0)
    assert cost.all_fast_time() == pytest.approx(56.0)
    assert cost.isolated_benefit() == pytest.approx([18.0, 18.0])
    assert validate_mapping(COST, [0, 10]).objective == pytest.approx(56.0)
    assert validate_mapping(COST, [None, None]).relative_time == pytest.approx(1.0)


def test_steps_without_uses_count_their_compute() -> None:
    inst = MemoryInstance.from_buffers(
        "gap", [Buffer(0, 0, 4, 10, (0, 3), (0,))], two_tier(30, 10.0, 1.0), [0, 7, 7, 0]
    )
    assert CostModel(inst).all_slow_time() == pytest.approx(10 + 7 + 7 + 10)


def test_isolated_benefit_matches_direct_evaluation() -> None:
    from schedgym.core.seeding import make_rng
    from schedgym.memory.generator import AssignGenerator

    inst = AssignGenerator(30).sample(make_rng(3))
    cost = CostModel(inst)
    base = cost.all_slow_time()
    for i in range(inst.num_buffers):
        alone = np.zeros(inst.num_buffers, dtype=bool)
        alone[i] = True
        assert cost.isolated_benefit()[i] == pytest.approx(base - cost.modelled_time(alone))


def test_mapping_file_round_trip_and_errors(tmp_path: Path) -> None:
    mapping = MemoryMapping.build(TOY, GOOD, solver="hand", status="optimal")
    path = tmp_path / "m.json"
    mapping.write(path, objective=8.0)
    data = json.loads(path.read_text())
    assert data["problem"] == "memory" and data["capacity"] == 8 and data["peak"] == 8
    assert data["fits"] is True and data["buffers"][1] == {"id": 1, "offset": 6}
    back = read_mapping(path, TOY)
    assert back.offsets == mapping.offsets and back.solver == "hand"
    for broken, match in [
        ({"buffers": [{"id": 9, "offset": 0}]}, r"buffers\[0\]\.id: unknown buffer 9"),
        ({"buffers": [{"id": 0, "offset": 0}] * 2}, r"buffers\[1\]\.id: buffer 0 repeated"),
        ({"buffers": [{"id": 0, "offset": "x"}]}, r"buffers\[0\]\.offset"),
        ({"buffers": [{"id": 0, "offset": 0}]}, "buffer 1 is missing"),
    ]:
        path.write_text(json.dumps(broken))
        with pytest.raises(InstanceFormatError, match=match):
            read_mapping(path, TOY)
