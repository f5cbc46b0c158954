"""Memory-mapping instance files: MiniMalloc's CSV and a JSON layout with uses.

Every reader raises one :class:`InstanceFormatError` naming the file, the line (CSV) or the
field (JSON), and what is wrong.

* **MiniMalloc CSV** (:func:`read_csv`, :func:`write_csv`, :func:`parse_csv`, defined in
  :mod:`schedgym.memory.minimalloc_csv` and re-exported here): a header, then one buffer per
  line, ``id,lower,upper,size`` with the live range ``[lower, upper)`` (MiniMalloc's other
  column spellings are read too). The capacity is not in the file: pass it (``--capacity BYTES``
  on the command line), or name the file ``NAME.CAPACITY.csv`` as MiniMalloc's benchmarks do
  (``A.1048576.csv``: instance ``A``, 1,048,576 bytes). CSV buffers have no uses: each gets a
  write at ``lower`` and a read at ``upper - 1``. Variant: ``pack``.
* **JSON** (:func:`read_json`, :func:`write_json`)::

    {"name": "trace-0", "variant": "assign", "capacity": 1048576,
     "platform": {...memory hierarchy, optional...}, "compute": [FLOAT per step, optional],
     "buffers": [{"id": 0, "lower": 0, "upper": 5, "size": 4096,
                  "uses": [0, 2, 4], "writes": [0]}, ...]}

  ``uses`` (optional, default as for CSV) lists the steps that touch the buffer, ``writes`` those
  among them that write it (the rest read it). ``platform`` is the layout of
  :mod:`schedgym.hardware.memory` (default :func:`~schedgym.hardware.memory.two_tier` of
  ``capacity``); when both are given, ``capacity`` wins. ``compute`` has one time per step.

Checked before an instance is built (limits in :mod:`schedgym.memory.instance`): integers are
decimal integers (no fractions, NaN or exponents); 1 to ``MAX_BUFFERS`` buffers with distinct,
non-empty ids; ``0 <= lower < upper <= MAX_STEP``; ``1 <= size <= MAX_BUFFER_SIZE``; the capacity
in ``[1, MAX_CAPACITY]``; compute times finite in ``[0, MAX_COMPUTE]``; platform capacities at
most ``MAX_CAPACITY`` and bandwidths in ``[MIN_BANDWIDTH, MAX_BANDWIDTH]``; uses distinct and
inside the live range, writes among them. A ``pack`` file whose *own* capacity (the JSON
``capacity`` or platform, the CSV file name) is below one of its buffers is refused: pack places
every buffer in fast memory, which that buffer can never be in, so the file contradicts itself.
A capacity given explicitly (``--capacity``, the ``capacity`` argument) is taken as asked: pack
then still minimises the peak and reports that the mapping does not fit (``fits: false``), as
for any capacity below the live load.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from schedgym.core import files
from schedgym.core.errors import InstanceFormatError
from schedgym.hardware.memory import MemoryHierarchy, hierarchy_from_json, two_tier
from schedgym.memory.instance import (
    MAX_BUFFER_SIZE,
    MAX_BUFFERS,
    MAX_COMPUTE,
    MAX_STEP,
    VARIANTS,
    Buffer,
    BufferId,
    MemoryInstance,
    Variant,
    check_platform,
)
from schedgym.memory.minimalloc_csv import _build, _shown, _within, check_capacity
from schedgym.memory.minimalloc_csv import capacity_from_name as capacity_from_name
from schedgym.memory.minimalloc_csv import csv_filename as csv_filename
from schedgym.memory.minimalloc_csv import parse_csv as parse_csv
from schedgym.memory.minimalloc_csv import read_csv as read_csv
from schedgym.memory.minimalloc_csv import write_csv as write_csv


def instance_to_json(instance: MemoryInstance) -> dict[str, Any]:
    """The JSON layout of the module docstring."""
    data: dict[str, Any] = {
        "name": instance.name,
        "variant": instance.variant,
        "capacity": instance.capacity,
        "platform": instance.platform.to_json(),
    }
    if len(instance.compute):
        data["compute"] = [float(c) for c in instance.compute]
    data["buffers"] = [
        {
            "id": b.id,
            "lower": b.start,
            "upper": b.end,
            "size": b.size,
            "uses": list(b.uses),
            "writes": list(b.writes),
        }
        for b in instance.buffers()
    ]
    return data


def _json_int(source: str | Path, where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InstanceFormatError(
            source, f"field {where}: expected an integer, got {_shown(value)}"
        )
    return value


def _json_steps(source: str | Path, where: str, value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise InstanceFormatError(source, f"field {where}: expected a list of steps")
    return tuple(_json_int(source, f"{where}[{k}]", v) for k, v in enumerate(value))


def _json_buffer(source: str | Path, i: int, item: Any) -> Buffer:
    where = f"buffers[{i}]"
    if not isinstance(item, Mapping):
        raise InstanceFormatError(source, f"field {where}: expected an object")
    for key in ("id", "lower", "upper", "size"):
        if key not in item:
            raise InstanceFormatError(source, f"field {where}.{key}: missing")
    ident = item["id"]
    if isinstance(ident, bool) or not isinstance(ident, int | str) or ident == "":
        raise InstanceFormatError(
            source, f"field {where}.id: expected an integer or a non-empty string"
        )
    lower = _json_int(source, f"{where}.lower", item["lower"])
    upper = _json_int(source, f"{where}.upper", item["upper"])
    upper = _within(source, f"{where}.upper", upper, 0, MAX_STEP)
    if lower < 0 or upper <= lower:
        raise InstanceFormatError(
            source, f"field {where}: live range [{lower}, {upper}) must be non-empty, >= 0"
        )
    size = _json_int(source, f"{where}.size", item["size"])
    size = _within(source, f"{where}.size", size, 1, MAX_BUFFER_SIZE)
    uses = _json_steps(source, f"{where}.uses", item.get("uses", []))
    writes = _json_steps(source, f"{where}.writes", item.get("writes", []))
    if len(set(uses)) != len(uses):
        raise InstanceFormatError(source, f"field {where}.uses: steps must be distinct")
    for step in uses:
        if not lower <= step < upper:
            raise InstanceFormatError(
                source,
                f"field {where}.uses: step {_shown(step)} outside the live range "
                f"[{lower}, {upper})",
            )
    if uses and not set(writes) <= set(uses):
        raise InstanceFormatError(source, f"field {where}.writes: every write must be a use")
    if writes and not uses:
        raise InstanceFormatError(source, f"field {where}.writes: given without uses")
    return Buffer(ident, lower, upper, size, uses, writes)


def _json_platform(source: str | Path, data: Mapping[str, Any]) -> MemoryHierarchy:
    """The platform of the instance (``platform`` and/or ``capacity``), checked."""
    capacity = data.get("capacity")
    if capacity is not None:
        capacity = check_capacity(source, capacity, "field 'capacity'")
    if "platform" in data:
        platform = hierarchy_from_json(data["platform"], source)
        problem = check_platform(platform)
        if problem is not None:
            raise InstanceFormatError(source, f"field 'platform': {problem}")
        return platform if capacity is None else platform.with_fast_capacity(capacity)
    if capacity is None:
        raise InstanceFormatError(source, "field 'capacity': missing (or give 'platform')")
    return two_tier(capacity)


def _json_compute(source: str | Path, compute: Any, horizon: int) -> list[float] | None:
    if compute is None:
        return None
    if not isinstance(compute, list) or len(compute) != horizon:
        raise InstanceFormatError(
            source, f"field 'compute': expected a list of {horizon} numbers (one per step)"
        )
    for k, value in enumerate(compute):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not 0 <= value <= MAX_COMPUTE:  # NaN compares False: refused too
            raise InstanceFormatError(
                source,
                f"field compute[{k}]: expected a finite number in [0, {MAX_COMPUTE:g}], "
                f"got {_shown(value)}",
            )
    return [float(value) for value in compute]


def instance_from_json(
    data: Any, source: str | Path = "<json>", capacity: int | None = None
) -> MemoryInstance:
    """Parse the JSON layout; errors name ``source`` and the field. ``capacity`` replaces the
    file's; without it, a ``pack`` buffer larger than the file's own capacity is refused."""
    if not isinstance(data, Mapping):
        raise InstanceFormatError(source, "expected a JSON object")
    raw = data.get("buffers")
    if not isinstance(raw, list) or not raw:
        raise InstanceFormatError(source, "field 'buffers': expected a non-empty list")
    if len(raw) > MAX_BUFFERS:
        raise InstanceFormatError(source, f"field 'buffers': more than {MAX_BUFFERS} buffers")
    buffers = [_json_buffer(source, i, item) for i, item in enumerate(raw)]
    seen: dict[BufferId, int] = {}
    for i, b in enumerate(buffers):
        if b.id in seen:
            raise InstanceFormatError(
                source, f"field buffers[{i}].id: {b.id!r} already used by buffers[{seen[b.id]}]"
            )
        seen[b.id] = i
    platform = _json_platform(source, data)
    variant = data.get("variant", "pack")
    if not isinstance(variant, str) or variant not in VARIANTS:
        raise InstanceFormatError(
            source, f"field 'variant': expected pack or assign, got {_shown(variant)}"
        )
    compute = _json_compute(source, data.get("compute"), max(b.end for b in buffers))
    name = data.get("name", Path(str(source)).stem)
    if not isinstance(name, str) or not name:
        raise InstanceFormatError(source, "field 'name': expected a non-empty string")
    if capacity is not None:
        platform = platform.with_fast_capacity(check_capacity(source, capacity))
    elif variant == "pack":
        for i, b in enumerate(buffers):
            if b.size > platform.fast_capacity:
                raise InstanceFormatError(
                    source,
                    f"field buffers[{i}].size: {b.size} bytes is larger than the capacity "
                    f"{platform.fast_capacity} (pack places every buffer in fast memory)",
                )
    return _build(source, name, buffers, platform, compute, cast(Variant, variant))


def read_json(path: str | Path, capacity: int | None = None) -> MemoryInstance:
    """Read a JSON instance file; ``capacity`` replaces the file's."""
    return instance_from_json(files.read_json(path), Path(path), capacity)


def write_json(instance: MemoryInstance, path: str | Path) -> None:
    """Write ``instance`` in the JSON layout (compact: one buffer per line)."""
    data = instance_to_json(instance)
    buffers = data.pop("buffers")
    head = json.dumps(data)[:-1]
    body = ",\n".join(" " + json.dumps(b) for b in buffers)
    Path(path).write_text(f'{head}, "buffers": [\n{body}\n]}}\n')


def read_instance(path: str | Path, capacity: int | None = None) -> MemoryInstance:
    """Read ``.csv`` (MiniMalloc) or ``.json``; ``capacity`` overrides the file's."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path, capacity)
    if suffix == ".json":
        return read_json(path, capacity)
    raise InstanceFormatError(path, f"unknown instance format {suffix!r} (expected .csv or .json)")
