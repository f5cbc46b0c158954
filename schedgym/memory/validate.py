"""Independent validator of memory mappings: feasibility, then the objective.

The single source of the memory objective: the env, the baselines and the leaderboard report
what :func:`validate_mapping` returns. It depends only on the instance and the offsets (never on
the env or a solver). Rules, each failure raising :class:`InvalidScheduleError` with one line
naming the buffer(s):

* one entry per buffer (``len(offsets) == num_buffers``);
* an offset is an integer ``>= 0``, or ``None`` (slow memory);
* ``pack``: every buffer is in fast memory (no ``None``);
* ``assign``: every fast buffer lies below the capacity (``offset + size <= capacity``);
* two fast buffers whose live ranges overlap (``[s, e)`` half-open: ``s1 < e2 and s2 < e1``) do
  not overlap in address (``[o, o + size)`` half-open).

Objective: ``pack``: the peak (``max(offset + size)``); it *fits* when ``peak <= capacity``, and
a mapping above the capacity is still valid (a dynamic-storage-allocation answer that does not
fit). ``assign``: the modelled time of :mod:`schedgym.memory.cost`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from schedgym.core.errors import InvalidScheduleError
from schedgym.memory.cost import CostModel
from schedgym.memory.instance import MemoryInstance, Variant, check_variant
from schedgym.memory.schedule import SLOW, MemoryMapping

_CHUNK = 256  # rows per block of the pairwise overlap check


@dataclass(frozen=True)
class MappingReport:
    """What the validator measured on a valid mapping."""

    variant: Variant
    objective: float  # peak (pack) or modelled time (assign)
    peak: int
    capacity: int
    fits: bool
    modelled_time: float
    all_slow_time: float
    fast_buffers: int

    @property
    def relative_time(self) -> float:
        """Modelled time divided by the all-slow time (1.0: no gain)."""
        return self.modelled_time / self.all_slow_time if self.all_slow_time > 0 else 1.0

    @property
    def peak_ratio(self) -> float:
        """Peak divided by the capacity (fits when <= 1)."""
        return self.peak / self.capacity


def _offsets(instance: MemoryInstance, mapping: MemoryMapping | Sequence[int | None]) -> np.ndarray:
    values = mapping.offsets if isinstance(mapping, MemoryMapping) else tuple(mapping)
    n = instance.num_buffers
    if len(values) != n:
        raise InvalidScheduleError(
            f"{instance.name}: mapping has {len(values)} entries for {n} buffers"
        )
    out = np.full(n, SLOW, dtype=np.int64)
    for i, value in enumerate(values):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise InvalidScheduleError(
                f"buffer {instance.ids[i]!r}: offset {value!r} is not an integer or None"
            )
        if value < 0:
            raise InvalidScheduleError(f"buffer {instance.ids[i]!r}: negative offset {value}")
        out[i] = int(value)
    return out


def first_conflict(
    starts: np.ndarray, ends: np.ndarray, offsets: np.ndarray, sizes: np.ndarray
) -> tuple[int, int] | None:
    """The first pair ``(i, j)``, ``i < j``, of buffers overlapping in time and in address
    (positions into the given arrays), or ``None``."""
    tops = offsets + sizes
    n = len(starts)
    for lo in range(0, n, _CHUNK):
        hi = min(lo + _CHUNK, n)
        rows = np.arange(lo, hi)[:, None]
        clash = (
            (starts[lo:hi, None] < ends[None, :])
            & (starts[None, :] < ends[lo:hi, None])
            & (offsets[lo:hi, None] < tops[None, :])
            & (offsets[None, :] < tops[lo:hi, None])
            & (np.arange(n)[None, :] > rows)
        )
        hits = np.argwhere(clash)
        if len(hits):
            return int(hits[0, 0]) + lo, int(hits[0, 1])
    return None


def validate_mapping(
    instance: MemoryInstance,
    mapping: MemoryMapping | Sequence[int | None],
    variant: str | None = None,
) -> MappingReport:
    """Check ``mapping`` (or a plain offsets sequence) and measure it.

    ``variant`` defaults to the instance's. Raises :class:`InvalidScheduleError` on the first
    violation (see the module docstring for the rules).
    """
    kind = check_variant(variant or instance.variant)
    offsets = _offsets(instance, mapping)
    fast = offsets != SLOW
    sizes = instance.sizes
    if kind == "pack" and not fast.all():
        i = int(np.flatnonzero(~fast)[0])
        raise InvalidScheduleError(
            f"buffer {instance.ids[i]!r}: left in slow memory, but pack places every buffer"
        )
    capacity = instance.capacity
    if kind == "assign":
        over = np.flatnonzero(fast & (offsets + sizes > capacity))
        if len(over):
            i = int(over[0])
            raise InvalidScheduleError(
                f"buffer {instance.ids[i]!r}: [{offsets[i]}, {offsets[i] + sizes[i]}) exceeds "
                f"the fast-memory capacity {capacity}"
            )
    idx = np.flatnonzero(fast)
    conflict = first_conflict(instance.starts[idx], instance.ends[idx], offsets[idx], sizes[idx])
    if conflict is not None:
        i, j = (int(idx[k]) for k in conflict)
        starts, ends = instance.starts, instance.ends
        raise InvalidScheduleError(
            f"buffers {instance.ids[i]!r} and {instance.ids[j]!r} overlap: live ranges "
            f"[{starts[i]}, {ends[i]}) and [{starts[j]}, {ends[j]}), addresses "
            f"[{offsets[i]}, {offsets[i] + sizes[i]}) and [{offsets[j]}, {offsets[j] + sizes[j]})"
        )
    peak = int((offsets[idx] + sizes[idx]).max()) if len(idx) else 0
    cost = CostModel(instance)
    modelled = cost.modelled_time(fast)
    objective = float(peak) if kind == "pack" else modelled
    return MappingReport(
        kind,
        objective,
        peak,
        capacity,
        peak <= capacity,
        modelled,
        cost.all_slow_time(),
        int(fast.sum()),
    )


def mapping_objective(
    instance: MemoryInstance,
    mapping: MemoryMapping | Sequence[int | None],
    variant: str | None = None,
) -> float:
    """The validated objective: the peak (``pack``) or the modelled time (``assign``)."""
    return validate_mapping(instance, mapping, variant).objective
