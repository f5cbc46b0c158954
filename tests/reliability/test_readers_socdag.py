"""SoC-DAG readers under hostile input: STG, DS3 job and SoC files, interchange, application
and platform JSON. Named bad cases give one-line errors naming the file (and line); property
tests (Hypothesis) check exact round trips and that random mutations of valid files raise
nothing but ``InstanceFormatError`` (and, when a mutant is accepted, that it is a valid record
that round-trips)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedgym.core.errors import InstanceFormatError, UnknownNameError
from schedgym.datasets import socdag as shipped
from schedgym.hardware.platform import (
    MAX_TIME,
    Platform,
    ProcessingElement,
    read_platform,
)
from schedgym.socdag.application import Application
from schedgym.socdag.ds3 import read_ds3_job, read_ds3_soc
from schedgym.socdag.formats import (
    read_application,
    read_instance,
    read_stg,
    write_application,
    write_instance,
    write_stg,
)
from schedgym.socdag.generator import layered_instance

FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

STG = """4
0 0 0
1 3 1 0
2 5 1 1
3 4 1 1
4 2 2 2 3
5 0 1 4
# a comment
"""

STG_COMM = """2
0 0 0
1 5 1 0 0
2 7 1 1 3
3 0 1 2 0
"""

JOB = """job_name Tiny
add_new_tasks 3
src 0
src HEAD
src earliest_start 0 deadline 2 input_vol 0 output_vol 0
fft 1 0
sink 2 0 1
sink TAIL
comm_vol 0 1 100
comm_vol 1 2 20
"""

SOC = """add_new_resource resource_type LTL resource_name A7 resource_ID 0 capacity 2 \
num_supported_functionalities 3 DVFS_mode performance
opp 1000 1150
power_profile 1000 0.19 0.29
power_profile 1400 0.39 0.59
src 10
fft 300
sink 5
add_new_resource resource_type ACC_2 resource_name FFT resource_ID 1 capacity 1 \
num_supported_functionalities 1 DVFS_mode performance
power_profile 1000 0.09
fft 12
add_new_resource resource_type MEM resource_name MEMORY resource_ID 2 capacity 1 \
num_supported_functionalities 1 DVFS_mode none
None 0
comm_band_self 10000
comm_band 0 0 1000
comm_band 0 2 20
comm_band 1 2 20
"""


def _expect_error(read: Callable[[Path], Any], path: Path, pattern: str) -> str:
    """``read(path)`` raises a one-line ``InstanceFormatError`` naming ``path`` and matching
    ``pattern``; returns the message."""
    with pytest.raises(InstanceFormatError) as err:
        read(path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(path)), message
    assert re.search(pattern, message), message
    return message


# ----------------------------------------------------------------------------------- STG


@pytest.mark.parametrize(
    ("text", "pattern", "line"),
    [
        (STG.replace("4 2 2 2 3", "4 2 nan 2 3"), "predecessor count.*'nan'", 6),
        (STG.replace("4 2 2 2 3", "4 2 inf 2 3"), "predecessor count.*'inf'", 6),
        (STG.replace("4 2 2 2 3", "4 2 2 nan 3"), "predecessor: expected an integer.*'nan'", 6),
        (STG.replace("4 2 2 2 3", "4 2 2 inf 3"), "predecessor: expected an integer.*'inf'", 6),
        (STG.replace("3 4 1 1", "3 4 1 0.5"), r"predecessor: expected an integer.*'0\.5'", 5),
        (STG.replace("3 4 1 1", "3 4 1.0 1"), r"predecessor count.*'1\.0'", 5),
        (STG.replace("3 4 1 1", "3 1e400 1 1"), "cost: expected a finite number", 5),
        (STG.replace("3 4 1 1", "3 2e9 1 1"), r"cost: expected .*<= 1e\+09", 5),
        (STG.replace("3 4 1 1", "3 -4 1 1"), "cost: expected a finite number >= 0", 5),
        (STG.replace("3 4 1 1", "nan 4 1 1"), "task id", 5),
        (STG.replace("4 2 2 2 3", "4 2 2 2 2"), "predecessor 2 listed twice", 6),
        (STG.replace("2 5 1 1", "2 5 1 4"), r"cycle \(", None),
        (STG.replace("2 5 1 1", "2 5 1 2"), "bad predecessor 2", 4),
        (STG.replace("# a comment", "6 0 0"), "unexpected line after the 6 task lines", 8),
        ("99999999999999999999999\n0 0 0\n", "first line", 1),
        ("nan\n0 0 0\n", "first line", 1),
        ("1\n0 0 0\n1 3 1 0 0\n2 0 1 1\n", "1 predecessors expected, line has 2", 3),
    ],
)
def test_malformed_stg_one_line_errors(
    tmp_path: Path, text: str, pattern: str, line: int | None
) -> None:
    path = tmp_path / "bad.stg"
    path.write_text(text)
    message = _expect_error(read_stg, path, pattern)
    if line is not None:
        assert message.startswith(f"{path}:{line}: "), message
    _expect_error(read_instance, path, pattern)  # the generic reader by suffix


def test_stg_communication_volume_bounded_by_the_platform(tmp_path: Path) -> None:
    path = tmp_path / "comm.stg"
    path.write_text(STG_COMM.replace("2 7 1 1 3", "2 7 1 1 1e12"))  # 1e12 on bandwidth 1
    _expect_error(read_stg, path, r"task 2: data 1e\+12 may take .* more than 1e\+09")
    path.write_text(STG_COMM.replace("2 7 1 1 3", "2 7 1 1 nan"))
    _expect_error(read_stg, path, "communication cost.*'nan'")


@FAST
@given(
    seed=st.integers(0, 2**32 - 1),
    tasks=st.integers(1, 15),
    pes=st.integers(1, 4),
    ccr=st.sampled_from([0.0, 0.5, 2.0]),
)
def test_stg_round_trip_is_exact(
    tmp_path: Path, seed: int, tasks: int, pes: int, ccr: float
) -> None:
    inst = layered_instance(
        np.random.default_rng(seed), tasks, pes, ccr=ccr, heterogeneity=0.0, integer=False
    )
    path = tmp_path / "g.stg"
    write_stg(inst, path, comm_costs=True)
    back = read_stg(path, num_pes=pes)
    assert back.num_tasks == inst.num_tasks + 2
    assert back.exec_time[1:-1, 0].tolist() == inst.mean_exec.tolist()  # written exactly
    inner = (back.src > 0) & (back.dst < back.num_tasks - 1)
    edges = {
        (s - 1, d - 1): x
        for s, d, x in zip(back.src[inner], back.dst[inner], back.data[inner], strict=True)
    }
    assert edges == {
        (int(s), int(d)): float(x) for s, d, x in zip(inst.src, inst.dst, inst.data, strict=True)
    }


# ----------------------------------------------------------------------------------- DS3


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (JOB.replace("add_new_tasks 3", "add_new_tasks nan"), "task count.*'nan'"),
        (JOB.replace("add_new_tasks 3", "add_new_tasks"), "add_new_tasks COUNT"),
        (JOB.replace("add_new_tasks 3", "add_new_tasks 1e400"), "task count"),
        (JOB.replace("sink 2 0 1", "sink 2 0 0.5"), r"predecessor.*'0\.5'"),
        (JOB.replace("sink 2 0 1", "sink 2 0 nan"), "predecessor.*'nan'"),
        (JOB.replace("sink 2 0 1", "sink 2 0 0"), "bad predecessor 0"),
        (JOB.replace("sink 2 0 1", "sink 2 2"), "bad predecessor 2"),
        (JOB.replace("fft 1 0", "fft 1 0 2"), r"cycle \("),
        (JOB.replace("comm_vol 1 2 20", "comm_vol 1 2 inf"), "volume.*'inf'"),
        (JOB.replace("comm_vol 1 2 20", "comm_vol 1 2 -3"), "volume.*>= 0"),
        (JOB.replace("comm_vol 1 2 20", "comm_vol 1.5 2 20"), "source task.*'1.5'"),
        (JOB.replace("sink 2 0 1", "sink 7 0 1"), r"task id: expected an integer >= 0 and <= 2"),
    ],
)
def test_malformed_ds3_job_one_line_errors(tmp_path: Path, text: str, pattern: str) -> None:
    path = tmp_path / "job.txt"
    path.write_text(text)
    _expect_error(read_ds3_job, path, pattern)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (SOC.replace("capacity 2", "capacity nan"), "capacity.*'nan'"),
        (SOC.replace("capacity 2", "capacity 0"), "capacity.*>= 1"),
        (SOC.replace("capacity 2", "capacity 100000"), "capacity.*<= 1024"),
        (SOC.replace("resource_ID 1", "resource_ID 0"), "resource ID 0 defined twice"),
        (SOC.replace("fft 300", "fft inf"), "kernel fft: time.*'inf'"),
        (SOC.replace("fft 300", "fft 1e10"), r"kernel fft: time.*<= 1e\+09"),
        (SOC.replace("power_profile 1000 0.09", "power_profile 1000"), "power_profile FREQ"),
        (SOC.replace("power_profile 1000 0.09", "power_profile 1000 nan"), "power.*'nan'"),
        (SOC.replace("comm_band 1 2 20", "comm_band 1 9 20"), "no resource with ID 9"),
        (SOC.replace("comm_band 1 2 20", "comm_band 1 2 1e-9"), "below 1e-06"),
        (SOC.replace("comm_band 1 2 20", "comm_band 1 2 nan"), "bandwidth.*'nan'"),
        (SOC.replace("comm_band 1 2 20", "comm_band 1 2"), "comm_band src dst bandwidth"),
    ],
)
def test_malformed_ds3_soc_one_line_errors(tmp_path: Path, text: str, pattern: str) -> None:
    path = tmp_path / "soc.txt"
    path.write_text(text)
    _expect_error(read_ds3_soc, path, pattern)


def test_valid_ds3_files_still_read(tmp_path: Path) -> None:
    (tmp_path / "job.txt").write_text(JOB)
    (tmp_path / "soc.txt").write_text(SOC)
    app = read_ds3_job(tmp_path / "job.txt")
    soc = read_ds3_soc(tmp_path / "soc.txt")
    inst = app.on(soc)
    assert inst.num_tasks == 3 and inst.num_pes == 3 and inst.data.tolist() == [100.0, 0.0, 20.0]


# ------------------------------------------------------------------- interchange JSON


INTERCHANGE: dict[str, Any] = {
    "tasks": [{"id": 0, "name": "a"}, {"id": 1, "name": "b"}, {"id": 2, "name": "c"}],
    "edges": [{"src": 0, "dst": 2, "data": 4.5}, {"src": 1, "dst": 2, "data": 0}],
    "pes": [{"id": 0, "type": "big"}, {"id": 1, "type": "fft"}],
    "exec_time": [[3, 5], [2, None], [4, 1.5]],
    "bandwidth": [[0, 2], [2, 0]],
    "latency": [[0, 1], [1, 0]],
}
HUGE = 10**400  # json.dumps writes it as digits; float() of it overflows


def _patched(**fields: Any) -> dict[str, Any]:
    return {**json.loads(json.dumps(INTERCHANGE)), **fields}


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        (_patched(exec_time=[[3, 5], [2, None], [4, math.inf]]), r"exec_time'\[2\]\[1\]: .*inf"),
        (_patched(exec_time=[[3, 5], [2, None], [4, math.nan]]), r"exec_time'\[2\]\[1\]: .*nan"),
        (_patched(exec_time=[[3, 5], [2, None], [4, HUGE]]), r"exec_time'\[2\]\[1\]: .*digits"),
        (_patched(exec_time=[[3, 5], [2, None], [4, 2e9]]), r"exec_time'\[2\]\[1\]: .*<= 1e\+09"),
        (_patched(exec_time=[[3, 5], [2, None], [4, True]]), r"exec_time'\[2\]\[1\]"),
        (_patched(edges=[{"src": 0, "dst": 2, "data": math.nan}]), r"edges'\[0\]\.data"),
        (_patched(edges=[{"src": 0, "dst": 2, "data": 1e16}]), r"edges'\[0\]\.data: .*<= 1e\+15"),
        (
            _patched(edges=[{"src": 0, "dst": 2, "data": 1e12}]),
            r"edges'\[0\]\.data: data 1e\+12 may take",
        ),
        (_patched(edges=[{"src": 0, "dst": 2.0}]), r"edges'\[0\]\.dst"),
        (_patched(edges=[{"src": True, "dst": 2}]), r"edges'\[0\]\.src"),
        (_patched(edges=[{"src": 2, "dst": 2}]), r"edges'\[0\]: self-loop on task 2"),
        (_patched(edges=[{"src": 0, "dst": 2}, {"src": 0, "dst": 2}]), r"edges'\[1\]: duplicate"),
        (
            _patched(edges=[{"src": 0, "dst": 1}, {"src": 1, "dst": 0}]),
            r"'edges': .*cycle \(0 -> 1 -> 0\)|cycle \(1 -> 0 -> 1\)",
        ),
        (_patched(bandwidth=[[0, 1e-320], [2, 0]]), r"bandwidth'\[0\]\[1\]: .*>= 1e-06"),
        (_patched(bandwidth=[[0, math.inf], [2, 0]]), r"bandwidth'\[0\]\[1\]"),
        (_patched(bandwidth=[[math.nan, 2], [2, 0]]), r"bandwidth'\[0\]\[0\]"),
        (_patched(latency=[[0, 1e10], [1, 0]]), r"latency'\[0\]\[1\]: .*<= 1e\+09"),
        (_patched(pes=[{"id": 0, "type": "big", "speed": 1e-320}, {"id": 1}]), r"pes'\[0\]\.speed"),
        (
            _patched(pes=[{"id": 0, "type": "big", "active_power": math.nan}, {"id": 1}]),
            "active_power",
        ),
        (_patched(pes=[{"id": True, "type": "big"}, {"id": 1}]), r"pes'\[0\]: id must be 0"),
        (_patched(pes=[{"id": 0, "type": 7}, {"id": 1}]), r"pes'\[0\]\.type: expected a string"),
        (_patched(tasks=[{"id": 0, "name": ["x"]}, {"id": 1}, {"id": 2}]), r"tasks'\[0\]\.name"),
        (_patched(tasks=[{"id": 0}, {"id": True}, {"id": 2}]), r"tasks'\[1\]: id must be 1"),
        (_patched(name=["x"]), "field 'name'"),
    ],
)
def test_malformed_interchange_one_line_errors(
    tmp_path: Path, data: dict[str, Any], pattern: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    _expect_error(read_instance, path, pattern)


def test_malformed_platform_and_application(tmp_path: Path) -> None:
    base = shipped.platform("topcuoglu").to_json()
    path = tmp_path / "p.json"
    patches: list[tuple[dict[str, Any], str]] = [
        ({"kernels": {"k": {"NOPE": 3}}}, r"kernels'\['k'\]\['NOPE'\]: no PE has type"),
        ({"kernels": {"k": {base["pes"][0]["type"]: math.inf}}}, r"kernels'\['k'\]"),
        ({"kernels": {"k": {base["pes"][0]["type"]: -1}}}, r"kernels'\['k'\].*>= 0"),
        ({"time_unit": 5}, "time_unit"),
    ]
    for patch, pattern in patches:
        path.write_text(json.dumps({**base, **patch}))
        _expect_error(read_platform, path, pattern)
    app = shipped.application("topcuoglu").to_json()
    path = tmp_path / "a.json"
    patches = [
        ({"edges": [{"src": 0, "dst": 1, "data": -1}]}, r"edges'\[0\]\.data"),
        ({"edges": [{"src": 0, "dst": 1}, {"src": 1, "dst": 0}]}, "cycle"),
        ({"edges": [{"src": 0, "dst": 0.5}]}, r"edges'\[0\]\.dst"),
        ({"tasks": [{"id": 0, "kernel": None}]}, r"tasks'\[0\]\.kernel"),
    ]
    for patch, pattern in patches:
        path.write_text(json.dumps({**app, **patch}))
        _expect_error(read_application, path, pattern)


@FAST
@given(
    seed=st.integers(0, 2**32 - 1),
    tasks=st.integers(1, 12),
    pes=st.integers(1, 4),
    unavailable=st.sampled_from([0.0, 0.3]),
    latency=st.sampled_from([0.0, 0.25]),
)
def test_interchange_round_trip_is_exact(
    tmp_path: Path, seed: int, tasks: int, pes: int, unavailable: float, latency: float
) -> None:
    inst = layered_instance(
        np.random.default_rng(seed),
        tasks,
        pes,
        unavailable=unavailable if pes > 1 else 0.0,
        latency=latency,
        integer=False,
    )
    path = tmp_path / "g.json"
    write_instance(inst, path)
    back = read_instance(path)
    assert back.to_json() == inst.to_json()
    write_instance(back, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text() == path.read_text()


@FAST
@given(
    seed=st.integers(0, 2**32 - 1),
    pes=st.integers(1, 5),
    kernels=st.integers(0, 4),
)
def test_platform_and_application_round_trips_are_exact(
    tmp_path: Path, seed: int, pes: int, kernels: int
) -> None:
    rng = np.random.default_rng(seed)
    types = [f"T{int(k)}" for k in rng.integers(0, 3, size=pes)]
    platform = Platform(
        f"p{seed}",
        tuple(
            ProcessingElement(
                i, types[i], f"pe{i}", float(rng.uniform(0.1, 4)), float(rng.uniform(0, 5))
            )
            for i in range(pes)
        ),
        rng.uniform(0.5, 100, size=(pes, pes)),
        rng.uniform(0, 3, size=(pes, pes)),
        {f"k{k}": {t: float(rng.uniform(0, 50)) for t in set(types)} for k in range(kernels)},
        "us",
    )
    path = tmp_path / "p.json"
    platform.write(path)
    assert read_platform(path).to_json() == platform.to_json()
    inst = layered_instance(rng, 8, 2, integer=False)
    app = Application(
        "app", inst.task_names, tuple(f"k{t % 3}" for t in range(8)), inst.src, inst.dst, inst.data
    )
    path = tmp_path / "a.json"
    write_application(app, path)
    assert read_application(path).to_json() == app.to_json()


# --------------------------------------------------------------------------- mutations

MUTANT_NUMBERS = [
    "1e400",
    "-1e400",
    "-1",
    "-0.5",
    "0.5",
    "NaN",
    "Infinity",
    "-Infinity",
    "nan",
    "inf",
    "",
    "99999999999999999999999999999",
    "1e308",
    "1e-320",
    "0",
    "null",
    "true",
    '"x"',
    "[]",
    "{}",
    "2.5e9",
    "1e16",
]
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def _mutate(text: str, data: st.DataObject) -> str:
    """One random mutation of ``text``: a byte flip, a number replaced, a truncation, a line
    deleted, duplicated or swapped."""
    kind = data.draw(st.sampled_from(["flip", "number", "truncate", "delete", "duplicate", "swap"]))
    lines = text.splitlines(keepends=True)
    if kind == "flip" and text:
        raw = bytearray(text.encode())
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
        return raw.decode("latin-1")
    if kind == "number":
        spans = [m.span() for m in NUMBER.finditer(text)]
        if spans:
            a, b = spans[data.draw(st.integers(0, len(spans) - 1))]
            return text[:a] + data.draw(st.sampled_from(MUTANT_NUMBERS)) + text[b:]
    if kind == "truncate":
        return text[: data.draw(st.integers(0, len(text)))]
    if lines:
        i = data.draw(st.integers(0, len(lines) - 1))
        if kind == "delete":
            return "".join(lines[:i] + lines[i + 1 :])
        if kind == "duplicate":
            return "".join(lines[: i + 1] + lines[i:])
        j = data.draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


def _json_mutate(value: Any, data: st.DataObject) -> Any:
    """One structural mutation of a JSON document: a field deleted, a list item deleted or
    duplicated, or a value replaced by a hostile one."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, at: tuple[Any, ...]) -> None:
        paths.append(at)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*at, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*at, i))

    walk(value, ())
    at = data.draw(st.sampled_from(paths[1:] or paths))
    if not at:
        return data.draw(st.sampled_from([[], None, 3, "x"]))
    parent = value
    for key in at[:-1]:
        parent = parent[key]
    key = at[-1]
    action = data.draw(st.sampled_from(["delete", "duplicate", "replace"]))
    if action == "delete":
        del parent[key]
    elif action == "duplicate" and isinstance(parent, list):
        parent.insert(key, json.loads(json.dumps(parent[key])))
    else:
        parent[key] = data.draw(
            st.sampled_from(
                [
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
                    HUGE,
                    2**70,
                    2**63,
                    "",
                    "x",
                    [],
                    {},
                    [0],
                    {"id": 0},
                    1e-320,
                    5e9,
                ]
            )
        )
    return value


