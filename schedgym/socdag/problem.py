"""The SoC-DAG problem's descriptor (:data:`PROBLEM`) and its instance loader."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from schedgym.core.generated import GeneratedSuite, dataclass_fingerprint
from schedgym.core.problem import Demo, Problem, Sampler, Score, TrainingHooks
from schedgym.datasets import socdag as shipped
from schedgym.socdag.formats import read_instance
from schedgym.socdag.generator import SoCDAGGenerator
from schedgym.socdag.instance import SoCDAGInstance
from schedgym.socdag.schedule import SoCDAGSchedule
from schedgym.socdag.workload import StreamConfig, StreamGenerator


def load_instance(name_or_path: str | Path | SoCDAGInstance) -> SoCDAGInstance:
    """A shipped instance by name (``"topcuoglu"``, ``"ds3-wifi-tx"``) or a file by path."""
    if isinstance(name_or_path, SoCDAGInstance):
        return name_or_path
    instance: SoCDAGInstance = PROBLEM.load(name_or_path)
    return instance


def _objective(instance: SoCDAGInstance | StreamConfig, schedule: SoCDAGSchedule) -> float:
    """The validated makespan; for a seeded stream episode (a :class:`StreamConfig` with a
    ``seed``, what stream training validates on), the average job latency."""
    from schedgym.socdag.validate import stream_metrics, validate_schedule

    if isinstance(instance, StreamConfig):
        if instance.seed is None:
            raise ValueError(f"{instance.name}: only a seeded stream config is one episode")
        workload = instance.sample(np.random.default_rng(instance.seed))
        return float(stream_metrics(workload.instance, schedule).avg_latency)
    return validate_schedule(instance, schedule)


def training_generator(**size: Any) -> SoCDAGGenerator | StreamGenerator:
    """The sampler's generator for one size setting: a :class:`StreamGenerator` when the
    setting has a ``rate`` (stream training, with ``env_kwargs: {mode: stream}``), else a
    :class:`SoCDAGGenerator`."""
    if "rate" in size:
        return StreamGenerator(**size)
    return SoCDAGGenerator(**size)


def _write(schedule: SoCDAGSchedule, objective: float, path: Path) -> None:
    schedule.write(path, makespan=objective)


def _render(instance: SoCDAGInstance, schedule: SoCDAGSchedule, path: Path, fmt: str) -> None:
    from schedgym.socdag.render import save_gantt

    save_gantt(instance, schedule, path, fmt=fmt)


@lru_cache(maxsize=1024)
def slr_denominator(name: str) -> float | None:
    """Sum of minimum execution times along the critical path (no communication)."""
    value = float(PROBLEM.load(name).critical_path_min())
    return value if value > 0 else None


#: 20 instances of :class:`SoCDAGGenerator`'s defaults (8-20 tasks on 2-5 PEs, integer times),
#: grouped by PE count.
GEN1 = GeneratedSuite(
    "socdag", 1, 0, 20, SoCDAGGenerator().sample, group=lambda inst: f"{inst.num_pes}p"
)

#: 10 larger DAGs at the ``rand-*`` suites' settings: 100-200 tasks on 4-8 PEs, heterogeneity 1,
#: CCR drawn in [1, 2], 10-20% of the (task, PE) pairs unavailable (``socdag-large-gen1-s0-n10``):
#: the held-out suite for agents trained on smaller generated DAGs.
LARGE1 = GeneratedSuite(
    "socdag-large",
    1,
    0,
    10,
    SoCDAGGenerator(
        num_tasks=(100, 200),
        num_pes=(4, 8),
        ccr=(1.0, 2.0),
        heterogeneity=1.0,
        unavailable=(0.1, 0.2),
    ).sample,
    group=lambda inst: f"{inst.num_pes}p",
)

#: Metric: makespan (minimised). Scores: the geometric-mean ratio of the makespan to HEFT's on
#: the same instance (the headline), SLR (makespan over the critical path of minimum execution
#: times, no communication), and the gap (%) to the CP-SAT reference where one is shipped.
#: Frozen suites: ``topcuoglu``, ``ds3``, ``rand-12x3``, ``rand-50x8``, ``rand-100x4`` and the
#: generated ``socdag-gen1-s0-n20`` and ``socdag-large-gen1-s0-n10``.
PROBLEM = Problem(
    name="socdag",
    title="SoC DAG scheduling",
    env_id="schedgym/SoCDAG-v0",
    env_entry_point="schedgym.socdag.env:SoCDAGEnv",
    objective_name="makespan",
    direction="min",
    schedule_type=SoCDAGSchedule,
    dataset=shipped,
    load_file=read_instance,
    validate=_objective,
    write_schedule=_write,
    read_schedule=lambda path, instance: SoCDAGSchedule.read(path),
    render=_render,
    size_group=lambda instance: instance.size_group,
    fingerprint=dataclass_fingerprint,
    scores=(
        Score.ratio_to_solver("heft"),
        Score.ratio("SLR", slr_denominator),
        Score.gap("gap % to CP-SAT"),
    ),
    demo=Demo(
        "rand-12x3",
        ("heft", "cpop", "peft", "etf", "met", "heft-rt", "random", "cpsat"),
        (0.5, 2.0),
    ),
    warmup="topcuoglu",
    generated=(GEN1, LARGE1),
    sampler=Sampler(
        sizes=(
            {"num_tasks": (10, 30), "num_pes": (2, 4)},
            {"num_tasks": (30, 60), "num_pes": (3, 6)},
            {"num_tasks": (60, 120), "num_pes": (4, 8)},
        ),
        generator=training_generator,
    ),
    training=TrainingHooks(
        objective_key="makespan",
        reference_solver="heft",
        env_kwargs={"reward_scale": "auto"},
        option_overrides={
            "mode": {"stream": {"objective_key": "avg_latency", "reference_solver": "heft-rt"}}
        },
    ),
)
