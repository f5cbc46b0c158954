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

import csv
import io
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from schedgym.core import files
from schedgym.core.errors import InstanceFormatError
from schedgym.hardware.memory import MemoryHierarchy, hierarchy_from_json, two_tier
from schedgym.memory.instance import (
    MAX_BUFFER_SIZE,
    MAX_BUFFERS,
    MAX_CAPACITY,
    MAX_COMPUTE,
    MAX_STEP,
    VARIANTS,
    Buffer,
    BufferId,
    MemoryInstance,
    Variant,
    check_platform,
)

_ALIASES = {
    "buffer": "id",
    "buffer_id": "id",
    "begin": "lower",
    "start": "lower",
    "end": "upper",
}
_CAPACITY_NAME = re.compile(r"^(?P<name>.+)\.(?P<capacity>[0-9]{1,30})$")
_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")


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


def _shown(value: object) -> str:
    """``repr(value)``, cut short for a one-line message."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}... ({len(text)} characters)"


def _buffer_id(source: str | Path, line: int, text: str) -> BufferId:
    text = text.strip()
    if not text:
        raise InstanceFormatError(source, "field 'id': empty", line)
    return int(text) if _INTEGER.fullmatch(text) else text


def _int_field(source: str | Path, line: int, field: str, text: str) -> int:
    text = text.strip()
    if not _INTEGER.fullmatch(text):
        raise InstanceFormatError(
            source, f"field {field!r}: expected an integer, got {_shown(text)}", line
        )
    return int(text)


def _within(
    source: str | Path, where: str, value: int, low: int, high: int, line: int | None = None
) -> int:
    """``value`` if ``low <= value <= high``, else an error naming ``where`` (a field)."""
    if value < low:
        wanted = "positive" if low == 1 else f">= {low}"
        raise InstanceFormatError(source, f"field {where}: must be {wanted}, got {value}", line)
    if value > high:
        raise InstanceFormatError(
            source, f"field {where}: must be at most {high}, got {_shown(value)}", line
        )
    return value


def check_capacity(source: str | Path, capacity: Any, where: str = "capacity") -> int:
    """``capacity`` if it is an integer in ``[1, MAX_CAPACITY]``, else an error naming
    ``source`` and ``where``."""
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise InstanceFormatError(source, f"{where}: expected an integer, got {_shown(capacity)}")
    if capacity <= 0:
        raise InstanceFormatError(source, f"{where}: must be positive, got {capacity}")
    if capacity > MAX_CAPACITY:
        raise InstanceFormatError(
            source, f"{where}: must be at most {MAX_CAPACITY} bytes, got {_shown(capacity)}"
        )
    return capacity


def _build(
    source: str | Path,
    name: str,
    buffers: list[Buffer],
    platform: MemoryHierarchy,
    compute: list[float] | None = None,
    variant: Variant = "pack",
) -> MemoryInstance:
    """The instance; a ``ValueError`` left to the type's own checks names ``source``."""
    try:
        return MemoryInstance.from_buffers(name, buffers, platform, compute, variant)
    except ValueError as exc:
        raise InstanceFormatError(source, str(exc)) from None


def parse_csv(
    text: str,
    name: str,
    capacity: int | None,
    source: str | Path = "<string>",
    own_capacity: bool = False,
) -> MemoryInstance:
    """Parse MiniMalloc CSV text (see the module docstring). ``own_capacity``: the capacity is
    the file's own (from its name), so a buffer larger than it is refused."""
    if capacity is None:
        raise InstanceFormatError(
            source, "capacity unknown: pass --capacity BYTES or name the file NAME.BYTES.csv"
        )
    check_capacity(source, capacity)
    reader = csv.reader(text.splitlines())
    try:
        rows = [(n, row) for n, row in enumerate(reader, start=1) if row]
    except csv.Error as exc:
        raise InstanceFormatError(source, f"malformed CSV: {exc}", reader.line_num) from None
    if len(rows) > MAX_BUFFERS + 1:
        raise InstanceFormatError(source, f"more than {MAX_BUFFERS} buffers", rows[-1][0])
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
        ident = _buffer_id(source, line, row[col["id"]])
        if ident in seen:
            raise InstanceFormatError(
                source, f"field 'id': {ident!r} already used on line {seen[ident]}", line
            )
        seen[ident] = line
        lower = _int_field(source, line, "lower", row[col["lower"]])
        lower = _within(source, "'lower'", lower, 0, MAX_STEP - 1, line)
        upper = _int_field(source, line, "upper", row[col["upper"]]) + int(inclusive_end)
        upper = _within(source, "'upper'", upper, 0, MAX_STEP, line)
        if upper <= lower:
            raise InstanceFormatError(
                source, f"field 'upper': live range [{lower}, {upper}) is empty", line
            )
        size = _int_field(source, line, "size", row[col["size"]])
        size = _within(source, "'size'", size, 1, MAX_BUFFER_SIZE, line)
        if own_capacity and size > capacity:
            raise InstanceFormatError(
                source,
                f"field 'size': {size} bytes is larger than the capacity {capacity} "
                "(pack places every buffer in fast memory)",
                line,
            )
        if "alignment" in col and _int_field(source, line, "alignment", row[col["alignment"]]) != 1:
            raise InstanceFormatError(source, "field 'alignment': only 1 is supported", line)
        if "gaps" in col and row[col["gaps"]].strip():
            raise InstanceFormatError(source, "field 'gaps': gaps are not supported", line)
        buffers.append(Buffer(ident, lower, upper, size))
    if not buffers:
        raise InstanceFormatError(source, "no buffers after the header")
    return _build(source, name, buffers, two_tier(capacity), variant="pack")


def read_csv(path: str | Path, capacity: int | None = None) -> MemoryInstance:
    """Read a MiniMalloc CSV file; ``capacity`` defaults to the one in the file name."""
    path = Path(path)
    name, from_name = capacity_from_name(path)
    text = files.read_text(path)
    if capacity is None:
        return parse_csv(text, name, from_name, path, own_capacity=True)
    return parse_csv(text, name, capacity, path)


def write_csv(instance: MemoryInstance, path: str | Path) -> None:
    """Write ``id,lower,upper,size`` (uses, compute and platform are not kept: use JSON)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")  # quotes an id only where it needs quotes
    writer.writerow(["id", "lower", "upper", "size"])
    for i in range(instance.num_buffers):
        writer.writerow([instance.ids[i], instance.starts[i], instance.ends[i], instance.sizes[i]])
    Path(path).write_text(out.getvalue())


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