def _check_reader(
    read: Callable[[Path], Any],
    path: Path,
    write: Callable[[Any, Path], Any],
    read_back: Callable[[Path], Any],
) -> None:
    """``read(path)`` either succeeds or raises a one-line error naming ``path``; an accepted
    record is written (as JSON) and read back to the same JSON."""
    try:
        record = read(path)
    except UnknownNameError:
        return
    except InstanceFormatError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith(str(path)), message
        return
    copy = path.with_name("again.json")
    write(record, copy)
    assert read_back(copy).to_json() == record.to_json()


TEXT_FORMATS: dict[str, tuple[str, Callable[[Path], Any], Any]] = {
    "stg": (STG, read_stg, write_instance),
    "stg-comm": (STG_COMM, read_stg, write_instance),
    "job": (JOB, read_ds3_job, write_application),
    "soc": (SOC, read_ds3_soc, lambda p, path: p.write(path)),
}
SUFFIX = {"stg": ".stg", "stg-comm": ".stg", "job": ".txt", "soc": ".txt"}


@FAST
@given(data=st.data(), kind=st.sampled_from(sorted(TEXT_FORMATS)))
def test_mutated_text_files_never_crash(tmp_path: Path, data: st.DataObject, kind: str) -> None:
    text, read, write = TEXT_FORMATS[kind]
    path = tmp_path / f"mutant{SUFFIX[kind]}"
    for _ in range(data.draw(st.integers(1, 3))):
        text = _mutate(text, data)
    path.write_text(text, encoding="latin-1")
    reader = {"job": read_application, "soc": read_platform}.get(kind, read_instance)
    _check_reader(read, path, write, reader)


