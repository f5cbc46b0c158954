"""``canonical-search``: a depth-first search over canonical packings, after MiniMalloc.

A Python re-implementation of the ideas of MiniMalloc (Moffitt, ASPLOS 2023), not Google's
code. It decides whether every buffer fits below a target address ``T``:

* **Canonical solutions.** Buffers are placed in non-decreasing order of offset, each at its
  *minimum offset* (the highest top of the placed buffers that overlap it in time, or 0). Every
  packing can be pushed down into such a one without raising its peak, so the search is complete.
  Ties in offset are broken by a static preorder, which must also be non-decreasing.
* **Dominance.** A buffer whose minimum offset is at or above the lowest top any unplaced buffer
  could reach (``min(min_offset + size)``) is skipped: that leaves a gap another buffer fills.
* **Section inference.** Time is cut into sections at every start and end. In each section, the
  unplaced buffers live there all sit above ``max(floor, offset)`` (the section's highest top, and
  the current offset, since offsets never decrease), and they are simultaneously live, so
  ``max(floor, offset) + (their total size) <= T`` must hold, or the node is pruned.
* **Round robin.** Three static preorders (MiniMalloc's ``TWA``, ``WAT``, ``AWT``: by the busiest
  section the buffer lives in ``T``, its width in sections ``W`` and its area ``A``, descending)
  take turns under a node limit that doubles every round, until one finds a packing, one proves
  there is none (a search that ends without hitting its limit), or the time limit passes.

For ``pack``: the best of four greedy heuristics is the incumbent; if it does not fit, the search
asks for the capacity first (``fit_share`` of the time limit, 80 % by default); then it tightens
the peak by bisection between what is known to be out of reach (the peak live load, or the
capacity when that failed) and the incumbent, each target with half the time left. Status
``optimal`` when the peak meets the lower bound or a search proved the next lower target
infeasible (``bound`` says what is proven), else ``feasible``. ``assign`` is not handled (status
``unsupported``).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from schedgym.baselines.memory.heuristics import finish, greedy_offsets
from schedgym.core.solver import Budget, SolveResult, Status, Stopwatch
from schedgym.memory.instance import MemoryInstance
from schedgym.memory.schedule import MemoryMapping
from schedgym.memory.simulator import visiting_order

DEFAULT_TIME_LIMIT_S = 10.0
PREORDERS = ("TWA", "WAT", "AWT")


class _Aborted(Exception):
    """The node limit was hit."""


class _Deadline(Exception):
    """The time limit passed."""


class CanonicalPacker:
    """The decision search of one instance (see the module docstring)."""

    def __init__(self, instance: MemoryInstance) -> None:
        self.n = instance.num_buffers
        self.sizes = instance.sizes.copy()
        starts, ends = instance.starts, instance.ends
        times = np.unique(np.concatenate([starts, ends]))
        self.lo = np.searchsorted(times, starts)
        self.hi = np.searchsorted(times, ends)
        self.load = np.zeros(len(times), dtype=np.int64)
        for i in range(self.n):
            self.load[self.lo[i] : self.hi[i]] += self.sizes[i]
        overlap = (starts[:, None] < ends[None, :]) & (starts[None, :] < ends[:, None])
        np.fill_diagonal(overlap, False)
        self.neighbours = [np.flatnonzero(row) for row in overlap]
        busiest = np.array([self.load[self.lo[i] : self.hi[i]].max() for i in range(self.n)])
        width = self.hi - self.lo
        area = self.sizes * (ends - starts)
        keys = {"T": busiest, "W": width, "A": area}
        self.preorders = {
            name: np.lexsort(tuple(-keys[k] for k in reversed(name))) for name in PREORDERS
        }

    def search(
        self, target: int, preorder: str, node_limit: int, deadline: float
    ) -> np.ndarray | None:
        """Offsets of a packing below ``target``, or ``None`` when none exists.

        Raises ``_Aborted`` past ``node_limit`` nodes and ``_Deadline`` past ``deadline``.
        """
        n, sizes, lo, hi = self.n, self.sizes, self.lo, self.hi
        rank = np.empty(n, dtype=np.int64)
        rank[self.preorders[preorder]] = np.arange(n)
        offsets = np.full(n, -1, dtype=np.int64)
        min_off = np.zeros(n, dtype=np.int64)
        floor = np.zeros(len(self.load), dtype=np.int64)
        total = self.load.copy()
        unplaced = np.ones(n, dtype=bool)
        if (total > target).any():
            return None
        # A frame: ordered candidates, next position, and the undo record of the applied one.
        stack: list[list[Any]] = [[self._children(min_off, unplaced, rank, -1, -1), 0, None]]
        nodes = 0
        while stack:
            frame = stack[-1]
            if frame[2] is not None:  # undo the candidate tried last
                b, changed, old_min, old_floor = frame[2]
                min_off[changed] = old_min
                floor[lo[b] : hi[b]] = old_floor
                total[lo[b] : hi[b]] += sizes[b]
                unplaced[b] = True
                offsets[b] = -1
                frame[2] = None
            cands = frame[0]
            if frame[1] >= len(cands):
                stack.pop()
                continue
            b = int(cands[frame[1]])
            frame[1] += 1
            nodes += 1
            if nodes > node_limit:
                raise _Aborted
            if nodes & 255 == 0 and time.perf_counter() > deadline:
                raise _Deadline
            off = int(min_off[b])
            top = off + int(sizes[b])
            offsets[b] = off
            unplaced[b] = False
            nb = self.neighbours[b]
            changed = nb[unplaced[nb] & (min_off[nb] < top)]
            old_min = min_off[changed].copy()
            min_off[changed] = top
            old_floor = floor[lo[b] : hi[b]].copy()
            floor[lo[b] : hi[b]] = top
            total[lo[b] : hi[b]] -= sizes[b]
            frame[2] = (b, changed, old_min, old_floor)
            if (np.maximum(floor, off) + total > target).any():
                continue
            if not unplaced.any():
                return offsets.copy()
            stack.append([self._children(min_off, unplaced, rank, off, int(rank[b])), 0, None])
        return None

    def _children(
        self,
        min_off: np.ndarray,
        unplaced: np.ndarray,
        rank: np.ndarray,
        last_off: int,
        last_rank: int,
    ) -> np.ndarray:
        """Unplaced buffers that may come next, by (minimum offset, preorder rank)."""
        idx = np.flatnonzero(unplaced)
        mo = min_off[idx]
        rk = rank[idx]
        min_height = (mo + self.sizes[idx]).min()
        ok = ((mo > last_off) | ((mo == last_off) & (rk > last_rank))) & (mo < min_height)
        idx, mo, rk = idx[ok], mo[ok], rk[ok]
        return idx[np.lexsort((rk, mo))]

    def decide(self, target: int, deadline: float) -> tuple[np.ndarray | None, bool]:
        """``(offsets, proven)``: a packing below ``target`` (or ``None``), and whether a
        ``None`` is a proof. Round robin over the preorders with a doubling node limit."""
        limit = self.n
        while True:
            limit *= 2
            for preorder in PREORDERS:
                try:
                    found = self.search(target, preorder, limit, deadline)
                except _Aborted:
                    continue
                except _Deadline:
                    return None, False
                return found, found is None


class CanonicalSearch:
    """MiniMalloc-style search for ``pack`` (``memory.canonical-search``).

    ``fit_share``: the share of the time limit given to fitting within the capacity before the
    rest goes to lowering the peak (bisection, each target given half the time left).
    """

    name = "canonical-search"
    problem = "memory"

    def __init__(self, *, fit_share: float = 0.8) -> None:
        if not 0.0 < fit_share <= 1.0:
            raise ValueError(f"fit_share must be in (0, 1], got {fit_share}")
        self.fit_share = fit_share

    def solve(
        self,
        instance: MemoryInstance,
        budget: Budget = Budget(),  # noqa: B008 (frozen, immutable)
    ) -> SolveResult[MemoryMapping]:
        """Fit within the capacity, then lower the peak, within the budget (default 10 s)."""
        if instance.variant != "pack":
            return SolveResult(None, self.name, "unsupported", 0.0)
        limit = DEFAULT_TIME_LIMIT_S if budget.time_limit_s is None else budget.time_limit_s
        with Stopwatch() as watch:
            start = time.perf_counter()
            deadline = start + limit
            offsets, peak = _incumbent(instance)
            packer = CanonicalPacker(instance)
            proven = low = instance.max_load()  # every peak is at least this
            tried: list[int] = []
            if peak > instance.capacity >= low:
                tried.append(instance.capacity)
                found, is_proof = packer.decide(instance.capacity, start + self.fit_share * limit)
                if found is not None:
                    offsets, peak = found, int((found + instance.sizes).max())
                elif is_proof:
                    proven = low = instance.capacity + 1
                else:
                    low = instance.capacity + 1  # not proven: only where to look next
            while low < peak and (now := time.perf_counter()) < deadline:
                target = (low + peak - 1) // 2
                tried.append(target)
                found, is_proof = packer.decide(target, now + (deadline - now) / 2)
                if found is not None:
                    offsets, peak = found, int((found + instance.sizes).max())
                else:
                    low = target + 1
                    proven = max(proven, target + 1) if is_proof else proven
        result = finish(instance, offsets, self.name, watch.elapsed, targets=tried)
        status: Status = "optimal" if proven >= peak else result.status
        return SolveResult(
            MemoryMapping.build(instance, offsets, self.name, status, watch.elapsed),
            self.name,
            status,
            watch.elapsed,
            result.objective,
            float(max(proven, result.bound or 0.0)),
            result.info,
        )


def _incumbent(instance: MemoryInstance) -> tuple[np.ndarray, int]:
    """The lowest-peak packing among first/best fit in live-range and size order."""
    best: tuple[np.ndarray, int] | None = None
    for order in ("size", "start"):
        for fit in (False, True):
            offsets = greedy_offsets(instance, visiting_order(instance, order), fit)
            peak = int((offsets + instance.sizes).max())
            if best is None or peak < best[1]:
                best = (offsets, peak)
    assert best is not None
    return best
