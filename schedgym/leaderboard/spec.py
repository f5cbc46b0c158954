"""What a problem contributes to the leaderboard: one :class:`ProblemSpec` in its own module.

A spec names the problem's adapter (:class:`schedgym.core.report.ProblemAdapter`), its metric
and direction, the scores the tables report (the first one is the headline), how to fingerprint
an instance for the frozen-suite checksums, and the demo defaults. The registry
:data:`LEADERBOARDS` maps a problem to the import path of its spec; a problem whose module does
not exist yet has not landed and is skipped. Adding a problem is a few lines in its own folder::

    # schedgym/socdag/leaderboard.py
    from schedgym.leaderboard.spec import ProblemSpec, Score
    from schedgym.socdag.evaluation import ADAPTER

    LEADERBOARD = ProblemSpec(
        problem="socdag", adapter=ADAPTER, metric="makespan", direction="min",
        scores=(Score.ratio_to_solver("heft"), Score.ratio("SLR", slr_denominator)),
        fingerprint=lambda inst: inst.to_json().encode(),
        demo_suite="socdag-gen1-s0-n20", demo_solvers=("heft", "peft", "cpsat"),
    )

then ``schedgym leaderboard freeze --problem socdag --suite ...`` writes its manifest.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from schedgym.core.errors import UnknownNameError
from schedgym.core.report import ProblemAdapter

#: Problem -> ``"module:ATTRIBUTE"`` candidates for its :class:`ProblemSpec`, imported only when
#: used; the first whose module exists wins: the problem's own folder, else an interim spec.
LEADERBOARDS: dict[str, tuple[str, ...]] = {
    "jobshop": ("schedgym.jobshop.leaderboard:LEADERBOARD",),
    "socdag": ("schedgym.socdag.leaderboard:LEADERBOARD",),
    "memory": ("schedgym.memory.leaderboard:LEADERBOARD",),
    "fleet": ("schedgym.fleet.leaderboard:LEADERBOARD",),
}

MANIFEST_DIR = Path(__file__).resolve().parent / "manifests"

Direction = Literal["min", "max"]
ScoreKind = Literal["gap", "objective", "ratio"]
Aggregate = Literal["mean", "geomean"]


@dataclass(frozen=True)
class Score:
    """One reported score of a run, aggregated over the runs of a (solver, size group) cell.

    ``kind``: ``"gap"`` is the harness's gap in percent to the instance's reference;
    ``"objective"`` the validated objective itself; ``"ratio"`` the objective divided by a
    denominator: the objective of solver ``against`` on the same instance, seed, repeat and time
    limit, or ``per_instance(instance_name)`` (e.g. the critical-path bound behind SLR).
    ``aggregate`` is the arithmetic or geometric mean over the scored runs that have a value.
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


@dataclass(frozen=True)
class ProblemSpec:
    """One problem's registration with the leaderboard (see the module docstring).

    ``fingerprint(instance)`` returns canonical bytes of a loaded instance: the frozen-suite
    checksums are sha256 digests of them. ``suite_members(name)`` lists a suite's instances when
    freezing (default: the adapter's ``suite``). ``demo_*`` are what ``make demo`` runs; demo
    solvers that cannot be loaded (e.g. an agent without its checkpoint) are skipped.
    ``warmup`` names a small instance each solver solves once, untimed, when a process loads
    it, so that first-call costs (JIT, model loading) are not charged to the first real run.
    """

    problem: str
    adapter: ProblemAdapter
    metric: str
    direction: Direction
    scores: tuple[Score, ...]
    fingerprint: Callable[[Any], bytes]
    demo_suite: str
    demo_solvers: tuple[str, ...]
    demo_time_limits: tuple[float, ...] = (1.0,)
    suite_members: Callable[[str], Sequence[str]] | None = None
    manifest: Path | None = None
    warmup: str | None = None

    @property
    def manifest_path(self) -> Path:
        """The frozen-suite manifest file (default ``manifests/PROBLEM.json`` beside this file)."""
        return self.manifest if self.manifest is not None else MANIFEST_DIR / f"{self.problem}.json"

    @property
    def headline(self) -> Score:
        """The first score: the number the compact tables and plots show."""
        return self.scores[0]

    def members(self, suite: str) -> list[str]:
        """Instance names of ``suite`` as the problem lists them (used when freezing)."""
        lister = self.suite_members or self.adapter.suite
        return list(lister(suite))


_LOCAL: dict[str, ProblemSpec] = {}


def register_spec(spec: ProblemSpec) -> None:
    """Register a spec in this process (tests, notebooks); :data:`LEADERBOARDS` is preferred."""
    _LOCAL[spec.problem] = spec


def _module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError as exc:  # a parent package is missing: not landed
        if exc.name is not None and module.startswith(exc.name):
            return False
        raise


def spec_target(problem: str) -> str | None:
    """The first candidate spec of ``problem`` whose module exists, if the problem's package
    exists (the problem has landed); ``None`` otherwise."""
    if problem not in LEADERBOARDS or not _module_exists(f"schedgym.{problem}"):
        return None
    for target in LEADERBOARDS[problem]:
        if _module_exists(target.split(":")[0]):
            return target
    return None


def landed_problems() -> list[str]:
    """Problems with a spec, in registry order (then local registrations)."""
    found = [p for p in LEADERBOARDS if spec_target(p) is not None]
    return found + [p for p in _LOCAL if p not in found]


def get_spec(problem: str) -> ProblemSpec:
    """The spec of ``problem``; raises :class:`UnknownNameError` naming the landed problems."""
    if problem in _LOCAL:
        return _LOCAL[problem]
    target = spec_target(problem)
    if target is None:
        known = ", ".join(landed_problems()) or "none"
        raise UnknownNameError(f"no leaderboard for problem {problem!r} (landed: {known})")
    module, _, attr = target.partition(":")
    spec: ProblemSpec = getattr(importlib.import_module(module), attr)
    return spec
