"""Problem-independent evaluation: the per-problem adapter, the run loop, aggregates and tables.

A problem plugs into the CLI and the leaderboard through a :class:`ProblemAdapter` (load an
instance, list a suite, look up a reference value, validate a schedule, write it, draw it).
:func:`run_suite` runs solvers over instances with it; every result is validated before it is
scored, and one that fails validation is recorded as failed (status ``invalid``), never scored.
:func:`summarise` aggregates per size group; :func:`records_table` and :func:`summary_tables` render
rich tables. Finished runs go to a CSV through :class:`schedgym.core.runlog.CsvLog`; output files
are written with :func:`schedgym.core.files.commit_outputs`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from rich.table import Table

from schedgym.core.errors import (
    InvalidScheduleError,
    SchedGymError,
    UnknownNameError,
    UnsupportedVariantError,
)
from schedgym.core.solver import Budget, SolveResult, Stopwatch, load_solver

ScheduleT = TypeVar("ScheduleT")

#: Statuses under which a run is failed: no schedule, or one that did not validate.
FAILED = ("invalid", "error", "infeasible", "unsupported", "timeout")


class ProblemAdapter(Protocol):
    """What the CLI and the evaluation loop need from one problem (one object per problem)."""

    problem: str
    objective_name: str

    def load_instance(self, name_or_path: str) -> Any:
        """A shipped instance by name, or an instance file by path."""
        ...

    def instance_name(self, instance: Any) -> str:
        """The instance's name."""
        ...

    def size_group(self, instance: Any) -> str:
        """The label that aggregates group instances by (e.g. ``15x15``)."""
        ...

    def suite(self, name: str) -> list[str]:
        """Instance names of a shipped suite; raises ``UnknownNameError``."""
        ...

    def suite_names(self) -> list[str]:
        """Every shipped suite name."""
        ...

    def reference(self, name: str) -> float | None:
        """The value gaps are measured against for a shipped instance name, else ``None``."""
        ...

    def finish(self, instance: Any, result: SolveResult[Any], solver: str, wall_s: float) -> Any:
        """The result's schedule with the run's metadata attached (instance, solver, status)."""
        ...

    def validate(self, instance: Any, schedule: Any) -> float:
        """The objective of ``schedule``, checked independently; raises ``InvalidScheduleError``."""
        ...

    def gap(self, objective: float, reference: float) -> float:
        """Relative gap of ``objective`` to ``reference`` (a fraction: 0.05 is 5 %)."""
        ...

    def write_schedule(self, schedule: Any, objective: float, path: Path) -> None:
        """Write the schedule file of the problem's documented layout."""
        ...

    def render(self, instance: Any, schedule: Any, path: Path, fmt: str) -> None:
        """Draw the schedule to an image file of format ``fmt`` (e.g. ``png``)."""
        ...


@dataclass(frozen=True)
class RunRecord:
    """One solver on one instance. ``objective`` is the validator's value (``None`` if failed);
    ``info`` is the solver's own metadata (e.g. ``hit_time_limit``), not written to CSV."""

    instance: str
    size_group: str
    solver: str
    status: str
    objective: float | None
    reference: float | None
    gap_pct: float | None
    wall_time_s: float
    message: str = ""
    schedule: Any = field(default=None, compare=False, repr=False)
    info: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def scored(self) -> bool:
        """Whether the run produced a validated schedule."""
        return self.objective is not None


@dataclass(frozen=True)
class GroupSummary:
    """Aggregate of one solver over one size group: ``runs`` attempted, ``scored`` validated."""

    group: str
    solver: str
    runs: int
    scored: int
    mean_gap_pct: float | None
    mean_wall_s: float


def run_one(
    adapter: ProblemAdapter,
    name: str,
    instance: Any,
    solver_name: str,
    solver: Any,
    budget: Budget,
) -> RunRecord:
    """Solve, validate and score one instance. Solver exceptions become failed records."""
    group = adapter.size_group(instance)
    reference = adapter.reference(name)

    def failed(status: str, message: str, wall: float) -> RunRecord:
        one_line = " ".join(message.split())
        return RunRecord(name, group, solver_name, status, None, reference, None, wall, one_line)

    error: Exception | None = None
    with Stopwatch() as watch:
        try:
            result = solver.solve(instance, budget)
        except Exception as exc:  # a sweep goes on past one crashing solver, and says why
            error = exc
    if isinstance(error, UnsupportedVariantError):
        return failed("unsupported", str(error), watch.elapsed)
    if error is not None:
        return failed("error", f"{type(error).__name__}: {error}", watch.elapsed)
    if result.schedule is None:
        status = result.status if result.status in FAILED else "error"
        return failed(status, f"no schedule (solver status {result.status})", watch.elapsed)
    try:
        schedule = adapter.finish(instance, result, solver_name, watch.elapsed)
        objective = adapter.validate(instance, schedule)
    except SchedGymError as exc:
        return failed("invalid", str(exc), watch.elapsed)
    gap = None if reference is None else 100.0 * adapter.gap(objective, reference)
    return RunRecord(
        name,
        group,
        solver_name,
        result.status,
        objective,
        reference,
        gap,
        watch.elapsed,
        "",
        schedule,
        dict(result.info),
    )


