"""The job-shop problem's descriptor (:data:`PROBLEM`) and its instance loader."""

from __future__ import annotations

from pathlib import Path

from schedgym.core.problem import Demo, Problem, Sampler, Score, TrainingHooks
from schedgym.datasets import jobshop as shipped
from schedgym.jobshop.formats import read_instance
from schedgym.jobshop.generator import JobShopGenerator
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import JobShopSchedule


def load_instance(name_or_path: str | Path) -> JobShopInstance:
    """A shipped instance by name (``"ta01"``) or an instance file by path."""
    instance: JobShopInstance = PROBLEM.load(name_or_path)
    return instance


def _makespan(instance: JobShopInstance, schedule: JobShopSchedule) -> int:
    from schedgym.jobshop.validate import validate_schedule

    return int(validate_schedule(instance, schedule))


def _write(schedule: JobShopSchedule, objective: float, path: Path) -> None:
    schedule.write(path, makespan=int(objective))


def _render(instance: JobShopInstance, schedule: JobShopSchedule, path: Path, fmt: str) -> None:
    from schedgym.jobshop.render import save_gantt

    save_gantt(instance, schedule, path, fmt=fmt)


def fingerprint(instance: JobShopInstance) -> bytes:
    """Canonical text of an instance: ``jobs machines``, then ``machine duration`` pairs per job
    (its routes and durations, not its file's layout)."""
    lines = [f"jobshop/1 {instance.num_jobs} {instance.num_ops}"]
    for route, times in zip(instance.machines.tolist(), instance.durations.tolist(), strict=True):
        lines.append(" ".join(f"{m} {d}" for m, d in zip(route, times, strict=True)))
    return ("\n".join(lines) + "\n").encode()


#: The small default suite of ``make demo``.
DEMO_SUITE = ("ft06", "la01", "la02", "la03", "la04", "la05", "ta01", "ta02")

RULES = ("spt", "lpt", "mwkr", "mopnr", "fifo", "fdd-mwkr", "random")
DEMO_SOLVERS = (*RULES, "ppo-gnn", "ppo-gnn-sample", "cpsat")

#: Metric: makespan (minimised); headline score: mean gap (%) to the best-known bound (the proven
#: optimum, else the best-known upper bound of ``bounds.csv``). Frozen suites: every family
#: (``ta``, ``dmu``, ``ft``, ...), every family size group (``ta-15x15``, ...) and ``demo``.
PROBLEM = Problem(
    name="jobshop",
    title="Job shop",
    env_id="schedgym/JobShop-v0",
    env_entry_point="schedgym.jobshop.env:JobShopEnv",
    objective_name="makespan",
    direction="min",
    schedule_type=JobShopSchedule,
    dataset=shipped,
    load_file=read_instance,
    validate=_makespan,
    write_schedule=_write,
    read_schedule=lambda path, instance: JobShopSchedule.read(path),
    render=_render,
    size_group=lambda instance: instance.shape_name,
    fingerprint=fingerprint,
    scores=(Score.gap(),),
    demo=Demo(
        "demo",
        DEMO_SOLVERS,
        (0.5, 2.0),
    ),
    warmup="ft06",
    named_suites={"demo": DEMO_SUITE},
    sampler=Sampler(
        sizes=(
            {"num_jobs": (6, 10), "num_machines": (5, 8)},
            {"num_jobs": (10, 15), "num_machines": (8, 12)},
            {"num_jobs": (15, 20), "num_machines": (10, 15)},
        ),
        generator=JobShopGenerator,
    ),
    training=TrainingHooks(
        objective_key="makespan",
        reference_solver="fdd-mwkr",
        env_kwargs={"reward_scale": "auto"},
        decision_options=("construction",),
    ),
)
