"""Aggregates and outputs: scores, feasibility, wall-time percentiles, budget hits, CSV."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from schedgym.core.problem import Score
from schedgym.leaderboard.report import (
    aggregate,
    markdown,
    natural_key,
    percentile,
    read_rows_csv,
    summarise,
    write_rows_csv,
)
from schedgym.leaderboard.store import Row
from schedgym.problems import get_problem


def row(
    instance: str,
    solver: str,
    objective: float | None,
    wall: float = 1.0,
    group: str = "10x5",
    hit: bool = False,
    ref: float = 100.0,
) -> Row:
    gap = None if objective is None else 100.0 * (objective - ref) / ref
    status = "feasible" if objective is not None else "invalid"
    return Row(
        "jobshop",
        "s",
        instance,
        solver,
        0,
        0,
        2.0,
        "c",
        group,
        status,
        objective,
        ref,
        gap,
        wall,
        hit,
    )


JOBSHOP = get_problem("jobshop")
ROWS = [
    row("a", "x", 110.0, 1.0),
    row("b", "x", 120.0, 2.0, hit=True),
    row("c", "x", None, 3.0, group="15x15"),  # failed: counted, never scored
    row("a", "y", 100.0, 0.5),
    row("b", "y", 100.0, 0.5),
    row("c", "y", 150.0, 0.5, group="15x15"),
]


def test_cells_per_solver_and_group() -> None:
    cells = {(c.solver, c.group): c for c in summarise(ROWS, JOBSHOP)}
    x = cells[("x", "10x5")]
    assert (x.runs, x.scored, x.budget_hits) == (2, 2, 1)
    assert x.scores[0] == pytest.approx(15.0)
    assert x.mean_wall_s == pytest.approx(1.5) and x.p95_wall_s == pytest.approx(1.95)
    failed = cells[("x", "15x15")]
    assert (failed.runs, failed.scored, failed.feasibility, failed.scores) == (1, 0, 0.0, (None,))
    assert cells[("x", "all")].feasibility == pytest.approx(2 / 3)
    assert cells[("x", "all")].scores[0] == pytest.approx(15.0)  # the failure is not scored
    assert cells[("y", "all")].scores[0] == pytest.approx(50.0 / 3)
    assert [c.group for c in summarise(ROWS, JOBSHOP)][:3] == ["10x5", "15x15", "all"]


def test_ratio_to_a_solver_and_other_directions() -> None:
    problem = dataclasses.replace(
        JOBSHOP,
        scores=(
            Score.ratio_to_solver("y"),
            Score.objective("profit", lower_is_better=False),
            Score.ratio("per instance", lambda name: 10.0),
        ),
    )
    cells = {(c.solver, c.group): c for c in summarise(ROWS, problem)}
    ratio, objective, per_instance = cells[("x", "all")].scores
    assert ratio == pytest.approx(math.sqrt(1.1 * 1.2))  # geometric mean over a and b
    assert objective == pytest.approx(115.0)
    assert per_instance == pytest.approx(11.5)
    assert cells[("y", "all")].scores[0] == pytest.approx(1.0)
    text = markdown(summarise(ROWS, problem), problem, "t")
    assert "ratio to y" in text and "1.149" in text


def test_markdown_shows_failures_as_not_feasible() -> None:
    text = markdown(summarise(ROWS, JOBSHOP), JOBSHOP, "jobshop / s")
    assert "| `x` | 15.00 | - | 15.00 | 67% | 2.000 |" in text
    assert "| `x` | 15x15 | 1 | 0% | - | 3.000 | 3.000 | 0 |" in text


def test_helpers() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == pytest.approx(3.85)
    assert aggregate([2.0, 8.0, None], "geomean") == pytest.approx(4.0)
    assert aggregate([None], "mean") is None
    assert sorted(["all", "100x20", "15x15", "20x5"], key=natural_key) == [
        "15x15",
        "20x5",
        "100x20",
        "all",
    ]


def test_csv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    rows = [*ROWS, dataclasses.replace(ROWS[0], instance="d", time_limit=None)]
    write_rows_csv(rows, path)
    assert read_rows_csv(path) == rows
