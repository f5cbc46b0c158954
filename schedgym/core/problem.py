"""The problem descriptor: everything the CLI, the leaderboard, the tests and the training engine
need to know about one scheduling problem, in one object.

Each problem folder defines its descriptor once, as ``PROBLEM`` in ``schedgym/<name>/problem.py``;
:mod:`schedgym.problems` is the one registry that lists them. A descriptor names the problem's
env, its shipped data (a :class:`Dataset`: suites, references), its seeded generated suites, the
independent validator (the one source of every reported objective), the objective's direction,
the scores the tables report, the schedule file writer and reader, the picture, the fingerprint
of an instance for frozen-suite checksums, the demo defaults and, for the training engine, a
seeded instance :class:`Sampler`. Whatever is generic (suite lookup, gaps, attaching a run's
metadata to a schedule) is written once here, not once per problem::

    from schedgym.problems import get_problem
    jobshop = get_problem("jobshop")
    instance = jobshop.load("ta01")
    jobshop.reference("ta01")  # 1231 (the proven optimum)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from schedgym.core.errors import InvalidScheduleError, UnknownNameError
from schedgym.core.generated import GeneratedSuite
from schedgym.core.solver import SolveResult

Direction = Literal["min", "max"]
ScoreKind = Literal["gap", "objective", "ratio"]
Aggregate = Literal["mean", "geomean"]


@dataclass(frozen=True)
class Score:
    """One reported score of a run, aggregated over the runs of a (solver, size group) cell.

    ``kind``: ``"gap"`` is the gap in percent to the instance's reference; ``"objective"`` the
    validated objective itself; ``"ratio"`` the objective divided by a denominator: the objective
    of solver ``against`` on the same instance, seed, repeat and time limit, or
    ``per_instance(instance_name)`` (e.g. the critical-path bound behind SLR). ``aggregate`` is
    the arithmetic or geometric mean over the scored runs that have a value.
    """

    name: str
    kind: ScoreKind
    aggregate: Aggregate = "mean"
    against: str | None = None
    per_instance: Callable[[str], float | None] | None = None
    lower_is_better: bool = True

    @staticmethod
    def gap(name: str = "gap %") -> Score:
        """Mean gap (%) to the reference (best-known bound); lower is better."""
        return Score(name, "gap")

    @staticmethod
    def objective(name: str, lower_is_better: bool = True) -> Score:
        """Mean of the validated objective (e.g. profit with ``lower_is_better=False``)."""
        return Score(name, "objective", lower_is_better=lower_is_better)

    @staticmethod
    def ratio_to_solver(solver: str, name: str | None = None) -> Score:
        """Geometric-mean ratio of the objective to ``solver``'s on the same run key."""
        return Score(name or f"ratio to {solver}", "ratio", "geomean", against=solver)

    @staticmethod
    def ratio(
        name: str, per_instance: Callable[[str], float | None], aggregate: Aggregate = "mean"
    ) -> Score:
        """Objective divided by ``per_instance(instance_name)`` (e.g. SLR)."""
        return Score(name, "ratio", aggregate, per_instance=per_instance)


class Dataset(Protocol):
    """A problem's shipped data (the module ``schedgym.datasets.<problem>``)."""

    def load(self, name: str) -> Any:
        """The shipped instance ``name``."""
        ...

    def has_instance(self, name: str) -> bool:
        """Whether ``name`` is a shipped instance."""
        ...

    def suite(self, name: str) -> list[str]:
        """Instance names of a shipped suite; raises ``UnknownNameError``."""
        ...

    def suite_names(self) -> list[str]:
        """Every shipped suite name."""
        ...

    def reference(self, name: str) -> float | None:
        """The value gaps are measured against, for a shipped instance name."""
        ...


@dataclass(frozen=True)
class Demo:
    """What ``make demo`` runs for the problem: a suite, solvers, time limits (seconds).

    Demo solvers that cannot be loaded (e.g. an agent without its checkpoint) are skipped.
    """

    suite: str
    solvers: tuple[str, ...]
    time_limits: tuple[float, ...] = (1.0,)


