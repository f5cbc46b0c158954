"""Memory instances and files: MiniMalloc CSV, JSON with uses, memory hierarchies, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from schedgym.core.errors import InstanceFormatError, UnknownNameError
from schedgym.hardware.memory import MemoryHierarchy, MemoryTier, read_hierarchy, two_tier
from schedgym.memory.formats import (
    capacity_from_name,
    read_csv,
    read_instance,
    read_json,
    write_csv,
    write_json,
)
from schedgym.memory.instance import Buffer, MemoryInstance
from schedgym.memory.problem import load_instance

BUFFERS = [
    Buffer(0, 0, 3, 4, (0, 2), (0,)),
    Buffer(1, 3, 9, 4),
    Buffer("w", 0, 9, 4, (1, 5), ()),
    Buffer(3, 9, 21, 4),
]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_from_buffers_defaults_and_load_profile() -> None:
    inst = MemoryInstance.from_buffers("toy", BUFFERS, 16, compute=np.ones(21), variant="assign")
    assert inst.num_buffers == 4 and inst.horizon == 21 and inst.capacity == 16
    assert inst.buffer(1).uses == (3, 8) and inst.buffer(1).writes == (3,)  # default uses
    assert inst.buffer(2).writes == () and inst.buffer(0).uses == (0, 2)
    times, load = inst.load_profile()
    assert list(times) == [0, 3, 9, 21] and list(load) == [8, 8, 4, 0]
    assert inst.max_load() == 8
    assert inst.with_capacity(99).capacity == 99 and inst.with_variant("pack").variant == "pack"
    with pytest.raises(UnknownNameError):
        inst.with_variant("other")


def test_instance_rejects_bad_arrays() -> None:
    with pytest.raises(ValueError, match="start < end"):
        MemoryInstance.from_buffers("bad", [Buffer(0, 3, 3, 1)], 4)
    with pytest.raises(ValueError, match="positive"):
        MemoryInstance.from_buffers("bad", [Buffer(0, 0, 3, 0)], 4)
    with pytest.raises(ValueError, match="live range"):
        MemoryInstance.from_buffers("bad", [Buffer(0, 0, 3, 1, (5,), ())], 4)
    with pytest.raises(ValueError, match="distinct"):
        MemoryInstance.from_buffers("bad", [Buffer(0, 0, 3, 1), Buffer(0, 1, 2, 1)], 4)


def test_csv_round_trip_and_capacity_from_name(tmp_path: Path) -> None:
    inst = MemoryInstance.from_buffers("A", BUFFERS, 1048576)
    path = tmp_path / "A.1048576.csv"
    write_csv(inst, path)
    assert path.read_text().splitlines()[0] == "id,lower,upper,size"
    back = read_csv(path)
    assert back.name == "A" and back.capacity == 1048576 and back.variant == "pack"
    assert back.ids == (0, 1, "w", 3)
    assert (back.starts == inst.starts).all() and (back.ends == inst.ends).all()
    assert read_csv(path, capacity=64).capacity == 64
    assert capacity_from_name("x/B.12.csv") == ("B", 12)
    assert capacity_from_name("plain.csv") == ("plain", None)


def test_minimalloc_spellings_and_inclusive_end(tmp_path: Path) -> None:
    text = "buffer,start,end,size,offset\nb1,0,3,4,0\nb2,3,9,4,4\n"
    inst = read_csv(_write(tmp_path, "input.12.csv", text))
    assert inst.ids == ("b1", "b2") and inst.capacity == 12
    assert list(inst.ends) == [4, 10]  # an "end" column is inclusive
    text = "id,begin,upper,size,alignment,gaps\n0,0,3,4,1,\n"
    assert read_csv(_write(tmp_path, "x.8.csv", text)).num_buffers == 1


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("id,lower,upper,size\n0,0,3,abc\n", r":2: field 'size': expected an integer"),
        ("id,lower,upper,size\n0,4,3,1\n", r":2: field 'upper': live range \[4, 3\) is empty"),
        ("id,lower,upper,size\n0,0,3,0\n", r":2: field 'size': must be positive"),
        ("id,lower,upper,size\n0,-1,3,1\n", r":2: field 'lower': must be >= 0"),
        ("id,lower,upper,size\n0,0,3,1\n0,1,2,1\n", r":3: field 'id': 0 already used on line 2"),
        ("id,lower,size\n0,0,3\n", r":1: header lacks column\(s\) upper"),
        ("id,lower,upper,size\n0,0,3\n", r":2: expected 4 fields, got 3"),
        ("id,lower,upper,size,alignment\n0,0,3,4,8\n", r":2: field 'alignment'"),
        ("id,lower,upper,size,gaps\n0,0,3,4,1-2\n", r":2: field 'gaps'"),
        ("id,lower,upper,size,color\n0,0,3,4,red\n", r":1: unknown column"),
        ("id,lower,upper,size\n", r"no buffers"),
        ("", r"empty file"),
    ],
)
def test_malformed_csv_names_file_line_and_field(tmp_path: Path, text: str, match: str) -> None:
    path = _write(tmp_path, "bad.64.csv", text)
    with pytest.raises(InstanceFormatError, match=match) as info:
        read_csv(path)
    assert str(path) in str(info.value)


def test_csv_without_capacity_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "nocap.csv", "id,lower,upper,size\n0,0,3,4\n")
    with pytest.raises(InstanceFormatError, match="--capacity"):
        read_csv(path)
    assert read_instance(path, capacity=10).capacity == 10


def test_json_round_trip_keeps_uses_compute_and_platform(tmp_path: Path) -> None:
    platform = MemoryHierarchy(
        (MemoryTier("sram", 16, 500.0, 250.0), MemoryTier("hbm", None, 50.0, 25.0)), "custom"
    )
    inst = MemoryInstance.from_buffers(
        "toy", BUFFERS, platform, compute=np.linspace(0, 2, 21), variant="assign"
    )
    path = tmp_path / "toy.json"
    write_json(inst, path)
    back = read_json(path)
    assert back.buffers() == inst.buffers() and back.variant == "assign"
    assert back.platform == platform and np.array_equal(back.compute, inst.compute)
    assert read_instance(path, capacity=32).capacity == 32


def _json_error(tmp_path: Path, data: object, match: str) -> None:
    path = _write(tmp_path, "bad.json", json.dumps(data))
    with pytest.raises(InstanceFormatError, match=match) as info:
        read_json(path)
    assert str(path) in str(info.value)


def test_malformed_json_names_the_field(tmp_path: Path) -> None:
    ok = {"id": 0, "lower": 0, "upper": 3, "size": 4}
    _json_error(tmp_path, {"capacity": 8, "buffers": []}, "field 'buffers'")
    _json_error(tmp_path, {"capacity": 8, "buffers": [{"id": 0}]}, r"buffers\[0\]\.lower: missing")
    _json_error(tmp_path, {"capacity": 8, "buffers": [{**ok, "size": "4"}]}, r"buffers\[0\]\.size")
    bad_use = {**ok, "uses": [5]}
    _json_error(tmp_path, {"capacity": 8, "buffers": [bad_use]}, r"buffers\[0\]\.uses: step 5")
    bad_write = {**ok, "uses": [0], "writes": [1]}
    _json_error(tmp_path, {"capacity": 8, "buffers": [bad_write]}, r"buffers\[0\]\.writes")
    _json_error(tmp_path, {"buffers": [ok]}, "field 'capacity': missing")
    _json_error(tmp_path, {"capacity": 8, "variant": "x", "buffers": [ok]}, "field 'variant'")
    _json_error(tmp_path, {"capacity": 8, "compute": [1.0], "buffers": [ok]}, "field 'compute'")
    _json_error(tmp_path, {"capacity": 8, "buffers": [ok, ok]}, r"buffers\[1\]\.id: 0 already")
    path = _write(tmp_path, "broken.json", '{"capacity": 8,\n "buffers": [}')
    with pytest.raises(InstanceFormatError, match=r"broken.json:2: invalid JSON"):
        read_json(path)


def test_unknown_format_missing_file_and_names(tmp_path: Path) -> None:
    with pytest.raises(InstanceFormatError, match="unknown instance format"):
        read_instance(_write(tmp_path, "x.txt", ""))
    with pytest.raises(InstanceFormatError, match="no such file"):
        read_instance(tmp_path / "missing.json")
    with pytest.raises(UnknownNameError):
        load_instance("no-such-instance")
    shipped = load_instance("pack-00", variant="assign")
    assert shipped.name == "pack-00" and shipped.variant == "assign"


def test_memory_hierarchy_file(tmp_path: Path) -> None:
    hierarchy = two_tier(1024)
    assert hierarchy.fast.capacity == 1024 and hierarchy.slow.capacity is None
    assert hierarchy.fast.read_time(1000.0) == pytest.approx(1.0)
    path = tmp_path / "mem.json"
    hierarchy.write(path)
    assert read_hierarchy(path) == hierarchy
    bad = hierarchy.to_json()
    bad["tiers"][1]["read_bandwidth"] = -1
    path.write_text(json.dumps(bad))
    with pytest.raises(InstanceFormatError, match=r"tiers'\[1\].*read_bandwidth"):
        read_hierarchy(path)
    with pytest.raises(ValueError, match="capacity"):
        MemoryHierarchy((MemoryTier("a", None, 1, 1), MemoryTier("b", None, 1, 1)))
