"""``memory.minimalloc``: a complete search over canonical packings, after MiniMalloc.

A re-implementation of the ideas of MiniMalloc (M. D. Moffitt, "MiniMalloc: A Lightweight Memory
Allocator for Hardware-Accelerated Machine Learning", ASPLOS 2023), written from the paper's
ideas, not from Google's code. The decision search (does every buffer fit below a target?) is
compiled: :mod:`schedgym.baselines.memory.minimalloc_kernel`. Why its rules never lose every
packing:

* **Canonical solutions.** Take, among all packings below the target, one ``S`` that minimises
  the potential ``sum(size**2 * offset)``. Each buffer of ``S`` rests on 0 or on the top of a
  buffer that overlaps it in time (else it could move down). Listing ``S``'s buffers by
  ``(offset, tie)`` and placing each at its *minimum offset* (the highest top of the placed
  buffers that overlap it) rebuilds ``S``; the search only takes such steps, in non-decreasing
  ``(offset, tie)`` order (the monotone floor), so ``S`` is one of its paths.
* **Dominance.** Along ``S``'s path no unplaced buffer fits entirely below the last offset (it
  could move down), so the search never places a buffer at or above the lowest top any unplaced
  buffer could reach, and fails a node where one fits below the floor. A buffer that overlaps no
  unplaced buffer any more (nothing overhead) has a forced place: its minimum offset.
* **Symmetry.** Two buffers with the same live range that touch can be swapped; the larger one
  goes below (``S`` has the lower potential), and identical ones keep their ``tie`` order.
* **Section inference.** In every section (time cut at every start and end) the unplaced buffers
  all overlap, so they stack: the lowest of their effective offsets (the minimum offset, raised
  to the floor, and, for a buffer that cannot rest where it is, onto an unplaced neighbour) plus
  their total size must fit below the target, or the node fails.
* **Raised floors.** The bound above only grows as buffers are placed and as the floor rises, and
  the children come in non-decreasing ``(offset, tie)`` order, each child's being the floor of its
  subtree. So before the next child, the node's state is checked again under that child's floor
  (section inference, and the table of failed states below): if it fails, every remaining child
  fails too and the node fails without trying them (on ``I`` this cuts the nodes six-fold).
* **Dynamic decomposition.** Where no unplaced buffer crosses a section boundary the rest splits
  into independent components, searched one by one; one that fails fails the node. Failed
  component states are remembered (64-bit hashes; a collision could only hide a packing).
* **Preprocessing.** A buffer that overlaps every other buffer of its (time-)connected group can
  sit at the group's bottom (move it there and shift what was below it up), so such buffers are
  placed first, repeatedly.

The buffers' static orders are MiniMalloc's preorderings (``T``: the largest total live size
among the buffer's sections, ``W``: its lifetime, ``A``: size times lifetime, all descending),
plus ``S`` (number of sections) and ``Z`` (size); the preorder ranks the children of a node at
the same offset and breaks ties. A portfolio of preorders (``TSA``: MiniMalloc's initial order,
``T`` then ``A``, with ``S`` between; ``TWA``, ``ATW``, ``WAT``, ``TAW``) runs round robin under a
node limit that doubles every round, the first strategy getting all of it and the ``k``-th
(``k >= 1``) ``2**-(k + 1)`` (on ``I``: 3.6 s instead of 4.7 s with ``2**-k``; each keeps its
table of failed states between rounds); the ``seed`` of the budget draws the extra randomised
strategies (perturbed keys, and now and then a node's first two children swapped). A strategy
that ends within its limit decides the question (a proof when it fails).

``solve``: the best greedy layout (first/best fit by start, by size) is the incumbent; if it does
not fit, the search asks for the capacity: the canonical search for 300,000 nodes (at most 10 %
of the time limit), then, for ``tile_share`` of it, the tiling of the sections whose live load is
the capacity (:mod:`schedgym.baselines.memory.minimalloc_tiles`, a heuristic that gives up after
two failed completions), then the canonical search again where it stopped, until ``fit_share``.
With ``minimise_peak`` the peak is then lowered by bisection between the peak live load and the
best peak found, each target with half the time left. Status ``optimal`` when the peak equals
the peak live load or the next lower target was proved impossible, ``feasible`` when it fits,
else ``infeasible`` (proved) or ``timeout``; the lowest-peak layout found is always returned.
``assign`` is not handled (``unsupported``).
Deterministic for a seed whenever the search ends before the time limit.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from schedgym.baselines.memory import minimalloc_kernel as kernel
from schedgym.baselines.memory.minimalloc_tiles import TileSearch, warm_up_tiles
from schedgym.baselines.memory.minimalloc_util import (
    bottom_buffers,
    csr,
    peak_of,
    perfect_packing,
    positions,
)
from schedgym.core.solver import Budget, SolveResult, Status, Stopwatch
from schedgym.memory.instance import MemoryInstance
from schedgym.memory.schedule import MemoryMapping
from schedgym.memory.validate import validate_mapping

__all__ = ["MiniMallocSolver", "Packer", "compile_kernels", "perfect_packing"]

DEFAULT_TIME_LIMIT_S = 10.0
KEYS = "TWASZ"


@dataclass(frozen=True)
class Strategy:
    """One search of the portfolio: a preorder (letters of ``KEYS``, most significant first,
    all descending); with ``seed``, keys perturbed by up to 20 % and ties broken at random, and
    a node's first two children swapped with probability ``noise / 1000``."""

    preorder: str
    noise: int = 0
    seed: int = 0


