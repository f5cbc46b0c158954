"""The socdag ProblemAdapter: the CLI's protocol, run_one, files."""

from __future__ import annotations

import json

import pytest

from baselines.socdag.cpsat import SoCDAGCPSAT
from baselines.socdag.listsched import CPOP, HEFT, PEFT
from baselines.socdag.runtime import ETF, HEFTRT, MET, RandomScheduler
from schedgym.core.report import ProblemAdapter, run_one
from schedgym.core.solver import Budget, register_solver
from schedgym.socdag.evaluation import ADAPTER, evaluate_suite
from schedgym.socdag.schedule import SoCDAGSchedule

SOLVERS = {
    "heft": HEFT, "cpop": CPOP, "peft": PEFT, "met": MET, "etf": ETF,
    "heft-rt": HEFTRT, "random": RandomScheduler, "cpsat": SoCDAGCPSAT,
}  # fmt: skip


@pytest.fixture(autouse=True)
def _registered() -> None:
    for name, cls in SOLVERS.items():  # entry points may not be installed yet
        register_solver("socdag", name, cls)


def test_adapter_follows_the_protocol() -> None:
    for name in ProblemAdapter.__dict__:
        if not name.startswith("_"):
            assert hasattr(ADAPTER, name), name
    assert ADAPTER.problem == "socdag" and ADAPTER.objective_name == "makespan"
    inst = ADAPTER.load_instance("rand-12x3-00")
    assert ADAPTER.instance_name(inst) == "rand-12x3-00"
    assert ADAPTER.size_group(inst) == "12tx3p"
    assert set(ADAPTER.suite_names()) >= {"all", "ds3", "topcuoglu", "rand-12x3"}
    assert ADAPTER.reference("topcuoglu") == 73.0 and ADAPTER.reference("x") is None
    assert ADAPTER.gap(80.0, 73.0) == pytest.approx(7 / 73)


def test_run_one_validates_writes_and_draws(tmp_path) -> None:
    inst = ADAPTER.load_instance("topcuoglu")
    record = run_one(ADAPTER, "topcuoglu", inst, "heft", HEFT(), Budget())
    assert record.objective == 80.0 and record.gap_pct == pytest.approx(100 * 7 / 73)
    path = tmp_path / "s.json"
    ADAPTER.write_schedule(record.schedule, record.objective, path)
    data = json.loads(path.read_text())
    assert data["problem"] == "socdag" and data["solver"] == "heft" and data["makespan"] == 80.0
    assert ADAPTER.validate(inst, SoCDAGSchedule.read(path)) == 80.0
    ADAPTER.render(inst, record.schedule, tmp_path / "g.png", "png")
    assert (tmp_path / "g.png").stat().st_size > 1000


def test_invalid_schedule_is_a_failed_record() -> None:
    class Broken:
        name, problem = "broken", "socdag"

        def solve(self, instance, budget):
            from schedgym.core.solver import SolveResult

            return SolveResult(SoCDAGSchedule(instance.name, ()), "broken", "feasible", 0.0)

    inst = ADAPTER.load_instance("topcuoglu")
    record = run_one(ADAPTER, "topcuoglu", inst, "broken", Broken(), Budget())
    assert record.status == "invalid" and record.objective is None and "missing" in record.message


def test_evaluate_suite_scores_every_solver() -> None:
    records = evaluate_suite("topcuoglu", list(SOLVERS), Budget(time_limit_s=5.0, workers=1))
    spans = {r.solver: r.objective for r in records}
    assert all(r.scored for r in records)
    assert spans["heft"] == 80.0 and spans["cpop"] == 86.0 and spans["cpsat"] == 73.0
    assert min(spans.values()) == 73.0


def test_cli_solve_and_evaluate_with_the_one_line_wiring(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from schedgym import cli

    monkeypatch.setitem(cli.PROBLEMS, "socdag", "schedgym.socdag.evaluation:ADAPTER")
    runner = CliRunner()
    out = tmp_path / "s.json"
    args = ["solve", "-p", "socdag", "-i", "topcuoglu", "-s", "heft", "-o", str(out)]
    result = runner.invoke(cli.app, [*args, "--gantt", str(tmp_path / "g.png")])
    assert result.exit_code == 0, result.output
    assert "makespan 80" in result.output and json.loads(out.read_text())["makespan"] == 80.0
    result = runner.invoke(cli.app, ["evaluate", "-p", "socdag", "--suite", "topcuoglu",
                                     "--solvers", "heft,peft"])  # fmt: skip
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = runner.invoke(cli.app, ["solve", "-p", "socdag", "-i", str(bad), "-s", "heft",
                                     "-o", str(tmp_path / "x.json")])  # fmt: skip
    assert result.exit_code == 2 and not (tmp_path / "x.json").exists()
