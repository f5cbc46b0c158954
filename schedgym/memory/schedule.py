"""Memory mappings (the "schedule" of the memory problem) and their JSON file.

A mapping gives each buffer, by index, an offset in fast memory or ``None`` for slow memory. The
file written by ``schedgym solve --problem memory`` (stable)::

    {"problem": "memory", "instance": NAME, "variant": "pack" | "assign", "solver": NAME,
     "status": ..., "capacity": C, "peak": P, "fits": BOOL, "objective": FLOAT,
     "wall_time_s": FLOAT, "buffers": [{"id": I, "offset": O or null}, ...]}

``peak`` is the highest byte used plus one (0 when nothing is in fast memory), ``fits`` says
``peak <= capacity``, ``objective`` is the validator's (the peak for ``pack``, the modelled time
for ``assign``). :func:`read_mapping` reads the file back against an instance, matching buffers
by id.

Reading checks (one-line :class:`InstanceFormatError` naming the file and field): every buffer of
the instance listed once by its id (an integer or a string, not a bool), offsets JSON integers in
``[0, MAX_OFFSET]`` or ``null``, ``wall_time_s`` finite and ``>= 0``, the informative fields
(``capacity``, ``peak``, ``fits``, ``objective``, ``variant``) of the right type; whether the
offsets overlap is the validator's (:mod:`schedgym.memory.validate`) to say. Writing then reading
gives the same JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from schedgym.core.checks import (
    MAX_EXACT_INT,
    checked_int,
    checked_number,
    checked_string,
    describe_value,
)
from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import read_json
from schedgym.memory.instance import BufferId, MemoryInstance

SLOW = -1  # offset code for "slow memory" in integer offset arrays
#: largest offset a mapping file may give (2**53 - 1: exact in JSON readers and float64; an
#: offset plus a buffer size stays far inside int64)
MAX_OFFSET = MAX_EXACT_INT


@dataclass(frozen=True)
class MemoryMapping:
    """Offsets per buffer index (``None``: slow memory) and the run's metadata.

    ``ids``, ``capacity``, ``peak`` and ``variant`` describe the instance the mapping was made
    for, so that the file can be written without it; :meth:`build` fills them.
    """

    instance: str
    offsets: tuple[int | None, ...]
    solver: str = ""
    status: str = "feasible"
    wall_time_s: float = 0.0
    ids: tuple[BufferId, ...] = ()
    capacity: int | None = None
    peak: int | None = None
    variant: str | None = None

    @staticmethod
    def build(
        instance: MemoryInstance,
        offsets: Sequence[int | None] | np.ndarray,
        solver: str = "",
        status: str = "feasible",
        wall_time_s: float = 0.0,
    ) -> MemoryMapping:
        """A mapping of ``instance``; ``offsets`` may be an int array with ``SLOW`` (-1)."""
        if isinstance(offsets, np.ndarray):
            values: tuple[int | None, ...] = tuple(
                None if o == SLOW else int(o) for o in offsets.tolist()
            )
        else:
            values = tuple(int(o) if isinstance(o, np.integer) else o for o in offsets)
        mapping = MemoryMapping(instance.name, values, solver, status, wall_time_s)
        return mapping.describe(instance)

    def describe(self, instance: MemoryInstance) -> MemoryMapping:
        """A copy carrying ``instance``'s ids, capacity and variant, and the mapping's peak."""
        peak = None
        if len(self.offsets) == instance.num_buffers:
            tops = [
                o + int(s)
                for o, s in zip(self.offsets, instance.sizes, strict=True)
                if isinstance(o, int | np.integer)
            ]
            peak = int(max(tops, default=0))
        return replace(
            self,
            instance=instance.name,
            ids=instance.ids,
            capacity=instance.capacity,
            peak=peak,
            variant=instance.variant,
        )

    def offsets_array(self) -> np.ndarray:
        """Offsets as an int64 array, ``SLOW`` (-1) for slow memory."""
        return np.array([SLOW if o is None else o for o in self.offsets], dtype=np.int64)

    @property
    def fast_count(self) -> int:
        """Number of buffers in fast memory."""
        return sum(o is not None for o in self.offsets)

    def to_json(self, objective: float | None = None) -> dict[str, Any]:
        """The JSON layout of the module docstring."""
        ids: Sequence[BufferId] = self.ids or range(len(self.offsets))
        return {
            "problem": "memory",
            "instance": self.instance,
            "variant": self.variant,
            "solver": self.solver,
            "status": self.status,
            "capacity": self.capacity,
            "peak": self.peak,
            "fits": None
            if self.peak is None or self.capacity is None
            else self.peak <= self.capacity,
            "objective": objective,
            "wall_time_s": round(float(self.wall_time_s), 6),
            "buffers": [{"id": i, "offset": o} for i, o in zip(ids, self.offsets, strict=True)],
        }

    def write(self, path: str | Path, objective: float | None = None) -> None:
        """Write the mapping JSON file (one buffer per line)."""
        data = self.to_json(objective)
        buffers = data.pop("buffers")
        head = json.dumps(data)[:-1]
        body = ",\n".join(" " + json.dumps(b) for b in buffers)
        Path(path).write_text(f'{head}, "buffers": [\n{body}\n]}}\n')


def mapping_from_json(
    data: Any, instance: MemoryInstance, source: str | Path = "<json>"
) -> MemoryMapping:
    """Parse a mapping file's content for ``instance``; errors name ``source`` and the field
    (checks in the module docstring)."""
    if not isinstance(data, Mapping):
        raise InstanceFormatError(source, "expected a JSON object")
    if data.get("problem", "memory") != "memory":
        raise InstanceFormatError(
            source, f"field problem is {describe_value(data.get('problem'))}, not 'memory'"
        )
    raw = data.get("buffers")
    if not isinstance(raw, list):
        raise InstanceFormatError(source, "field 'buffers': expected a list")
    index = {ident: i for i, ident in enumerate(instance.ids)}
    offsets: list[int | None] = [None] * instance.num_buffers
    seen: set[int] = set()
    for k, item in enumerate(raw):
        where = f"buffers[{k}]"
        if not isinstance(item, Mapping) or "id" not in item or "offset" not in item:
            raise InstanceFormatError(source, f"field {where}: expected {{'id': I, 'offset': O}}")
        ident = item["id"]
        if isinstance(ident, bool) or not isinstance(ident, int | str):
            raise InstanceFormatError(
                source,
                f"field {where}.id: expected an integer or a string, got {describe_value(ident)}",
            )
        i = index.get(ident)
        if i is None:
            raise InstanceFormatError(
                source, f"field {where}.id: unknown buffer {describe_value(ident)}"
            )
        if i in seen:
            raise InstanceFormatError(
                source, f"field {where}.id: buffer {describe_value(ident)} repeated"
            )
        seen.add(i)
        offset = item["offset"]
        if offset is not None:
            offset = checked_int(source, f"field {where}.offset", offset, 0, MAX_OFFSET)
        offsets[i] = offset
    if len(seen) != instance.num_buffers:
        missing = next(instance.ids[i] for i in range(instance.num_buffers) if i not in seen)
        raise InstanceFormatError(source, f"field 'buffers': buffer {missing!r} is missing")
    _check_header(data, source)
    wall = data.get("wall_time_s")
    return MemoryMapping(
        instance.name,
        tuple(offsets),
        checked_string(source, "field solver", data.get("solver", "")),
        checked_string(source, "field status", data.get("status", "feasible")),
        0.0 if wall is None else checked_number(source, "field wall_time_s", wall, 0.0, None),
    ).describe(instance)


def _check_header(data: Mapping[str, Any], source: str | Path) -> None:
    """The informative fields (recomputed from the instance on reading) have the right types."""
    checked_string(source, "field instance", data.get("instance", ""))
    for key in ("capacity", "peak"):
        if data.get(key) is not None:
            checked_int(source, f"field {key}", data[key], 0, None)
    if data.get("fits") is not None and not isinstance(data["fits"], bool):
        raise InstanceFormatError(source, "field fits: expected true, false or null")
    if data.get("objective") is not None:
        checked_number(source, "field objective", data["objective"])
    if data.get("variant") not in (None, "pack", "assign"):
        raise InstanceFormatError(
            source,
            f"field variant: expected 'pack', 'assign' or null, got "
            f"{describe_value(data['variant'])}",
        )


def read_mapping(path: str | Path, instance: MemoryInstance) -> MemoryMapping:
    """Read a mapping file written by :meth:`MemoryMapping.write` for ``instance``."""
    return mapping_from_json(read_json(path), instance, Path(path))
