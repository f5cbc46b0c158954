"""``memory.minimalloc``'s first phase on instances with *full* sections: tile them exactly.

A section whose live load equals the target (a *full* section) has no free byte in any packing
below the target: its lowest free address must be the offset of one of its unplaced buffers.
So the full sections are tiled directly: take the full section whose lowest free address has the
fewest buffers that fit there (live in that section, unplaced, colliding with no placed buffer
anywhere in their live range), and branch on which one starts there. A node fails unless
(1) every unplaced buffer, in a full section or not, still has a free address interval that holds
it among the placed buffers of its live range, and (2) every free gap of every full section is the
total size of some set of the unplaced buffers that can lie inside that gap (an exact subset sum, a
bitset in units of the sizes' gcd). (1) for the buffers outside the full sections is what keeps a
tiling completable: without it, tilings that leave no room for the rest were found and failed only
at the completion (``pack-hard-08``: no packing in 60 s; with it, 624 nodes, 0.2 s). When every
full section is tiled, the other buffers (live only where there is room to spare) are placed by the
greedy layouts (first and best fit, by start and by size), each in the lowest gap that holds it.

This is a heuristic, not a proof: a failed greedy completion fails the node, and the table of
failed states identifies a state by its placed buffers and the occupied address ranges of the
full sections (not by where each buffer sits inside them). It complements the canonical search
of :mod:`schedgym.baselines.memory.minimalloc`, whose single rising floor couples every part of
the time axis: where a few long buffers cross several full sections (the ``pack-hard`` traces),
each section must be stacked exactly up to each long buffer, and the canonical search finds that
out only high above the mistake. Two orders of the candidates run in turn (the longest-lived
first, the largest first), each with a node limit that doubles every round. Where more than a
quarter of the sections are full, the phase is not tried: the greedy completion needs room to
spare elsewhere, and each node costs time in proportion to the full sections (on perfect
packings, full everywhere, it only took time from the canonical search).
"""

from __future__ import annotations

import sys
import time
from typing import Protocol

import numba
import numpy as np

from schedgym.baselines.memory import minimalloc_kernel as kernel
from schedgym.memory.instance import MemoryInstance


class Packer(Protocol):
    """What the tiles read of :class:`schedgym.baselines.memory.minimalloc.Packer`."""

    instance: MemoryInstance
    sizes: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    load: np.ndarray
    base: np.ndarray
    nptr: np.ndarray
    nidx: np.ndarray
    n: int
    sections: int


@numba.njit(cache=True)
def fitting(xs: np.ndarray, fptr: np.ndarray, fidx: np.ndarray, off: np.ndarray,
            sizes: np.ndarray, nptr: np.ndarray, nidx: np.ndarray, target: int,
            out: np.ndarray) -> None:  # fmt: skip
    """``out[q]``: whether buffer ``fidx[q]`` of full section ``f`` (``fptr[f] <= q <
    fptr[f + 1]``) is unplaced and fits at ``xs[f]`` (below ``target``, clear of every placed
    buffer that overlaps it in time); sections with ``xs[f] < 0`` are skipped."""
    for f in range(len(xs)):
        x = xs[f]
        for q in range(fptr[f], fptr[f + 1]):
            j = fidx[q]
            ok = x >= 0 and off[j] < 0 and x + sizes[j] <= target
            k = nptr[j]
            while ok and k < nptr[j + 1]:
                i = nidx[k]
                ok = off[i] < 0 or off[i] >= x + sizes[j] or off[i] + sizes[i] <= x
                k += 1
            out[q] = ok


@numba.njit(cache=True)
def free_intervals(js: np.ndarray, off: np.ndarray, sizes: np.ndarray, nptr: np.ndarray,
                   nidx: np.ndarray, target: int, lows: np.ndarray, highs: np.ndarray,
                   ptr: np.ndarray) -> int:  # fmt: skip
    """For each buffer ``js[k]``, the free address intervals below ``target`` that hold it
    (clear of every placed buffer that overlaps it in time), as ``lows[ptr[k]:ptr[k + 1]]``,
    ``highs[...]``. Returns ``k`` of the first buffer with none, else -1."""
    starts = np.empty(len(sizes), dtype=np.int64)
    ends = np.empty(len(sizes), dtype=np.int64)
    m = 0
    for k in range(len(js)):
        j = js[k]
        ptr[k] = m
        count = 0
        for q in range(nptr[j], nptr[j + 1]):
            i = nidx[q]
            if off[i] >= 0:
                starts[count], ends[count] = off[i], off[i] + sizes[i]
                count += 1
        perm = np.argsort(starts[:count])
        cursor = 0
        for q in range(count + 1):
            low = target if q == count else starts[perm[q]]
            if low - cursor >= sizes[j]:
                lows[m], highs[m] = cursor, low
                m += 1
            if q < count:
                cursor = max(cursor, ends[perm[q]])
        if m == ptr[k]:
            ptr[k + 1] = m
            return k
    ptr[len(js)] = m
    return -1