PORTFOLIO: tuple[Strategy, ...] = (
    Strategy("TSA"),
    Strategy("TWA"),
    Strategy("ATW"),
    Strategy("WAT"),
    Strategy("TAW"),
)
SHARE_SHIFT = 2  # strategy k >= 1 of a round gets 2 ** -(k + SHARE_SHIFT - 1) of its limit
FIRST_NODES = 300_000  # the canonical search's first try, before the tiles (about a second),
FIRST_SHARE = 0.1  # and at most this share of the time limit
CACHE_BITS = 18  # 6 MiB per table of failed states (one per strategy)


class Packer:
    """The static arrays of one instance, and the decision search over a portfolio."""

    def __init__(self, instance: MemoryInstance) -> None:
        self.instance = instance
        starts, ends = instance.starts, instance.ends
        self.sizes = sizes = instance.sizes.astype(np.int64)
        times = np.unique(np.concatenate([starts, ends]))
        self.lo = lo = np.searchsorted(times, starts).astype(np.int64)
        self.hi = hi = np.searchsorted(times, ends).astype(np.int64)
        self.n = n = len(sizes)
        self.sections = nsec = len(times) - 1
        overlap = (lo[:, None] < hi[None, :]) & (lo[None, :] < hi[:, None])
        np.fill_diagonal(overlap, False)
        self.overlap = overlap
        lists = [np.flatnonzero(row) for row in overlap]
        lists = [x[np.lexsort((x, sizes[x]))] for x in lists]  # by size, ascending
        self.nptr, self.nidx = csr(lists)
        self.load = np.zeros(nsec + 1, dtype=np.int64)
        for i in range(n):
            self.load[lo[i] : hi[i]] += sizes[i]
        self.lower_bound = int(self.load.max())
        self.base = bottom_buffers(sizes, lo, hi, overlap)  # -1, or a fixed offset at the bottom
        free = self.base < 0
        same = (lo[:, None] == lo[None, :]) & (hi[:, None] == hi[None, :]) & overlap
        self.tptr, self.tidx = csr(
            [
                np.flatnonzero(row & free) if free[i] else np.zeros(0, int)
                for i, row in enumerate(same)
            ]
        )
        by_size = np.argsort(sizes, kind="stable")
        self.sptr, self.sidx = csr(
            [by_size[(lo[by_size] <= s) & (hi[by_size] > s)] for s in range(nsec + 1)]
        )
        self.keys = {
            "T": np.array([self.load[lo[i] : hi[i]].max() for i in range(n)]),
            "W": ends - starts,
            "A": sizes * (ends - starts),
            "S": hi - lo,
            "Z": sizes,
        }
        self.nodes = 0
        self.tables: dict[int, dict[Strategy, np.ndarray]] = {}  # by target, then strategy
        self.limits: dict[int, tuple[int, int]] = {}  # by target: where the search stopped

    def arrays(self, strategy: Strategy) -> tuple[np.ndarray, ...]:
        """The kernel's static tuple for ``strategy``."""
        n, lo, hi = self.n, self.lo, self.hi
        keys = [-self.keys[k] for k in reversed(strategy.preorder)]
        if strategy.seed:
            rng = np.random.default_rng(strategy.seed)
            keys = [k * rng.uniform(0.8, 1.2, n) for k in keys]
            keys.insert(0, rng.random(n))
        rank = positions(np.lexsort(tuple(keys)))
        by_lo = np.lexsort((rank, lo)).astype(np.int64)
        first_at = np.searchsorted(lo[by_lo], np.arange(self.sections + 1)).astype(np.int64)
        return (
            self.sizes,
            lo,
            hi,
            self.nptr,
            self.nidx,
            rank,
            rank,
            self.tptr,
            self.tidx,
            by_lo,
            first_at,
            self.sptr,
            self.sidx,
        )

    def start(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(offsets, min_off, total)`` with the bottom buffers placed."""
        offsets = self.base.copy()
        min_off = np.zeros(self.n, dtype=np.int64)
        total = self.load.copy()
        for b in np.flatnonzero(offsets >= 0):
            top = offsets[b] + self.sizes[b]
            min_off[self.overlap[b]] = np.maximum(min_off[self.overlap[b]], top)
            total[self.lo[b] : self.hi[b]] -= self.sizes[b]
        return offsets, min_off, total

    def decide(
        self,
        target: int,
        deadline: float,
        strategies: Sequence[Strategy],
        first_limit: int,
        node_budget: int | None = None,
    ) -> tuple[np.ndarray | None, bool]:
        """``(offsets, proven)``: a packing below ``target`` (or ``None``), and whether ``None``
        is a proof. Round robin over ``strategies``, the node limit doubling every round; the
        first strategy gets the whole limit, the ``k``-th ``2**-(k + SHARE_SHIFT - 1)`` (the first
        ones are the stronger). A later
        call for the same target goes on where this one stopped (the round, the tables). With
        ``node_budget``, it also stops after the run that takes ``self.nodes`` past it."""
        if target < self.lower_bound:
            return None, True
        tables = self.tables.setdefault(target, {})  # failed states, per strategy
        prepared = [(s, self.arrays(s)) for s in strategies]
        limit, skip = self.limits.get(target, (first_limit, 0))
        while time.perf_counter() < deadline:
            for k, (strategy, st) in enumerate(prepared):
                if k < skip:
                    continue
                offsets, min_off, total = self.start()
                if strategy not in tables:
                    tables[strategy] = np.zeros((3, 1 << CACHE_BITS), dtype=np.int64)
                stats = np.array([0, 0x2545F4914F6CDD1D + strategy.seed, 0], dtype=np.int64)
                found = kernel.search(
                    st,
                    offsets,
                    min_off,
                    total,
                    target,
                    max(first_limit, limit if k == 0 else limit >> (k + SHARE_SHIFT - 1)),
                    deadline,
                    stats,
                    tables[strategy],
                    strategy.noise,
                )
                self.nodes += int(stats[0])
                if found == kernel.FOUND:
                    return offsets, False
                if found == kernel.FAILED:
                    return None, True
                if time.perf_counter() >= deadline:
                    self.limits[target] = (limit, k)  # go on with this run, next time
                    return None, False
                if node_budget is not None and self.nodes >= node_budget:
                    self.limits[target] = (limit, k + 1)  # go on with the next run
                    return None, False
            limit, skip = limit * 2, 0
        self.limits[target] = (limit, 0)
        return None, False

    def greedy(self) -> np.ndarray:
        """The lowest-peak of four greedy layouts (first/best fit, by start and by size)."""
        best: np.ndarray | None = None
        inst = self.instance
        by_start = np.lexsort((-self.sizes, -(inst.ends - inst.starts), inst.starts))
        for order in (by_start, np.lexsort((inst.starts, -self.sizes))):
            for fit in (False, True):
                offsets = self.base.copy()
                kernel.greedy(
                    order.astype(np.int64), self.sizes, self.nptr, self.nidx, offsets, fit
                )
                if best is None or peak_of(offsets, self.sizes) < peak_of(best, self.sizes):
                    best = offsets
        assert best is not None
        return best


class MiniMallocSolver:
    """MiniMalloc-style complete search for ``pack`` (``memory.minimalloc``).

    Options: ``minimise_peak`` (after fitting, lower the peak by bisection), ``fit_share`` (the
    share of the time limit for fitting within the capacity; the rest lowers the peak, or, when
    nothing fits, the peak of the best layout), ``first_limit`` (nodes per strategy in the first
    round), ``randomised`` (seeded strategies added to the portfolio), ``tile_share`` (the share
    of the time limit for tiling the full sections; 0 switches that phase off).
    """

    name = "minimalloc"
    problem = "memory"

    def __init__(
        self,
        *,
        minimise_peak: bool = False,
        fit_share: float = 0.9,
        first_limit: int = 4096,
        randomised: int = 1,
        tile_share: float = 0.3,
    ) -> None:
        if not 0.0 < fit_share <= 1.0:
            raise ValueError(f"fit_share must be in (0, 1], got {fit_share}")
        if not 0.0 <= tile_share < 1.0:
            raise ValueError(f"tile_share must be in [0, 1), got {tile_share}")
        if first_limit < 1 or randomised < 0:
            raise ValueError("first_limit must be >= 1 and randomised >= 0")
        self.minimise_peak = minimise_peak
        self.fit_share = fit_share
        self.first_limit = first_limit
        self.randomised = randomised
        self.tile_share = tile_share
        compile_kernels()

    def strategies(self, seed: int) -> list[Strategy]:
        """The portfolio, then ``randomised`` strategies drawn from ``seed``."""
        extra = [
            Strategy(PORTFOLIO[k % len(PORTFOLIO)].preorder, seed=1 + 1000 * seed + k, noise=20)
            for k in range(self.randomised)
        ]
        return [*PORTFOLIO, *extra]

    def solve(
        self,
        instance: MemoryInstance,
        budget: Budget = Budget(),  # noqa: B008 (frozen, immutable)
    ) -> SolveResult[MemoryMapping]:
        """Fit within the capacity (then, optionally, lower the peak) within the budget."""
        if instance.variant != "pack":
            return SolveResult(None, self.name, "unsupported", 0.0)
        limit = DEFAULT_TIME_LIMIT_S if budget.time_limit_s is None else budget.time_limit_s
        with Stopwatch() as watch:
            start = time.perf_counter()
            deadline = start + limit
            packer = Packer(instance)
            strategies = self.strategies(budget.seed)
            offsets = packer.greedy()
            peak = peak_of(offsets, packer.sizes)
            capacity = instance.capacity
            proven = packer.lower_bound  # no peak is below this
            fit_proof = False
            tile_nodes = 0
            found: np.ndarray | None = None
            if peak > capacity and self.tile_share > 0.0:  # canonical briefly, then tiles
                found, fit_proof = packer.decide(
                    capacity,
                    start + min(FIRST_SHARE, self.fit_share) * limit,
                    strategies,
                    self.first_limit,
                    FIRST_NODES,
                )
                tiles = TileSearch(packer, capacity)
                if found is None and not fit_proof:
                    share = min(FIRST_SHARE + self.tile_share, self.fit_share)
                    found = tiles.solve(start + share * limit)
                tile_nodes = tiles.nodes
            if peak > capacity and found is None and not fit_proof:
                found, fit_proof = packer.decide(
                    capacity, start + self.fit_share * limit, strategies, self.first_limit
                )
            if peak > capacity:
                if found is not None:
                    offsets, peak = found, peak_of(found, packer.sizes)
                elif fit_proof:
                    proven = max(proven, capacity + 1)
            if self.minimise_peak or peak > capacity:
                low = proven if peak <= capacity or fit_proof else max(proven, capacity + 1)
                offsets, peak, proven = self._lower(
                    packer, strategies, offsets, peak, low, proven, deadline
                )
        fits = peak <= capacity
        status: Status
        if fits:
            status = "optimal" if proven >= peak else "feasible"
        else:
            status = "infeasible" if fit_proof else "timeout"
        mapping = MemoryMapping.build(instance, offsets, self.name, status, watch.elapsed)
        report = validate_mapping(instance, mapping)
        info = {
            "fits": report.fits,
            "peak": report.peak,
            "lower_bound": packer.lower_bound,
            "nodes": packer.nodes,
            "tile_nodes": tile_nodes,
            "hit_time_limit": time.perf_counter() >= deadline,
        }
        return SolveResult(
            mapping, self.name, status, watch.elapsed, report.objective, float(proven), info
        )

    def _lower(
        self,
        packer: Packer,
        strategies: Sequence[Strategy],
        offsets: np.ndarray,
        peak: int,
        low: int,
        proven: int,
        deadline: float,
    ) -> tuple[np.ndarray, int, int]:
        """Bisection on the peak between ``low`` and ``peak`` until the deadline; each target
        gets half the time left. Returns the best offsets, their peak and the proven bound."""
        while low < peak and (now := time.perf_counter()) < deadline:
            target = (low + peak - 1) // 2
            found, is_proof = packer.decide(
                target, now + (deadline - now) / 2, strategies, self.first_limit
            )
            if found is not None:
                offsets, peak = found, peak_of(found, packer.sizes)
            else:
                low = target + 1
                proven = max(proven, target + 1) if is_proof else proven
        return offsets, peak, proven


def compile_kernels() -> None:
    """Compile (or load from numba's cache) the kernels, so that no solve pays for it; once
    per process (every :class:`MiniMallocSolver` calls it when it is made)."""
    global _COMPILED
    if _COMPILED:
        return
    packer = Packer(perfect_packing(12, 0, capacity=1 << 12, horizon=12))
    packer.greedy()
    packer.decide(packer.lower_bound, time.perf_counter() + 60.0, PORTFOLIO[:1], 1)
    warm_up_tiles()
    _COMPILED = True


_COMPILED = False