def _json_seeds() -> dict[str, tuple[dict[str, Any], Callable[[Path], Any], Any]]:
    inst = layered_instance(np.random.default_rng(3), 6, 3, unavailable=0.2, latency=0.5)
    return {
        "interchange": (inst.to_json(), read_instance, write_instance),
        "topcuoglu": (shipped.load("topcuoglu").to_json(), read_instance, write_instance),
        "application": (
            shipped.application("wifi-tx").to_json(),
            read_application,
            write_application,
        ),
        "platform": (
            shipped.platform("ds3-soc").to_json(),
            read_platform,
            lambda p, path: p.write(path),
        ),
    }


JSON_SEEDS = _json_seeds()


@FAST
@given(data=st.data(), kind=st.sampled_from(sorted(JSON_SEEDS)), textual=st.booleans())
def test_mutated_json_files_never_crash(
    tmp_path: Path, data: st.DataObject, kind: str, textual: bool
) -> None:
    seed, read, write = JSON_SEEDS[kind]
    path = tmp_path / "mutant.json"
    if textual:
        path.write_text(_mutate(json.dumps(seed, indent=1), data), encoding="latin-1")
    else:
        doc = json.loads(json.dumps(seed))
        for _ in range(data.draw(st.integers(1, 3))):
            doc = _json_mutate(doc, data)
        path.write_text(json.dumps(doc))
    _check_reader(read, path, write, read)


def test_limits_are_the_documented_ones() -> None:
    from schedgym.hardware import platform as hw
    from schedgym.socdag import instance

    assert (hw.MAX_PES, hw.MAX_TIME, hw.MIN_SPEED, hw.MAX_SPEED) == (1024, 1e9, 1e-6, 1e6)
    assert (hw.MIN_BANDWIDTH, hw.MAX_BANDWIDTH, hw.MAX_POWER) == (1e-6, 1e15, 1e6)
    assert (instance.MAX_TASKS, instance.MAX_EDGES, instance.MAX_DATA) == (100_000, 1_000_000, 1e15)
    # the sum of every execution and communication time of a readable instance stays exact in
    # float64 and inside int64 after CP-SAT's scaling by up to 1000
    worst = (instance.MAX_TASKS + instance.MAX_EDGES) * MAX_TIME
    assert worst < 2**53 and worst * 1000 < 2**62
