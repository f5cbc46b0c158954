"""Memory-mapping instances: buffers with live ranges, sizes and uses, on a memory hierarchy.

A buffer ``i`` is live on the half-open step range ``[starts[i], ends[i])``, occupies
``sizes[i]`` bytes and is touched at its *uses*: program steps in its live range, each either a
write (the op that produces it) or a read. Every use moves the whole buffer once. Step ``t`` of
the program also has a compute time ``compute[t]`` (0 when not given). The platform is a
:class:`~schedgym.hardware.memory.MemoryHierarchy`: its first tier is the fast memory of
``capacity`` bytes, its last the slow memory. ``variant`` says what is asked (``pack``: place
every buffer in fast memory, minimising the peak address; ``assign``: choose which buffers go to
fast memory and where, minimising modelled time; see ``schedgym.memory.cost``).

File formats (MiniMalloc's CSV and a JSON layout with uses) live in
:mod:`schedgym.memory.formats`; loading by shipped name or path in :mod:`schedgym.memory.problem`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, cast

import numpy as np

from schedgym.core.errors import UnknownNameError
from schedgym.hardware.memory import MemoryHierarchy, two_tier

Variant = Literal["pack", "assign"]
VARIANTS: tuple[Variant, ...] = ("pack", "assign")
BufferId = int | str


@dataclass(frozen=True)
class Buffer:
    """One buffer, as written in files: live range ``[start, end)``, size, uses and writes."""

    id: BufferId
    start: int
    end: int
    size: int
    uses: tuple[int, ...] = ()
    writes: tuple[int, ...] = ()


def default_uses(start: int, end: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Uses of a buffer given without any: written at ``start``, read at ``end - 1``."""
    return ((start,) if end - 1 == start else (start, end - 1)), (start,)


def check_variant(variant: str) -> Variant:
    """``variant`` if it is ``pack`` or ``assign``; raises ``UnknownNameError`` otherwise."""
    if variant not in VARIANTS:
        raise UnknownNameError(f"unknown memory variant {variant!r} (known: pack, assign)")
    return cast(Variant, variant)


