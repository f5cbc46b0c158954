"""The socdag problem descriptor: load, suites, references, gaps, run_one, files, and the CLI."""

from __future__ import annotations

import json

import pytest

from schedgym.baselines.socdag.cpsat import SoCDAGCPSAT
from schedgym.baselines.socdag.listsched import CPOP, HEFT, PEFT
from schedgym.baselines.socdag.runtime import ETF, HEFTRT, MET, RandomScheduler
from schedgym.core.errors import InvalidScheduleError
from schedgym.core.problem import Problem
from schedgym.core.run import run_one
from schedgym.core.solver import Budget, SolveResult, register_solver
from schedgym.leaderboard.harness import make_plan, run_leaderboard
from schedgym.problems import get_problem
from schedgym.socdag.problem import PROBLEM
from schedgym.socdag.schedule import SoCDAGSchedule

SOLVERS = {
    "heft": HEFT, "cpop": CPOP, "peft": PEFT, "met": MET, "etf": ETF,
    "heft-rt": HEFTRT, "random": RandomScheduler, "cpsat": SoCDAGCPSAT,
}  # fmt: skip


@pytest.fixture(autouse=True)
def _registered() -> None:
    for name, cls in SOLVERS.items():  # entry points may not be installed yet
        register_solver("socdag", name, cls)


def test_descriptor_is_registered_and_describes_the_problem() -> None:
    assert isinstance(PROBLEM, Problem) and get_problem("socdag") is PROBLEM
    assert PROBLEM.name == "socdag" and PROBLEM.objective_name == "makespan"
    assert PROBLEM.direction == "min" and PROBLEM.schedule_type is SoCDAGSchedule
    inst = PROBLEM.load("rand-12x3-00")
    assert inst.name == "rand-12x3-00" and PROBLEM.has_instance("rand-12x3-00")
    assert PROBLEM.group_of(inst) == "12tx3p"
    assert set(PROBLEM.suite_names()) >= {"all", "ds3", "topcuoglu", "rand-12x3"}
    assert "socdag-gen1-s0-n20" in PROBLEM.suite_names()
    assert PROBLEM.suite("rand-12x3")[0] == "rand-12x3-00"
    assert PROBLEM.reference("topcuoglu") == 73.0 and PROBLEM.reference("x") is None
    assert PROBLEM.gap(80.0, 73.0) == pytest.approx(7 / 73)
    assert [s.name for s in PROBLEM.scores] == ["ratio to heft", "SLR", "gap % to CP-SAT"]


def test_run_one_validates_writes_and_draws(tmp_path) -> None:
    inst = PROBLEM.load("topcuoglu")
    record = run_one(PROBLEM, "topcuoglu", inst, "heft", HEFT(), Budget())
    assert record.objective == 80.0 and record.gap_pct == pytest.approx(100 * 7 / 73)
    assert record.size_group == "10tx3p" and record.reference == 73.0
    assert record.schedule.solver == "heft" and record.schedule.instance == "topcuoglu"
    path = tmp_path / "s.json"
    PROBLEM.write_schedule(record.schedule, record.objective, path)
    data = json.loads(path.read_text())
    assert data["problem"] == "socdag" and data["solver"] == "heft" and data["makespan"] == 80.0
    assert PROBLEM.validate(inst, PROBLEM.read_schedule(path, inst)) == 80.0
    PROBLEM.render(inst, record.schedule, tmp_path / "g.png", "png")
    assert (tmp_path / "g.png").stat().st_size > 1000


def test_finish_stamps_the_run_and_refuses_another_type() -> None:
    inst = PROBLEM.load("topcuoglu")
    result = HEFT().solve(inst, Budget())
    stamped = PROBLEM.finish(inst, result, "mine", 1.5)
    assert (stamped.instance, stamped.solver, stamped.wall_time_s) == ("topcuoglu", "mine", 1.5)
    assert stamped.status == result.status
    with pytest.raises(InvalidScheduleError, match="not a SoCDAGSchedule"):
        PROBLEM.finish(inst, SolveResult("nope", "x", "feasible", 0.0), "x", 0.0)


def test_invalid_schedule_is_a_failed_record() -> None:
    class Broken:
        name, problem = "broken", "socdag"

        def solve(self, instance, budget):
            return SolveResult(SoCDAGSchedule(instance.name, ()), "broken", "feasible", 0.0)

    inst = PROBLEM.load("topcuoglu")
    record = run_one(PROBLEM, "topcuoglu", inst, "broken", Broken(), Budget())
    assert record.status == "invalid" and record.objective is None and "missing" in record.message


def test_the_harness_scores_every_solver(tmp_path) -> None:
    plan = make_plan("socdag", "topcuoglu", list(SOLVERS), time_limits=[5.0], frozen_only=False)
    rows = run_leaderboard(plan, tmp_path / "r.sqlite").rows
    spans = {r.solver: r.objective for r in rows}
    assert len(rows) == len(SOLVERS) and all(r.scored for r in rows)
    assert spans["heft"] == 80.0 and spans["cpop"] == 86.0 and spans["cpsat"] == 73.0
    assert min(spans.values()) == 73.0


def test_cli_solve_and_evaluate(tmp_path) -> None:
    from typer.testing import CliRunner

    from schedgym import cli

    runner = CliRunner()
    out = tmp_path / "s.json"
    args = ["solve", "-p", "socdag", "-i", "topcuoglu", "-s", "heft", "-o", str(out)]
    result = runner.invoke(cli.app, [*args, "--gantt", str(tmp_path / "g.png")])
    assert result.exit_code == 0, result.output
    assert "makespan 80" in result.output and json.loads(out.read_text())["makespan"] == 80.0
    result = runner.invoke(cli.app, ["evaluate", "-p", "socdag", "--suite", "topcuoglu",
                                     "--solvers", "heft,peft"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "### socdag / topcuoglu (1 instances)" in result.stdout
    assert "| solver | 10tx3p | all | feasible | mean s |" in result.stdout
    assert "| `heft` | 1.000 | 1.000 | 100% |" in result.stdout  # the ratio to HEFT
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = runner.invoke(cli.app, ["solve", "-p", "socdag", "-i", str(bad), "-s", "heft",
                                     "-o", str(tmp_path / "x.json")])  # fmt: skip
    assert result.exit_code == 2 and not (tmp_path / "x.json").exists()
