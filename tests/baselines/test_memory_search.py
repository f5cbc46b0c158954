"""canonical-search: fits tight instances the greedy heuristics miss, tightens peaks, proves."""

from __future__ import annotations

from schedgym.baselines.memory.heuristics import BestFit
from schedgym.baselines.memory.search import CanonicalPacker, CanonicalSearch
from schedgym.core.solver import Budget
from schedgym.datasets import memory as shipped
from schedgym.memory.validate import validate_mapping


def test_fits_tight_instances_that_best_fit_does_not() -> None:
    fitted = 0
    for name in shipped.suite("pack")[:4]:
        inst = shipped.load(name)
        assert not BestFit().solve(inst).info["fits"]
        result = CanonicalSearch().solve(inst, Budget(time_limit_s=5.0))
        assert result.schedule is not None
        report = validate_mapping(inst, result.schedule)
        assert report.objective == result.objective
        if report.fits:
            fitted += 1
            assert result.status == "optimal" and report.peak == inst.capacity
    assert fitted >= 3


def test_lowers_the_peak_below_a_loose_capacity() -> None:
    inst = shipped.load("pack-05")
    loose = inst.with_capacity(2 * inst.capacity)
    result = CanonicalSearch().solve(loose, Budget(time_limit_s=5.0))
    assert result.status == "optimal" and result.objective == inst.capacity == result.bound


def test_decision_search_proves_infeasibility() -> None:
    inst = shipped.load("pack-00")
    packer = CanonicalPacker(inst)
    found, proven = packer.decide(inst.capacity - 1, deadline=float("inf"))
    assert found is None and proven  # below the peak live load: no packing


def test_assign_is_unsupported() -> None:
    result = CanonicalSearch().solve(shipped.load("assign-00"), Budget(time_limit_s=1.0))
    assert result.status == "unsupported" and result.schedule is None