@dataclass(frozen=True)
class Sampler:
    """Seeded instances for training: ``sizes`` is a curriculum of size settings (keyword
    arguments of the problem's generator class), from the smallest level to the largest;
    ``generator(size)`` builds the generator of one setting (an object with ``sample(rng)``, the
    one the problem's env takes as ``generator=``)."""

    sizes: tuple[Mapping[str, Any], ...]
    generator: Callable[..., Any]

    def level_generator(self, level: int = 0, size: Mapping[str, Any] | None = None) -> Any:
        """The generator of curriculum level ``level`` (clipped), or of an explicit ``size``."""
        chosen = size if size is not None else self.sizes[min(max(level, 0), len(self.sizes) - 1)]
        return self.generator(**chosen)

    def sample(self, rng: np.random.Generator, level: int = 0) -> Any:
        """One instance of curriculum level ``level`` (clipped to the last level)."""
        return self.level_generator(level).sample(rng)

    def validation_set(self, count: int, seed: int = 10_000, level: int = 0) -> list[Any]:
        """``count`` instances of ``level``, instance ``k`` drawn from ``rng([seed, k])``:
        the same set for every run that asks for the same arguments."""
        return [self.sample(np.random.default_rng([seed, k]), level) for k in range(count)]


@dataclass(frozen=True)
class TrainingHooks:
    """What the training engine needs beyond the sampler: the ``info`` key holding the episode's
    objective when it ends, the reference heuristic that ``val_score`` divides by (a registered
    solver name), env keyword arguments every training env gets (e.g. a reward scale), and the
    names of the env options that change what an action means (``decision_options``, e.g. the
    job shop's ``construction``): a run records their values in its checkpoints and the agent's
    solvers play under them. ``option_overrides`` replaces the objective key or the reference
    under an env option's value, e.g. ``{"mode": {"stream": {"objective_key": "avg_latency",
    "reference_solver": "heft-rt"}}}`` for the SoC DAG's stream mode."""

    objective_key: str
    reference_solver: str
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)
    decision_options: tuple[str, ...] = ()
    option_overrides: Mapping[str, Mapping[Any, Mapping[str, str]]] = field(default_factory=dict)

    def under(self, options: Mapping[str, Any]) -> tuple[str, str]:
        """The objective key and the reference solver for envs built with ``options``."""
        chosen = {"objective_key": self.objective_key, "reference_solver": self.reference_solver}
        for name, by_value in self.option_overrides.items():
            value = options.get(name)
            if isinstance(value, str | int | float | bool) and value in by_value:
                chosen.update(by_value[value])
        return chosen["objective_key"], chosen["reference_solver"]

    def decisions(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """Those of ``options`` that are decision options."""
        return {k: v for k, v in options.items() if k in self.decision_options}


def looks_like_path(text: str) -> bool:
    """Whether ``text`` names a file rather than a shipped instance: it exists, has a suffix or
    a path separator."""
    path = Path(text)
    return path.exists() or bool(path.suffix) or any(sep in text for sep in ("/", "\\"))


@dataclass(frozen=True)
class Problem:
    """One scheduling problem, as every tool of the gym sees it (see the module docstring).

    Callables take and return the problem's own types: ``load_file(path)`` reads an instance
    file; ``validate(instance, schedule)`` returns the objective of a schedule after checking it
    independently (raising ``InvalidScheduleError``); ``write_schedule(schedule, objective,
    path)`` and ``read_schedule(path, instance)`` are the schedule file; ``render(instance,
    schedule, path, fmt)`` draws it; ``size_group(instance)`` labels the rows tables aggregate by;
    ``fingerprint(instance)`` gives canonical bytes for the frozen-suite checksums. ``stamp``
    attaches a run's metadata to a solver's schedule (default: the dataclass fields
    ``instance``, ``solver``, ``status``, ``wall_time_s``); ``configure(problem, **settings)``
    returns the problem under instance settings (the memory problem's ``capacity`` and ``variant``).
    ``named_suites`` are fixed lists of shipped instances (e.g. the job shop's ``demo``).
    """

    name: str
    title: str
    env_id: str
    env_entry_point: str
    objective_name: str
    direction: Direction
    schedule_type: type
    dataset: Dataset
    load_file: Callable[[str], Any]
    validate: Callable[[Any, Any], float]
    write_schedule: Callable[[Any, float, Path], None]
    read_schedule: Callable[[Path, Any], Any]
    render: Callable[[Any, Any, Path, str], None]
    size_group: Callable[[Any], str]
    fingerprint: Callable[[Any], bytes]
    scores: tuple[Score, ...]
    demo: Demo
    warmup: str | None = None
    generated: tuple[GeneratedSuite, ...] = ()
    named_suites: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sampler: Sampler | None = None
    training: TrainingHooks | None = None
    stamp: Callable[[Any, Any, SolveResult[Any], str, float], Any] | None = None
    configure: Callable[..., Problem] | None = None

    # -- instances and suites -------------------------------------------------------------

    def _generated(self, name: str) -> tuple[GeneratedSuite, int] | None:
        for suite in self.generated:
            index = suite.index_of(name)
            if index is not None:
                return suite, index
        return None

    def has_instance(self, name: str) -> bool:
        """Whether ``name`` is a shipped or generated instance name."""
        return self._generated(name) is not None or self.dataset.has_instance(name)

    def load(self, name_or_path: str | Path) -> Any:
        """A generated or shipped instance by name, else an instance file by path; anything
        else raises ``UnknownNameError``."""
        text = str(name_or_path)
        found = self._generated(text)
        if found is not None:
            return found[0].instance(found[1])
        if self.dataset.has_instance(text):
            return self.dataset.load(text)
        if looks_like_path(text):
            return self.load_file(text)
        raise UnknownNameError(
            f"unknown {self.name} instance {text!r}: not a shipped name nor a file"
        )

    def suite(self, name: str) -> list[str]:
        """Instance names of a suite: named, generated or shipped (raises UnknownNameError)."""
        if name in self.named_suites:
            return list(self.named_suites[name])
        for suite in self.generated:
            if suite.name == name:
                return suite.names()
        return list(self.dataset.suite(name))

    def suite_names(self) -> list[str]:
        """Every suite name: shipped, then named, then generated."""
        names = [*self.dataset.suite_names(), *self.named_suites, *(s.name for s in self.generated)]
        return list(dict.fromkeys(names))

    def reference(self, name: str) -> float | None:
        """The reference a shipped instance's gap is measured against (none for generated)."""
        if self._generated(name) is not None:
            return None
        return self.dataset.reference(name)

    def group_of(self, instance: Any) -> str:
        """The size group of ``instance``: its generated suite's grouping, else the problem's."""
        found = self._generated(str(getattr(instance, "name", "")))
        if found is not None and found[0].group is not None:
            return found[0].group(instance)
        return str(self.size_group(instance))

    # -- scoring ------------------------------------------------------------------------------

    def gap(self, objective: float, reference: float) -> float:
        """Relative gap of ``objective`` to ``reference`` as a fraction (0.05 is 5 %), positive
        when worse: ``(obj - ref) / ref`` when minimising, ``(ref - obj) / |ref|`` when
        maximising."""
        if self.direction == "max":
            return (float(reference) - float(objective)) / max(abs(float(reference)), 1e-9)
        if reference <= 0:
            raise ValueError(f"reference must be positive, got {reference}")
        return (float(objective) - float(reference)) / float(reference)

    def finish(self, instance: Any, result: SolveResult[Any], solver: str, wall_s: float) -> Any:
        """The result's schedule, checked to be of the problem's type, with the run's metadata."""
        schedule = result.schedule
        if not isinstance(schedule, self.schedule_type):
            got = type(schedule).__name__
            raise InvalidScheduleError(
                f"solver {solver!r} returned {got}, not a {self.schedule_type.__name__}"
            )
        if self.stamp is not None:
            return self.stamp(schedule, instance, result, solver, wall_s)
        return dataclasses.replace(  # type: ignore[type-var]
            schedule,
            instance=instance.name,
            solver=solver,
            status=result.status,
            wall_time_s=wall_s,
        )

    def configured(self, **settings: Any) -> Problem:
        """The problem under the instance settings that are not ``None`` (e.g. the memory
        problem's ``capacity``); a problem without settings refuses any."""
        given = {k: v for k, v in settings.items() if v is not None}
        if not given:
            return self
        if self.configure is None:
            names = ", ".join(f"--{k}" for k in given)
            raise UnknownNameError(f"{names} does not apply to problem {self.name!r}")
        return self.configure(self, **given)

    @property
    def headline(self) -> Score:
        """The first score: the number the compact tables and plots show."""
        return self.scores[0]
