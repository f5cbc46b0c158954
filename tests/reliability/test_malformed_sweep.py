"""A sweep of malformed files of all four problems through ``schedgym solve``.

For every file: exit code 2, exactly one output line, starting ``error:`` and naming the file,
no traceback, and nothing left in the output folder (no schedule, no temporary file).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest
from typer.testing import CliRunner

from schedgym.cli import app
from schedgym.fleet.generator import default_scenario

RUNNER = CliRunner()
SOLVERS = {"jobshop": "mwkr", "socdag": "heft", "memory": "best-fit", "fleet": "greedy"}
JUNK: dict[str, bytes] = {
    "empty": b"",
    "blank": b"\n\n  \n",
    "binary": bytes(range(256)) * 4,
    "not utf-8": b"\xff\xfe\x00garbage\x80",
    "prose": b"this is not an instance\n",
    "nul": b"1 1\x00\n0 1\n",
}

JOBSHOP: dict[str, bytes] = {
    "duration 2**70": f"2 2\n0 {2**70} 1 1\n1 2 0 3\n".encode(),
    "durations 2**62": f"2 2\n0 {2**62} 1 {2**62}\n1 {2**62} 0 {2**62}\n".encode(),
    "all durations 0": b"2 2\n0 0 1 0\n1 0 0 0\n",
    "fraction": b"2 2\n0 1.5 1 1\n1 2 0 3\n",
    "nan": b"2 2\n0 nan 1 1\n1 2 0 3\n",
    "negative machine": b"2 2\n-1 1 1 1\n1 2 0 3\n",
    "huge header": f"{10**12} {10**12}\n0 1\n".encode(),
    "zero header": b"0 2\n",
    "missing job line": b"3 2\n0 1 1 1\n1 2 0 3\n",
    "extra line": b"1 2\n0 1 1 1\n1 2 0 3\n",
    "odd pairs": b"1 2\n0 1 1\n",
    "taillard machine 0": b"1 2\n3 4\n0 1\n",
    "giant token": b"1 1\n0 " + b"9" * 5000 + b"\n",
    **JUNK,
}

OK_BUFFER = {"id": 0, "lower": 0, "upper": 3, "size": 4}


def _memory_json(**fields: Any) -> bytes:
    data: dict[str, Any] = {"capacity": 8, "buffers": [OK_BUFFER]}
    data.update(fields)
    return json.dumps(data).encode()


MEMORY: dict[str, tuple[str, bytes]] = {
    "csv size 2**70": ("a.64.csv", f"id,lower,upper,size\n0,0,3,{2**70}\n".encode()),
    "csv lower 2**70": ("a.64.csv", f"id,lower,upper,size\n0,{2**70},{2**70 + 1},4\n".encode()),
    "csv buffer over capacity": ("a.64.csv", b"id,lower,upper,size\n0,0,3,100\n"),
    "csv empty range": ("a.64.csv", b"id,lower,upper,size\n0,3,3,4\n"),
    "csv duplicate id": ("a.64.csv", b"id,lower,upper,size\n0,0,3,4\n0,1,2,4\n"),
    "csv empty id": ("a.64.csv", b"id,lower,upper,size\n,0,3,4\n"),
    "csv fraction": ("a.64.csv", b"id,lower,upper,size\n0,0,3,4.5\n"),
    "csv nan": ("a.64.csv", b"id,lower,upper,size\n0,0,nan,4\n"),
    "csv huge field": ("a.64.csv", b"id,lower,upper,size\n" + b"x" * 200_000 + b"\n"),
    "csv no capacity": ("a.csv", b"id,lower,upper,size\n0,0,3,4\n"),
    "csv capacity 0": ("a.0.csv", b"id,lower,upper,size\n0,0,3,4\n"),
    "csv capacity 2**70": (f"a.{2**70}.csv", b"id,lower,upper,size\n0,0,3,4\n"),
    "json size 2**70": ("a.json", _memory_json(buffers=[{**OK_BUFFER, "size": 2**70}])),
    "json upper 2**70": ("a.json", _memory_json(buffers=[{**OK_BUFFER, "upper": 2**70}])),
    "json capacity 0": ("a.json", _memory_json(capacity=0)),
    "json capacity negative": ("a.json", _memory_json(capacity=-8)),
    "json capacity 2**70": ("a.json", _memory_json(capacity=2**70)),
    "json compute nan": ("a.json", _memory_json(compute=[float("nan"), 1.0, 1.0])),
    "json compute infinity": ("a.json", _memory_json(compute=[1.0, float("inf"), 1.0])),
    "json buffer over capacity": ("a.json", _memory_json(capacity=2)),
    "json bandwidth tiny": (
        "a.json",
        _memory_json(
            platform={
                "tiers": [
                    {"capacity": 8, "read_bandwidth": 1e-320, "write_bandwidth": 1.0},
                    {"capacity": None, "read_bandwidth": 1.0, "write_bandwidth": 1.0},
                ]
            }
        ),
    ),
    "json uses outside": ("a.json", _memory_json(buffers=[{**OK_BUFFER, "uses": [7]}])),
    "json no buffers": ("a.json", _memory_json(buffers=[])),
    "json not an object": ("a.json", b"[1, 2, 3]"),
    "json nested deep": ("a.json", b"[" * 100_000 + b"]" * 100_000),
    "json giant integer": ("a.json", b'{"capacity": ' + b"9" * 5000 + b"}"),
    **{f"csv {name}": ("a.64.csv", text) for name, text in JUNK.items()},
    **{f"json {name}": ("a.json", text) for name, text in JUNK.items()},
}


def _fleet(edit: Callable[[dict[str, Any]], None]) -> bytes:
    data = default_scenario().to_json()
    edit(data)
    return json.dumps(data).encode()


FLEET: dict[str, bytes] = {
    "count 2**70": _fleet(lambda d: d["fleet"][0].update(count=2**70)),
    "x_km 1e30": _fleet(lambda d: d["vertiports"][0].update(x_km=1e30)),
    "parking 2**70": _fleet(lambda d: d["vertiports"][0].update(parking=2**70)),
    "seats 2**70": _fleet(lambda d: d["aircraft_types"][0].update(seats=2**70)),
    "daily_passengers 1e30": _fleet(lambda d: d["demand"].update(daily_passengers=1e30)),
    "day_seed -1": _fleet(lambda d: d.update(day_seed=-1)),
    "cruise_kmh 1e-320": _fleet(lambda d: d["aircraft_types"][0].update(cruise_kmh=1e-320)),
    "battery_kwh 1e-320": _fleet(lambda d: d["aircraft_types"][0].update(battery_kwh=1e-320)),
    "charge_kw 1e308": _fleet(lambda d: d["aircraft_types"][0].update(charge_kw=1e308)),
    "max_wait_min 1e12": _fleet(lambda d: d["demand"].update(max_wait_min=10**12)),
    "end 24:30": _fleet(lambda d: d["day"].update(end="24:30")),
    "delay_prob 5": _fleet(lambda d: d["uncertainty"].update(delay_prob=5.0)),
    "closure min > max": _fleet(
        lambda d: d["uncertainty"].update(closure_min_min=200, closure_max_min=100)
    ),
    "offpeak_share nan": _fleet(lambda d: d["demand"].update(offpeak_share=float("nan"))),
    "soc 2": _fleet(lambda d: d["fleet"][0].update(soc=2)),
    "unknown base": _fleet(lambda d: d["fleet"][0].update(base="MOON")),
    "duplicate vertiport": _fleet(lambda d: d["vertiports"].append(d["vertiports"][0])),
    "duplicate type": _fleet(lambda d: d["aircraft_types"].append(d["aircraft_types"][0])),
    "vertiports not a list": _fleet(lambda d: d.update(vertiports={"a": 1})),
    "format": _fleet(lambda d: d.update(format="schedgym-fleet/9")),
    "nested deep": b"[" * 100_000 + b"]" * 100_000,
    **JUNK,
}


def _soc_json(**fields: Any) -> bytes:
    data: dict[str, Any] = {
        "tasks": [{"id": 0, "name": "a"}, {"id": 1, "name": "b"}],
        "edges": [{"src": 0, "dst": 1, "data": 2.0}],
        "pes": [{"id": 0, "type": "cpu"}, {"id": 1, "type": "gpu"}],
        "exec_time": [[3.0, 4.0], [2.0, None]],
        "bandwidth": [[0.0, 1.0], [1.0, 0.0]],
        "latency": [[0.0, 0.5], [0.5, 0.0]],
    }
    data.update(fields)
    return json.dumps(data).encode()


#: SoC DAG: the interchange JSON and the STG text format (``n``, then ``id cost npred preds``).
SOCDAG: dict[str, tuple[str, bytes]] = {
    "stg predecessor nan": ("bad.stg", b"1\n0 0 0\n1 4 nan\n2 0 1 1\n"),
    "stg predecessor inf": ("bad.stg", b"1\n0 0 0\n1 4 1 inf\n2 0 1 1\n"),
    "stg predecessor 0.5": ("bad.stg", b"1\n0 0 0\n1 4 1 0.5\n2 0 1 1\n"),
    "stg unknown predecessor": ("bad.stg", b"1\n0 0 0\n1 4 1 7\n2 0 1 1\n"),
    "stg cycle": ("bad.stg", b"2\n0 0 0\n1 4 1 2\n2 3 1 1\n3 0 1 2\n"),
    "stg huge cost": ("bad.stg", f"1\n0 0 0\n1 {10**30} 1 0\n2 0 1 1\n".encode()),
    "json cycle": ("bad.json", _soc_json(edges=[{"src": 0, "dst": 1}, {"src": 1, "dst": 0}])),
    "json unknown task": ("bad.json", _soc_json(edges=[{"src": 0, "dst": 9, "data": 1}])),
    "json nan time": ("bad.json", b'{"tasks": [{"id": 0}], "exec_time": [[NaN]]}'),
    "json negative data": ("bad.json", _soc_json(edges=[{"src": 0, "dst": 1, "data": -1}])),
    "json no pe runs a task": ("bad.json", _soc_json(exec_time=[[3.0, 4.0], [None, None]])),
    "json exec rows": ("bad.json", _soc_json(exec_time=[[3.0, 4.0]])),
    "json zero bandwidth": ("bad.json", _soc_json(bandwidth=[[0.0, 0.0], [0.0, 0.0]])),
    "json deep": ("bad.json", b"[" * 100_000 + b"]" * 100_000),
    **{name: ("bad.json", text) for name, text in JUNK.items()},
}

CASES: list[tuple[str, str, str, bytes]] = [
    *(("socdag", name, file, text) for name, (file, text) in SOCDAG.items()),
    *(("jobshop", name, "bad.txt", text) for name, text in JOBSHOP.items()),
    *(("memory", name, file, text) for name, (file, text) in MEMORY.items()),
    *(("fleet", name, "bad.json", text) for name, text in FLEET.items()),
]


def _solve(problem: str, instance: str, out: Path, *extra: str) -> Any:
    args = ["solve", "--problem", problem, "--instance", instance]
    return RUNNER.invoke(app, [*args, "--solver", SOLVERS[problem], "--out", str(out), *extra])


def _assert_one_error_line(result: Any, named: str, out_dir: Path) -> None:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert named in lines[0], lines[0]
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert not list(out_dir.iterdir()), "output or temporary files left behind"


@pytest.mark.parametrize(
    ("problem", "case", "file", "text"), CASES, ids=[f"{p}-{c}" for p, c, _, _ in CASES]
)
def test_malformed_file_is_one_error_line_exit_2_and_no_output(
    tmp_path: Path, problem: str, case: str, file: str, text: bytes
) -> None:
    source = tmp_path / "in" / file
    source.parent.mkdir()
    source.write_bytes(text)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = _solve(problem, str(source), out_dir / "schedule.json")
    _assert_one_error_line(result, str(source), out_dir)


@pytest.mark.parametrize("problem", sorted(SOLVERS))
def test_missing_file_and_directory(tmp_path: Path, problem: str) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    missing = tmp_path / "missing.json"
    _assert_one_error_line(_solve(problem, str(missing), out_dir / "s.json"), str(missing), out_dir)
    folder = tmp_path / "folder.json"
    folder.mkdir()
    _assert_one_error_line(_solve(problem, str(folder), out_dir / "s.json"), str(folder), out_dir)


def test_capacity_beyond_the_limit_on_a_shipped_instance(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = _solve("memory", "pack-00", out_dir / "s.json", "--capacity", str(2**70))
    _assert_one_error_line(result, "pack-00", out_dir)


def test_a_valid_file_still_solves(tmp_path: Path) -> None:
    """The sweep's harness can pass: the same command on a good file writes the schedule."""
    source = tmp_path / "good.txt"
    source.write_text("2 2\n0 3 1 2\n1 2 0 4\n")
    out = tmp_path / "schedule.json"
    result = _solve("jobshop", str(source), out)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["makespan"] > 0
