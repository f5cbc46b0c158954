"""The independent job-shop validator: valid schedules pass, each kind of violation is named."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from schedgym.core.errors import InvalidScheduleError
from schedgym.datasets.jobshop import load
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import Conditions, JobShopSchedule, Operation
from schedgym.jobshop.validate import makespan_gap, validate_schedule

# A 3x3 toy and a hand-made schedule of makespan 10 (also valid under blocking):
#   m0: J0 [0,3)  J1 [3,7)  J2 [8,9)
#   m1: J1 [0,2)  J0 [3,5)  J2 [5,8)
#   m2: J2 [0,4)  J0 [5,7)  J1 [7,10)
TOY = JobShopInstance(
    "toy3",
    np.array([[0, 1, 2], [1, 0, 2], [2, 1, 0]]),
    np.array([[3, 2, 2], [2, 4, 3], [4, 3, 1]]),
)
TOY_STARTS = [[0, 3, 5], [0, 3, 7], [0, 5, 8]]

# An optimal ft06 schedule (makespan 55), found once by CP-SAT and written down here.
FT06_STARTS = [
    [5, 6, 16, 30, 42, 49],
    [0, 8, 13, 28, 38, 48],
    [0, 5, 9, 18, 27, 42],
    [8, 13, 22, 27, 30, 45],
    [13, 22, 25, 38, 48, 52],
    [13, 16, 19, 28, 38, 42],
]


def build(
    instance: JobShopInstance,
    starts: list[list[int]],
    conditions: Conditions | None = None,
) -> JobShopSchedule:
    """The schedule that starts each operation at ``starts[j][k]`` with its nominal duration."""
    ops = tuple(
        Operation(j, k, int(instance.machines[j, k]), s, s + int(instance.durations[j, k]))
        for j, row in enumerate(starts)
        for k, s in enumerate(row)
    )
    return JobShopSchedule(instance.name, ops, conditions=conditions or Conditions())


def edit(schedule: JobShopSchedule, job: int, index: int, **fields: object) -> JobShopSchedule:
    """A copy of ``schedule`` with some fields of operation ``(job, index)`` replaced."""
    ops = tuple(
        replace(op, **fields) if (op.job, op.index) == (job, index) else op  # type: ignore[arg-type]
        for op in schedule.operations
    )
    return replace(schedule, operations=ops)


def drop(schedule: JobShopSchedule, job: int, index: int) -> JobShopSchedule:
    ops = tuple(op for op in schedule.operations if (op.job, op.index) != (job, index))
    return replace(schedule, operations=ops)


def add(schedule: JobShopSchedule, op: Operation) -> JobShopSchedule:
    return replace(schedule, operations=(*schedule.operations, op))


def test_toy_schedule_is_valid() -> None:
    assert validate_schedule(TOY, build(TOY, TOY_STARTS)) == 10


def test_ft06_optimal_schedule_is_valid_and_survives_json() -> None:
    ft06 = load("ft06")
    schedule = build(ft06, FT06_STARTS)
    assert validate_schedule(ft06, schedule) == 55
    assert validate_schedule(ft06, JobShopSchedule.from_json(schedule.to_json())) == 55


Break = Callable[[JobShopSchedule], JobShopSchedule]

BROKEN: dict[str, tuple[Break, str]] = {
    "missing op": (lambda s: drop(s, 1, 2), r"^job 1 op 2 \(machine 2\): missing"),
    "duplicate op": (lambda s: add(s, Operation(0, 0, 0, 0, 3)), r"job 0 op 0 .*scheduled twice"),
    "extra job": (lambda s: add(s, Operation(3, 0, 0, 20, 23)), r"job 3 op 0: no such operation"),
    "extra index": (lambda s: add(s, Operation(0, 3, 0, 20, 23)), r"job 0 op 3: no such operation"),
    "wrong machine": (lambda s: edit(s, 0, 1, machine=2), r"job 0 op 1 .*on machine 2 instead"),
    "float time": (lambda s: edit(s, 2, 2, start=8.5), r"job 2 op 2 .*times must be integers"),
    "negative start": (
        lambda s: edit(s, 1, 0, start=-1, end=1),
        r"job 1 op 0 \(machine 1\): negative start -1",
    ),
    "end before start": (lambda s: edit(s, 0, 0, end=-2), r"job 0 op 0 .*ends at -2 before"),
    "wrong duration": (
        lambda s: edit(s, 0, 0, end=4),
        r"job 0 op 0 \(machine 0\): processed for 4 .*duration is 3",
    ),
    "route order": (
        lambda s: edit(s, 0, 1, start=2, end=4),
        r"job 0 op 1 \(machine 1\): starts at 2 before op 0 of its job ends at 3",
    ),
    "machine overlap": (
        lambda s: edit(edit(s, 2, 1, start=4, end=7), 2, 2, start=8, end=9),
        r"machine 1: job 2 op 1 \[4, 7\) overlaps job 0 op 1 \[3, 5\)",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_schedule_is_caught(case: str) -> None:
    breaker, message = BROKEN[case]
    with pytest.raises(InvalidScheduleError, match=message):
        validate_schedule(TOY, breaker(build(TOY, TOY_STARTS)))


def test_release_times() -> None:
    schedule = build(TOY, TOY_STARTS)
    assert validate_schedule(TOY, schedule, Conditions(release=np.array([0, 0, 0]))) == 10
    with pytest.raises(InvalidScheduleError, match=r"job 1 op 0 .*before the job's release time 1"):
        validate_schedule(TOY, schedule, Conditions(release=np.array([0, 1, 0])))


def test_realised_durations_replace_nominal_ones() -> None:
    durations = TOY.durations.copy()
    durations[0, 0] = 2
    conditions = Conditions(durations=durations)
    shorter = edit(build(TOY, TOY_STARTS), 0, 0, end=2)
    assert validate_schedule(TOY, shorter, conditions) == 10
    with pytest.raises(InvalidScheduleError, match=r"job 0 op 0 .*processed for 3 .*duration is 2"):
        validate_schedule(TOY, build(TOY, TOY_STARTS), conditions)


def test_conditions_default_to_the_schedules_own() -> None:
    schedule = build(TOY, TOY_STARTS, Conditions(release=np.array([0, 1, 0])))
    with pytest.raises(InvalidScheduleError, match="release"):
        validate_schedule(TOY, schedule)
    assert validate_schedule(TOY, schedule, Conditions()) == 10  # an explicit argument wins


def test_downtime_suspends_the_operation() -> None:
    # J1 op 2 runs on m2 from 7; a breakdown [8, 9) suspends it, so it ends at 11, not 10.
    conditions = Conditions(downtimes=((2, 8, 9),))
    interrupted = edit(build(TOY, TOY_STARTS), 1, 2, end=11)
    assert validate_schedule(TOY, interrupted, conditions) == 11
    with pytest.raises(
        InvalidScheduleError,
        match=r"job 1 op 2 \(machine 2\): processed for 2 \(start 7, end 10, downtime 1\) "
        r"but its duration is 3",
    ):
        validate_schedule(TOY, build(TOY, TOY_STARTS), conditions)


def test_start_inside_downtime() -> None:
    conditions = Conditions(downtimes=((0, 8, 9),))
    with pytest.raises(InvalidScheduleError, match=r"job 2 op 2 .*starts at 8 inside downtime"):
        validate_schedule(TOY, build(TOY, TOY_STARTS), conditions)
    assert validate_schedule(TOY, build(TOY, TOY_STARTS), Conditions(downtimes=((0, 7, 8),))) == 10


def test_end_padded_into_downtime() -> None:
    # J1 op 2 completes at 10 when m2 breaks down [10, 12); claiming end 12 passes the
    # processing-time equation but pads the end into the repair.
    padded = edit(build(TOY, TOY_STARTS), 1, 2, end=12)
    with pytest.raises(InvalidScheduleError, match=r"job 1 op 2 .*ends at 12 inside downtime"):
        validate_schedule(TOY, padded, Conditions(downtimes=((2, 10, 12),)))
    assert validate_schedule(TOY, build(TOY, TOY_STARTS), Conditions(downtimes=((2, 10, 12),)))


def test_malformed_conditions() -> None:
    schedule = build(TOY, TOY_STARTS)
    with pytest.raises(InvalidScheduleError, match=r"downtimes .* of machine 1 overlap"):
        validate_schedule(TOY, schedule, Conditions(downtimes=((1, 20, 30), (1, 25, 26))))
    with pytest.raises(InvalidScheduleError, match=r"conditions\.durations has shape"):
        validate_schedule(TOY, schedule, Conditions(durations=np.ones((2, 3), dtype=np.int64)))
    with pytest.raises(InvalidScheduleError, match=r"conditions\.release has shape"):
        validate_schedule(TOY, schedule, Conditions(release=np.zeros(4, dtype=np.int64)))


def test_blocking_holds_the_machine_until_the_next_operation() -> None:
    blocking = Conditions(blocking=True)
    assert validate_schedule(TOY, build(TOY, TOY_STARTS), blocking) == 10
    # J2 op 1 now starts at 6, so J2 stays blocked on m2 until 6 while J0 enters m2 at 5.
    late = [[0, 3, 5], [0, 3, 7], [0, 6, 9]]
    assert validate_schedule(TOY, build(TOY, late)) == 10  # fine with buffers
    with pytest.raises(
        InvalidScheduleError,
        match=r"machine 2: job 0 op 2 enters at 5 while job 2 op 0 \(finished at 4\) "
        r"still holds it, blocked until 6",
    ):
        validate_schedule(TOY, build(TOY, late), blocking)


def test_swap_cycle_under_blocking_is_valid() -> None:
    # J0 finishes on m0 at 1 but m1 is busy until 2, so it blocks m0; at 2, J0 moves to m1 and J1
    # to m0 at the same instant: a swap, valid with half-open intervals.
    swap = JobShopInstance("swap", np.array([[0, 1], [1, 0]]), np.array([[1, 2], [2, 2]]))
    schedule = build(swap, [[0, 2], [0, 2]])
    assert validate_schedule(swap, schedule, Conditions(blocking=True)) == 4
    # If J1 leaves m1 only at 3, it still holds m1 when J0 wants to enter at 2.
    late = build(swap, [[0, 2], [0, 3]])
    assert validate_schedule(swap, late) == 5
    with pytest.raises(
        InvalidScheduleError, match=r"machine 1: job 0 op 1 enters at 2 while job 1 op 0"
    ):
        validate_schedule(swap, late, Conditions(blocking=True))


def test_makespan_gap() -> None:
    assert makespan_gap(60, 50) == pytest.approx(0.2)
    assert makespan_gap(55, 55) == 0.0
    with pytest.raises(ValueError, match="positive"):
        makespan_gap(10, 0)
