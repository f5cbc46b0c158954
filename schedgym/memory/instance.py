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

from schedgym.core.errors import InstanceFormatError, UnknownNameError
from schedgym.hardware.memory import MemoryHierarchy, two_tier

#: Most buffers in one instance.
MAX_BUFFERS = 10**6
#: Largest buffer, in bytes (1 TiB). ``MAX_BUFFERS * MAX_BUFFER_SIZE`` (about 1.1e18) bounds
#: every sum of sizes (live loads, peaks, bytes moved per step) inside int64 (about 9.2e18).
MAX_BUFFER_SIZE = 2**40
#: Largest fast-memory capacity (and any tier's capacity), in bytes (1 PiB).
MAX_CAPACITY = 2**50
#: Live ranges lie in ``[0, MAX_STEP]`` (steps are never allocated one by one: the cost model
#: only keeps steps with uses).
MAX_STEP = 2**40
#: Largest compute time of one program step (in the platform's time unit).
MAX_COMPUTE = 1e15
#: Tier bandwidths (bytes per time unit) lie in ``[MIN_BANDWIDTH, MAX_BANDWIDTH]``, so that
#: every modelled time is finite.
MIN_BANDWIDTH = 1e-6
MAX_BANDWIDTH = 1e12

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


def _whole(values: np.ndarray) -> bool:
    """Whether every float of ``values`` is a whole number within int64."""
    return bool(
        (np.isfinite(values) & (values == np.round(values)) & (abs(values) < 2.0**63)).all()
    )


def _frozen(values: object, dtype: type, what: str = "values") -> np.ndarray:
    try:
        raw = np.asarray(values)
        if dtype is np.int64 and raw.dtype.kind == "f" and not _whole(raw):
            raise ValueError
        array: np.ndarray = np.array(raw, dtype=dtype)
    except (OverflowError, TypeError, ValueError):
        kind = np.dtype(dtype).name
        raise ValueError(f"{what} must be {kind} numbers, got {values!r:.60}") from None
    array.setflags(write=False)
    return array


def check_platform(platform: MemoryHierarchy) -> str | None:
    """What is wrong with ``platform`` for a memory instance (``None`` when nothing): every tier
    capacity at most ``MAX_CAPACITY``, every bandwidth in ``[MIN_BANDWIDTH, MAX_BANDWIDTH]``."""
    for k, tier in enumerate(platform.tiers):
        if tier.capacity is not None and not 1 <= tier.capacity <= MAX_CAPACITY:
            return f"tiers[{k}].capacity must be in [1, {MAX_CAPACITY}], got {tier.capacity}"
        for what in ("read_bandwidth", "write_bandwidth"):
            value = getattr(tier, what)
            if not MIN_BANDWIDTH <= value <= MAX_BANDWIDTH:
                return (
                    f"tiers[{k}].{what} must be in [{MIN_BANDWIDTH:g}, {MAX_BANDWIDTH:g}], "
                    f"got {value!r}"
                )
    return None


@dataclass(frozen=True, eq=False)
class MemoryInstance:
    """Buffers (arrays indexed by buffer position ``0..n-1``) on a memory hierarchy.

    Uses are stored CSR-style: buffer ``i`` is used at ``use_steps[use_ptr[i]:use_ptr[i+1]]``
    (sorted, distinct), a write where ``use_write`` is set. Build one with :meth:`from_buffers`.
    Arrays are read-only.

    Limits (``ValueError`` otherwise): 1 to ``MAX_BUFFERS`` buffers of 1 to ``MAX_BUFFER_SIZE``
    bytes, live ranges within ``[0, MAX_STEP]``, compute times finite in ``[0, MAX_COMPUTE]``,
    and the platform as :func:`check_platform` wants it. A capacity below the live load (or
    below one buffer) is allowed: ``pack`` then still minimises the peak and reports that the
    mapping does not fit (the readers refuse a *file* whose own capacity is below one of its
    ``pack`` buffers: see :mod:`schedgym.memory.formats`).
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
            array = _frozen(getattr(self, key), dtype, f"instance {self.name}: {key}")
            object.__setattr__(self, key, array)
        n = len(self.starts)
        where = f"instance {self.name}"
        if n == 0 or self.ends.shape != (n,) or self.sizes.shape != (n,) or len(self.ids) != n:
            raise ValueError(f"{where}: needs at least one buffer and arrays of equal length")
        if (self.starts < 0).any() or (self.ends <= self.starts).any():
            raise ValueError(f"{where}: live ranges need 0 <= start < end")
        if (self.sizes <= 0).any():
            raise ValueError(f"{where}: sizes must be positive")
        if n > MAX_BUFFERS:
            raise ValueError(f"{where}: more than {MAX_BUFFERS} buffers")
        if (self.sizes > MAX_BUFFER_SIZE).any():
            raise ValueError(f"{where}: sizes must be at most {MAX_BUFFER_SIZE}")
        if (self.ends > MAX_STEP).any():
            raise ValueError(f"{where}: live ranges must end by step {MAX_STEP}")
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
        if (self.compute > MAX_COMPUTE).any():
            raise ValueError(f"{where}: compute times must be at most {MAX_COMPUTE:g}")
        check_variant(self.variant)
        problem = check_platform(self.platform)
        if problem is not None:
            raise ValueError(f"{where}: platform {problem}")

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
        """The same buffers with another fast-memory capacity (``InstanceFormatError`` naming the
        instance for a capacity outside ``[1, MAX_CAPACITY]``)."""
        if isinstance(capacity, bool) or not isinstance(capacity, int | np.integer):
            raise InstanceFormatError(self.name, f"capacity must be an integer, got {capacity!r}")
        if not 1 <= capacity <= MAX_CAPACITY:
            raise InstanceFormatError(
                self.name, f"capacity must be in [1, {MAX_CAPACITY}], got {capacity}"
            )
        try:
            return replace(self, platform=self.platform.with_fast_capacity(int(capacity)))
        except ValueError as exc:
            raise InstanceFormatError(self.name, _without_prefix(str(exc))) from None


def _without_prefix(message: str) -> str:
    """``message`` without the ``instance NAME: `` that :class:`MemoryInstance` puts first."""
    return message.split(": ", 1)[1] if message.startswith("instance ") else message
