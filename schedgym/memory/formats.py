"""Memory-mapping instance files: MiniMalloc's CSV and a JSON layout with uses.

Every reader raises one :class:`InstanceFormatError` naming the file, the line (CSV) or the
field (JSON), and what is wrong.

* **MiniMalloc CSV** (:func:`read_csv`, :func:`write_csv`): a header, then one buffer per line,
  ``id,lower,upper,size`` with the live range ``[lower, upper)``. MiniMalloc's other spellings are
  read too: ``buffer``/``buffer_id`` for ``id``, ``start``/``begin`` for ``lower``, and ``end``
  for an *inclusive* upper end (``upper = end + 1``, as MiniMalloc reads it); an ``offset`` column
  is ignored; ``alignment`` must be 1 and ``gaps`` empty (neither is modelled). The capacity is not
  in the file: pass it (``--capacity BYTES`` on the command line), or name the file
  ``NAME.CAPACITY.csv`` as MiniMalloc's benchmarks do (``A.1048576.csv``: instance ``A``,
  1,048,576 bytes). CSV buffers have no uses: each gets a write at ``lower`` and a read at
  ``upper - 1``. Integer-looking ids are read as integers, others kept as strings. Variant:
  ``pack``.
* **JSON** (:func:`read_json`, :func:`write_json`)::

    {"name": "trace-0", "variant": "assign", "capacity": 1048576,
     "platform": {...memory hierarchy, optional...}, "compute": [FLOAT per step, optional],
     "buffers": [{"id": 0, "lower": 0, "upper": 5, "size": 4096,
                  "uses": [0, 2, 4], "writes": [0]}, ...]}

  ``uses`` (optional, default as for CSV) lists the steps that touch the buffer, ``writes`` those
  among them that write it (the rest read it). ``platform`` is the layout of
  :mod:`schedgym.hardware.memory` (default :func:`~schedgym.hardware.memory.two_tier` of
  ``capacity``); when both are given, ``capacity`` wins. ``compute`` has one time per step.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from schedgym.core import files
from schedgym.core.errors import InstanceFormatError
from schedgym.hardware.memory import hierarchy_from_json, two_tier
from schedgym.memory.instance import VARIANTS, Buffer, BufferId, MemoryInstance, Variant

_ALIASES = {
    "buffer": "id",
    "buffer_id": "id",
    "begin": "lower",
    "start": "lower",
    "end": "upper",
}
_CAPACITY_NAME = re.compile(r"^(?P<name>.+)\.(?P<capacity>\d+)$")


def capacity_from_name(path: str | Path) -> tuple[str, int | None]:
    """``("A", 1048576)`` for ``A.1048576.csv``; ``(stem, None)`` when the name has no capacity."""
    stem = Path(path).stem
    match = _CAPACITY_NAME.match(stem)
    if match is None:
        return stem, None
    return match["name"], int(match["capacity"])


def csv_filename(instance: MemoryInstance) -> str:
    """``NAME.CAPACITY.csv``: the MiniMalloc file name that carries the capacity."""
    return f"{instance.name}.{instance.capacity}.csv"


def _buffer_id(text: str) -> BufferId:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return text


def _int_field(source: str | Path, line: int, field: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InstanceFormatError(
            source, f"field {field!r}: expected an integer, got {text.strip()!r}", line
        ) from None


def parse_csv(
    text: str, name: str, capacity: int | None, source: str | Path = "<string>"
) -> MemoryInstance:
    """Parse MiniMalloc CSV text (see the module docstring)."""
    if capacity is None:
        raise InstanceFormatError(
            source, "capacity unknown: pass --capacity BYTES or name the file NAME.BYTES.csv"
        )
    if capacity <= 0:
        raise InstanceFormatError(source, f"capacity must be positive, got {capacity}")
    rows = [(n, row) for n, row in enumerate(csv.reader(text.splitlines()), start=1) if row]
    if not rows:
        raise InstanceFormatError(source, "empty file (expected the header id,lower,upper,size)")
    head_line, header = rows[0]
    columns = [_ALIASES.get(h.strip(), h.strip()) for h in header]
    inclusive_end = "end" in (h.strip() for h in header)
    if len(set(columns)) != len(columns):
        raise InstanceFormatError(source, "duplicate column names in the header", head_line)
    missing = [c for c in ("id", "lower", "upper", "size") if c not in columns]
    if missing:
        raise InstanceFormatError(
            source,
            f"header lacks column(s) {', '.join(missing)} (need id,lower,upper,size)",
            head_line,
        )
    unknown = set(columns) - {"id", "lower", "upper", "size", "alignment", "gaps", "offset"}
    if unknown:
        raise InstanceFormatError(
            source, f"unknown column(s) {', '.join(sorted(unknown))}", head_line
        )
    col = {c: k for k, c in enumerate(columns)}
    buffers: list[Buffer] = []
    seen: dict[BufferId, int] = {}
    for line, row in rows[1:]:
        if len(row) != len(columns):
            raise InstanceFormatError(
                source, f"expected {len(columns)} fields, got {len(row)}", line
            )
        ident = _buffer_id(row[col["id"]])
        if ident in seen:
            raise InstanceFormatError(
                source, f"field 'id': {ident!r} already used on line {seen[ident]}", line
            )
        seen[ident] = line
        lower = _int_field(source, line, "lower", row[col["lower"]])
        upper = _int_field(source, line, "upper", row[col["upper"]]) + int(inclusive_end)
        size = _int_field(source, line, "size", row[col["size"]])
        if lower < 0:
            raise InstanceFormatError(source, f"field 'lower': must be >= 0, got {lower}", line)
        if upper <= lower:
            raise InstanceFormatError(
                source, f"field 'upper': live range [{lower}, {upper}) is empty", line
            )
        if size <= 0:
            raise InstanceFormatError(source, f"field 'size': must be positive, got {size}", line)
        if "alignment" in col and _int_field(source, line, "alignment", row[col["alignment"]]) != 1:
            raise InstanceFormatError(source, "field 'alignment': only 1 is supported", line)
        if "gaps" in col and row[col["gaps"]].strip():
            raise InstanceFormatError(source, "field 'gaps': gaps are not supported", line)
        buffers.append(Buffer(ident, lower, upper, size))
    if not buffers:
        raise InstanceFormatError(source, "no buffers after the header")
    return MemoryInstance.from_buffers(name, buffers, two_tier(capacity), variant="pack")


def read_csv(path: str | Path, capacity: int | None = None) -> MemoryInstance:
    """Read a MiniMalloc CSV file; ``capacity`` defaults to the one in the file name."""
    path = Path(path)
    name, from_name = capacity_from_name(path)
    return parse_csv(files.read_text(path), name, from_name if capacity is None else capacity, path)


def write_csv(instance: MemoryInstance, path: str | Path) -> None:
    """Write ``id,lower,upper,size`` (uses, compute and platform are not kept: use JSON)."""
    lines = ["id,lower,upper,size"]
    for i in range(instance.num_buffers):
        lines.append(
            f"{instance.ids[i]},{instance.starts[i]},{instance.ends[i]},{instance.sizes[i]}"
        )
    Path(path).write_text("\n".join(lines) + "\n")


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
        raise InstanceFormatError(source, f"field {where}: expected an integer, got {value!r}")
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
    if isinstance(ident, bool) or not isinstance(ident, int | str):
        raise InstanceFormatError(source, f"field {where}.id: expected an integer or a string")
    lower = _json_int(source, f"{where}.lower", item["lower"])
    upper = _json_int(source, f"{where}.upper", item["upper"])
    size = _json_int(source, f"{where}.size", item["size"])
    if lower < 0 or upper <= lower:
        raise InstanceFormatError(
            source, f"field {where}: live range [{lower}, {upper}) must be non-empty, >= 0"
        )
    if size <= 0:
        raise InstanceFormatError(source, f"field {where}.size: must be positive, got {size}")
    uses = _json_steps(source, f"{where}.uses", item.get("uses", []))
    writes = _json_steps(source, f"{where}.writes", item.get("writes", []))
    if len(set(uses)) != len(uses):
        raise InstanceFormatError(source, f"field {where}.uses: steps must be distinct")
    for step in uses:
        if not lower <= step < upper:
            raise InstanceFormatError(
                source, f"field {where}.uses: step {step} outside the live range [{lower}, {upper})"
            )
    if uses and not set(writes) <= set(uses):
        raise InstanceFormatError(source, f"field {where}.writes: every write must be a use")
    if writes and not uses:
        raise InstanceFormatError(source, f"field {where}.writes: given without uses")
    return Buffer(ident, lower, upper, size, uses, writes)


def instance_from_json(data: Any, source: str | Path = "<json>") -> MemoryInstance:
    """Parse the JSON layout; errors name ``source`` and the field."""
    if not isinstance(data, Mapping):
        raise InstanceFormatError(source, "expected a JSON object")
    raw = data.get("buffers")
    if not isinstance(raw, list) or not raw:
        raise InstanceFormatError(source, "field 'buffers': expected a non-empty list")
    buffers = [_json_buffer(source, i, item) for i, item in enumerate(raw)]
    seen: dict[BufferId, int] = {}
    for i, b in enumerate(buffers):
        if b.id in seen:
            raise InstanceFormatError(
                source, f"field buffers[{i}].id: {b.id!r} already used by buffers[{seen[b.id]}]"
            )
        seen[b.id] = i
    capacity = data.get("capacity")
    if "platform" in data:
        platform = hierarchy_from_json(data["platform"], source)
        if capacity is not None:
            platform = platform.with_fast_capacity(_json_int(source, "'capacity'", capacity))
    elif capacity is None:
        raise InstanceFormatError(source, "field 'capacity': missing (or give 'platform')")
    else:
        platform = two_tier(_json_int(source, "'capacity'", capacity))
    if platform.fast_capacity <= 0:
        raise InstanceFormatError(source, "field 'capacity': must be positive")
    variant = data.get("variant", "pack")
    if variant not in VARIANTS:
        raise InstanceFormatError(
            source, f"field 'variant': expected pack or assign, got {variant!r}"
        )
    compute = data.get("compute")
    horizon = max(b.end for b in buffers)
    if compute is not None:
        if not isinstance(compute, list) or len(compute) != horizon:
            raise InstanceFormatError(
                source, f"field 'compute': expected a list of {horizon} numbers (one per step)"
            )
        for k, value in enumerate(compute):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InstanceFormatError(source, f"field compute[{k}]: expected a number >= 0")
    name = str(data.get("name", Path(str(source)).stem))
    variant_: Variant = variant
    return MemoryInstance.from_buffers(name, buffers, platform, compute, variant_)


def read_json(path: str | Path) -> MemoryInstance:
    """Read a JSON instance file."""
    return instance_from_json(files.read_json(path), Path(path))


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
        instance = read_json(path)
        return instance if capacity is None else instance.with_capacity(capacity)
    raise InstanceFormatError(path, f"unknown instance format {suffix!r} (expected .csv or .json)")
