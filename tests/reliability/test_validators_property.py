"""Property tests of the four validators (``get_problem(p).validate``): a random legal schedule
passes with the objective recomputed from the schedule, and any single corruption of it is
either caught with ``InvalidScheduleError`` or, where it happens to be legal, changes the
returned objective to the one recomputed by a small independent checker written here."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from schedgym.baselines.memory.heuristics import greedy_offsets
from schedgym.core.errors import InvalidScheduleError
from schedgym.core.solver import Budget, load_solver
from schedgym.fleet.generator import generate_scenario
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.kernels import C_EPOCH, F_DEST, F_PAX
from schedgym.jobshop.generator import taillard_instance
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import JobShopSchedule, Operation
from schedgym.memory.cost import CostModel
from schedgym.memory.instance import Buffer, MemoryInstance
from schedgym.memory.schedule import MemoryMapping
from schedgym.problems import get_problem
from schedgym.socdag.generator import layered_instance
from schedgym.socdag.instance import SoCDAGInstance
from schedgym.socdag.schedule import SoCDAGSchedule, TaskSlot

PROPERTY = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def validate(problem: str, instance: Any, schedule: Any) -> float:
    return get_problem(problem).validate(instance, schedule)


def check(problem: str, instance: Any, corrupted: Any, oracle: float | None) -> None:
    """The validator refuses ``corrupted`` exactly when the oracle does (``None``), and
    otherwise returns the oracle's objective."""
    if oracle is None:
        with pytest.raises(InvalidScheduleError):
            validate(problem, instance, corrupted)
        event("caught")
    else:
        assert validate(problem, instance, corrupted) == pytest.approx(oracle, rel=1e-12)
        event("legal: objective recomputed")


# -------------------------------------------------------------------------------- job shop


def jobshop_oracle(inst: JobShopInstance, ops: tuple[Operation, ...]) -> float | None:
    """Makespan of a static job-shop schedule, ``None`` when it breaks a rule."""
    table: dict[tuple[int, int], Operation] = {}
    for op in ops:
        key = (op.job, op.index)
        if key in table or not (0 <= op.job < inst.num_jobs and 0 <= op.index < inst.num_ops):
            return None
        table[key] = op
    if len(table) != inst.num_jobs * inst.num_ops:
        return None
    for (j, k), op in table.items():
        if op.machine != inst.machines[j, k] or op.start < 0:
            return None
        if op.end - op.start != inst.durations[j, k]:
            return None
        if k and op.start < table[j, k - 1].end:
            return None
    for m in range(inst.num_machines):
        line = sorted((op.start, op.end) for op in ops if op.machine == m)
        if any(b[0] < a[1] for a, b in itertools.pairwise(line)):
            return None
    return float(max(op.end for op in ops))


