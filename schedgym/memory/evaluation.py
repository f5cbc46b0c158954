"""Memory-mapping evaluation: the problem adapter the CLI uses, and the suite run loop.

:data:`ADAPTER` connects the memory problem to :mod:`schedgym.core.report` (so that
``schedgym solve/evaluate --problem memory`` work once ``PROBLEMS`` names it): shipped suites and
reference values (:mod:`schedgym.datasets.memory`), instance files (MiniMalloc CSV, JSON), the
independent validator (:func:`schedgym.memory.validate.validate_mapping`, the one source of the
objective), the mapping JSON of :mod:`schedgym.memory.mapping` and the time x address plot::

    from schedgym.core.solver import Budget
    from schedgym.memory.evaluation import evaluate_suite
    records = evaluate_suite("pack", ["best-fit", "canonical-search"], Budget(time_limit_s=5))

The objective is the peak in bytes (``pack``) or the modelled time (``assign``). Gaps are
``(objective - reference) / reference`` with the reference the optimum peak (``pack`` suites:
the capacity, by construction) or the all-fast modelled time (``assign``: a lower bound).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from schedgym.core import report
from schedgym.core.report import RunRecord, expect_schedule
from schedgym.core.solver import Budget, SolveResult
from schedgym.datasets import memory as shipped
from schedgym.memory.instance import MemoryInstance, load_instance
from schedgym.memory.mapping import MemoryMapping


class MemoryAdapter:
    """The memory problem seen through :class:`schedgym.core.report.ProblemAdapter`.

    ``capacity`` and ``variant`` (the CLI's ``--capacity BYTES`` / ``--variant``) apply to every
    instance this adapter loads; :meth:`configured` makes such a copy.
    """

    problem = "memory"
    objective_name = "objective"

    def __init__(self, capacity: int | None = None, variant: str | None = None) -> None:
        self.capacity = capacity
        self.variant = variant

    def configured(self, capacity: int | None = None, variant: str | None = None) -> MemoryAdapter:
        """An adapter that loads instances with this capacity and variant."""
        return MemoryAdapter(capacity, variant)

    def load_instance(self, name_or_path: str) -> MemoryInstance:
        """A shipped instance (``"pack-03"``) or a ``.csv`` / ``.json`` file."""
        return load_instance(name_or_path, self.capacity, self.variant)

    def instance_name(self, instance: MemoryInstance) -> str:
        """The instance's name."""
        return instance.name

    def size_group(self, instance: MemoryInstance) -> str:
        """``"VARIANT LO-HI"``: the variant and the hundred its buffer count falls in."""
        low = instance.num_buffers // 100 * 100
        return f"{instance.variant} {low}-{low + 99}"

    def suite(self, name: str) -> list[str]:
        """Instance names of a shipped suite (``pack``, ``pack-hard``, ``assign``, ``all``)."""
        return shipped.suite(name)

    def suite_names(self) -> list[str]:
        """Every shipped suite name."""
        return shipped.suite_names()

    def reference(self, name: str) -> float | None:
        """Reference value of a shipped instance (``None`` for files, or a changed setting)."""
        if self.capacity is not None or self.variant is not None:
            return None
        return shipped.reference(name)

    def finish(
        self, instance: MemoryInstance, result: SolveResult[Any], solver: str, wall_s: float
    ) -> MemoryMapping:
        """The result's mapping carrying the instance, solver, status and wall time."""
        mapping = expect_schedule(result.schedule, MemoryMapping, solver)
        return dataclasses.replace(
            mapping.describe(instance), solver=solver, status=result.status, wall_time_s=wall_s
        )

    def validate(self, instance: MemoryInstance, schedule: Any) -> float:
        """The objective from the independent validator (raises ``InvalidScheduleError``)."""
        from schedgym.memory.validate import validate_mapping

        schedule = expect_schedule(schedule, MemoryMapping)
        return validate_mapping(instance, schedule).objective

    def gap(self, objective: float, reference: float) -> float:
        """``(objective - reference) / reference`` as a fraction."""
        if reference <= 0:
            raise ValueError(f"reference must be positive, got {reference}")
        return (float(objective) - float(reference)) / float(reference)

    def write_schedule(self, schedule: MemoryMapping, objective: float, path: Path) -> None:
        """Write the mapping JSON with the validated objective."""
        schedule.write(path, objective)

    def render(
        self, instance: MemoryInstance, schedule: MemoryMapping, path: Path, fmt: str
    ) -> None:
        """Save the time x address plot."""
        from schedgym.memory.plot import save_mapping_plot

        save_mapping_plot(instance, schedule, path, fmt=fmt)


ADAPTER = MemoryAdapter()


def evaluate_suite(
    suite: str | Sequence[str],
    solvers: Iterable[str],
    budget: Budget,
    before: Callable[[str, str], None] | None = None,
    after: Callable[[RunRecord], None] | None = None,
) -> list[RunRecord]:
    """Run ``solvers`` on a suite name (or shipped instance names); each run is validated."""
    return report.evaluate_suite(
        ADAPTER, suite, solvers, budget, shipped.has_instance, before=before, after=after
    )