def warm_up_tiles() -> None:
    """Compile (or load from numba's cache) this phase's kernels on a tiny input."""
    one = np.zeros(1, dtype=np.int64)
    two = np.zeros(2, dtype=np.int64)
    fitting(one, two, one, one - 1, one + 1, two, one, 1, np.zeros(1, dtype=np.bool_))
    free_intervals(one, one - 1, one + 1, two, one, 1, two, two, two)


MAX_FULL_SHARE = 0.25  # more full sections than this share of all: not tried


class _Abort(Exception):
    """The node limit or the deadline was reached."""


class TileSearch:
    """Exact tiling of the full sections of ``packer``'s instance at ``target``, then greedy."""

    def __init__(self, packer: Packer, target: int, max_completions: int = 2) -> None:
        p = packer
        self.p, self.target = p, target
        sizes, lo, hi = p.sizes, p.lo, p.hi
        self.full = [s for s in range(p.sections) if p.load[s] == target]
        self.live = {s: np.flatnonzero((lo <= s) & (hi > s)) for s in self.full}
        self.unit = max(1, int(np.gcd.reduce(sizes))) if len(sizes) else 1
        self.units = [int(z) // self.unit for z in sizes]
        self.fptr = np.zeros(len(self.full) + 1, dtype=np.int64)
        self.fptr[1:] = np.cumsum([len(self.live[s]) for s in self.full])
        self.fidx = np.concatenate([self.live[s] for s in self.full] + [np.zeros(0, np.int64)])
        self.fidx = self.fidx.astype(np.int64)
        self.mask = np.zeros(len(self.fidx), dtype=np.bool_)
        self.completions = 0  # failed greedy completions
        self.max_completions = max_completions
        inst = p.instance
        self.orders = [
            np.lexsort((-sizes, -(inst.ends - inst.starts), inst.starts)).astype(np.int64),
            np.lexsort((inst.starts, -sizes)).astype(np.int64),
        ]
        self.keys = {
            "life": [(-(int(hi[j]) - int(lo[j])), -int(sizes[j])) for j in range(p.n)],
            "size": [(-int(sizes[j]), 0) for j in range(p.n)],
        }
        self.failed: dict[str, set[tuple[object, ...]]] = {k: set() for k in self.keys}
        in_full = np.zeros(p.n, dtype=np.bool_)
        in_full[self.fidx] = True
        self.in_full = in_full
        self.sections_of = [
            [f for f, s in enumerate(self.full) if lo[j] <= s < hi[j]] for j in range(p.n)
        ]
        self.lows = np.zeros(len(p.nidx) + p.n + 1, dtype=np.int64)  # free intervals
        self.highs = np.zeros_like(self.lows)
        self.ptr = np.zeros(p.n + 1, dtype=np.int64)
        self.nodes = 0

    def solve(self, deadline: float, first_limit: int = 256) -> np.ndarray | None:
        """Offsets of a packing below the target, or ``None`` (none found by ``deadline``)."""
        if not self.full or len(self.full) > MAX_FULL_SHARE * self.p.sections:
            return None
        limit = first_limit
        while time.perf_counter() < deadline:
            for order in self.keys:
                found = self._run(order, limit, deadline)
                if found is not None:
                    return found
                if time.perf_counter() >= deadline or self.completions >= self.max_completions:
                    return None
            limit *= 2
        return None

    def _run(self, order: str, limit: int, deadline: float) -> np.ndarray | None:
        self.off = self.p.base.copy()
        self.key = self.keys[order]
        self.table = self.failed[order]
        self.budget, self.deadline = self.nodes + limit, deadline
        self.depth = 0
        try:
            return self._node()
        except _Abort:
            return None

    def _blocks(self, s: int) -> list[tuple[int, int]]:
        """The occupied address ranges of full section ``s`` (merged, ascending)."""
        off, sizes = self.off, self.p.sizes
        placed = sorted((int(off[b]), int(off[b] + sizes[b])) for b in self.live[s] if off[b] >= 0)
        merged: list[tuple[int, int]] = []
        for a, e in placed:
            if merged and merged[-1][1] >= a:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((a, e))
        return merged

    def _node(self) -> np.ndarray | None:
        self.nodes += 1
        if self.nodes > self.budget or (
            (self.nodes & 15) == 0 and time.perf_counter() > self.deadline
        ):
            raise _Abort
        blocks = [self._blocks(s) for s in self.full]
        state = (frozenset(np.flatnonzero(self.off >= 0).tolist()), tuple(map(tuple, blocks)))
        if state in self.table:
            return None
        found = self._expand(blocks)
        if found is None:
            self.table.add(state)
        return found

    def _expand(self, blocks: list[list[tuple[int, int]]]) -> np.ndarray | None:
        off, sizes, target = self.off, self.p.sizes, self.target
        best: tuple[int, list[int]] | None = None
        gaps = []
        for merged in blocks:
            free, cursor = [], 0
            for a, e in [*merged, (target, target)]:
                if a > cursor:
                    free.append((cursor, a))
                cursor = max(cursor, e)
            gaps.append(free)
        if not self._possible(gaps):
            return None
        xs = np.array([g[0][0] if g else -1 for g in gaps], dtype=np.int64)
        if (xs < 0).all():
            return self._complete()
        p = self.p
        fitting(xs, self.fptr, self.fidx, off, sizes, p.nptr, p.nidx, target, self.mask)
        for k in np.flatnonzero(xs >= 0):  # the section with the fewest buffers that fit
            a, z = self.fptr[k], self.fptr[k + 1]
            fits = self.fidx[a:z][self.mask[a:z]]
            if len(fits) == 0:
                return None
            if best is None or len(fits) < len(best[1]):
                best = (int(xs[k]), [int(j) for j in fits])
        assert best is not None
        x, choices = best
        self.depth += 1
        if self.depth > sys.getrecursionlimit() // 4:
            raise _Abort  # too deep for Python's stack: give up
        for j in sorted(choices, key=self.key.__getitem__):
            off[j] = x
            found = self._node()
            if found is not None:
                return found
            off[j] = -1
        self.depth -= 1
        return None

    def _possible(self, gaps: list[list[tuple[int, int]]]) -> bool:
        """Whether the node may still lead to a packing: every unplaced buffer has a free
        interval that holds it, and every free gap of every full section is the total size of
        some set of the unplaced buffers that fit inside it (an exact subset sum, a bitset in
        units of the sizes' gcd)."""
        p, off = self.p, self.off
        js = np.flatnonzero(off < 0)
        lows, highs, ptr = self.lows, self.highs, self.ptr
        if free_intervals(js, off, p.sizes, p.nptr, p.nidx, self.target, lows, highs, ptr) >= 0:
            return False
        sums = [[1] * len(g) for g in gaps]
        for k in np.flatnonzero(self.in_full[js]).tolist():
            j, size = int(js[k]), int(p.sizes[js[k]])
            a, e = ptr[k], ptr[k + 1]
            spans = list(zip(lows[a:e].tolist(), highs[a:e].tolist(), strict=True))
            for f in self.sections_of[j]:
                inside = False
                for g, (a, e) in enumerate(gaps[f]):
                    if any(max(a, x) + size <= min(e, y) for x, y in spans):
                        sums[f][g] |= sums[f][g] << self.units[j]
                        inside = True
                if not inside:
                    return False
        return all(
            (sums[f][g] >> ((e - a) // self.unit)) & 1
            for f in range(len(gaps))
            for g, (a, e) in enumerate(gaps[f])
        )

    def _complete(self) -> np.ndarray | None:
        """The rest by the greedy layouts around the tiled full sections."""
        p = self.p
        for order in self.orders:
            for fit in (False, True):
                offsets = self.off.copy()
                kernel.greedy(order, p.sizes, p.nptr, p.nidx, offsets, fit)
                if int((offsets + p.sizes).max()) <= self.target:
                    return offsets
        self.completions += 1
        if self.completions >= self.max_completions:
            raise _Abort  # the rest does not fit around tiled sections: give up
        return None
