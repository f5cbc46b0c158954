"""Exact memory solvers against brute force on small random instances.

Brute force (pure Python, independent of the library's placement code): every order of the
buffers, each placed at its lowest free offset; the best peak over all orders is the optimum
(any packing, sorted by offset, is reproduced at or below its offsets by that order).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from schedgym.baselines.memory.cpsat import MemoryCPSAT
from schedgym.baselines.memory.search import CanonicalSearch
from schedgym.core.seeding import make_rng
from schedgym.core.solver import Budget
from schedgym.memory.cost import CostModel
from schedgym.memory.generator import UniformGenerator
from schedgym.memory.instance import MemoryInstance
from schedgym.memory.validate import validate_mapping


def _lowest_fit_peak(instance: MemoryInstance, order: tuple[int, ...]) -> int:
    s, e, z = instance.starts.tolist(), instance.ends.tolist(), instance.sizes.tolist()
    placed: list[tuple[int, int]] = []  # (buffer, offset)
    peak = 0
    for i in order:
        busy = sorted((o, o + z[j]) for j, o in placed if s[j] < e[i] and s[i] < e[j])
        offset = 0
        for low, top in busy:
            if offset + z[i] <= low:
                break
            offset = max(offset, top)
        placed.append((i, offset))
        peak = max(peak, offset + z[i])
    return peak


def brute_force_peak(instance: MemoryInstance, subset: tuple[int, ...] | None = None) -> int:
    """The optimal peak of ``subset`` (all buffers by default)."""
    chosen = tuple(range(instance.num_buffers)) if subset is None else subset
    if not chosen:
        return 0
    return min(_lowest_fit_peak(instance, order) for order in itertools.permutations(chosen))


PACK = [UniformGenerator(6, horizon=8, max_size=6).sample(make_rng(seed)) for seed in range(8)]


@pytest.mark.parametrize("seed", range(len(PACK)))
def test_cpsat_and_search_peaks_equal_brute_force(seed: int) -> None:
    instance = PACK[seed]
    optimum = brute_force_peak(instance)
    budget = Budget(time_limit_s=10.0, workers=1)
    for solver in (MemoryCPSAT(), CanonicalSearch()):
        result = solver.solve(instance, budget)
        assert result.status == "optimal", solver.name
        assert result.schedule is not None
        report = validate_mapping(instance, result.schedule)
        assert report.peak == result.objective == optimum, solver.name
        assert result.bound == optimum


@pytest.mark.parametrize("seed", range(4))
def test_cpsat_assign_matches_brute_force(seed: int) -> None:
    gen = UniformGenerator(5, horizon=6, max_size=6, variant="assign", capacity_ratio=0.6)
    instance = gen.sample(make_rng(100 + seed))
    cost = CostModel(instance)
    best = cost.all_slow_time()
    for k in range(1, instance.num_buffers + 1):
        for subset in itertools.combinations(range(instance.num_buffers), k):
            if brute_force_peak(instance, subset) <= instance.capacity:
                mask = np.zeros(instance.num_buffers, dtype=bool)
                mask[list(subset)] = True
                best = min(best, cost.modelled_time(mask))
    result = MemoryCPSAT().solve(instance, Budget(time_limit_s=10.0))
    assert result.schedule is not None and result.objective is not None
    assert validate_mapping(instance, result.schedule).objective == result.objective
    assert result.objective == pytest.approx(best, rel=1e-6)
    assert result.bound is not None and result.bound <= result.objective + 1e-9
