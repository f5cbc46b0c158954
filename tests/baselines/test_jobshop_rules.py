"""Dispatching rules: registered names, valid schedules (also under dynamics), literature range."""

from __future__ import annotations

import numpy as np
import pytest

from schedgym.baselines.jobshop.rules import RULES
from schedgym.core.solver import Budget, available_solvers, load_solver
from schedgym.datasets import jobshop as shipped
from schedgym.jobshop.validate import validate_schedule

NAMES = ["spt", "lpt", "mwkr", "mopnr", "fifo", "fdd-mwkr", "random"]


def test_rules_registered_under_stable_names() -> None:
    assert set(NAMES) | {"cpsat"} <= set(available_solvers("jobshop"))
    for name in NAMES:
        assert load_solver("jobshop", name).name == name


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "options",
    [{}, {"duration_noise": 0.2, "mtbf": 50.0, "arrival_mean": 5.0}, {"blocking": True}],
    ids=["static", "dynamic", "blocking"],
)
def test_rule_schedules_validate(name: str, options: dict) -> None:
    instance = shipped.load("la01")
    result = load_solver("jobshop", name, **options).solve(instance, Budget(seed=3))
    assert result.status == "feasible" and result.schedule is not None
    assert validate_schedule(instance, result.schedule) == result.objective
    again = load_solver("jobshop", name, **options).solve(instance, Budget(seed=3))
    assert again.schedule is not None
    assert again.schedule.operations == result.schedule.operations


def test_known_values_on_ft06() -> None:
    instance = shipped.load("ft06")
    spans = {n: RULES[n]().solve(instance, Budget()).objective for n in NAMES if n != "random"}
    assert all(55 <= s < 120 for s in spans.values() if s is not None)


def test_random_rule_depends_on_seed() -> None:
    instance = shipped.load("ta01")
    a = RULES["random"]().solve(instance, Budget(seed=0)).objective
    b = RULES["random"]().solve(instance, Budget(seed=1)).objective
    assert a != b


def test_mwkr_gap_on_taillard_15x15_is_in_literature_range() -> None:
    """A well-built non-delay dispatcher: MWKR about 19% on ta01-ta10 (L2D reports 19.2%)."""
    gaps = []
    for name in shipped.suite("ta-15x15"):
        result = RULES["mwkr"]().solve(shipped.load(name), Budget())
        reference = shipped.bounds(name).reference
        assert result.objective is not None and reference is not None
        gaps.append((result.objective - reference) / reference)
    assert 0.15 <= float(np.mean(gaps)) <= 0.23
