"""Schedule files of the four problems (``JobShopSchedule.read``, ``SoCDAGSchedule.read``, the
memory ``read_mapping``, the fleet ``read_schedule``): exact round trips, one-line errors for
bad structure and numbers, and random mutations of valid files that raise nothing but
``InstanceFormatError`` when read and nothing but ``InvalidScheduleError`` when validated."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from schedgym.baselines.memory.heuristics import greedy_offsets
from schedgym.core.errors import InstanceFormatError, InvalidScheduleError
from schedgym.core.solver import Budget, load_solver
from schedgym.fleet.dynamics import realise
from schedgym.fleet.generator import generate_scenario
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.schedule import read_schedule
from schedgym.fleet.simulator import FleetSimulator
from schedgym.fleet.validate import replay_schedule, validate_schedule
from schedgym.jobshop.generator import taillard_instance
from schedgym.jobshop.schedule import Conditions as JobConditions
from schedgym.jobshop.schedule import JobShopSchedule
from schedgym.memory.instance import Buffer, MemoryInstance
from schedgym.memory.schedule import MemoryMapping
from schedgym.problems import get_problem
from schedgym.socdag.generator import layered_instance
from schedgym.socdag.schedule import Conditions as SoCConditions
from schedgym.socdag.schedule import SoCDAGSchedule

FAST = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
PROBLEMS = ("jobshop", "socdag", "memory", "fleet")


# ---------------------------------------------------------------------- small instances


def memory_instance(seed: int, variant: str = "pack") -> MemoryInstance:
    """A few buffers with random live ranges and sizes (capacity: the whole load for pack,
    half the peak live load for assign)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 10))
    a, b = rng.integers(0, 8, size=n), rng.integers(0, 8, size=n)
    buffers = [
        Buffer(i, int(s), int(e), int(z))
        for i, (s, e, z) in enumerate(
            zip(np.minimum(a, b), np.maximum(a, b) + 1, rng.integers(1, 7, size=n), strict=True)
        )
    ]
    total = sum(b.size for b in buffers)
    capacity = total if variant == "pack" else max(1, total // 3)
    return MemoryInstance.from_buffers(f"mem-{seed}", buffers, capacity, None, variant)  # type: ignore[arg-type]


@cache
def fleet_scenario(seed: int) -> FleetScenario:
    """A 4-vertiport, 6-aircraft scenario over three hours."""
    scenario = generate_scenario(4, 6, seed=seed, uncertainty=2.0)
    return replace(scenario, start_min=420, end_min=420 + 180)


def instance_and_schedule(problem: str, seed: int) -> tuple[Any, Any, float]:
    """A small instance, a random legal schedule of it and its validated objective."""
    inst: Any
    if problem == "jobshop":
        inst = taillard_instance(1 + seed % 4, 1 + seed % 3, seed)
        schedule = load_solver("jobshop", "random").solve(inst, Budget(seed=seed)).schedule
    elif problem == "socdag":
        rng = np.random.default_rng(seed)
        inst = layered_instance(rng, 2 + seed % 9, 1 + seed % 3, unavailable=0.2, integer=False)
        schedule = load_solver("socdag", "random").solve(inst, Budget(seed=seed)).schedule
    elif problem == "memory":
        inst = memory_instance(seed, "pack" if seed % 2 else "assign")
        order = np.random.default_rng(seed).permutation(inst.num_buffers)
        schedule = MemoryMapping.build(inst, greedy_offsets(inst, order, False), "random-order")
    else:
        inst = fleet_scenario(seed % 3)
        schedule = load_solver("fleet", "random").solve(inst, Budget(seed=seed)).schedule
    schedule = replace(schedule, wall_time_s=0.0)  # the same file for the same seed
    return inst, schedule, get_problem(problem).validate(inst, schedule)


def schedule_json(problem: str, schedule: Any, objective: float) -> dict[str, Any]:
    if problem == "fleet":
        return {**schedule.to_json(), "profit": float(objective)}
    if problem == "jobshop":
        return schedule.to_json(int(objective))
    return schedule.to_json(objective)


# ---------------------------------------------------------------------------- round trips


@FAST
@given(problem=st.sampled_from(PROBLEMS), seed=st.integers(0, 10_000))
def test_round_trip_is_exact(tmp_path: Path, problem: str, seed: int) -> None:
    spec = get_problem(problem)
    inst, schedule, objective = instance_and_schedule(problem, seed)
    path = tmp_path / "s.json"
    spec.write_schedule(schedule, objective, path)
    back = spec.read_schedule(path, inst)
    assert schedule_json(problem, back, objective) == schedule_json(problem, schedule, objective)
    assert spec.validate(inst, back) == objective
    spec.write_schedule(back, objective, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text() == path.read_text()


@FAST
@given(seed=st.integers(0, 10_000), blocking=st.booleans())
def test_conditions_round_trip_is_exact(tmp_path: Path, seed: int, blocking: bool) -> None:
    rng = np.random.default_rng(seed)
    inst = taillard_instance(3, 2, seed)
    schedule = load_solver("jobshop", "random").solve(inst, Budget(seed=seed)).schedule
    cond = JobConditions(
        durations=inst.durations + rng.integers(0, 3, size=inst.durations.shape),
        release=rng.integers(0, 5, size=inst.num_jobs),
        downtimes=((0, 100, 105), (1, 7, 9)),
        blocking=blocking,
    )
    dynamic = replace(schedule, conditions=cond)
    dynamic.write(tmp_path / "j.json", makespan=99)
    back = JobShopSchedule.read(tmp_path / "j.json")
    assert back.to_json(99) == dynamic.to_json(99)
    soc_inst = layered_instance(rng, 6, 2, integer=False)
    slots = load_solver("socdag", "random").solve(soc_inst, Budget(seed=seed)).schedule
    jobs = rng.integers(0, 3, size=6)
    soc_cond = SoCConditions(
        release=rng.uniform(0, 5, size=6),
        durations=rng.uniform(0, 5, size=6),
        job=jobs,
        arrival=np.array([0.0, 1.5, 2.25]),
        injection=np.array([0.0, 2.0, 3.0]),
        apps=("a", "b", "a"),
    )
    stream = replace(slots, conditions=soc_cond)
    stream.write(tmp_path / "s.json", 12.5)
    back_soc = SoCDAGSchedule.read(tmp_path / "s.json")
    assert back_soc.to_json(12.5) == stream.to_json(12.5)


def test_a_fleet_day_without_flights_survives_write_and_read(tmp_path: Path) -> None:
    scenario = fleet_scenario(0)
    sim = FleetSimulator(scenario, realise(scenario, 5))
    sim.run(lambda s: s.location)  # every aircraft stays all day
    record = replace(sim.schedule("stay"), day_seed=5)
    assert len(record.flights) == 0
    assert record.boarded.shape == (0, scenario.max_wait_epochs + 1)
    path = tmp_path / "day.json"
    record.write(path, profit=0.0)
    assert json.loads(path.read_text())["max_wait_epochs"] == scenario.max_wait_epochs
    back = read_schedule(path)
    assert back.boarded.shape == record.boarded.shape
    assert validate_schedule(scenario, back) == 0.0 and replay_schedule(scenario, back) == 0.0
    # a day with flights keeps its layout: no new field
    _, played, profit = instance_and_schedule("fleet", 1)
    played.write(path, profit=profit)
    assert len(played.flights) and "max_wait_epochs" not in json.loads(path.read_text())


# ------------------------------------------------------------------------- named errors


def _read(problem: str, path: Path, inst: Any) -> Any:
    return get_problem(problem).read_schedule(path, inst)


def _expect(problem: str, tmp_path: Path, data: Any, pattern: str, inst: Any = None) -> None:
    path = tmp_path / "bad.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    inst = inst if inst is not None else instance_and_schedule(problem, 1)[0]
    with pytest.raises(InstanceFormatError, match=pattern) as err:
        _read(problem, path, inst)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(path)), message


OP: dict[str, Any] = {"job": 0, "index": 0, "machine": 0, "start": 0, "end": 3}
SLOT: dict[str, Any] = {"task": 0, "pe": 0, "start": 0.0, "end": 1.0}


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        ([], "expected a JSON object"),
        ({"operations": [{**OP, "start": 0.5}]}, r"operations\[0\]\.start: expected an integer"),
        ({"operations": [{**OP, "start": 2**70}]}, r"start: .*digits"),
        ({"operations": [{**OP, "end": 2**60}]}, r"end: expected an integer >= 0 and <= 9\.0"),
        ({"operations": [{**OP, "job": -1}]}, r"job: expected an integer >= 0"),
        ({"operations": [{**OP, "machine": True}]}, r"machine: expected an integer"),
        ({"operations": [{**OP, "machine": "1"}]}, r"machine: expected an integer"),
        ({"operations": [{"job": 0}]}, r"operations\[0\]\.index: missing"),
        ({"operations": {"job": 0}}, "operations: expected a list"),
        ({"operations": [], "wall_time_s": "x"}, "wall_time_s"),
        ({"operations": [], "wall_time_s": math.nan}, "wall_time_s"),
        ({"operations": [], "makespan": -3}, "makespan"),
        ({"operations": [], "solver": 5}, "solver: expected a string"),
        ({"conditions": {"durations": [[1, 2], [3]]}}, "rows of different lengths"),
        ({"conditions": {"durations": [[1, math.nan]]}}, r"durations\[0\]\[1\]"),
        ({"conditions": {"release": [1, -2]}}, r"release\[1\]"),
        ({"conditions": {"downtimes": [[0, 1]]}}, r"downtimes\[0\]: expected 3 items"),
        ({"conditions": {"downtimes": [[0, 1, 1e400]]}}, r"downtimes\[0\]\[2\]"),
        ({"conditions": {"blocking": "yes"}}, "blocking"),
        ({"conditions": "x"}, "conditions: expected an object"),
    ],
)
def test_jobshop_schedule_errors(tmp_path: Path, data: Any, pattern: str) -> None:
    _expect("jobshop", tmp_path, data, pattern)


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        ({"tasks": [{**SLOT, "start": math.nan}]}, r"tasks\[0\]\.start: expected a finite"),
        ({"tasks": [{**SLOT, "end": math.inf}]}, r"tasks\[0\]\.end"),
        ({"tasks": [{**SLOT, "end": 1e19}]}, r"tasks\[0\]\.end: .*<= 1e\+18"),
        ({"tasks": [{**SLOT, "start": -1}]}, r"tasks\[0\]\.start: .*>= 0"),
        ({"tasks": [{**SLOT, "task": 0.5}]}, r"tasks\[0\]\.task: expected an integer"),
        ({"tasks": [{**SLOT, "pe": 2**70}]}, r"tasks\[0\]\.pe"),
        ({"tasks": [{**SLOT, "pe": None}]}, r"tasks\[0\]\.pe"),
        ({"tasks": [5]}, r"tasks\[0\]: expected an object"),
        ({"tasks": [], "makespan": "x"}, "makespan"),
        ({"tasks": [], "conditions": {"release": [0, "x"]}}, r"release\[1\]"),
        ({"tasks": [], "conditions": {"job": [0, 0.5]}}, r"job\[1\]"),
        ({"tasks": [], "conditions": {"release": [0], "job": [0, 0]}}, "lengths differ"),
        ({"tasks": [], "conditions": {"job": [0, 3], "injection": [0.0]}}, "job 3 but only 1"),
        ({"tasks": [], "conditions": {"apps": [1]}}, r"apps\[0\]"),
    ],
)
def test_socdag_schedule_errors(tmp_path: Path, data: Any, pattern: str) -> None:
    _expect("socdag", tmp_path, data, pattern)