def _frozen(values: object, dtype: type) -> np.ndarray:
    array: np.ndarray = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class MemoryInstance:
    """Buffers (arrays indexed by buffer position ``0..n-1``) on a memory hierarchy.

    Uses are stored CSR-style: buffer ``i`` is used at ``use_steps[use_ptr[i]:use_ptr[i+1]]``
    (sorted, distinct), a write where ``use_write`` is set. Build one with :meth:`from_buffers`.
    Arrays are read-only.
    """

    name: str
    starts: np.ndarray  # (n,) int64
    ends: np.ndarray  # (n,) int64
    sizes: np.ndarray  # (n,) int64
    ids: tuple[BufferId, ...]
    platform: MemoryHierarchy
    use_ptr: np.ndarray  # (n + 1,) int64
    use_steps: np.ndarray  # (num_uses,) int64
    use_write: np.ndarray  # (num_uses,) bool
    compute: np.ndarray  # (horizon,) float64, or (0,) for no compute time
    variant: Variant = "pack"

    def __post_init__(self) -> None:
        for key, dtype in (
            ("starts", np.int64),
            ("ends", np.int64),
            ("sizes", np.int64),
            ("use_ptr", np.int64),
            ("use_steps", np.int64),
            ("use_write", np.bool_),
            ("compute", np.float64),
        ):
            object.__setattr__(self, key, _frozen(getattr(self, key), dtype))
        n = len(self.starts)
        where = f"instance {self.name}"
        if n == 0 or self.ends.shape != (n,) or self.sizes.shape != (n,) or len(self.ids) != n:
            raise ValueError(f"{where}: needs at least one buffer and arrays of equal length")
        if (self.starts < 0).any() or (self.ends <= self.starts).any():
            raise ValueError(f"{where}: live ranges need 0 <= start < end")
        if (self.sizes <= 0).any():
            raise ValueError(f"{where}: sizes must be positive")
        if len(set(self.ids)) != n:
            raise ValueError(f"{where}: buffer ids must be distinct")
        ptr, steps = self.use_ptr, self.use_steps
        if (
            ptr.shape != (n + 1,)
            or ptr[0] != 0
            or ptr[-1] != len(steps)
            or (np.diff(ptr) < 0).any()
        ):
            raise ValueError(f"{where}: malformed use pointers")
        if self.use_write.shape != steps.shape:
            raise ValueError(f"{where}: use_write must match use_steps")
        owner = np.repeat(np.arange(n), np.diff(ptr))
        if ((steps < self.starts[owner]) | (steps >= self.ends[owner])).any():
            raise ValueError(f"{where}: every use must lie in its buffer's live range")
        same = owner[1:] == owner[:-1]
        if (same & (np.diff(steps) <= 0)).any():
            raise ValueError(f"{where}: a buffer's uses must be sorted and distinct")
        if len(self.compute) not in (0, self.horizon):
            raise ValueError(f"{where}: compute needs one time per step ({self.horizon})")
        if not (np.isfinite(self.compute) & (self.compute >= 0)).all():
            raise ValueError(f"{where}: compute times must be finite and >= 0")
        check_variant(self.variant)

    @staticmethod
    def from_buffers(
        name: str,
        buffers: Sequence[Buffer],
        platform: MemoryHierarchy | int,
        compute: Sequence[float] | np.ndarray | None = None,
        variant: Variant = "pack",
    ) -> MemoryInstance:
        """An instance from buffer records; ``platform`` may be just a fast-memory capacity.

        Buffers without uses get :func:`default_uses`; writes must be among the uses.
        """
        if isinstance(platform, int):
            platform = two_tier(platform)
        ptr: list[int] = [0]
        steps: list[int] = []
        write: list[bool] = []
        for b in buffers:
            uses, writes = (b.uses, b.writes) if b.uses else default_uses(b.start, b.end)
            if not set(writes) <= set(uses):
                raise ValueError(f"buffer {b.id}: writes {writes} must be among its uses")
            ordered = sorted(uses)
            steps.extend(ordered)
            write.extend(u in writes for u in ordered)
            ptr.append(len(steps))
        return MemoryInstance(
            name,
            np.array([b.start for b in buffers], dtype=np.int64),
            np.array([b.end for b in buffers], dtype=np.int64),
            np.array([b.size for b in buffers], dtype=np.int64),
            tuple(b.id for b in buffers),
            platform,
            np.array(ptr, dtype=np.int64),
            np.array(steps, dtype=np.int64),
            np.array(write, dtype=bool),
            np.zeros(0) if compute is None else np.asarray(compute, dtype=np.float64),
            variant,
        )

    @property
    def num_buffers(self) -> int:
        """Number of buffers ``n``."""
        return len(self.starts)

    @property
    def horizon(self) -> int:
        """Number of program steps (the largest live-range end)."""
        return int(self.ends.max())

    @property
    def capacity(self) -> int:
        """Fast-memory capacity in bytes."""
        return self.platform.fast_capacity

    def uses(self, i: int) -> np.ndarray:
        """Steps at which buffer ``i`` is used, ``(k,)`` int64."""
        return self.use_steps[self.use_ptr[i] : self.use_ptr[i + 1]]

    def buffer(self, i: int) -> Buffer:
        """Buffer ``i`` as a record."""
        lo, hi = int(self.use_ptr[i]), int(self.use_ptr[i + 1])
        steps = [int(s) for s in self.use_steps[lo:hi]]
        writes = tuple(s for s, w in zip(steps, self.use_write[lo:hi], strict=True) if w)
        return Buffer(
            self.ids[i],
            int(self.starts[i]),
            int(self.ends[i]),
            int(self.sizes[i]),
            tuple(steps),
            writes,
        )

    def buffers(self) -> list[Buffer]:
        """All buffers as records, in index order."""
        return [self.buffer(i) for i in range(self.num_buffers)]

    def load_profile(self) -> tuple[np.ndarray, np.ndarray]:
        """``(times, load)``: total size of the buffers live on ``[times[k], times[k+1])``."""
        times = np.unique(np.concatenate([self.starts, self.ends]))
        delta = np.zeros(len(times), dtype=np.int64)
        np.add.at(delta, np.searchsorted(times, self.starts), self.sizes)
        np.add.at(delta, np.searchsorted(times, self.ends), -self.sizes)
        return times, np.cumsum(delta)

    def max_load(self) -> int:
        """Largest total size of simultaneously live buffers: a lower bound on any peak."""
        return int(self.load_profile()[1].max())

    def with_variant(self, variant: str) -> MemoryInstance:
        """The same buffers asked as another variant."""
        return replace(self, variant=check_variant(variant))

    def with_capacity(self, capacity: int) -> MemoryInstance:
        """The same buffers with another fast-memory capacity."""
        return replace(self, platform=self.platform.with_fast_capacity(capacity))
