"""Job-shop schedules, the conditions of a dynamic episode, and the schedule JSON file.

The JSON layout (docs/design.md, stable)::

    {"problem": "jobshop", "instance": NAME, "solver": NAME, "status": ..., "makespan": INT,
     "wall_time_s": FLOAT,
     "operations": [{"job": J, "index": K, "machine": M, "start": S, "end": E}, ...]}

Episodes with noise, breakdowns, release times or blocking add a ``"conditions"`` object
(realised durations, release times, machine downtimes, blocking flag) so that the schedule can be
validated later without the simulator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import read_json


@dataclass(frozen=True)
class Operation:
    """One scheduled operation: the ``index``-th operation of ``job``'s route, on ``machine``,
    occupying ``[start, end)`` (``end`` includes any breakdown time that interrupted it)."""

    job: int
    index: int
    machine: int
    start: int
    end: int


@dataclass(frozen=True, eq=False)
class Conditions:
    """What happened in a dynamic episode, needed to validate its schedule.

    ``durations``: realised processing times ``(num_jobs, num_ops)`` (``None``: nominal);
    ``release``: job release times ``(num_jobs,)`` (``None``: all 0);
    ``downtimes``: machine breakdowns ``(machine, start, end)``, half-open, non-overlapping per
    machine; an operation running into one is suspended and resumes after the repair;
    ``blocking``: no buffers, a job keeps its machine until its next operation starts.
    """

    durations: np.ndarray | None = None
    release: np.ndarray | None = None
    downtimes: tuple[tuple[int, int, int], ...] = ()
    blocking: bool = False

    @property
    def is_static(self) -> bool:
        """True for the deterministic, non-blocking job shop."""
        return (
            self.durations is None
            and self.release is None
            and not self.downtimes
            and not self.blocking
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "durations": None if self.durations is None else self.durations.tolist(),
            "release": None if self.release is None else self.release.tolist(),
            "downtimes": [list(d) for d in self.downtimes],
            "blocking": self.blocking,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> Conditions:
        """Inverse of :meth:`to_json`."""
        durations = data.get("durations")
        release = data.get("release")
        return Conditions(
            durations=None if durations is None else np.asarray(durations, dtype=np.int64),
            release=None if release is None else np.asarray(release, dtype=np.int64),
            downtimes=tuple((int(m), int(s), int(e)) for m, s, e in data.get("downtimes", [])),
            blocking=bool(data.get("blocking", False)),
        )


@dataclass(frozen=True)
class JobShopSchedule:
    """A finished (or partial) job-shop schedule with the metadata of the solver that made it."""

    instance: str
    operations: tuple[Operation, ...]
    solver: str = ""
    status: str = "feasible"
    wall_time_s: float = 0.0
    conditions: Conditions = field(default_factory=Conditions)

    @property
    def makespan(self) -> int:
        """Latest end time (0 for an empty schedule); the validator is the checked source."""
        return max((op.end for op in self.operations), default=0)

    def start_times(self, num_jobs: int, num_ops: int) -> np.ndarray:
        """Start times as a ``(num_jobs, num_ops)`` array (-1 where missing)."""
        starts = np.full((num_jobs, num_ops), -1, dtype=np.int64)
        for op in self.operations:
            starts[op.job, op.index] = op.start
        return starts

    def to_json(self, makespan: int | None = None) -> dict[str, Any]:
        """The docs/design.md JSON layout (``makespan`` should come from the validator)."""
        data: dict[str, Any] = {
            "problem": "jobshop",
            "instance": self.instance,
            "solver": self.solver,
            "status": self.status,
            "makespan": self.makespan if makespan is None else int(makespan),
            "wall_time_s": round(float(self.wall_time_s), 6),
            "operations": [
                {
                    "job": o.job,
                    "index": o.index,
                    "machine": o.machine,
                    "start": o.start,
                    "end": o.end,
                }
                for o in sorted(self.operations, key=lambda o: (o.start, o.machine, o.job))
            ],
        }
        if not self.conditions.is_static:
            data["conditions"] = self.conditions.to_json()
        return data

    def write(self, path: str | Path, makespan: int | None = None) -> None:
        """Write the JSON file."""
        Path(path).write_text(json.dumps(self.to_json(makespan), indent=1) + "\n")

    @staticmethod
    def from_json(data: dict[str, Any], source: str | Path = "<json>") -> JobShopSchedule:
        """Parse the JSON layout; errors name ``source`` and the field."""
        if data.get("problem", "jobshop") != "jobshop":
            raise InstanceFormatError(
                source, f"field 'problem' is {data.get('problem')!r}, not 'jobshop'"
            )
        ops = []
        for i, raw in enumerate(data.get("operations", [])):
            try:
                ops.append(
                    Operation(*(int(raw[k]) for k in ("job", "index", "machine", "start", "end")))
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise InstanceFormatError(
                    source, f"operations[{i}]: bad or missing field {exc}"
                ) from None
        return JobShopSchedule(
            instance=str(data.get("instance", "")),
            operations=tuple(ops),
            solver=str(data.get("solver", "")),
            status=str(data.get("status", "feasible")),
            wall_time_s=float(data.get("wall_time_s", 0.0)),
            conditions=Conditions.from_json(data.get("conditions") or {}),
        )

    @staticmethod
    def read(path: str | Path) -> JobShopSchedule:
        """Read a schedule JSON file."""
        return JobShopSchedule.from_json(read_json(path), path)
