"""Helpers of ``memory.minimalloc``: static preprocessing, and perfect packings (generated
instances of its tests and benchmarks)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from schedgym.hardware.memory import two_tier
from schedgym.memory.instance import Buffer, MemoryInstance


def csr(lists: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Compressed rows: ``(ptr, idx)``, row ``k`` being ``idx[ptr[k] : ptr[k + 1]]``."""
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    idx = np.concatenate([np.asarray(x, dtype=np.int64) for x in lists] + [np.zeros(1, np.int64)])
    return ptr, idx


def positions(order: np.ndarray) -> np.ndarray:
    """The inverse permutation of ``order``."""
    out = np.empty(len(order), dtype=np.int64)
    out[order] = np.arange(len(order))
    return out


def peak_of(offsets: np.ndarray, sizes: np.ndarray) -> int:
    """The highest top of a layout."""
    return int((offsets + sizes).max())


def bottom_buffers(
    sizes: np.ndarray, lo: np.ndarray, hi: np.ndarray, overlap: np.ndarray
) -> np.ndarray:
    """Offsets of the buffers that overlap every other buffer of their time-connected group,
    stacked at the group's bottom (repeatedly, as groups shrink and split); -1 for the rest."""
    base = np.full(len(sizes), -1, dtype=np.int64)
    todo = [(np.arange(len(sizes)), 0)]
    while todo:
        group, floor = todo.pop()
        if len(group) < 2:
            continue
        universal = overlap[np.ix_(group, group)].sum(axis=1) == len(group) - 1
        if universal.any():
            for b in group[universal]:
                base[b] = floor
                floor += int(sizes[b])
            todo.append((group[~universal], floor))
            continue
        order = group[np.argsort(lo[group], kind="stable")]  # split where nothing crosses
        reach = np.maximum.accumulate(hi[order])
        parts = np.split(order, np.flatnonzero(lo[order][1:] >= reach[:-1]) + 1)
        if len(parts) > 1:
            todo.extend((part, floor) for part in parts)
    return base


def perfect_packing(
    num_buffers: int, seed: int, capacity: int = 1 << 20, horizon: int = 1000, unit: int = 1024
) -> MemoryInstance:
    """A ``pack`` instance whose optimum peak is exactly ``capacity``: the ``capacity x
    horizon`` strip cut into ``num_buffers`` rectangles by random guillotine cuts (each cut picks
    a rectangle by area, then time or address; addresses in multiples of ``unit``). Every step
    has the full load, so nothing is left to spare."""
    if not 1 <= num_buffers <= horizon * (capacity // unit):
        raise ValueError(f"cannot cut {num_buffers} buffers from the strip")
    rng = np.random.default_rng(seed)
    rects = [(0, horizon, 0, capacity)]  # (start, end, low address, high address)
    while len(rects) < num_buffers:
        area = np.array([(r[1] - r[0]) * (r[3] - r[2]) for r in rects], dtype=float)
        k = int(rng.choice(len(rects), p=area / area.sum()))
        t0, t1, a0, a1 = rects[k]
        by_time = t1 - t0 >= 2 and ((a1 - a0) // unit < 2 or rng.random() < 0.5)
        if by_time:
            cut = int(rng.integers(t0 + 1, t1))
            rects[k : k + 1] = [(t0, cut, a0, a1), (cut, t1, a0, a1)]
        elif (a1 - a0) // unit >= 2:
            cut = a0 + unit * int(rng.integers(1, (a1 - a0) // unit))
            rects[k : k + 1] = [(t0, t1, a0, cut), (t0, t1, cut, a1)]
    cuts = [rects[k] for k in rng.permutation(len(rects))]
    buffers = [Buffer(i, t0, t1, a1 - a0) for i, (t0, t1, a0, a1) in enumerate(cuts)]
    return MemoryInstance.from_buffers(f"perfect-{num_buffers}-{seed}", buffers, two_tier(capacity))
