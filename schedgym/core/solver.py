"""The one solver interface, and the registry that finds solvers through entry points.

A solver takes an instance and a :class:`Budget` and returns a :class:`SolveResult`: the schedule
(of the problem's own kind) plus metadata. Rules, CP-SAT, HEFT and trained agents look alike from
outside. Solvers are published under the ``schedgym.solvers`` entry-point group with names
``PROBLEM.NAME`` (e.g. ``jobshop.mwkr``); a third-party package adds its own with two lines in its
pyproject::

    [project.entry-points."schedgym.solvers"]
    "jobshop.my-solver" = "my_pkg.module:MySolver"

The target is a callable (usually a class) that, called with keyword options, returns a solver.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Generic, Literal, Protocol, TypeVar

from schedgym.core.errors import BadOptionError, SchedGymError, UnknownNameError

Status = Literal["optimal", "feasible", "infeasible", "timeout", "unsupported", "error"]
STATUSES: tuple[Status, ...] = (
    "optimal",
    "feasible",
    "infeasible",
    "timeout",
    "unsupported",
    "error",
)
ENTRY_POINT_GROUP = "schedgym.solvers"

ScheduleT = TypeVar("ScheduleT")


@dataclass(frozen=True)
class Budget:
    """What a solver may spend on one instance.

    ``time_limit_s`` is wall time (``None``: the solver's own default); ``seed`` makes randomised
    solvers reproducible; ``workers`` caps parallel threads (CP-SAT search workers).
    """

    time_limit_s: float | None = None
    seed: int = 0
    workers: int = 1


@dataclass(frozen=True)
class SolveResult(Generic[ScheduleT]):
    """A solver's answer: a schedule (``None`` when it found none) and its metadata.

    ``objective`` is what the solver believes; callers that report numbers must recompute it with
    the problem's validator. ``bound`` is a proven bound on the optimum where the solver has one
    (a lower bound for minimisation problems).
    """

    schedule: ScheduleT | None
    solver: str
    status: Status
    wall_time_s: float
    objective: float | None = None
    bound: float | None = None
    info: Mapping[str, Any] = field(default_factory=dict)


class Solver(Protocol[ScheduleT]):
    """Anything with a name, a problem and ``solve(instance, budget)``."""

    name: str
    problem: str

    def solve(self, instance: Any, budget: Budget) -> SolveResult[ScheduleT]:
        """Solve ``instance`` within ``budget``."""
        ...


class Stopwatch:
    """Wall-clock timer: ``with Stopwatch() as sw: ...; sw.elapsed``."""

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        self.elapsed = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self._start

    def now(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self._start


_LOCAL: dict[str, Callable[..., Any]] = {}


def register_solver(problem: str, name: str, factory: Callable[..., Any]) -> None:
    """Register a solver factory in this process (tests, notebooks); entry points are preferred."""
    _LOCAL[f"{problem}.{name}"] = factory


def solver_target(problem: str, name: str) -> tuple[str, str]:
    """What solver ``name`` of ``problem`` is: its factory's target (``module:attr`` of the entry
    point, or ``local:...`` for a process-local registration) and the version of the
    distribution that provides it (``"unknown"`` where none does)."""
    key = f"{problem}.{name}"
    if key in _LOCAL:
        factory = _LOCAL[key]
        return f"local:{factory.__module__}:{getattr(factory, '__qualname__', repr(factory))}", (
            "unknown"
        )
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == key:
            return ep.value, ep.dist.version if ep.dist is not None else "unknown"
    return "unknown", "unknown"


def _entry_point_factories() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_solvers(problem: str) -> list[str]:
    """Names of the solvers known for ``problem`` (entry points and local registrations)."""
    keys = set(_entry_point_factories()) | set(_LOCAL)
    prefix = f"{problem}."
    return sorted(k[len(prefix) :] for k in keys if k.startswith(prefix))


def solver_summary(problem: str, name: str) -> str:
    """The first line of solver ``name``'s docstring (its class or factory), or ``""``.

    Imports the solver's module (an agent's pulls in torch) but builds nothing."""
    key = f"{problem}.{name}"
    factory: Any = _LOCAL.get(key)
    if factory is None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == key:
                try:
                    factory = ep.load()
                except Exception:  # a broken plugin still lists, without its summary
                    return ""
                break
    doc = getattr(factory, "__doc__", None) or ""
    return doc.strip().splitlines()[0].strip() if doc.strip() else ""


def load_solver(problem: str, name: str, **options: Any) -> Any:
    """Instantiate the solver ``name`` for ``problem`` with keyword ``options``.

    Raises :class:`UnknownNameError` naming the known solvers when ``name`` is not registered.
    """
    key = f"{problem}.{name}"
    if key in _LOCAL:
        return _LOCAL[key](**options)
    eps = _entry_point_factories()
    if key not in eps:
        known = ", ".join(available_solvers(problem)) or "none"
        raise UnknownNameError(f"unknown solver {name!r} for problem {problem!r} (known: {known})")
    return eps[key].load()(**options)


def load_solvers(
    problem: str, names: Iterable[str], options: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Instantiate each named solver once (with ``options``), in order, before any work starts.

    Unknown names raise ``UnknownNameError``; options a solver does not take, too; an option
    value the solver refuses (its ``ValueError``) raises ``BadOptionError`` naming the solver.
    """
    solvers: dict[str, Any] = {}
    for name in dict.fromkeys(names):
        try:
            solvers[name] = load_solver(problem, name, **(options or {}))
        except ImportError as exc:
            raise SchedGymError(f"solver {name!r} could not be imported: {exc}") from None
        except TypeError as exc:
            raise UnknownNameError(f"solver {name!r} does not take these options: {exc}") from None
        except ValueError as exc:
            raise BadOptionError(f"solver {name!r}: {exc}") from None
    return solvers
