"""Validator: valid schedules pass, each kind of broken schedule is refused; metrics; JSON."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from schedgym.baselines.socdag.listsched import HEFT
from schedgym.core.errors import InstanceFormatError, InvalidScheduleError
from schedgym.datasets import socdag as shipped
from schedgym.hardware.platform import uniform_platform
from schedgym.socdag.instance import SoCDAGInstance
from schedgym.socdag.schedule import Conditions, SoCDAGSchedule, TaskSlot
from schedgym.socdag.validate import (
    energy,
    makespan_gap,
    static_metrics,
    stream_metrics,
    validate_schedule,
)


def tiny() -> SoCDAGInstance:
    """0 -> 2 (data 4), 1 -> 2 (data 0); task 1 cannot run on PE 1; links: latency 1, bw 2."""
    platform = uniform_platform(2, bandwidth=2.0, latency=1.0)
    table = np.array([[3.0, 5.0], [2.0, np.nan], [4.0, 4.0]])
    return SoCDAGInstance("tiny", ("a", "b", "c"), [0, 1], [2, 2], [4.0, 0.0], table, platform)


def good() -> SoCDAGSchedule:
    # a on PE1 [0, 5), b on PE0 [0, 2), c on PE0: data of a arrives at 5 + 1 + 4/2 = 8
    return SoCDAGSchedule(
        "tiny", (TaskSlot(0, 1, 0.0, 5.0), TaskSlot(1, 0, 0.0, 2.0), TaskSlot(2, 0, 8.0, 12.0))
    )


def replace(schedule: SoCDAGSchedule, task: int, **changes: float) -> SoCDAGSchedule:
    slots = tuple(
        dataclasses.replace(s, **changes) if s.task == task else s for s in schedule.tasks
    )
    return dataclasses.replace(schedule, tasks=slots)


def test_valid_schedule_returns_makespan() -> None:
    assert validate_schedule(tiny(), good()) == 12.0


BROKEN = {
    "missing task": (lambda s: dataclasses.replace(s, tasks=s.tasks[:2]), "missing"),
    "duplicate task": (
        lambda s: dataclasses.replace(s, tasks=(*s.tasks, TaskSlot(1, 0, 20.0, 22.0))),
        "twice",
    ),
    "unknown task": (
        lambda s: dataclasses.replace(s, tasks=(*s.tasks, TaskSlot(7, 0, 20.0, 22.0))),
        "no such task",
    ),
    "unknown PE": (lambda s: replace(s, 2, pe=5), "no PE 5"),
    "PE cannot run it": (lambda s: replace(s, 1, pe=1, start=5.0, end=7.0), "cannot run"),
    "negative start": (lambda s: replace(s, 1, start=-2.0, end=0.0), "before its release"),
    "wrong duration": (lambda s: replace(s, 2, end=13.0), "execution time there is 4"),
    "precedence": (lambda s: replace(s, 2, pe=1, start=4.0, end=8.0), "before the data"),
    "communication delay": (lambda s: replace(s, 2, start=7.0, end=11.0), "communication 3"),
    "overlap": (lambda s: replace(s, 0, pe=0, start=1.0, end=4.0), "overlaps"),
    "infinite time": (lambda s: replace(s, 1, start=float("inf")), "finite"),
}


@pytest.mark.parametrize("kind", BROKEN)
def test_broken_schedules_are_refused(kind: str) -> None:
    breaker, message = BROKEN[kind]
    with pytest.raises(InvalidScheduleError, match=message):
        validate_schedule(tiny(), breaker(good()))


def test_same_pe_needs_no_communication_and_touching_intervals_are_fine() -> None:
    # c right after a on PE1: no communication on one PE; b then c back to back on PE 0 is fine
    ok = replace(replace(good(), 0, pe=0, start=2.0, end=5.0), 2, start=5.0, end=9.0)
    assert validate_schedule(tiny(), ok) == 9.0


def test_zero_length_tasks_occupy_nothing() -> None:
    platform = uniform_platform(1)
    inst = SoCDAGInstance("z", ("a", "b"), [], [], [], np.array([[4.0], [0.0]]), platform)
    schedule = SoCDAGSchedule("z", (TaskSlot(0, 0, 0.0, 4.0), TaskSlot(1, 0, 2.0, 2.0)))
    assert validate_schedule(inst, schedule) == 4.0


def test_stream_conditions_release_and_realised_durations() -> None:
    cond = Conditions(release=[1.0, 0.0, 0.0], durations=[4.0, 2.0, 4.0])
    shifted = replace(good(), 0, start=1.0, end=5.0)
    assert validate_schedule(tiny(), shifted, cond) == 12.0
    with pytest.raises(InvalidScheduleError, match="release"):
        validate_schedule(tiny(), good(), cond)
    with pytest.raises(InvalidScheduleError, match="execution time there is 4"):
        validate_schedule(tiny(), replace(good(), 0, start=1.0, end=6.0), cond)
    with pytest.raises(InvalidScheduleError, match="shape"):
        validate_schedule(tiny(), good(), Conditions(release=[0.0]))


def test_metrics_on_topcuoglu_heft() -> None:
    instance = shipped.load("topcuoglu")
    schedule = HEFT().schedule(instance)
    m = static_metrics(instance, schedule)
    assert m.makespan == 80.0
    assert instance.critical_path_min() == 41.0  # 9 + 13 + 7 + 12 ... min-cost critical path
    assert m.slr == pytest.approx(80 / 41)
    assert m.speedup == pytest.approx(127 / 80)  # best single processor: P1, 127
    assert m.efficiency == pytest.approx(127 / 80 / 3)
    busy = sum(s.end - s.start for s in schedule.tasks)
    assert m.energy == pytest.approx(0.05885 * busy)
    assert energy(instance, schedule, horizon=100.0) == pytest.approx(m.energy)  # idle power 0
    assert makespan_gap(80.0, 73.0) == pytest.approx(7 / 73)


def test_stream_metrics_latency_energy_edp() -> None:
    inst = tiny()
    cond = Conditions(
        release=[0.0, 0.0, 0.0], job=[0, 0, 0], arrival=[0.0], injection=[0.0], apps=("x",)
    )
    schedule = dataclasses.replace(good(), conditions=cond)
    m = stream_metrics(inst, schedule)
    assert m.jobs == 1 and m.avg_latency == 12.0 and m.latencies == (12.0,)
    assert m.edp == pytest.approx(m.energy / 1 * 12.0)
    with pytest.raises(InvalidScheduleError, match=r"conditions\.job"):
        stream_metrics(inst, good())


def test_schedule_json_round_trip_and_errors(tmp_path) -> None:
    cond = Conditions(release=[0.0, 0.0, 0.0], job=[0, 0, 0], injection=[0.0], apps=("x",))
    schedule = dataclasses.replace(good(), solver="heft", conditions=cond)
    path = tmp_path / "s.json"
    schedule.write(path, makespan=12.0)
    data = json.loads(path.read_text())
    assert data["problem"] == "socdag" and data["makespan"] == 12.0
    assert {"task", "pe", "start", "end"} == set(data["tasks"][0])
    back = SoCDAGSchedule.read(path)
    assert sorted(back.tasks, key=lambda s: s.task) == sorted(schedule.tasks, key=lambda s: s.task)
    assert back.conditions.job is not None and list(back.conditions.job) == [0, 0, 0]
    assert validate_schedule(tiny(), back) == 12.0
    path.write_text('{"problem": "jobshop"}')
    with pytest.raises(InstanceFormatError, match="not 'socdag'"):
        SoCDAGSchedule.read(path)
    path.write_text('{"tasks": [{"task": 0, "pe": 1}]}')
    with pytest.raises(InstanceFormatError, match=r"tasks\[0\]"):
        SoCDAGSchedule.read(path)
    path.write_text("{not json")
    with pytest.raises(InstanceFormatError, match="invalid JSON"):
        SoCDAGSchedule.read(path)
