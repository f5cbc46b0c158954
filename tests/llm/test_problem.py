"""The llm problem descriptor, its solvers and the CLI: every solver's schedule validates, a
broken one is refused, the schedule file and the picture are written, ``schedgym solve`` and
``schedgym evaluate`` run on a generated suite."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from schedgym.cli import app
from schedgym.core.errors import InvalidScheduleError
from schedgym.core.solver import Budget, available_solvers, load_solver
from schedgym.llm.generator import ServingGenerator
from schedgym.llm.instance import ServingInstance
from schedgym.problems import get_problem

SOLVERS = ("round-robin", "least-loaded", "shortest-queue", "sarathi")
runner = CliRunner()


@pytest.fixture(scope="module")
def instance() -> ServingInstance:
    gen = ServingGenerator(num_requests=120, num_replicas=3, rate_per_replica=10.0)
    return gen.sample(np.random.default_rng(11))


def test_descriptor_and_suites() -> None:
    problem = get_problem("llm")
    assert problem.env_id == "schedgym/LLMServing-v0" and problem.direction == "max"
    assert set(SOLVERS) <= set(available_solvers("llm"))
    names = problem.suite("llm-heavy-gen1-s0-n10")
    assert len(names) == 10 and {"azure2023", "llm-light-gen1-s0-n10"} <= set(problem.suite_names())
    a, b = problem.load(names[0]), problem.load(names[0])
    assert a.name == names[0] and problem.fingerprint(a) == problem.fingerprint(b)
    assert problem.fingerprint(a) != problem.fingerprint(problem.load(names[1]))
    assert problem.has_instance("azure2023_code") and problem.reference("azure2023_code") is None
    assert problem.sampler is not None
    level = problem.sampler.sample(np.random.default_rng(0), level=2)
    assert 3 <= level.num_replicas <= 6


@pytest.mark.parametrize("name", SOLVERS)
def test_solvers_return_validated_schedules(instance: ServingInstance, name: str) -> None:
    problem = get_problem("llm")
    result = load_solver("llm", name).solve(instance, Budget())
    assert result.status == "feasible" and result.schedule is not None
    schedule = problem.finish(instance, result, name, result.wall_time_s)
    assert problem.validate(instance, schedule) == result.objective
    assert 0.0 <= result.objective <= 1.0 and result.info["tbt_p99"] > 0


def test_a_broken_schedule_is_refused(instance: ServingInstance) -> None:
    problem = get_problem("llm")
    schedule = load_solver("llm", "least-loaded").solve(instance, Budget()).schedule
    end = schedule.step_end.copy()
    end[len(end) // 2] *= 0.5  # a step shorter than the cost model says
    with pytest.raises(InvalidScheduleError):
        problem.validate(instance, dataclasses.replace(schedule, step_end=end))
    route = schedule.request_replica.copy()
    route[0] = (route[0] + 1) % instance.num_replicas
    with pytest.raises(InvalidScheduleError, match="another replica"):
        problem.validate(instance, dataclasses.replace(schedule, request_replica=route))


def test_schedule_file_and_picture(instance: ServingInstance, tmp_path: Path) -> None:
    problem = get_problem("llm")
    result = load_solver("llm", "sarathi").solve(instance, Budget())
    objective = problem.validate(instance, result.schedule)
    problem.write_schedule(result.schedule, objective, tmp_path / "s.json")
    assert json.loads((tmp_path / "s.json").read_text())["slo_attainment"] == objective
    back = problem.read_schedule(tmp_path / "s.json", instance)
    assert problem.validate(instance, back) == objective
    problem.render(instance, result.schedule, tmp_path / "s.png", "png")
    assert (tmp_path / "s.png").stat().st_size > 10_000


def test_cli_solve_writes_a_validated_schedule(tmp_path: Path) -> None:
    out, picture = tmp_path / "s.json", tmp_path / "s.svg"
    result = runner.invoke(
        app,
        [
            "solve",
            "--problem",
            "llm",
            "--instance",
            "llm-light-gen1-s0-n10-0",
            "--solver",
            "least-loaded",
            "--out",
            str(out),
            "--gantt",
            str(picture),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "slo_attainment" in result.output
    problem = get_problem("llm")
    instance = problem.load("llm-light-gen1-s0-n10-0")
    data = json.loads(out.read_text())
    assert problem.validate(instance, problem.read_schedule(out, instance)) == pytest.approx(
        data["slo_attainment"]
    )
    assert picture.read_text().startswith("<?xml")


def test_cli_evaluate_on_a_generated_suite(tmp_path: Path) -> None:
    csv = tmp_path / "rows.csv"
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--problem",
            "llm",
            "--suite",
            "llm-heavy-gen1-s0-n10",
            "--solvers",
            "least-loaded,round-robin",
            "--csv",
            str(csv),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = csv.read_text().splitlines()
    assert len(rows) == 1 + 2 * 10
    assert "least-loaded" in result.output and "round-robin" in result.output