def test_memory_and_fleet_schedule_errors(tmp_path: Path) -> None:
    inst = memory_instance(4)
    good = [{"id": i, "offset": None} for i in range(inst.num_buffers)]
    for patch, pattern in [
        ({"buffers": [{"id": [0], "offset": 0}, *good[1:]]}, r"buffers\[0\]\.id: expected an"),
        ({"buffers": [{"id": True, "offset": 0}, *good[1:]]}, r"buffers\[0\]\.id"),
        ({"buffers": [{"id": 0, "offset": -4}, *good[1:]]}, r"buffers\[0\]\.offset: .*>= 0"),
        ({"buffers": [{"id": 0, "offset": 2**60}, *good[1:]]}, r"buffers\[0\]\.offset: .*<="),
        ({"buffers": [{"id": 0, "offset": 1.0}, *good[1:]]}, r"buffers\[0\]\.offset"),
        ({"buffers": good, "wall_time_s": "x"}, "wall_time_s"),
        ({"buffers": good, "capacity": -1}, "capacity"),
        ({"buffers": good, "variant": "x"}, "variant"),
        ({"buffers": good, "problem": "fleet"}, "not 'memory'"),
    ]:
        _expect("memory", tmp_path, patch, pattern, inst)
    scenario, record, profit = instance_and_schedule("fleet", 2)
    data = {**record.to_json(), "profit": profit}
    flight = data["flights"][0]
    patches: list[tuple[dict[str, Any], str]] = [
        ({"flights": [{**flight, "passengers": 2**70}]}, r"flights\[0\]\.passengers"),
        ({"flights": [{**flight, "dest": 0.5}]}, r"flights\[0\]\.dest: expected an integer"),
        ({"flights": [{**flight, "boarded": [1, -1]}]}, r"flights\[0\]\.boarded\[1\]"),
        ({"flights": [{**flight, "soc_after": 2**41}]}, r"flights\[0\]\.soc_after"),
        ({"decisions": [[0, 1, -2]]}, r"decisions\[0\]\[2\]: .*>= -1"),
        ({"decisions": [[0, 1]]}, r"decisions\[0\]: expected a list"),
        ({"lost": [0, math.nan]}, r"lost\[1\]"),
        ({"day_seed": -1}, "day_seed"),
        ({"profit": math.inf}, "profit"),
        ({"flights": [], "max_wait_epochs": -1}, "max_wait_epochs"),
        ({"max_wait_epochs": 99}, "max_wait_epochs: 99, but 'boarded' lists have"),
        ({"solver": 3}, "solver"),
    ]
    for patch, pattern in patches:
        _expect("fleet", tmp_path, {**data, **patch}, pattern, scenario)


