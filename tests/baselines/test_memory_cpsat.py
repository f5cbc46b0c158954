"""memory.cpsat: hints, time limits, bounds and argument checks (exactness: test_memory_exact)."""

from __future__ import annotations

import pytest

from schedgym.baselines.memory.cpsat import MemoryCPSAT
from schedgym.baselines.memory.heuristics import XlaGreedy
from schedgym.core.errors import UnknownNameError
from schedgym.core.solver import Budget, register_solver
from schedgym.datasets import memory as shipped
from schedgym.memory.validate import validate_mapping

register_solver("memory", "test-xla", XlaGreedy)


def test_assign_improves_on_its_hint_with_a_valid_bound() -> None:
    inst = shipped.load("assign-07")
    hint = XlaGreedy().solve(inst).objective
    result = MemoryCPSAT(hint="test-xla").solve(inst, Budget(time_limit_s=3.0))
    assert result.schedule is not None and result.objective is not None and hint is not None
    assert validate_mapping(inst, result.schedule).objective == result.objective
    assert result.objective <= hint + 1e-9
    assert result.bound is not None and result.bound <= result.objective + 1e-9
    assert result.status in ("optimal", "feasible")


def test_pack_keeps_the_hint_under_a_tiny_time_limit() -> None:
    inst = shipped.load("pack-hard-00")
    result = MemoryCPSAT().solve(inst, Budget(time_limit_s=0.01))
    assert result.schedule is not None and result.status in ("feasible", "optimal")
    report = validate_mapping(inst, result.schedule)
    assert report.peak == result.objective and result.bound is not None
    assert inst.capacity <= result.bound <= report.peak


def test_without_hint_and_argument_checks() -> None:
    inst = shipped.load("pack-01")
    result = MemoryCPSAT(hint=None).solve(inst, Budget(time_limit_s=1.0))
    assert result.status in ("optimal", "feasible", "timeout")
    with pytest.raises(ValueError):
        MemoryCPSAT(workers=0)
    with pytest.raises(UnknownNameError):
        MemoryCPSAT(hint="no-such-solver")
