"""The CLI adapter (ProblemAdapter protocol), suite evaluation, mapping plots, shipped suites."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from schedgym.core.errors import InvalidScheduleError, UnknownNameError
from schedgym.core.report import ProblemAdapter, run_one
from schedgym.core.solver import Budget, SolveResult, register_solver
from schedgym.datasets import memory as shipped
from schedgym.datasets.memory.build import build
from schedgym.memory.evaluation import ADAPTER, evaluate_suite
from schedgym.memory.formats import write_csv
from schedgym.memory.instance import MemoryInstance
from schedgym.memory.mapping import MemoryMapping
from schedgym.memory.plot import mapping_ansi, mapping_rgb
from schedgym.memory.state import PlacementState, visiting_order


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


def test_adapter_follows_the_protocol() -> None:
    adapter: ProblemAdapter = ADAPTER
    inst = adapter.load_instance("pack-02")
    assert adapter.instance_name(inst) == "pack-02"
    assert adapter.size_group(inst).startswith("pack ")
    assert adapter.reference("pack-02") == float(inst.capacity)
    assert adapter.reference("not-shipped") is None
    assert "pack" in adapter.suite_names() and len(adapter.suite("pack")) == 20
    assert adapter.gap(110.0, 100.0) == pytest.approx(0.1)
    with pytest.raises(UnknownNameError):
        adapter.suite("nope")


def test_run_one_scores_valid_and_fails_invalid(tmp_path: Path) -> None:
    inst = ADAPTER.load_instance("assign-01")
    good = run_one(ADAPTER, "assign-01", inst, "test-lowest", LowestFit(), Budget())
    assert good.scored and good.objective is not None and good.gap_pct is not None
    assert good.schedule.solver == "test-lowest" and good.schedule.capacity == inst.capacity
    bad = run_one(ADAPTER, "assign-01", inst, "test-broken", LowestFit(True), Budget())
    assert not bad.scored and bad.status == "invalid" and "overlap" in bad.message
    out = tmp_path / "mapping.json"
    ADAPTER.write_schedule(good.schedule, good.objective, out)
    data = json.loads(out.read_text())
    assert data["problem"] == "memory" and data["objective"] == good.objective
    assert len(data["buffers"]) == inst.num_buffers and data["peak"] <= data["capacity"]
    png = tmp_path / "mapping.png"
    ADAPTER.render(inst, good.schedule, png, "png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(InvalidScheduleError):
        ADAPTER.validate(inst, "not a mapping")


def test_evaluate_suite_and_configured_adapter(tmp_path: Path) -> None:
    records = evaluate_suite(["pack-00", "pack-01"], ["test-lowest"], Budget())
    assert [r.instance for r in records] == ["pack-00", "pack-01"]
    assert all(r.scored and r.gap_pct is not None and r.gap_pct >= 0 for r in records)
    inst = ADAPTER.load_instance("pack-00")
    path = tmp_path / "mine.csv"
    write_csv(inst, path)
    adapter = ADAPTER.configured(capacity=inst.capacity, variant="assign")
    loaded = adapter.load_instance(str(path))
    assert loaded.variant == "assign" and loaded.capacity == inst.capacity
    assert adapter.reference("pack-00") is None
    with pytest.raises(UnknownNameError):
        evaluate_suite(["nope"], ["test-lowest"], Budget())


def test_plots() -> None:
    inst = ADAPTER.load_instance("assign-02")
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
