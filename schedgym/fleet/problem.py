"""The fleet problem's descriptor (:data:`PROBLEM`) and its scenario loader."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from schedgym.core.generated import dataclass_fingerprint
from schedgym.core.problem import Demo, Problem, Sampler, Score, TrainingHooks
from schedgym.core.solver import SolveResult
from schedgym.datasets import fleet as shipped
from schedgym.fleet.formats import read_scenario
from schedgym.fleet.generator import FleetGenerator
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.schedule import FleetSchedule, read_schedule


def load_instance(name_or_path: str | Path) -> FleetScenario:
    """A shipped scenario by name (``"default"``, ``"default-d7"`` for day 7) or a JSON file."""
    scenario: FleetScenario = PROBLEM.load(name_or_path)
    return scenario


def _profit(instance: FleetScenario, schedule: FleetSchedule) -> float:
    """The exact profit from the independent validator, after an exact replay."""
    from schedgym.fleet.validate import replay_schedule, validate_schedule

    profit = validate_schedule(instance, schedule)
    replay_schedule(instance, schedule)
    return profit


def _stamp(
    schedule: FleetSchedule,
    instance: FleetScenario,
    result: SolveResult[Any],
    solver: str,
    wall_s: float,
) -> FleetSchedule:
    return dataclasses.replace(
        schedule,
        scenario=instance.name,
        solver=solver,
        status=result.status,
        wall_time_s=wall_s,
        bound=result.bound,
    )


def _write(schedule: FleetSchedule, objective: float, path: Path) -> None:
    schedule.write(path, profit=objective)


def _render(instance: FleetScenario, schedule: FleetSchedule, path: Path, fmt: str) -> None:
    from schedgym.fleet.render import save_day_plot

    save_day_plot(instance, schedule, path, fmt=fmt)


#: Metric: the day's profit from the validator (maximised). Scores: mean profit (the headline)
#: and the mean gap (%) to the shipped clairvoyant LP upper bound of each day (``(bound -
#: profit) / bound``; the bound is loose, so this gap overstates the distance to the optimum).
#: Frozen suites: ``default5`` (the demo) and ``default20``, seeded days of the default
#: 8-vertiport, 40-aircraft scenario.
PROBLEM = Problem(
    name="fleet",
    title="Fleet scheduling",
    env_id="schedgym/FleetScheduling-v0",
    env_entry_point="schedgym.fleet.env:FleetSchedulingEnv",
    objective_name="profit",
    direction="max",
    schedule_type=FleetSchedule,
    dataset=shipped,
    load_file=read_scenario,
    validate=_profit,
    write_schedule=_write,
    read_schedule=lambda path, instance: read_schedule(path),
    render=_render,
    size_group=lambda instance: instance.size_group,
    fingerprint=dataclass_fingerprint,
    scores=(Score.objective("profit", lower_is_better=False), Score.gap("gap to LP bound %")),
    demo=Demo("default5", ("random", "greedy", "ga", "agent"), (1.0,)),
    stamp=_stamp,
    sampler=Sampler(
        sizes=(
            {"num_vertiports": (4, 6), "num_aircraft": (10, 20)},
            {"num_vertiports": (6, 10), "num_aircraft": (20, 50)},
            {"num_vertiports": (10, 20), "num_aircraft": (50, 100)},
        ),
        generator=FleetGenerator,
    ),
    training=TrainingHooks(
        objective_key="profit", reference_solver="greedy", env_kwargs={"reward_scale": "auto"}
    ),
)
