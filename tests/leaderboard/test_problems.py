"""Every registered problem's frozen suites verify; generated suites and fingerprints are stable;
the SoC-DAG scores (ratio to HEFT, SLR) come out of a real run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from schedgym.core.generated import dataclass_fingerprint
from schedgym.leaderboard.harness import make_plan, run_leaderboard
from schedgym.leaderboard.report import summarise
from schedgym.leaderboard.suites import read_manifest, verify
from schedgym.problems import get_problem, problem_names


@pytest.mark.parametrize("problem", [p for p in problem_names() if p != "jobshop"])
def test_frozen_suites_of_other_problems_verify(problem: str) -> None:
    described = get_problem(problem)
    suites = read_manifest(described)
    assert described.demo.suite in suites
    for suite in suites.values():
        assert verify(described, suite) == [], suite.name


def test_generated_socdag_suite_is_seeded_and_named() -> None:
    socdag = get_problem("socdag")
    names = socdag.suite("socdag-gen1-s0-n20")
    assert names[0] == "socdag-gen1-s0-n20-00" and len(names) == 20
    first = socdag.load(names[3])
    from schedgym.socdag.problem import GEN1

    again = GEN1.instance(3)
    assert first.name == again.name == names[3]
    assert dataclass_fingerprint(first) == dataclass_fingerprint(again)
    assert dataclass_fingerprint(first) != dataclass_fingerprint(GEN1.instance(4))
    assert socdag.reference(names[3]) is None
    assert socdag.group_of(first) == f"{first.num_pes}p"


def test_fingerprint_covers_arrays_and_refuses_unstable_values() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Thing:
        name: str
        values: np.ndarray
        extra: object = None

    a = Thing("a", np.arange(3))
    assert dataclass_fingerprint(a) == dataclass_fingerprint(Thing("b", np.arange(3)))
    assert dataclass_fingerprint(a) != dataclass_fingerprint(Thing("a", np.arange(3) + 1))
    assert dataclass_fingerprint(a) != dataclass_fingerprint(Thing("a", np.arange(3.0)))
    with pytest.raises(TypeError, match="no stable representation"):
        dataclass_fingerprint(Thing("a", np.arange(3), object()))


def test_socdag_scores_ratio_to_heft_and_slr(tmp_path: Path) -> None:
    socdag = get_problem("socdag")
    plan = make_plan("socdag", "topcuoglu", ["heft", "cpop"])
    rows = run_leaderboard(plan, tmp_path / "r.sqlite").rows
    heft = next(r for r in rows if r.solver == "heft")
    assert heft.objective == 80  # Topcuoglu et al.'s example
    cells = {(c.solver, c.group): c for c in summarise(rows, socdag)}
    ratio, slr, _ = cells[("heft", "all")].scores
    assert ratio == pytest.approx(1.0)
    cp_min = socdag.load("topcuoglu").critical_path_min()
    assert slr == pytest.approx(80 / cp_min)
    cpop = next(r for r in rows if r.solver == "cpop")
    assert cells[("cpop", "all")].scores[0] == pytest.approx((cpop.objective or 0) / 80)