# ----------------------------------------------------------------------------- mutations

HOSTILE = [
    None,
    True,
    -1,
    0,
    0.5,
    -0.5,
    1e300,
    -1e300,
    math.nan,
    math.inf,
    -math.inf,
    10**400,
    2**70,
    2**63,
    2**53,
    "",
    "x",
    [],
    {},
    [0],
    {"id": 0},
    1e-320,
]


def _mutate(doc: Any, data: st.DataObject) -> Any:
    """One structural mutation: a field or item deleted, an item duplicated, or a value
    replaced by a hostile one (or by a neighbour's value)."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, at: tuple[Any, ...]) -> None:
        paths.append(at)
        items = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else ()
        )
        for k, v in items:
            walk(v, (*at, k))

    walk(doc, ())
    if len(paths) == 1:
        return data.draw(st.sampled_from(HOSTILE))
    at = data.draw(st.sampled_from(paths[1:]))
    parent = doc
    for key in at[:-1]:
        parent = parent[key]
    key = at[-1]
    action = data.draw(st.sampled_from(["delete", "duplicate", "hostile", "nudge"]))
    if action == "delete":
        del parent[key]
    elif action == "duplicate" and isinstance(parent, list):
        parent.insert(key, json.loads(json.dumps(parent[key])))
    elif (
        action == "nudge"
        and isinstance(parent[key], int | float)
        and not isinstance(parent[key], bool)
    ):
        parent[key] = parent[key] + data.draw(st.sampled_from([-1, 1, -0.5, 7]))
    else:
        parent[key] = data.draw(st.sampled_from(HOSTILE))
    return doc


def _text_mutate(text: str, data: st.DataObject) -> str:
    kind = data.draw(st.sampled_from(["flip", "truncate", "delete-line", "duplicate-line"]))
    if kind == "flip":
        raw = bytearray(text.encode())
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        return raw.decode("latin-1")
    if kind == "truncate":
        return text[: data.draw(st.integers(0, len(text)))]
    lines = text.splitlines(keepends=True)
    i = data.draw(st.integers(0, len(lines) - 1))
    return "".join(
        lines[:i] + lines[i + 1 :] if kind == "delete-line" else lines[: i + 1] + lines[i:]
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    problem=st.sampled_from(PROBLEMS),
    seed=st.integers(0, 40),
    textual=st.booleans(),
    data=st.data(),
)
def test_mutated_schedule_files_never_crash(
    tmp_path: Path, problem: str, seed: int, textual: bool, data: st.DataObject
) -> None:
    spec = get_problem(problem)
    inst, schedule, objective = instance_and_schedule(problem, seed)
    path = tmp_path / "mutant.json"
    spec.write_schedule(schedule, objective, path)
    if textual:
        path.write_text(_text_mutate(path.read_text(), data), encoding="latin-1")
    else:
        doc = json.loads(path.read_text())
        for _ in range(data.draw(st.integers(1, 3))):
            doc = _mutate(doc, data)
        path.write_text(json.dumps(doc))
    try:
        mutant = spec.read_schedule(path, inst)
    except InstanceFormatError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(str(path)), str(exc)
        event(f"{problem}: refused by the reader")
        return
    try:
        value = spec.validate(inst, mutant)
    except InvalidScheduleError as exc:
        assert "\n" not in str(exc), str(exc)
        event(f"{problem}: refused by the validator")
        return
    event(f"{problem}: accepted")
    assert math.isfinite(value)
    spec.write_schedule(mutant, value, tmp_path / "again.json")  # what is accepted is writable
    again = spec.read_schedule(tmp_path / "again.json", inst)
    assert spec.validate(inst, again) == value
