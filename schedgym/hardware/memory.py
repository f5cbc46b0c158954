"""Memory tiers: capacity and read/write bandwidth of each level of a memory hierarchy.

A :class:`MemoryHierarchy` is data, not code, and knows nothing of any problem. It is read from
(and written to) a JSON object, fastest tier first::

    {"name": "sram-hbm", "time_unit": "ns",
     "tiers": [{"name": "sram", "capacity": 1048576, "read_bandwidth": 1000.0,
                "write_bandwidth": 1000.0},
               {"name": "hbm", "capacity": null, "read_bandwidth": 100.0,
                "write_bandwidth": 100.0}]}

* ``capacity``: bytes, or ``null`` for a tier treated as unbounded (the backing store);
* ``read_bandwidth`` / ``write_bandwidth``: bytes per time unit (bytes/ns is GB/s), positive.

Moving ``b`` bytes out of (into) a tier takes ``b / read_bandwidth`` (``b / write_bandwidth``);
no latency term. The memory-mapping problem (``schedgym.memory``) uses the first tier as its fast
memory and the last as its slow memory.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import read_json

#: Default bandwidths (bytes per ns): on-chip SRAM ten times faster than the backing HBM.
FAST_BANDWIDTH = 1000.0
SLOW_BANDWIDTH = 100.0


@dataclass(frozen=True)
class MemoryTier:
    """One level of memory: ``capacity`` bytes (``None``: unbounded) and its bandwidths."""

    name: str
    capacity: int | None
    read_bandwidth: float
    write_bandwidth: float

    def __post_init__(self) -> None:
        if self.capacity is not None and (
            isinstance(self.capacity, bool) or int(self.capacity) != self.capacity
        ):
            raise ValueError(f"tier {self.name}: capacity must be an integer, got {self.capacity}")
        if self.capacity is not None and self.capacity <= 0:
            raise ValueError(f"tier {self.name}: capacity must be positive, got {self.capacity}")
        for what in ("read_bandwidth", "write_bandwidth"):
            value = getattr(self, what)
            if not (isinstance(value, int | float) and value > 0 and math.isfinite(value)):
                raise ValueError(f"tier {self.name}: {what} must be positive, got {value!r}")
        if self.capacity is not None:
            object.__setattr__(self, "capacity", int(self.capacity))
        object.__setattr__(self, "read_bandwidth", float(self.read_bandwidth))
        object.__setattr__(self, "write_bandwidth", float(self.write_bandwidth))

    def read_time(self, num_bytes: float) -> float:
        """Time to read ``num_bytes`` from this tier."""
        return float(num_bytes) / self.read_bandwidth

    def write_time(self, num_bytes: float) -> float:
        """Time to write ``num_bytes`` to this tier."""
        return float(num_bytes) / self.write_bandwidth

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (see the module docstring)."""
        return {
            "name": self.name,
            "capacity": self.capacity,
            "read_bandwidth": self.read_bandwidth,
            "write_bandwidth": self.write_bandwidth,
        }


@dataclass(frozen=True)
class MemoryHierarchy:
    """Memory tiers, fastest first (at least two: a fast one and a slow backing one)."""

    tiers: tuple[MemoryTier, ...]
    name: str = "memory"
    time_unit: str = "ns"

    def __post_init__(self) -> None:
        tiers = tuple(self.tiers)
        if len(tiers) < 2:
            raise ValueError(f"hierarchy {self.name}: needs at least two tiers (fast, slow)")
        if tiers[0].capacity is None:
            raise ValueError(f"hierarchy {self.name}: the fast tier needs a capacity")
        object.__setattr__(self, "tiers", tiers)

    @property
    def fast(self) -> MemoryTier:
        """The fastest tier."""
        return self.tiers[0]

    @property
    def slow(self) -> MemoryTier:
        """The slowest tier (the backing store)."""
        return self.tiers[-1]

    @property
    def fast_capacity(self) -> int:
        """Capacity of the fast tier in bytes."""
        capacity = self.fast.capacity
        assert capacity is not None  # checked in __post_init__
        return capacity

    def with_fast_capacity(self, capacity: int) -> MemoryHierarchy:
        """The same hierarchy with another fast-tier capacity."""
        tiers = (replace(self.fast, capacity=int(capacity)), *self.tiers[1:])
        return replace(self, tiers=tiers)

    def to_json(self) -> dict[str, Any]:
        """The JSON layout of the module docstring."""
        return {
            "name": self.name,
            "time_unit": self.time_unit,
            "tiers": [tier.to_json() for tier in self.tiers],
        }

    def write(self, path: str | Path) -> None:
        """Write the hierarchy as a JSON file."""
        Path(path).write_text(json.dumps(self.to_json(), indent=1) + "\n")


def two_tier(
    capacity: int,
    fast_bandwidth: float = FAST_BANDWIDTH,
    slow_bandwidth: float = SLOW_BANDWIDTH,
    name: str = "sram-hbm",
) -> MemoryHierarchy:
    """A fast on-chip memory of ``capacity`` bytes over an unbounded slow one (symmetric
    read/write bandwidths, bytes per ns; by default the fast one is 10x faster)."""
    return MemoryHierarchy(
        (
            MemoryTier("sram", int(capacity), fast_bandwidth, fast_bandwidth),
            MemoryTier("hbm", None, slow_bandwidth, slow_bandwidth),
        ),
        name=name,
    )


def _number(source: str | Path, where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InstanceFormatError(source, f"{where}: expected a number, got {value!r}")
    return float(value)


def hierarchy_from_json(data: Any, source: str | Path = "<json>") -> MemoryHierarchy:
    """Parse the hierarchy JSON layout; errors name ``source`` and the field."""
    if not isinstance(data, Mapping):
        raise InstanceFormatError(source, "memory hierarchy: expected a JSON object")
    raw = data.get("tiers")
    if not isinstance(raw, list) or len(raw) < 2:
        raise InstanceFormatError(source, "field 'tiers': expected a list of at least two tiers")
    tiers = []
    for i, item in enumerate(raw):
        where = f"field 'tiers'[{i}]"
        if not isinstance(item, Mapping):
            raise InstanceFormatError(source, f"{where}: expected an object")
        capacity = item.get("capacity")
        if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int)):
            raise InstanceFormatError(source, f"{where}.capacity: expected an integer or null")
        try:
            tiers.append(
                MemoryTier(
                    str(item.get("name", f"tier{i}")),
                    capacity,
                    _number(source, f"{where}.read_bandwidth", item.get("read_bandwidth")),
                    _number(source, f"{where}.write_bandwidth", item.get("write_bandwidth")),
                )
            )
        except ValueError as exc:
            raise InstanceFormatError(source, f"{where}: {exc}") from None
    try:
        return MemoryHierarchy(
            tuple(tiers), str(data.get("name", "memory")), str(data.get("time_unit", "ns"))
        )
    except ValueError as exc:
        raise InstanceFormatError(source, str(exc)) from None


def read_hierarchy(path: str | Path) -> MemoryHierarchy:
    """Read a memory-hierarchy JSON file (errors name the file and the field)."""
    return hierarchy_from_json(read_json(path), Path(path))
