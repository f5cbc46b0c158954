"""Job-shop instance readers and writers, the shipped instances, their bounds and suites."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from schedgym.core.errors import InstanceFormatError
from schedgym.datasets import jobshop as shipped
from schedgym.jobshop.formats import read_instance, write_orlib
from schedgym.jobshop.instance import JobShopInstance


def same(a: JobShopInstance, b: JobShopInstance) -> bool:
    return np.array_equal(a.machines, b.machines) and np.array_equal(a.durations, b.durations)


def test_orlib_round_trip(tmp_path: Path) -> None:
    ft06 = shipped.load("ft06")
    assert (ft06.num_jobs, ft06.num_ops, ft06.num_machines) == (6, 6, 6)
    write_orlib(ft06, tmp_path / "copy.txt")
    copy = read_instance(tmp_path / "copy.txt")
    assert copy.name == "copy"
    assert same(ft06, copy)


def test_taillard_layout_reads_and_round_trips(tmp_path: Path) -> None:
    la01 = shipped.load("la01")
    lines = [f"{la01.num_jobs} {la01.num_machines}", "Times"]
    lines += [" ".join(map(str, row)) for row in la01.durations]
    lines.append("Machines")
    lines += [" ".join(str(m + 1) for m in row) for row in la01.machines]  # numbered from 1
    (tmp_path / "tai.txt").write_text("\n".join(lines) + "\n")
    taillard = read_instance(tmp_path / "tai.txt", name="la01-tai")
    assert taillard.name == "la01-tai"
    assert same(la01, taillard)
    write_orlib(taillard, tmp_path / "orlib.txt")
    assert same(la01, read_instance(tmp_path / "orlib.txt"))


def test_all_242_are_shipped() -> None:
    assert len(shipped.suite("all")) == 242


@pytest.mark.parametrize(
    "name",
    shipped.suite("all"),
)
def test_shipped_instance_loads_and_matches_its_bounds(name: str) -> None:
    instance = shipped.load(name)
    bounds = shipped.bounds(name)
    assert bounds is not None
    assert instance.name == name
    assert (instance.num_jobs, instance.num_machines) == (bounds.jobs, bounds.machines)
    assert instance.num_ops == bounds.machines
    assert bounds.reference is not None
    assert instance.lower_bound() <= bounds.reference
    if bounds.lower_bound is not None and bounds.upper_bound is not None:
        assert bounds.lower_bound <= bounds.upper_bound


def test_suites() -> None:
    assert len(shipped.suite("ta")) == 80
    assert shipped.suite("ta-15x15") == [f"ta{i:02d}" for i in range(1, 11)]
    assert len(shipped.suite("dmu")) == 80
    assert shipped.suite("ft") == ["ft06", "ft10", "ft20"]
    assert sum(len(shipped.suite(family)) for family in shipped.FAMILIES) == 242


MALFORMED = {
    "bad token": ("2 2\n0 1 1 x\n1 2 0 3\n", 2, "expected integers"),
    "negative duration": ("2 2\n0 1 1 -3\n1 2 0 3\n", 2, "duration -3 must be >= 0"),
    "machine out of range": ("2 2\n0 1 1 3\n5 2 0 3\n", 3, "machine 5 outside 0..1"),
    "too few job lines": ("3 2\n0 1 1 1\n1 2 0 3\n", 3, "expected 3 job lines, found 2"),
    "bad header": ("two 2\n0 1 1 1\n", 1, "expected integers"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_names_file_and_line(tmp_path: Path, case: str) -> None:
    text, line, message = MALFORMED[case]
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InstanceFormatError) as caught:
        read_instance(path)
    assert caught.value.line == line
    assert caught.value.source == str(path)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert message in str(caught.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.txt"
    with pytest.raises(InstanceFormatError, match="no such file") as caught:
        read_instance(path)
    assert str(path) in str(caught.value)


def test_zero_duration_operation_of_orb07_loads() -> None:
    """orb07 (OR-Library) really has a zero processing time: job 9, last operation."""
    assert shipped.load("orb07").durations[9, -1] == 0