@PROPERTY
@given(
    seed=st.integers(0, 100_000),
    jobs=st.integers(1, 5),
    machines=st.integers(1, 4),
    kind=st.sampled_from(
        ["shift", "delay-last", "shift-start", "machine", "swap", "drop", "duplicate", "swap-times"]
    ),
    data=st.data(),
)
def test_jobshop_validator(
    seed: int, jobs: int, machines: int, kind: str, data: st.DataObject
) -> None:
    inst = taillard_instance(jobs, machines, seed, high=9)
    schedule: JobShopSchedule = (
        load_solver("jobshop", "random").solve(inst, Budget(seed=seed)).schedule
    )
    ops = list(schedule.operations)
    assert validate("jobshop", inst, schedule) == jobshop_oracle(inst, schedule.operations)
    i = data.draw(st.integers(0, len(ops) - 1))
    j = data.draw(st.integers(0, len(ops) - 1))
    delta = data.draw(st.sampled_from([-6, -2, -1, 1, 2, 6]))
    a, b = ops[i], ops[j]
    must_fail = True
    if kind in ("shift", "delay-last"):
        if kind == "delay-last":  # the last operation later: legal, a larger makespan
            i = max(range(len(ops)), key=lambda k: ops[k].end)
            a, delta = ops[i], abs(delta)
        ops[i] = replace(a, start=a.start + delta, end=a.end + delta)
        must_fail = False
    elif kind == "shift-start":
        ops[i] = replace(a, start=a.start + delta)
    elif kind == "machine":
        if machines == 1:
            return
        ops[i] = replace(a, machine=(a.machine + 1) % machines)
    elif kind == "swap":
        if a.machine == b.machine:
            return
        ops[i], ops[j] = replace(a, machine=b.machine), replace(b, machine=a.machine)
    elif kind == "drop":
        del ops[i]
    elif kind == "duplicate":
        ops.append(a)
    else:  # swap the start times, keeping each duration
        ops[i] = replace(a, start=b.start, end=b.start + a.end - a.start)
        ops[j] = replace(b, start=a.start, end=a.start + b.end - b.start)
        must_fail = False
    oracle = jobshop_oracle(inst, tuple(ops))
    assert not (must_fail and oracle is not None)
    check("jobshop", inst, replace(schedule, operations=tuple(ops)), oracle)


# ---------------------------------------------------------------------------------- SoC DAG


def socdag_oracle(inst: SoCDAGInstance, slots: tuple[TaskSlot, ...]) -> float | None:
    """Makespan of a static SoC-DAG schedule, ``None`` when it breaks a rule."""
    n, p = inst.num_tasks, inst.num_pes
    table: dict[int, TaskSlot] = {}
    for s in slots:
        if s.task in table or not (0 <= s.task < n and 0 <= s.pe < p):
            return None
        table[s.task] = s
    if len(table) != n:
        return None
    atol = 1e-6 * max([1.0, *(abs(s.end) for s in slots), *(abs(s.start) for s in slots)])
    for t, s in table.items():
        if math.isnan(inst.exec_time[t, s.pe]) or s.start < -atol:
            return None
        if abs(s.end - s.start - inst.exec_time[t, s.pe]) > atol:
            return None
    plat = inst.platform
    for u, v, volume in zip(inst.src, inst.dst, inst.data, strict=True):
        a, b = table[int(u)], table[int(v)]
        comm = (
            0.0 if a.pe == b.pe else plat.latency[a.pe, b.pe] + volume / plat.bandwidth[a.pe, b.pe]
        )
        if b.start < a.end + comm - atol:
            return None
    busy = [s for s in slots if s.end - s.start > atol]
    for x in busy:
        for y in busy:
            if x is not y and x.pe == y.pe and x.start < y.end - atol and y.start < x.end - atol:
                return None
    return max(s.end for s in slots)


