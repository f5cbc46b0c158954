"""Greedy memory-mapping heuristics: one pass over the buffers, each placed once, never moved.

Each heuristic visits the buffers in its own order and puts each one at a candidate offset of
:class:`schedgym.memory.simulator.PlacementState` (the start of a free gap that holds it: the
canonical offsets 0 and tops of placed buffers that overlap it in time).

==============  ==========================================================================
``first-fit``   live-range order (start, then longer, then larger); lowest free offset
``best-fit``    live-range order; the tightest free gap (lowest offset on ties)
``size-desc``   size descending (then start); lowest free offset (first-fit decreasing)
``xla-greedy``  ``assign``: XLA's memory-space assignment order, isolated benefit /
                sqrt(size) descending (:meth:`CostModel.isolated_benefit`), buffers without
                benefit left slow; ``pack``: size descending. Best fit (XLA's
                decreasing-size best-fit heap).
==============  ==========================================================================

``pack``: addresses are unbounded (the peak may exceed the capacity: the mapping is valid but
does not fit). ``assign``: a buffer is placed only below the capacity; when no gap below the
capacity holds it, it stays in slow memory.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from schedgym.core.solver import Budget, SolveResult, Status, Stopwatch
from schedgym.memory.cost import CostModel
from schedgym.memory.instance import MemoryInstance
from schedgym.memory.schedule import MemoryMapping
from schedgym.memory.simulator import PlacementState, visiting_order
from schedgym.memory.validate import validate_mapping


def greedy_offsets(instance: MemoryInstance, order: np.ndarray, best: bool) -> np.ndarray:
    """Offsets (``SLOW`` = -1 for slow) from placing ``order`` first-fit or best-fit.

    The address limit is the capacity for ``assign`` and none for ``pack``.
    """
    limit = instance.capacity if instance.variant == "assign" else None
    state = PlacementState(instance, limit)
    for i in order:
        index = int(i)
        state.place(index, state.best_fit(index) if best else state.first_fit(index))
    return state.result()


def lower_bound(instance: MemoryInstance) -> float:
    """A lower bound on the objective: the peak live load (``pack``), or the modelled time
    with everything in fast memory (``assign``)."""
    if instance.variant == "pack":
        return float(instance.max_load())
    return CostModel(instance).all_fast_time()


def finish(
    instance: MemoryInstance, offsets: np.ndarray, name: str, elapsed: float, **info: object
) -> SolveResult[MemoryMapping]:
    """The validated result of ``offsets``; ``optimal`` when it meets :func:`lower_bound`."""
    mapping = MemoryMapping.build(instance, offsets, name, "feasible", elapsed)
    report = validate_mapping(instance, mapping)
    bound = lower_bound(instance)
    status: Status = "optimal" if report.objective <= bound else "feasible"
    return SolveResult(
        schedule=dataclasses.replace(mapping, status=status),
        solver=name,
        status=status,
        wall_time_s=elapsed,
        objective=report.objective,
        bound=bound,
        info={"peak": report.peak, "fits": report.fits, **info},
    )


class GreedyHeuristic:
    """Base class: subclasses define ``name``, :meth:`order` and ``best``."""

    name = "greedy"
    problem = "memory"
    best = False

    def order(self, instance: MemoryInstance) -> np.ndarray:
        """Buffer indices in the order they are placed."""
        return visiting_order(instance, "start")

    def offsets(self, instance: MemoryInstance) -> np.ndarray:
        """The heuristic's offsets (``SLOW`` = -1 for slow memory)."""
        return greedy_offsets(instance, self.order(instance), self.best)

    def solve(
        self,
        instance: MemoryInstance,
        budget: Budget = Budget(),  # noqa: B008 (frozen, immutable)
    ) -> SolveResult[MemoryMapping]:
        """One greedy pass (deterministic; the budget is not needed)."""
        with Stopwatch() as watch:
            offsets = self.offsets(instance)
        return finish(instance, offsets, self.name, watch.elapsed)


class FirstFit(GreedyHeuristic):
    """Live-range order, lowest free offset."""

    name = "first-fit"


class BestFit(GreedyHeuristic):
    """Live-range order, tightest free gap."""

    name = "best-fit"
    best = True


class SizeDescending(GreedyHeuristic):
    """Size descending, lowest free offset (first-fit decreasing)."""

    name = "size-desc"

    def order(self, instance: MemoryInstance) -> np.ndarray:
        return visiting_order(instance, "size")


class XlaGreedy(GreedyHeuristic):
    """XLA-like: benefit / sqrt(size) descending for ``assign`` (size descending for ``pack``),
    best fit; zero-benefit buffers stay slow in ``assign``."""

    name = "xla-greedy"
    best = True

    def order(self, instance: MemoryInstance) -> np.ndarray:
        if instance.variant == "pack":
            return visiting_order(instance, "benefit")
        benefit = CostModel(instance).isolated_benefit()
        ranked = visiting_order(instance, "benefit", benefit)
        return ranked[benefit[ranked] > 0]

    def offsets(self, instance: MemoryInstance) -> np.ndarray:
        """Placed buffers from :meth:`order`; the rest (no benefit) in slow memory."""
        order = self.order(instance)
        if instance.variant == "pack":
            return greedy_offsets(instance, order, best=True)
        state = PlacementState(instance, instance.capacity)
        for i in order:
            state.place(int(i), state.best_fit(int(i)))
        return state.result()


HEURISTICS: dict[str, type[GreedyHeuristic]] = {
    cls.name: cls for cls in (FirstFit, BestFit, SizeDescending, XlaGreedy)
}
