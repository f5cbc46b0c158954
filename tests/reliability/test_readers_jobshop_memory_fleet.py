"""Property tests of the job-shop, memory and fleet readers and writers.

Round trips: a random valid instance written and read back is the same instance. Mutations: a
valid file with random damage (bytes flipped, numbers replaced by huge, negative, NaN or empty
values, truncation, lines duplicated or deleted, JSON fields replaced or deleted) either reads as
an instance within the documented limits or raises one ``InstanceFormatError`` (or
``UnknownNameError``) with a one-line message: never any other exception.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedgym.core.errors import InstanceFormatError, UnknownNameError
from schedgym.fleet.dynamics import realise
from schedgym.fleet.formats import parse_scenario, read_scenario, write_scenario
from schedgym.fleet.generator import FleetGenerator, default_scenario
from schedgym.fleet.instance import MAX_TABLE_CELLS, FleetScenario
from schedgym.fleet.network import compile_network
from schedgym.hardware.aircraft import AircraftType, read_aircraft_types
from schedgym.hardware.memory import MemoryHierarchy, MemoryTier
from schedgym.jobshop.formats import parse_instance, read_instance, write_orlib
from schedgym.jobshop.instance import MAX_DURATION, JobShopInstance
from schedgym.memory import formats as memory_formats
from schedgym.memory.cost import CostModel
from schedgym.memory.instance import (
    MAX_BUFFER_SIZE,
    MAX_CAPACITY,
    Buffer,
    MemoryInstance,
    Variant,
)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: What a damaged number becomes.
BAD_NUMBERS = (
    str(2**70),
    str(2**62),
    str(2**63),
    "99999999999999999999999999999999",
    "-1",
    "-5",
    "0",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1e308",
    "1e400",
    "1e-320",
    "1e30",
    "0.5",
    "1.7",
    "",
    "x",
    '"7"',
    "null",
    "true",
    "[]",
    "{}",
    "9" * 5000,
)
#: What a damaged JSON value becomes.
BAD_VALUES: tuple[Any, ...] = (
    2**70,
    2**62,
    -1,
    0,
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    1e-320,
    1e30,
    0.5,
    "",
    "24:30",
    "x",
    None,
    True,
    [],
    {},
    [1, 2],
    {"a": 1},
)
_NUMBER = re.compile(rb"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def expect_clean(read: Callable[[], Any]) -> Any:
    """``read()``'s result, or ``None`` when it raised a one-line schedgym input error; any
    other exception fails the test."""
    try:
        return read()
    except (InstanceFormatError, UnknownNameError) as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) < 1000, message
        return None


@st.composite
def damaged(draw: st.DrawFn, text: bytes) -> bytes:
    """``text`` with one to four random kinds of damage."""
    data = text
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "number", "truncate", "dup", "delete", "junk"]))
        lines = data.split(b"\n")
        if kind == "flip" and data:
            at = draw(st.integers(0, len(data) - 1))
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
        elif kind == "number":
            spots = list(_NUMBER.finditer(data))
            if spots:
                spot = spots[draw(st.integers(0, len(spots) - 1))]
                new = draw(st.sampled_from(BAD_NUMBERS)).encode()
                data = data[: spot.start()] + new + data[spot.end() :]
        elif kind == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif kind == "dup" and lines:
            at = draw(st.integers(0, len(lines) - 1))
            data = b"\n".join([*lines[: at + 1], lines[at], *lines[at + 1 :]])
        elif kind == "delete" and lines:
            at = draw(st.integers(0, len(lines) - 1))
            data = b"\n".join(lines[:at] + lines[at + 1 :])
        else:
            junk = draw(st.binary(max_size=20) | st.sampled_from([b",,,", b"[[[", b"# x"]))
            at = draw(st.integers(0, len(data)))
            data = data[:at] + junk + data[at:]
    return data


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested JSON data."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for k, value in enumerate(data):
            found += _paths(value, (*prefix, k))
    return found


@st.composite
def damaged_json(draw: st.DrawFn, data: Any) -> str:
    """The JSON text of ``data`` with one to three values replaced, deleted or duplicated."""
    data = json.loads(json.dumps(data))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        kind = draw(st.sampled_from(["replace", "replace", "delete", "dup"]))
        if kind == "replace":
            parent[key] = copy.deepcopy(draw(st.sampled_from(BAD_VALUES)))  # never share one
        elif kind == "delete":
            del parent[key]
        elif isinstance(parent, list):
            parent.insert(key, json.loads(json.dumps(parent[key])))
        else:
            parent[f"{key}_copy"] = parent[key]
    return json.dumps(data)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("readers")


# ---------------------------------------------------------------------------------- job shop


@st.composite
def jobshops(draw: st.DrawFn) -> JobShopInstance:
    jobs, ops = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    routes = [draw(st.permutations(range(ops))) for _ in range(jobs)]
    big = st.sampled_from([0, 1, 99, MAX_DURATION])
    durations = draw(st.lists(st.integers(0, 200) | big, min_size=jobs * ops, max_size=jobs * ops))
    if not any(durations):
        durations[0] = 1
    return JobShopInstance("x", np.array(routes), np.array(durations).reshape(jobs, ops))


def _taillard_text(instance: JobShopInstance) -> str:
    lines = [f"{instance.num_jobs} {instance.num_ops}", "Times"]
    lines += [" ".join(map(str, row)) for row in instance.durations]
    lines.append("Machines")
    lines += [" ".join(str(m + 1) for m in row) for row in instance.machines]
    return "\n".join(lines) + "\n"


@SETTINGS
@given(instance=jobshops())
def test_jobshop_round_trip(scratch: Path, instance: JobShopInstance) -> None:
    path = scratch / "round.txt"
    write_orlib(instance, path)
    back = read_instance(path)
    assert np.array_equal(back.machines, instance.machines)
    assert np.array_equal(back.durations, instance.durations)
    taillard = parse_instance(_taillard_text(instance), "t")
    assert np.array_equal(taillard.machines, instance.machines)
    assert np.array_equal(taillard.durations, instance.durations)


def _check_jobshop(path: Path) -> None:
    instance = expect_clean(lambda: read_instance(path))
    if instance is not None:
        assert 0 < instance.durations.max() <= MAX_DURATION
        assert 0 < instance.lower_bound() < 2**62  # sums cannot overflow


@SETTINGS
@given(data=st.data(), instance=jobshops(), taillard=st.booleans())
def test_jobshop_damaged_files(
    scratch: Path, data: st.DataObject, instance: JobShopInstance, taillard: bool
) -> None:
    path = scratch / "damaged.txt"
    write_orlib(instance, path)
    text = _taillard_text(instance).encode() if taillard else path.read_bytes()
    path.write_bytes(data.draw(damaged(text)))
    _check_jobshop(path)


def test_jobshop_reported_cases(scratch: Path) -> None:
    cases = {
        f"2 2\n0 {2**70} 1 1\n1 2 0 3\n": ":2: duration",
        f"1 2\n0 {2**62} 1 {2**62}\n": ":2: duration",
        "2 2\n0 0 1 0\n1 0 0 0\n": "every duration is 0",
        f"{10**9} {10**9}\n0 1\n": ":1:",
        "2 2\n0 1.5 1 1\n1 2 0 3\n": "expected integers",
    }
    for text, message in cases.items():
        path = scratch / "case.txt"
        path.write_text(text)
        with pytest.raises(InstanceFormatError, match=message):
            read_instance(path)
    with pytest.raises(ValueError, match="every duration is 0"):
        JobShopInstance("zero", np.array([[0, 1]]), np.array([[0, 0]]))
    with pytest.raises(ValueError, match="int64"):
        JobShopInstance("huge", np.array([[0]]), np.array([[2**70]], dtype=object))
    with pytest.raises(ValueError, match="integers"):
        JobShopInstance("frac", np.array([[0]]), np.array([[1.5]]))


# ---------------------------------------------------------------------------------- memory

_IDS = st.integers(-5, 10**6) | st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,8}", fullmatch=True)


@st.composite
def memory_instances(draw: st.DrawFn, with_uses: bool) -> MemoryInstance:
    count = draw(st.integers(1, 8))
    ids = draw(st.lists(_IDS, min_size=count, max_size=count, unique_by=str))
    capacity = draw(st.integers(1, 2**20) | st.sampled_from([MAX_CAPACITY]))
    variant = draw(st.sampled_from(["pack", "assign"])) if with_uses else "pack"
    buffers = []
    for ident in ids:
        lower = draw(st.integers(0, 50))
        upper = draw(st.integers(lower + 1, lower + 20))
        top = min(capacity, MAX_BUFFER_SIZE) if variant == "pack" else MAX_BUFFER_SIZE
        size = draw(st.integers(1, top))
        uses: tuple[int, ...] = ()
        writes: tuple[int, ...] = ()
        if with_uses and draw(st.booleans()):
            uses = tuple(sorted(draw(st.sets(st.integers(lower, upper - 1), min_size=1))))
            writes = tuple(u for u in uses if draw(st.booleans()))
        buffers.append(Buffer(ident, lower, upper, size, uses, writes))
    horizon = max(b.end for b in buffers)
    compute = None
    platform: MemoryHierarchy | int = capacity
    if with_uses:
        if draw(st.booleans()):
            compute = draw(st.lists(st.floats(0, 1e6), min_size=horizon, max_size=horizon))
        if draw(st.booleans()):
            platform = MemoryHierarchy(
                (
                    MemoryTier("fast", capacity, draw(st.floats(1e-3, 1e6)), 500.0),
                    MemoryTier("slow", None, 50.0, draw(st.floats(1e-3, 1e6))),
                ),
                "custom",
            )
    return MemoryInstance.from_buffers("m", buffers, platform, compute, cast(Variant, variant))


def _same_memory(a: MemoryInstance, b: MemoryInstance) -> None:
    assert a.buffers() == b.buffers() and a.ids == b.ids
    assert a.capacity == b.capacity and a.variant == b.variant


@SETTINGS
@given(instance=memory_instances(with_uses=False))
def test_memory_csv_round_trip(scratch: Path, instance: MemoryInstance) -> None:
    path = scratch / memory_formats.csv_filename(instance)
    memory_formats.write_csv(instance, path)
    back = memory_formats.read_csv(path)
    _same_memory(instance, back)


@SETTINGS
@given(instance=memory_instances(with_uses=True))
def test_memory_json_round_trip(scratch: Path, instance: MemoryInstance) -> None:
    path = scratch / "round.json"
    memory_formats.write_json(instance, path)
    back = memory_formats.read_json(path)
    _same_memory(instance, back)
    assert back.platform == instance.platform
    assert np.array_equal(back.compute, instance.compute)


def _check_memory(path: Path) -> None:
    instance = expect_clean(lambda: memory_formats.read_instance(path))
    if instance is not None:
        assert int(instance.sizes.max()) <= MAX_BUFFER_SIZE
        assert instance.variant != "pack" or int(instance.sizes.max()) <= instance.capacity
        assert 0 <= instance.max_load() < 2**62
        assert math.isfinite(CostModel(instance).all_slow_time())


@SETTINGS
@given(data=st.data(), instance=memory_instances(with_uses=False))
def test_memory_csv_damaged_files(
    scratch: Path, data: st.DataObject, instance: MemoryInstance
) -> None:
    path = scratch / memory_formats.csv_filename(instance)
    memory_formats.write_csv(instance, path)
    damaged_path = scratch / f"damaged.{instance.capacity}.csv"
    damaged_path.write_bytes(data.draw(damaged(path.read_bytes())))
    _check_memory(damaged_path)


@SETTINGS
@given(data=st.data(), instance=memory_instances(with_uses=True), structured=st.booleans())
def test_memory_json_damaged_files(
    scratch: Path, data: st.DataObject, instance: MemoryInstance, structured: bool
) -> None:
    path = scratch / "damaged.json"
    if structured:
        path.write_text(data.draw(damaged_json(memory_formats.instance_to_json(instance))))
    else:
        memory_formats.write_json(instance, path)
        path.write_bytes(data.draw(damaged(path.read_bytes())))
    _check_memory(path)


def _with_compute(compute: str, buffer: dict[str, int]) -> str:
    return f'{{"capacity": 8, "compute": {compute}, "buffers": [{json.dumps(buffer)}]}}'


def test_memory_reported_cases(scratch: Path) -> None:
    ok = {"id": 0, "lower": 0, "upper": 3, "size": 4}
    cases: dict[str, tuple[str, str]] = {
        "size.64.csv": (f"id,lower,upper,size\n0,0,3,{2**70}\n", ":2: field 'size'"),
        "lower.64.csv": (f"id,lower,upper,size\n0,{2**70},{2**70 + 3},4\n", ":2: field 'lower'"),
        "over.64.csv": ("id,lower,upper,size\n0,0,3,100\n", "larger than the capacity 64"),
        "long.64.csv": ("id,lower,upper,size\n" + "x" * 200_000 + "\n", "malformed CSV"),
        "size.json": (json.dumps({"capacity": 8, "buffers": [{**ok, "size": 2**70}]}), "size"),
        "upper.json": (json.dumps({"capacity": 8, "buffers": [{**ok, "upper": 2**70}]}), "upper"),
        "zero.json": (json.dumps({"capacity": 0, "buffers": [ok]}), "'capacity': must be pos"),
        "neg.json": (json.dumps({"capacity": -3, "buffers": [ok]}), "'capacity': must be pos"),
        "over.json": (json.dumps({"capacity": 2, "buffers": [ok]}), "larger than the capacity"),
        "nan.json": (_with_compute("[NaN, 1, 1]", ok), "field compute[0]"),
        "inf.json": (_with_compute("[1, Infinity, 1]", ok), "field compute[1]"),
        "deep.json": ("[" * 100_000 + "]" * 100_000, "invalid JSON"),
        "digits.json": ('{"capacity": ' + "9" * 5000 + "}", "invalid JSON"),
    }
    for name, (text, message) in cases.items():
        path = scratch / name
        path.write_text(text)
        with pytest.raises(InstanceFormatError, match=re.escape(message)) as caught:
            memory_formats.read_instance(path)
        assert str(path) in str(caught.value)
    # an explicit capacity below a buffer is a what-if question: pack then reports not fitting
    path = scratch / "asked.csv"
    path.write_text("id,lower,upper,size\n0,0,3,100\n")
    assert memory_formats.read_instance(path, capacity=64).capacity == 64
    with pytest.raises(InstanceFormatError, match="capacity"):
        memory_formats.read_instance(path, capacity=2**70)
    shipped = memory_formats.read_instance(scratch / "over.64.csv", capacity=128)
    with pytest.raises(InstanceFormatError, match="capacity"):
        shipped.with_capacity(0)


# ---------------------------------------------------------------------------------- fleet


@st.composite
def scenarios(draw: st.DrawFn) -> FleetScenario:
    if draw(st.integers(0, 4)) == 0:
        return default_scenario()
    generator = FleetGenerator(
        num_vertiports=(2, 6),
        num_aircraft=(1, 12),
        demand_level=draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])),
        uncertainty=draw(st.sampled_from([0.0, 1.0, 2.0])),
    )
    scenario = generator.sample(np.random.default_rng(draw(st.integers(0, 2**32))))
    day = draw(st.none() | st.integers(0, 2**63 - 1))
    return scenario.with_day(day)


@SETTINGS
@given(scenario=scenarios())
def test_fleet_round_trip(scratch: Path, scenario: FleetScenario) -> None:
    path = scratch / "round.json"
    write_scenario(scenario, path)
    back = read_scenario(path)
    assert back.to_json() == scenario.to_json()
    assert parse_scenario(json.loads(path.read_text())).to_json() == scenario.to_json()


def _check_fleet(path: Path) -> None:
    scenario = expect_clean(lambda: read_scenario(path))
    if scenario is not None:
        assert scenario.num_aircraft * scenario.num_epochs <= MAX_TABLE_CELLS
        assert np.isfinite(scenario.distances()).all()
        compile_network(scenario, realise(scenario, 0))  # what every solver and the env do


@SETTINGS
@given(data=st.data(), structured=st.booleans())
def test_fleet_damaged_files(scratch: Path, data: st.DataObject, structured: bool) -> None:
    scenario = default_scenario()
    path = scratch / "damaged.json"
    if structured:
        path.write_text(data.draw(damaged_json(scenario.to_json())))
    else:
        write_scenario(scenario, path)
        path.write_bytes(data.draw(damaged(path.read_bytes())))
    _check_fleet(path)


@SETTINGS
@given(data=st.data())
def test_aircraft_type_files_damaged(scratch: Path, data: st.DataObject) -> None:
    path = scratch / "types.json"
    kinds = {"aircraft_types": [AircraftType("a").to_json(), AircraftType("b", seats=6).to_json()]}
    path.write_text(data.draw(damaged_json(kinds)))
    read = expect_clean(lambda: read_aircraft_types(path))
    assert read is None or all(isinstance(k, AircraftType) for k in read)


def _edited(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = default_scenario().to_json()
    edit(data)
    return data


FLEET_CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "count": (lambda d: d["fleet"][0].update(count=2**70), "fleet[0].count"),
    "x_km": (lambda d: d["vertiports"][0].update(x_km=1e30), "vertiports[0].x_km"),
    "parking": (lambda d: d["vertiports"][1].update(parking=2**70), "vertiports[1].parking"),
    "seats": (lambda d: d["aircraft_types"][0].update(seats=2**70), "aircraft_types[0].seats"),
    "daily": (lambda d: d["demand"].update(daily_passengers=1e30), "demand.daily_passengers"),
    "seed": (lambda d: d.update(day_seed=-1), "day_seed"),
    "cruise": (lambda d: d["aircraft_types"][0].update(cruise_kmh=1e-320), "cruise_kmh"),
    "battery": (lambda d: d["aircraft_types"][0].update(battery_kwh=1e-320), "battery_kwh"),
    "charge": (lambda d: d["aircraft_types"][0].update(charge_kw=1e308), "charge_kw"),
    "wait": (lambda d: d["demand"].update(max_wait_min=10**12), "demand.max_wait_min"),
    "end": (lambda d: d["day"].update(end="24:30"), "day.end"),
    "delay": (lambda d: d["uncertainty"].update(delay_prob=5.0), "uncertainty.delay_prob"),
    "closure": (
        lambda d: d["uncertainty"].update(closure_min_min=200, closure_max_min=100),
        "closure_max_min",
    ),
    "twice": (lambda d: d["vertiports"].append(d["vertiports"][0]), "listed twice"),
    "unknown": (lambda d: d["vertiports"][0].update(parkng=3), "vertiports[0].parkng"),
    "huge int": (lambda d: d["economics"].update(fare_base=10**400), "economics.fare_base"),
    "epochs": (lambda d: d["day"].update(start="00:00", end="24:00", epoch_min=1), "too large"),
}


@pytest.mark.parametrize("case", sorted(FLEET_CASES))
def test_fleet_reported_cases(scratch: Path, case: str) -> None:
    edit, field = FLEET_CASES[case]
    data = _edited(edit)
    if case == "epochs":  # a full day of 1-minute epochs is fine for 40 aircraft, not 2000
        data["demand"]["max_wait_min"] = 1440
    path = scratch / f"{case}.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InstanceFormatError) as caught:
        read_scenario(path)
    assert str(path) in str(caught.value) and field in str(caught.value)


def test_fleet_day_may_end_at_midnight_and_shipped_names_stay_bounded() -> None:
    from schedgym.core.problem import looks_like_path
    from schedgym.datasets import fleet as shipped

    data = _edited(lambda d: d["day"].update(end="24:00"))
    assert parse_scenario(data).end_min == 1440
    assert shipped.has_instance("dfw-8v40a-d999999999999999999")
    assert not shipped.has_instance("dfw-8v40a-d" + "9" * 19)  # beyond a day_seed
    assert not looks_like_path("dfw-8v40a-d" + "9" * 19)


def test_jobshop_env_refuses_an_all_zero_instance(scratch: Path) -> None:
    """It used to build, then crash in ``reset()`` (a division by the largest duration)."""
    import gymnasium as gym

    import schedgym  # noqa: F401  (registers the envs)

    path = scratch / "zeros.txt"
    path.write_text("2 2\n0 0 1 0\n1 0 0 0\n")
    with pytest.raises(InstanceFormatError, match="every duration is 0"):
        gym.make("schedgym/JobShop-v0", instance=str(path))
    with pytest.raises(ValueError, match="every duration is 0"):
        gym.make(
            "schedgym/JobShop-v0", instance=JobShopInstance("z", np.eye(1, 2), np.zeros((1, 2)))
        )
