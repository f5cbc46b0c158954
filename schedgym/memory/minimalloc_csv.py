"""MiniMalloc's CSV instance files (the ``pack`` variant), read and written; re-exported by
:mod:`schedgym.memory.formats`, the module of every memory instance format.

A header, then one buffer per line, ``id,lower,upper,size`` with the live range
``[lower, upper)``. MiniMalloc's other spellings are read too: ``buffer``/``buffer_id`` for
``id``, ``start``/``begin`` for ``lower``, and ``end`` for an *inclusive* upper end
(``upper = end + 1``, as MiniMalloc reads it); an ``offset`` column is ignored; ``alignment`` must
be 1 and ``gaps`` empty (neither is modelled). The capacity is not in the file: pass it
(``--capacity BYTES`` on the command line), or name the file ``NAME.CAPACITY.csv`` as MiniMalloc's
benchmarks do (``A.1048576.csv``: instance ``A``, 1,048,576 bytes). CSV buffers have no uses: each
gets a write at ``lower`` and a read at ``upper - 1``. Integer-looking ids are read as integers,
others kept as strings.

Errors are one :class:`InstanceFormatError` naming the file, the line and what is wrong; the
checks are those listed in :mod:`schedgym.memory.formats`. The value checks both readers share
(:func:`check_capacity`, the ranges, building the instance) live here, and the JSON reader of
:mod:`schedgym.memory.formats` imports them.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from schedgym.core import files
from schedgym.core.errors import InstanceFormatError
from schedgym.hardware.memory import MemoryHierarchy, two_tier
from schedgym.memory.instance import (
    MAX_BUFFER_SIZE,
    MAX_BUFFERS,
    MAX_CAPACITY,
    MAX_STEP,
    Buffer,
    BufferId,
    MemoryInstance,
    Variant,
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
