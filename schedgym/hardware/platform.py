"""Platforms: processing elements, the links between them, power, and kernel latencies.

A :class:`Platform` is data, not code: it is read from (and written to) a JSON file::

    {"name": "ds3-soc", "time_unit": "us",
     "pes": [{"id": 0, "name": "A7-0", "type": "LTL", "speed": 1.0,
              "active_power": 0.39, "idle_power": 0.0}, ...],
     "bandwidth": [[FLOAT per PE] per PE],
     "latency": [[FLOAT per PE] per PE],
     "kernels": {"fft_1": {"LTL": 289, "BIG": 114, "FFT": 12}, ...}}

* ``pes``: ids ``0..P-1`` in order. ``type`` groups identical PEs (big/LITTLE clusters,
  accelerators); ``speed`` is a relative speed used when a task has only a nominal cost (e.g. a
  Standard Task Graph); ``active_power`` / ``idle_power`` are watts while running / idle (optional,
  default 0).
* Moving ``data`` from PE ``p`` to PE ``q != p`` takes ``latency[p][q] + data / bandwidth[p][q]``;
  on one PE it takes nothing, so the diagonals are ignored. Off-diagonal bandwidths must be
  positive, latencies non-negative.
* ``kernels`` (optional): execution time of a named kernel (a task type) on each PE type that can
  run it; a PE type missing from a kernel's map cannot run that kernel.

Limits (every number finite; the reader checks them all, the records all but the PE count and
the kernels' PE types): at most :data:`MAX_PES` PEs; ``speed`` in ``[MIN_SPEED, MAX_SPEED]``;
powers in ``[0, MAX_POWER]``; off-diagonal bandwidths in ``[MIN_BANDWIDTH, MAX_BANDWIDTH]``;
latencies and kernel times in ``[0, MAX_TIME]``; diagonal entries ``null`` or ``>= 0``
(ignored); every PE type a kernel names is the type of some PE. An instance adds that each
edge's worst communication time (largest latency plus its data over the smallest bandwidth) is
at most ``MAX_TIME`` (:mod:`schedgym.socdag.instance`), so sums of times stay exact in float64
and within int64 after CP-SAT's scaling.

Every problem that runs on heterogeneous hardware describes it with this one record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from schedgym.core.checks import checked_number, checked_string
from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import compact_json, read_json

#: most processing elements in one platform
MAX_PES = 1024
#: largest execution time, kernel time, latency or communication time of one edge (time units)
MAX_TIME = 1e9
#: relative PE speeds allowed
MIN_SPEED, MAX_SPEED = 1e-6, 1e6
#: largest power of a PE, watts
MAX_POWER = 1e6
#: off-diagonal bandwidths allowed (data units per time unit)
MIN_BANDWIDTH, MAX_BANDWIDTH = 1e-6, 1e15


@dataclass(frozen=True)
class ProcessingElement:
    """One processing element (a core or an accelerator instance)."""

    id: int
    type: str
    name: str = ""
    speed: float = 1.0
    active_power: float = 0.0  # W while running a task
    idle_power: float = 0.0  # W while idle

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", f"{self.type}-{self.id}")
        if not (MIN_SPEED <= self.speed <= MAX_SPEED):
            raise ValueError(
                f"PE {self.id}: speed must be positive, in [{MIN_SPEED:g}, {MAX_SPEED:g}], "
                f"got {self.speed}"
            )
        if not (0 <= self.active_power <= MAX_POWER and 0 <= self.idle_power <= MAX_POWER):
            raise ValueError(f"PE {self.id}: power must be >= 0 and <= {MAX_POWER:g} W")


def _frozen_matrix(values: Any, size: int, what: str) -> np.ndarray:
    matrix = np.array(values, dtype=np.float64)
    if matrix.shape != (size, size):
        raise ValueError(f"{what} must be {size}x{size}, got shape {matrix.shape}")
    matrix.setflags(write=False)
    return matrix


@dataclass(frozen=True, eq=False)
class Platform:
    """Processing elements and links (see the module docstring). Arrays are read-only."""

    name: str
    pes: tuple[ProcessingElement, ...]
    bandwidth: np.ndarray  # (P, P) float64, diagonal ignored
    latency: np.ndarray  # (P, P) float64, diagonal ignored
    kernels: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    time_unit: str = ""

    def __post_init__(self) -> None:
        pes = tuple(self.pes)
        if not pes:
            raise ValueError(f"platform {self.name}: needs at least one PE")
        for i, pe in enumerate(pes):
            if pe.id != i:
                raise ValueError(f"platform {self.name}: PE ids must be 0..P-1 in order")
        size = len(pes)
        bandwidth = _frozen_matrix(self.bandwidth, size, "bandwidth")
        latency = _frozen_matrix(self.latency, size, "latency")
        off = ~np.eye(size, dtype=bool)
        if not ((bandwidth[off] >= MIN_BANDWIDTH) & (bandwidth[off] <= MAX_BANDWIDTH)).all():
            raise ValueError(
                f"platform {self.name}: off-diagonal bandwidths must be positive, in "
                f"[{MIN_BANDWIDTH:g}, {MAX_BANDWIDTH:g}]"
            )
        if not ((latency[off] >= 0) & (latency[off] <= MAX_TIME)).all():
            raise ValueError(
                f"platform {self.name}: latencies must be finite, in [0, {MAX_TIME:g}]"
            )
        kernels = {
            str(k): MappingProxyType({str(t): float(v) for t, v in times.items()})
            for k, times in self.kernels.items()
        }
        for kernel, times in kernels.items():
            for pe_type, value in times.items():
                if not (0 <= value <= MAX_TIME):
                    raise ValueError(
                        f"kernel {kernel!r} on {pe_type}: time must be in [0, {MAX_TIME:g}]"
                    )
        object.__setattr__(self, "pes", pes)
        object.__setattr__(self, "bandwidth", bandwidth)
        object.__setattr__(self, "latency", latency)
        object.__setattr__(self, "kernels", MappingProxyType(kernels))

    @property
    def num_pes(self) -> int:
        """Number of processing elements."""
        return len(self.pes)

    @property
    def types(self) -> tuple[str, ...]:
        """The type of each PE."""
        return tuple(pe.type for pe in self.pes)

    def comm_factors(self) -> tuple[np.ndarray, np.ndarray]:
        """``(latency, inverse bandwidth)`` as ``(P, P)`` arrays with zero diagonals, so that the
        time to move ``data`` from ``p`` to ``q`` is ``lat[p, q] + data * inv_bw[p, q]``."""
        off = ~np.eye(self.num_pes, dtype=bool)
        lat = np.where(off, self.latency, 0.0)
        inv_bw = np.where(off, 1.0 / np.where(off, self.bandwidth, 1.0), 0.0)
        return lat, inv_bw

    def worst_comm_time(self, data: np.ndarray) -> np.ndarray:
        """An upper bound of each volume's communication time over every link: the largest
        off-diagonal latency plus ``data`` over the smallest off-diagonal bandwidth (0 with one
        PE), ``(E,)``."""
        data = np.asarray(data, dtype=np.float64)
        if self.num_pes < 2:
            return np.zeros_like(data)
        lat, inv_bw = self.comm_factors()
        return lat.max() + data * inv_bw.max()

    def comm_time(self, data: float, src: int, dst: int) -> float:
        """Time to move ``data`` from PE ``src`` to PE ``dst`` (0 on the same PE)."""
        if src == dst:
            return 0.0
        return float(self.latency[src, dst] + data / self.bandwidth[src, dst])

    def power(self) -> tuple[np.ndarray, np.ndarray]:
        """``(active, idle)`` power of each PE in watts, ``(P,)`` float64 arrays."""
        active = np.array([pe.active_power for pe in self.pes], dtype=np.float64)
        idle = np.array([pe.idle_power for pe in self.pes], dtype=np.float64)
        return active, idle

    def speeds(self) -> np.ndarray:
        """Relative speed of each PE, ``(P,)`` float64."""
        return np.array([pe.speed for pe in self.pes], dtype=np.float64)

    def kernel_row(self, kernel: str) -> np.ndarray:
        """Execution time of ``kernel`` on each PE, ``(P,)`` float64, NaN where it cannot run.

        Raises ``KeyError`` for a kernel the platform does not know.
        """
        times = self.kernels[kernel]
        return np.array([times.get(pe.type, np.nan) for pe in self.pes], dtype=np.float64)

    def to_json(self) -> dict[str, Any]:
        """The JSON layout of the module docstring."""
        data: dict[str, Any] = {
            "name": self.name,
            "time_unit": self.time_unit,
            "pes": [
                {
                    "id": pe.id,
                    "name": pe.name,
                    "type": pe.type,
                    "speed": pe.speed,
                    "active_power": pe.active_power,
                    "idle_power": pe.idle_power,
                }
                for pe in self.pes
            ],
            "bandwidth": self.bandwidth.tolist(),
            "latency": self.latency.tolist(),
        }
        if self.kernels:
            data["kernels"] = {k: dict(v) for k, v in self.kernels.items()}
        return data

    def write(self, path: str | Path) -> None:
        """Write the platform JSON file."""
        Path(path).write_text(compact_json(self.to_json()) + "\n")


def uniform_platform(
    num_pes: int,
    *,
    bandwidth: float = 1.0,
    latency: float = 0.0,
    speeds: list[float] | None = None,
    pe_type: str = "PE",
    name: str | None = None,
) -> Platform:
    """``num_pes`` PEs of one type joined by identical links (the classic DAG-scheduling model)."""
    if num_pes < 1:
        raise ValueError(f"num_pes must be >= 1, got {num_pes}")
    speeds = speeds or [1.0] * num_pes
    if len(speeds) != num_pes:
        raise ValueError(f"speeds has {len(speeds)} entries for {num_pes} PEs")
    pes = tuple(ProcessingElement(i, pe_type, speed=float(s)) for i, s in enumerate(speeds))
    return Platform(
        name or f"uniform-{num_pes}",
        pes,
        np.full((num_pes, num_pes), float(bandwidth)),
        np.full((num_pes, num_pes), float(latency)),
    )


def _number(source: str | Path, where: str, value: Any, minimum: float, maximum: float) -> float:
    return checked_number(source, where, value, minimum, maximum)


def _matrix(
    source: str | Path,
    data: Mapping[str, Any],
    key: str,
    size: int,
    low: float,
    high: float,
) -> np.ndarray:
    """A ``size x size`` matrix; off-diagonal entries in ``[low, high]``, diagonal entries
    ``null`` or finite and ``>= 0`` (ignored)."""
    rows = data.get(key)
    if not isinstance(rows, list) or len(rows) != size:
        raise InstanceFormatError(source, f"field {key!r}: expected {size} rows (one per PE)")
    out = np.zeros((size, size))
    for p, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != size:
            raise InstanceFormatError(source, f"field {key!r}[{p}]: expected {size} numbers")
        for q, value in enumerate(row):
            where = f"field {key!r}[{p}][{q}]"
            if p == q:
                if value is not None:  # diagonal ignored: null allowed
                    out[p, q] = checked_number(source, where, value, 0.0, None)
                continue
            out[p, q] = checked_number(source, where, value, low, high)
    return out


def parse_pes(source: str | Path, raw: Any) -> tuple[ProcessingElement, ...]:
    """The ``pes`` list of a platform or instance JSON; errors name ``source`` and the field."""
    if not isinstance(raw, list) or not raw:
        raise InstanceFormatError(source, "field 'pes': expected a non-empty list")
    if len(raw) > MAX_PES:
        raise InstanceFormatError(source, f"field 'pes': {len(raw)} PEs, at most {MAX_PES}")
    pes = []
    for i, item in enumerate(raw):
        where = f"field 'pes'[{i}]"
        if not isinstance(item, Mapping):
            raise InstanceFormatError(source, f"{where}: expected an object")
        pe_id = item.get("id", i)
        if isinstance(pe_id, bool) or not isinstance(pe_id, int) or pe_id != i:
            raise InstanceFormatError(source, f"{where}: id must be {i} (ids 0..P-1 in order)")
        pe_type = checked_string(source, f"{where}.type", item.get("type", "PE"))
        if not pe_type:
            raise InstanceFormatError(source, f"{where}.type: expected a non-empty string")
        pes.append(
            ProcessingElement(
                i,
                pe_type,
                checked_string(source, f"{where}.name", item.get("name", "")),
                _number(source, f"{where}.speed", item.get("speed", 1.0), MIN_SPEED, MAX_SPEED),
                _number(
                    source, f"{where}.active_power", item.get("active_power", 0.0), 0, MAX_POWER
                ),
                _number(source, f"{where}.idle_power", item.get("idle_power", 0.0), 0, MAX_POWER),
            )
        )
    return tuple(pes)


def parse_links(
    source: str | Path, data: Mapping[str, Any], size: int
) -> tuple[np.ndarray, np.ndarray]:
    """``bandwidth`` and ``latency`` matrices (latency defaults to zeros), checked: off-diagonal
    bandwidths in ``[MIN_BANDWIDTH, MAX_BANDWIDTH]``, latencies in ``[0, MAX_TIME]``."""
    bandwidth = _matrix(source, data, "bandwidth", size, MIN_BANDWIDTH, MAX_BANDWIDTH)
    latency = (
        _matrix(source, data, "latency", size, 0.0, MAX_TIME)
        if "latency" in data
        else np.zeros_like(bandwidth)
    )
    return bandwidth, latency


def platform_from_json(data: Any, source: str | Path = "<json>") -> Platform:
    """Parse the platform JSON layout; errors name ``source`` and the field (limits in the
    module docstring)."""
    if not isinstance(data, Mapping):
        raise InstanceFormatError(source, "expected a JSON object")
    pes = parse_pes(source, data.get("pes"))
    bandwidth, latency = parse_links(source, data, len(pes))
    kernels_raw = data.get("kernels", {})
    if not isinstance(kernels_raw, Mapping):
        raise InstanceFormatError(source, "field 'kernels': expected an object")
    known = {pe.type for pe in pes}
    kernels: dict[str, dict[str, float]] = {}
    for kernel, times in kernels_raw.items():
        where = f"field 'kernels'[{kernel!r}]"
        if not isinstance(times, Mapping):
            raise InstanceFormatError(source, f"{where}: expected an object")
        for pe_type in times:
            if pe_type not in known:
                raise InstanceFormatError(
                    source, f"{where}[{pe_type!r}]: no PE has type {pe_type!r}"
                )
        kernels[kernel] = {
            t: _number(source, f"{where}[{t!r}]", v, 0.0, MAX_TIME) for t, v in times.items()
        }
    name = checked_string(source, "field 'name'", data.get("name", Path(str(source)).stem))
    unit = checked_string(source, "field 'time_unit'", data.get("time_unit", ""))
    try:
        return Platform(name, pes, bandwidth, latency, kernels, unit)
    except ValueError as exc:
        raise InstanceFormatError(source, str(exc)) from None


def read_platform(path: str | Path) -> Platform:
    """Read a platform JSON file."""
    return platform_from_json(read_json(path), path)
