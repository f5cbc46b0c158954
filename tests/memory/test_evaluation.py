"""The memory problem descriptor (load, suites, references, gaps, settings), run_one, suite
evaluation through the harness, mapping plots, shipped suites."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from schedgym.core.errors import InvalidScheduleError, UnknownNameError
from schedgym.core.problem import Problem
from schedgym.core.run import run_one
from schedgym.core.solver import Budget, SolveResult, register_solver
from schedgym.datasets import memory as shipped
from schedgym.datasets.memory.build import build
from schedgym.leaderboard.harness import make_plan, run_leaderboard
from schedgym.memory.formats import write_csv
from schedgym.memory.instance import MemoryInstance
from schedgym.memory.problem import PROBLEM
from schedgym.memory.render import mapping_ansi, mapping_rgb
from schedgym.memory.schedule import MemoryMapping
from schedgym.memory.simulator import PlacementState, visiting_order
from schedgym.problems import get_problem


class LowestFit:
    """First fit in live-range order (a test solver, registered locally)."""

    name = "test-lowest"
    problem = "memory"

    def __init__(self, broken: bool = False) -> None:
        self.broken = broken

    def solve(self, instance: MemoryInstance, budget: Budget) -> SolveResult[MemoryMapping]:
        limit = instance.capacity if instance.variant == "assign" else None
        state = PlacementState(instance, limit)
        for i in visiting_order(instance, "start"):
            state.place(int(i), state.first_fit(int(i)))
        offsets = state.result()
        if self.broken:
            offsets = np.where(offsets >= 0, 0, offsets)  # every fast buffer at 0: overlaps
        return SolveResult(MemoryMapping.build(instance, offsets), self.name, "feasible", 0.0)


register_solver("memory", "test-lowest", LowestFit)
register_solver("memory", "test-broken", lambda: LowestFit(broken=True))


def test_descriptor_describes_the_problem() -> None:
    assert isinstance(PROBLEM, Problem) and get_problem("memory") is PROBLEM
    assert PROBLEM.name == "memory" and PROBLEM.direction == "min"
    assert PROBLEM.schedule_type is MemoryMapping
    inst = PROBLEM.load("pack-02")
    assert inst.name == "pack-02" and PROBLEM.has_instance("pack-02")
    assert PROBLEM.group_of(inst).startswith("pack ")
    assert PROBLEM.reference("pack-02") == float(inst.capacity)
    assert PROBLEM.reference("not-shipped") is None
    assert "pack" in PROBLEM.suite_names() and len(PROBLEM.suite("pack")) == 20
    assert PROBLEM.gap(110.0, 100.0) == pytest.approx(0.1)
    with pytest.raises(UnknownNameError):
        PROBLEM.suite("nope")


def test_run_one_scores_valid_and_fails_invalid(tmp_path: Path) -> None:
    inst = PROBLEM.load("assign-01")
    good = run_one(PROBLEM, "assign-01", inst, "test-lowest", LowestFit(), Budget())
    assert good.scored and good.objective is not None and good.gap_pct is not None
    assert good.schedule.solver == "test-lowest" and good.schedule.capacity == inst.capacity
    assert good.schedule.instance == "assign-01" and good.schedule.status == "feasible"
    bad = run_one(PROBLEM, "assign-01", inst, "test-broken", LowestFit(True), Budget())
    assert not bad.scored and bad.status == "invalid" and "overlap" in bad.message
    out = tmp_path / "mapping.json"
    PROBLEM.write_schedule(good.schedule, good.objective, out)
    data = json.loads(out.read_text())
    assert data["problem"] == "memory" and data["objective"] == good.objective
    assert len(data["buffers"]) == inst.num_buffers and data["peak"] <= data["capacity"]
    assert PROBLEM.validate(inst, PROBLEM.read_schedule(out, inst)) == good.objective
    png = tmp_path / "mapping.png"
    PROBLEM.render(inst, good.schedule, png, "png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(InvalidScheduleError, match="not a MemoryMapping"):
        PROBLEM.finish(inst, SolveResult("not a mapping", "x", "feasible", 0.0), "x", 0.0)
    with pytest.raises(InvalidScheduleError):
        PROBLEM.validate(inst, "not a mapping")


def test_suite_evaluation_and_configured_problem(tmp_path: Path) -> None:
    plan = make_plan("memory", "pack", ["test-lowest"], frozen_only=False)
    rows = run_leaderboard(plan, tmp_path / "r.sqlite").rows
    assert [r.instance for r in rows] == shipped.suite("pack")
    assert all(r.scored and r.gap_pct is not None and r.gap_pct >= 0 for r in rows)
    inst = PROBLEM.load("pack-00")
    path = tmp_path / "mine.csv"
    write_csv(inst, path)
    configured = PROBLEM.configured(capacity=inst.capacity, variant="assign")
    loaded = configured.load(str(path))
    assert loaded.variant == "assign" and loaded.capacity == inst.capacity
    assert configured.load("pack-00").variant == "assign"
    assert configured.reference("pack-00") is None
    assert PROBLEM.configured() is PROBLEM
    settings = {"capacity": inst.capacity // 2, "variant": "assign"}
    plan = make_plan("memory", "pack-00", ["test-lowest"], settings=settings, frozen_only=False)
    assert plan.suite.name == f"pack-00[capacity={inst.capacity // 2},variant=assign]"
    rows = run_leaderboard(plan, tmp_path / "r.sqlite").rows
    assert len(rows) == 1 and rows[0].scored and rows[0].reference is None
    with pytest.raises(UnknownNameError):
        make_plan("memory", "nope", ["test-lowest"], frozen_only=False)
    with pytest.raises(UnknownNameError, match="--capacity does not apply"):
        get_problem("jobshop").configured(capacity=4)


def test_plots() -> None:
    inst = PROBLEM.load("assign-02")
    mapping = LowestFit().solve(inst, Budget()).schedule
    assert mapping is not None
    image = mapping_rgb(inst, mapping)
    assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8
    text = mapping_ansi(inst, mapping, width=40, height=8)
    assert text.splitlines()[0].startswith("assign-02") and len(text.splitlines()) == 10


def test_shipped_suites_are_as_documented() -> None:
    for name in shipped.suite("pack") + shipped.suite("pack-hard"):
        inst = shipped.load(name)
        assert 100 <= inst.num_buffers <= 400 and inst.variant == "pack"
        assert inst.max_load() == inst.capacity == shipped.reference(name)
    for name in shipped.suite("assign"):
        inst = shipped.load(name)
        assert inst.variant == "assign" and inst.capacity < inst.max_load()
    assert shipped.suite("pack-03") == ["pack-03"] and len(shipped.suite("all")) == 40


def test_shipped_files_regenerate_identically(tmp_path: Path) -> None:
    build(tmp_path)
    root = Path(shipped.__file__).parent
    assert (tmp_path / "references.csv").read_text() == (root / "references.csv").read_text()
    for path in sorted((root / "instances").iterdir()):
        assert (tmp_path / "instances" / path.name).read_text() == path.read_text(), path.name
