"""Every landed problem's frozen suites verify; generated suites and fingerprints are stable;
the SoC-DAG scores (ratio to HEFT, SLR) come out of a real run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from schedgym.leaderboard.generated import dataclass_fingerprint
from schedgym.leaderboard.harness import make_plan, run_leaderboard
from schedgym.leaderboard.report import summarise
from schedgym.leaderboard.spec import get_spec, landed_problems
from schedgym.leaderboard.suites import read_manifest, verify


@pytest.mark.parametrize("problem", [p for p in landed_problems() if p != "jobshop"])
def test_frozen_suites_of_other_problems_verify(problem: str) -> None:
    spec = get_spec(problem)
    suites = read_manifest(spec)
    assert spec.demo_suite in suites
    for suite in suites.values():
        assert verify(spec, suite) == [], suite.name


def test_generated_socdag_suite_is_seeded_and_named() -> None:
    pytest.importorskip("schedgym.socdag")
    spec = get_spec("socdag")
    names = spec.adapter.suite("socdag-gen1-s0-n20")
    assert names[0] == "socdag-gen1-s0-n20-00" and len(names) == 20
    first = spec.adapter.load_instance(names[3])
    from schedgym.socdag.leaderboard import GEN1

    again = GEN1.instance(3)
    assert first.name == again.name == names[3]
    assert dataclass_fingerprint(first) == dataclass_fingerprint(again)
    assert dataclass_fingerprint(first) != dataclass_fingerprint(GEN1.instance(4))
    assert spec.adapter.reference(names[3]) is None
    assert spec.adapter.size_group(first) == f"{first.num_pes}p"


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
    if "socdag" not in landed_problems():
        pytest.skip("socdag has not landed")
    spec = get_spec("socdag")
    plan = make_plan("socdag", "topcuoglu", ["heft", "cpop"])
    rows = run_leaderboard(plan, tmp_path / "r.sqlite").rows
    heft = next(r for r in rows if r.solver == "heft")
    assert heft.objective == 80  # Topcuoglu et al.'s example
    cells = {(c.solver, c.group): c for c in summarise(rows, spec)}
    ratio, slr, _ = cells[("heft", "all")].scores
    assert ratio == pytest.approx(1.0)
    cp_min = spec.adapter.load_instance("topcuoglu").critical_path_min()
    assert slr == pytest.approx(80 / cp_min)
    cpop = next(r for r in rows if r.solver == "cpop")
    assert cells[("cpop", "all")].scores[0] == pytest.approx((cpop.objective or 0) / 80)