@PROPERTY
@given(
    seed=st.integers(0, 100_000),
    tasks=st.integers(2, 12),
    pes=st.integers(1, 4),
    kind=st.sampled_from(
        ["shift", "delay-last", "shift-start", "move", "swap", "drop", "duplicate"]
    ),
    data=st.data(),
)
def test_socdag_validator(seed: int, tasks: int, pes: int, kind: str, data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    inst = layered_instance(
        rng, tasks, pes, unavailable=0.2 if pes > 1 else 0.0, latency=0.5, integer=seed % 2 == 0
    )
    schedule: SoCDAGSchedule = (
        load_solver("socdag", "random").solve(inst, Budget(seed=seed)).schedule
    )
    assert validate("socdag", inst, schedule) == socdag_oracle(inst, schedule.tasks)
    slots = list(schedule.tasks)
    i = data.draw(st.integers(0, len(slots) - 1))
    j = data.draw(st.integers(0, len(slots) - 1))
    delta = data.draw(st.sampled_from([-7.0, -1.0, -0.5, 0.25, 1.0, 3.0, 50.0]))
    a, b = slots[i], slots[j]
    must_fail = True
    if kind in ("shift", "delay-last"):
        if kind == "delay-last":  # the last task later: legal, a larger makespan
            i = max(range(len(slots)), key=lambda k: slots[k].end)
            a, delta = slots[i], abs(delta)
        slots[i] = replace(a, start=a.start + delta, end=a.end + delta)
        must_fail = False
    elif kind == "shift-start":
        slots[i] = replace(a, start=a.start + delta)
    elif kind == "move":
        if pes == 1:
            return
        slots[i] = replace(a, pe=(a.pe + data.draw(st.integers(1, pes - 1))) % pes)
        must_fail = False
    elif kind == "swap":
        slots[i], slots[j] = replace(a, pe=b.pe), replace(b, pe=a.pe)
        must_fail = False
    elif kind == "drop":
        del slots[i]
    else:
        slots.append(a)
    oracle = socdag_oracle(inst, tuple(slots))
    assert not (must_fail and oracle is not None)
    check("socdag", inst, replace(schedule, tasks=tuple(slots)), oracle)


# ----------------------------------------------------------------------------------- memory


def memory_instance(seed: int, variant: str) -> MemoryInstance:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 12))
    a, b = rng.integers(0, 8, size=n), rng.integers(0, 8, size=n)
    sizes = rng.integers(1, 7, size=n)
    buffers = [
        Buffer(i, int(s), int(e), int(z))
        for i, (s, e, z) in enumerate(
            zip(np.minimum(a, b), np.maximum(a, b) + 1, sizes, strict=True)
        )
    ]
    capacity = int(sizes.sum()) if variant == "pack" else max(1, int(sizes.sum()) // 3)
    return MemoryInstance.from_buffers(f"m{seed}", buffers, capacity, None, variant)  # type: ignore[arg-type]


def memory_oracle(inst: MemoryInstance, offsets: list[int | None]) -> float | None:
    """The peak (``pack``) of a mapping; ``-1.0`` for a legal ``assign`` mapping (its
    modelled time is the cost model's); ``None`` when it breaks a rule."""
    if len(offsets) != inst.num_buffers:
        return None
    sizes, starts, ends = inst.sizes, inst.starts, inst.ends
    fast = [i for i, o in enumerate(offsets) if o is not None]
    if any(offsets[i] < 0 for i in fast):  # type: ignore[operator]
        return None
    if inst.variant == "pack" and len(fast) != inst.num_buffers:
        return None
    if inst.variant == "assign" and any(offsets[i] + sizes[i] > inst.capacity for i in fast):
        return None
    for x in fast:
        for y in fast:
            ox, oy = offsets[x], offsets[y]
            assert ox is not None and oy is not None
            if (
                x < y
                and starts[x] < ends[y]
                and starts[y] < ends[x]
                and ox < oy + sizes[y]
                and oy < ox + sizes[x]
            ):
                return None
    if inst.variant == "assign":
        return -1.0
    return float(max((offsets[i] + sizes[i] for i in fast), default=0))


@PROPERTY
@given(
    seed=st.integers(0, 100_000),
    variant=st.sampled_from(["pack", "assign"]),
    kind=st.sampled_from(["overlap", "offset", "to-top", "drop", "duplicate", "slow", "beyond"]),
    data=st.data(),
)
def test_memory_validator(seed: int, variant: str, kind: str, data: st.DataObject) -> None:
    inst = memory_instance(seed, variant)
    order = np.random.default_rng(seed).permutation(inst.num_buffers)
    mapping = MemoryMapping.build(inst, greedy_offsets(inst, order, False), "random-order")
    offsets = list(mapping.offsets)
    legal = validate("memory", inst, mapping)
    if variant == "pack":
        assert legal == memory_oracle(inst, offsets)
    i = data.draw(st.integers(0, inst.num_buffers - 1))
    must_fail = True
    if kind == "overlap":  # onto the offset of a buffer live at the same time
        live = [
            j
            for j in range(inst.num_buffers)
            if j != i
            and offsets[j] is not None
            and inst.starts[i] < inst.ends[j]
            and inst.starts[j] < inst.ends[i]
        ]
        if not live:
            return
        offsets[i] = offsets[data.draw(st.sampled_from(live))]
    elif kind == "offset":
        offsets[i] = data.draw(st.integers(0, int(inst.sizes.sum())))
        must_fail = False
    elif kind == "to-top":  # above every other buffer: legal for pack, a new peak
        offsets[i] = max(
            (o + int(z) for o, z in zip(offsets, inst.sizes, strict=True) if o is not None),
            default=0,
        ) + data.draw(st.integers(0, 3))
        must_fail = False
    elif kind == "drop":
        del offsets[i]
    elif kind == "duplicate":
        offsets.append(offsets[i])
    elif kind == "slow":
        if variant == "assign":
            return
        offsets[i] = None
    else:  # beyond the capacity (assign) or below zero (pack)
        offsets[i] = inst.capacity - int(inst.sizes[i]) + 1 if variant == "assign" else -1
    oracle = memory_oracle(inst, offsets)
    assert not (must_fail and oracle is not None)
    corrupted = MemoryMapping(mapping.instance, tuple(offsets), mapping.solver)
    if oracle == -1.0:  # legal assign: the objective is the cost model's, recomputed
        fast = np.array([o is not None for o in offsets])
        oracle = CostModel(inst).modelled_time(fast)
    check("memory", inst, corrupted, oracle)


# ------------------------------------------------------------------------------------ fleet


@cache
def fleet_scenario(seed: int) -> FleetScenario:
    return replace(generate_scenario(4, 6, seed=seed, uncertainty=2.0), start_min=420, end_min=600)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    kind=st.sampled_from(["dest", "passengers", "boarded", "drop", "profit", "charge"]),
    data=st.data(),
)
def test_fleet_validator(seed: int, kind: str, data: st.DataObject) -> None:
    scenario = fleet_scenario(seed % 3)
    record = load_solver("fleet", "random").solve(scenario, Budget(seed=seed)).schedule
    profit = validate("fleet", scenario, record)
    assert profit == record.profit  # exact: the validator's sum is the simulator's
    flights, boarded = record.flights.copy(), record.boarded.copy()
    if kind == "profit":
        with pytest.raises(InvalidScheduleError, match="profit"):
            validate(
                "fleet",
                scenario,
                replace(record, profit=profit + data.draw(st.sampled_from([-1.0, 0.5, 100.0]))),
            )
        return
    if kind == "charge":
        if not len(record.charges):
            return
        charges = record.charges.copy()
        charges[data.draw(st.integers(0, len(charges) - 1)), C_EPOCH] += data.draw(
            st.sampled_from([-1, 1])
        )
        with pytest.raises(InvalidScheduleError):
            validate("fleet", scenario, replace(record, charges=charges))
        return
    if not len(flights):
        return
    i = data.draw(st.integers(0, len(flights) - 1))
    if kind == "dest":
        flights[i, F_DEST] = (
            flights[i, F_DEST] + data.draw(st.integers(1, scenario.num_vertiports - 1))
        ) % scenario.num_vertiports
    elif kind == "passengers":
        flights[i, F_PAX] += data.draw(st.sampled_from([-1, 1, 5]))
    elif kind == "boarded":  # one more (or fewer) passenger, the counts kept consistent
        step = 1 if flights[i, F_PAX] == 0 else data.draw(st.sampled_from([-1, 1]))
        age = int(np.flatnonzero(boarded[i])[0]) if step < 0 else 0
        flights[i, F_PAX] += step
        boarded[i, age] += step
    else:
        keep = np.arange(len(flights)) != i
        flights, boarded = flights[keep], boarded[keep]
    with pytest.raises(InvalidScheduleError):
        validate("fleet", scenario, replace(record, flights=flights, boarded=boarded))
