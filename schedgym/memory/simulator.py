"""Placement state: which buffers are decided, where, and the free gaps a buffer could take.

Shared by the env, the generators and the greedy baselines. For a buffer ``i``, the *free gaps*
are the maximal address intervals that no placed buffer whose live range overlaps ``i``'s
occupies; the last gap is unbounded (it starts at the highest top). A *candidate offset* is the
start of a free gap that can hold ``i`` (and, with an address ``limit``, keeps it below the
limit). Candidates are exactly MiniMalloc's canonical offsets that are feasible: 0 or the top of
a placed buffer that overlaps ``i`` in time, and the lowest one is first-fit's choice. Each
candidate remembers the placed buffer whose top it is (-1 for offset 0). Every update is a
vectorised O(n) numpy operation.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from schedgym.memory.cost import CostModel
from schedgym.memory.instance import MemoryInstance
from schedgym.memory.schedule import SLOW

UNDECIDED = -2
UNBOUNDED = np.iinfo(np.int64).max // 4  # end of the topmost (unbounded) gap


class Gaps(NamedTuple):
    """Free address gaps ``[start, end)`` over a buffer's live range, lowest first.

    ``owner[k]`` is the placed buffer whose top is ``start[k]`` (-1 for a gap at offset 0).
    """

    start: np.ndarray  # (g,) int64
    end: np.ndarray  # (g,) int64, UNBOUNDED for the last gap
    owner: np.ndarray  # (g,) int64


class PlacementState:
    """Offsets decided so far (``offsets``: ``UNDECIDED``, ``SLOW`` or a fast offset)."""

    def __init__(self, instance: MemoryInstance, limit: int | None = None) -> None:
        self.instance = instance
        self.limit = limit
        self.starts = instance.starts
        self.ends = instance.ends
        self.sizes = instance.sizes
        n = instance.num_buffers
        self.offsets = np.full(n, UNDECIDED, dtype=np.int64)  # (n,)
        self.placed = np.zeros(n, dtype=bool)  # (n,) in fast memory
        self.decided = np.zeros(n, dtype=bool)  # (n,)
        self.peak = 0
        self.count = 0

    def overlapping(self, i: int) -> np.ndarray:
        """Boolean mask of the buffers whose live range overlaps buffer ``i``'s (``i`` too)."""
        return (self.starts < self.ends[i]) & (self.ends > self.starts[i])

    def gaps(self, i: int) -> Gaps:
        """The free gaps over buffer ``i``'s live range (see the module docstring)."""
        idx = np.flatnonzero(self.placed & self.overlapping(i))
        if len(idx) == 0:
            return Gaps(np.zeros(1, np.int64), np.full(1, UNBOUNDED), np.full(1, -1, np.int64))
        order = np.argsort(self.offsets[idx], kind="stable")
        idx = idx[order]
        low = self.offsets[idx]
        top = low + self.sizes[idx]
        reach = np.maximum.accumulate(top)  # highest top among the first k+1 buffers
        before = np.concatenate([[-1], reach[:-1]])
        first_at = np.maximum.accumulate(np.where(top > before, np.arange(len(idx)), 0))
        holder = idx[first_at]  # buffer that reaches ``reach[k]`` first
        open_after = low[1:] > reach[:-1]  # a gap between consecutive merged blocks
        starts = [reach[:-1][open_after]]
        ends = [low[1:][open_after]]
        owners = [holder[:-1][open_after]]
        if low[0] > 0:
            starts.insert(0, np.zeros(1, np.int64))
            ends.insert(0, low[:1])
            owners.insert(0, np.full(1, -1, np.int64))
        starts.append(reach[-1:])
        ends.append(np.full(1, UNBOUNDED))
        owners.append(holder[-1:])
        return Gaps(np.concatenate(starts), np.concatenate(ends), np.concatenate(owners))

    def candidates(self, i: int) -> Gaps:
        """The gaps that can hold buffer ``i`` (below ``limit`` if set), lowest first."""
        gaps = self.gaps(i)
        size = int(self.sizes[i])
        ok = gaps.end - gaps.start >= size
        if self.limit is not None:
            ok &= gaps.start + size <= self.limit
        return Gaps(gaps.start[ok], gaps.end[ok], gaps.owner[ok])

    def first_fit(self, i: int) -> int | None:
        """The lowest candidate offset for buffer ``i``, or ``None`` if there is none."""
        found = self.candidates(i)
        return int(found.start[0]) if len(found.start) else None

    def best_fit(self, i: int) -> int | None:
        """The candidate in the tightest gap (the unbounded gap counts as ``limit - start``, or
        as infinitely loose without a limit); ties go to the lowest offset."""
        found = self.candidates(i)
        if len(found.start) == 0:
            return None
        return int(found.start[int(np.argmin(self.slack(i, found)))])

    def slack(self, i: int, gaps: Gaps) -> np.ndarray:
        """Room left in each gap after placing buffer ``i`` at its start, ``(g,)`` int64."""
        end = gaps.end
        if self.limit is not None:
            end = np.minimum(end, self.limit)
        return end - gaps.start - self.sizes[i]

    def place(self, i: int, offset: int | None) -> None:
        """Decide buffer ``i``: fast memory at ``offset``, or slow memory for ``None``.

        Feasibility is the caller's business (the env and the solvers only pass candidates).
        """
        if self.decided[i]:
            raise ValueError(f"buffer {i} is already decided")
        self.decided[i] = True
        self.count += 1
        if offset is None:
            self.offsets[i] = SLOW
            return
        self.offsets[i] = offset
        self.placed[i] = True
        self.peak = max(self.peak, int(offset + self.sizes[i]))

    def result(self) -> np.ndarray:
        """Offsets with ``SLOW`` for slow (and undecided) buffers, ``(n,)`` int64."""
        return np.where(self.placed, self.offsets, SLOW)


def visiting_order(
    instance: MemoryInstance, order: str, benefit: np.ndarray | None = None
) -> np.ndarray:
    """Buffer indices in a documented order.

    ``"start"``: live-range order, by start, then longer live range, then larger size, then
    index; ``"size"``: by size descending, then start, then index; ``"benefit"``: XLA's
    memory-space-assignment order, isolated benefit / sqrt(size) descending, then index
    (``assign``; for ``pack``, which has no benefit, the same as ``"size"``). ``benefit``: the
    buffers' isolated benefits (:meth:`CostModel.isolated_benefit`) when the caller has them.
    """
    n = np.arange(instance.num_buffers)
    if order == "benefit":
        if instance.variant == "pack":
            return visiting_order(instance, "size")
        if benefit is None:
            benefit = CostModel(instance).isolated_benefit()
        return np.lexsort((n, -benefit / np.sqrt(instance.sizes)))
    length = instance.ends - instance.starts
    if order == "start":
        return np.lexsort((n, -instance.sizes, -length, instance.starts))
    if order == "size":
        return np.lexsort((n, instance.starts, -instance.sizes))
    raise ValueError(f"order must be 'start', 'size' or 'benefit', got {order!r}")
