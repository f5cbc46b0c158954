"""The memory-mapping problem's descriptor (:data:`PROBLEM`) and its instance loader."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schedgym.core.generated import dataclass_fingerprint
from schedgym.core.problem import Demo, Problem, Sampler, Score, TrainingHooks
from schedgym.datasets import memory as shipped
from schedgym.datasets.memory import minimalloc
from schedgym.memory.formats import read_instance
from schedgym.memory.generator import AssignGenerator
from schedgym.memory.instance import MemoryInstance
from schedgym.memory.schedule import MemoryMapping, read_mapping


def load_instance(
    name_or_path: str | Path, capacity: int | None = None, variant: str | None = None
) -> MemoryInstance:
    """A shipped instance by name, or a ``.csv`` / ``.json`` file by path.

    ``capacity`` overrides the file's (and is required for a CSV file whose name does not carry
    one); ``variant`` overrides the instance's own (CSV files default to ``pack``).
    """
    instance: MemoryInstance = PROBLEM.configured(capacity=capacity, variant=variant).load(
        name_or_path
    )
    return instance


def _settled(instance: MemoryInstance, capacity: int | None, variant: str | None) -> MemoryInstance:
    if capacity is not None:
        instance = instance.with_capacity(capacity)
    return instance if variant is None else instance.with_variant(variant)


def read_file(
    path: str | Path, capacity: int | None = None, variant: str | None = None
) -> MemoryInstance:
    """An instance file (``.csv`` or ``.json``) under ``capacity`` and ``variant``."""
    return _settled(read_instance(Path(path), capacity), None, variant)


class MemoryDataset:
    """The shipped suites (``pack``, ``pack-hard``, ``assign``) and MiniMalloc's eleven
    benchmarks ``minimalloc-A`` .. ``minimalloc-K`` (the named suite ``minimalloc``)."""

    def load(self, name: str) -> MemoryInstance:
        """The shipped or MiniMalloc instance ``name``."""
        return minimalloc.load(name) if minimalloc.has_instance(name) else shipped.load(name)

    def has_instance(self, name: str) -> bool:
        """Whether ``name`` is shipped or one of MiniMalloc's benchmarks."""
        return minimalloc.has_instance(name) or shipped.has_instance(name)

    def suite(self, name: str) -> list[str]:
        """Instance names of a shipped suite (or one instance)."""
        return [name] if minimalloc.has_instance(name) else shipped.suite(name)

    def suite_names(self) -> list[str]:
        """Every shipped suite name."""
        return shipped.suite_names()

    def reference(self, name: str) -> float | None:
        """The shipped reference; for a MiniMalloc benchmark its peak live load."""
        return (
            minimalloc.reference(name) if minimalloc.has_instance(name) else shipped.reference(name)
        )


DATASET = MemoryDataset()


@dataclass(frozen=True)
class ConfiguredDataset:
    """The shipped data loaded under a capacity and variant: same names and suites, no
    reference values (they hold for the shipped settings only)."""

    capacity: int | None = None
    variant: str | None = None

    def load(self, name: str) -> MemoryInstance:
        """The shipped instance ``name`` under this capacity and variant."""
        return _settled(DATASET.load(name), self.capacity, self.variant)

    def has_instance(self, name: str) -> bool:
        """Whether ``name`` is shipped."""
        return DATASET.has_instance(name)

    def suite(self, name: str) -> list[str]:
        """Instance names of a shipped suite."""
        return DATASET.suite(name)

    def suite_names(self) -> list[str]:
        """Every shipped suite name."""
        return shipped.suite_names()

    def reference(self, name: str) -> float | None:
        """None: the shipped references hold for the shipped settings only."""
        return None


def configure(problem: Problem, capacity: int | None = None, variant: str | None = None) -> Problem:
    """The problem with every instance loaded under ``capacity`` bytes and ``variant``."""
    return dataclasses.replace(
        problem,
        dataset=ConfiguredDataset(capacity, variant),
        load_file=functools.partial(read_file, capacity=capacity, variant=variant),
    )


def _objective(instance: MemoryInstance, schedule: MemoryMapping) -> float:
    from schedgym.memory.validate import validate_mapping

    return validate_mapping(instance, schedule).objective


def _stamp(
    mapping: MemoryMapping, instance: MemoryInstance, result: Any, solver: str, wall_s: float
) -> MemoryMapping:
    return dataclasses.replace(
        mapping.describe(instance), solver=solver, status=result.status, wall_time_s=wall_s
    )


def _write(schedule: MemoryMapping, objective: float, path: Path) -> None:
    schedule.write(path, objective)


def _render(instance: MemoryInstance, schedule: MemoryMapping, path: Path, fmt: str) -> None:
    from schedgym.memory.render import save_mapping_plot

    save_mapping_plot(instance, schedule, path, fmt=fmt)


def size_group(instance: MemoryInstance) -> str:
    """``"VARIANT LO-HI"``: the variant and the hundred its buffer count falls in."""
    low = instance.num_buffers // 100 * 100
    return f"{instance.variant} {low}-{low + 99}"


#: Metric: the validator's objective (peak bytes for ``pack``, modelled time for ``assign``),
#: minimised. Score: the mean gap (%) to the shipped reference (the optimum peak for ``pack``,
#: the all-fast modelled time, a lower bound, for ``assign``; the peak live load for MiniMalloc's
#: benchmarks). Frozen suites: ``pack``, ``pack-hard``, ``assign`` and the named suite
#: ``minimalloc`` (MiniMalloc's eleven benchmarks A..K, capacity 1 MiB).
PROBLEM = Problem(
    name="memory",
    title="Memory mapping",
    env_id="schedgym/MemoryMapping-v0",
    env_entry_point="schedgym.memory.env:MemoryMappingEnv",
    objective_name="objective",
    direction="min",
    schedule_type=MemoryMapping,
    dataset=DATASET,
    load_file=read_file,
    validate=_objective,
    write_schedule=_write,
    read_schedule=read_mapping,
    render=_render,
    size_group=size_group,
    fingerprint=dataclass_fingerprint,
    scores=(Score.gap(),),
    demo=Demo("assign", ("first-fit", "best-fit", "size-desc", "xla-greedy", "cpsat"), (0.25, 1.0)),
    named_suites={"minimalloc": minimalloc.NAMES},
    stamp=_stamp,
    configure=configure,
    sampler=Sampler(
        sizes=({"num_buffers": (20, 40)}, {"num_buffers": (40, 80)}, {"num_buffers": (80, 160)}),
        generator=AssignGenerator,
    ),
    training=TrainingHooks(
        objective_key="objective",
        reference_solver="xla-greedy",
        env_kwargs={"order": "benefit"},
        decision_options=("order",),
    ),
)