def run_suite(
    adapter: ProblemAdapter,
    names: Sequence[str],
    solvers: Mapping[str, Any],
    budget: Budget,
    skip: Iterable[tuple[str, str]] = (),
    before: Callable[[str, str], None] | None = None,
    after: Callable[[RunRecord], None] | None = None,
) -> list[RunRecord]:
    """Run every solver on every named instance, in order; ``skip`` holds finished
    ``(instance, solver)`` pairs (resume). ``before``/``after`` are progress callbacks."""
    done = set(skip)
    records: list[RunRecord] = []
    for name in names:
        todo = [s for s in solvers if (name, s) not in done]
        if not todo:
            continue
        instance = adapter.load_instance(name)
        for solver_name in todo:
            if before is not None:
                before(name, solver_name)
            record = run_one(adapter, name, instance, solver_name, solvers[solver_name], budget)
            records.append(record)
            if after is not None:
                after(record)
    return records


def expect_schedule(schedule: Any, kind: type[ScheduleT], solver: str | None = None) -> ScheduleT:
    """``schedule`` if it is a ``kind``; else an ``InvalidScheduleError`` naming the solver."""
    if not isinstance(schedule, kind):
        got = type(schedule).__name__
        if solver is None:
            raise InvalidScheduleError(f"expected a {kind.__name__}, got {got}")
        raise InvalidScheduleError(f"solver {solver!r} returned {got}, not a {kind.__name__}")
    return schedule


def load_solvers(
    problem: str, names: Iterable[str], options: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Instantiate each named solver once (with ``options``), in order, before any work starts.

    Unknown names raise ``UnknownNameError``; options a solver does not take, too.
    """
    solvers: dict[str, Any] = {}
    for name in dict.fromkeys(names):
        try:
            solvers[name] = load_solver(problem, name, **(options or {}))
        except ImportError as exc:
            raise SchedGymError(f"solver {name!r} could not be imported: {exc}") from None
        except TypeError as exc:
            raise UnknownNameError(f"solver {name!r} does not take these options: {exc}") from None
    return solvers


def evaluate_suite(
    adapter: ProblemAdapter,
    suite: str | Sequence[str],
    solvers: Iterable[str],
    budget: Budget,
    known: Callable[[str], bool],
    before: Callable[[str, str], None] | None = None,
    after: Callable[[RunRecord], None] | None = None,
) -> list[RunRecord]:
    """Run ``solvers`` on a suite name (or a list of shipped instance names ``known`` accepts).

    Instance and solver names are all checked before the first solve; every run is validated
    (a failing one is a failed record, never scored).
    """
    names = adapter.suite(suite) if isinstance(suite, str) else list(suite)
    for name in names:
        if not known(name):
            raise UnknownNameError(f"unknown {adapter.problem} instance {name!r}")
    loaded = load_solvers(adapter.problem, solvers)
    return run_suite(adapter, names, loaded, budget, before=before, after=after)


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def summarise(records: Iterable[RunRecord]) -> list[GroupSummary]:
    """Per (size group, solver) aggregates, groups and solvers in order of first appearance.

    The mean gap is over the scored runs that have a reference; ``scored < runs`` flags failures.
    """
    buckets: dict[tuple[str, str], list[RunRecord]] = {}
    for record in records:
        buckets.setdefault((record.size_group, record.solver), []).append(record)
    return [
        GroupSummary(
            group,
            solver,
            len(rows),
            sum(r.scored for r in rows),
            _mean([r.gap_pct for r in rows if r.gap_pct is not None]),
            math.fsum(r.wall_time_s for r in rows) / len(rows),
        )
        for (group, solver), rows in buckets.items()
    ]


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    if digits == 0 and float(value).is_integer():
        return str(int(value))
    return f"{value:.{digits or 2}f}"


def records_table(records: Iterable[RunRecord], objective_name: str = "objective") -> Table:
    """A rich table with one row per run; failed runs show their status and no score."""
    table = Table(title="Per instance", title_justify="left")
    for header in ("instance", "size", "solver", objective_name, "reference", "gap %", "status"):
        numeric = header in (objective_name, "reference", "gap %")
        table.add_column(header, justify="right" if numeric else "left")
    table.add_column("wall s", justify="right")
    for r in records:
        status = r.status if r.scored else f"[red]failed: {r.status}[/red]"
        table.add_row(
            r.instance,
            r.size_group,
            r.solver,
            _num(r.objective),
            _num(r.reference),
            "-" if r.gap_pct is None else f"{r.gap_pct:.2f}",
            status,
            f"{r.wall_time_s:.3f}",
        )
    return table


def summary_tables(summaries: Iterable[GroupSummary]) -> list[Table]:
    """One rich table per size group: solver, n (scored of runs), mean gap %, mean wall s."""
    tables: dict[str, Table] = {}
    for s in summaries:
        if s.group not in tables:
            table = Table(title=f"Size group {s.group}", title_justify="left")
            table.add_column("solver")
            for header in ("n", "failed", "mean gap %", "mean wall s"):
                table.add_column(header, justify="right")
            tables[s.group] = table
        tables[s.group].add_row(
            s.solver,
            str(s.scored),
            str(s.runs - s.scored),
            "-" if s.mean_gap_pct is None else f"{s.mean_gap_pct:.2f}",
            f"{s.mean_wall_s:.3f}",
        )
    return list(tables.values())
