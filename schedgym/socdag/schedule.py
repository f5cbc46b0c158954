"""SoC-DAG schedules, the conditions of a stream episode, and the schedule JSON file.

The JSON layout (docs/design.md, stable)::

    {"problem": "socdag", "instance": NAME, "solver": NAME, "status": ..., "makespan": FLOAT,
     "wall_time_s": FLOAT, "tasks": [{"task": I, "pe": P, "start": S, "end": E}, ...]}

A stream episode's schedule is one of the whole workload (every job's tasks, numbered job after
job) and adds a ``"conditions"`` object: each task's release time (its job's injection), its
realised duration when execution times are noisy, its job, and each job's arrival, injection and
application, so that the schedule can be validated and its metrics recomputed without the
simulator.
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
class TaskSlot:
    """Task ``task`` runs on PE ``pe`` over ``[start, end)``."""

    task: int
    pe: int
    start: float
    end: float


def _array(values: Any, dtype: type) -> np.ndarray | None:
    if values is None:
        return None
    array: np.ndarray = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Conditions:
    """What happened in a stream episode (all ``None`` for a static schedule).

    ``release``: ``(T,)`` earliest start of each task (its job's injection time);
    ``durations``: ``(T,)`` realised execution time of each task on the PE it ran on (``None``:
    the instance's table); ``job``: ``(T,)`` job of each task; ``arrival`` / ``injection``:
    ``(J,)`` when each job arrived and when it entered the system (at most ``max_in_flight``
    jobs in flight); ``apps``: each job's application name.
    """

    release: np.ndarray | None = None
    durations: np.ndarray | None = None
    job: np.ndarray | None = None
    arrival: np.ndarray | None = None
    injection: np.ndarray | None = None
    apps: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "release", _array(self.release, np.float64))
        object.__setattr__(self, "durations", _array(self.durations, np.float64))
        object.__setattr__(self, "job", _array(self.job, np.int64))
        object.__setattr__(self, "arrival", _array(self.arrival, np.float64))
        object.__setattr__(self, "injection", _array(self.injection, np.float64))
        object.__setattr__(self, "apps", tuple(self.apps))

    @property
    def is_static(self) -> bool:
        """True for a plain static schedule."""
        return self.release is None and self.durations is None and self.job is None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""

        def lst(a: np.ndarray | None) -> list[Any] | None:
            return None if a is None else a.tolist()

        return {
            "release": lst(self.release),
            "durations": lst(self.durations),
            "job": lst(self.job),
            "arrival": lst(self.arrival),
            "injection": lst(self.injection),
            "apps": list(self.apps),
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> Conditions:
        """Inverse of :meth:`to_json`."""
        return Conditions(
            data.get("release"),
            data.get("durations"),
            data.get("job"),
            data.get("arrival"),
            data.get("injection"),
            tuple(data.get("apps", ())),
        )


@dataclass(frozen=True)
class SoCDAGSchedule:
    """A finished (or partial) schedule with the metadata of the solver that made it."""

    instance: str
    tasks: tuple[TaskSlot, ...]
    solver: str = ""
    status: str = "feasible"
    wall_time_s: float = 0.0
    conditions: Conditions = field(default_factory=Conditions)

    @property
    def makespan(self) -> float:
        """Latest end (0 when empty); the validator is the checked source."""
        return max((s.end for s in self.tasks), default=0.0)

    def assignment(self, num_tasks: int) -> np.ndarray:
        """PE of each task as ``(num_tasks,)`` int64 (-1 where missing)."""
        pe = np.full(num_tasks, -1, dtype=np.int64)
        for s in self.tasks:
            if 0 <= s.task < num_tasks:
                pe[s.task] = s.pe
        return pe

    def to_json(self, makespan: float | None = None) -> dict[str, Any]:
        """The docs/design.md layout (``makespan`` should come from the validator)."""
        data: dict[str, Any] = {
            "problem": "socdag",
            "instance": self.instance,
            "solver": self.solver,
            "status": self.status,
            "makespan": float(self.makespan if makespan is None else makespan),
            "wall_time_s": round(float(self.wall_time_s), 6),
            "tasks": [
                {"task": s.task, "pe": s.pe, "start": s.start, "end": s.end}
                for s in sorted(self.tasks, key=lambda s: (s.start, s.pe, s.task))
            ],
        }
        if not self.conditions.is_static:
            data["conditions"] = self.conditions.to_json()
        return data

    def write(self, path: str | Path, makespan: float | None = None) -> None:
        """Write the JSON file."""
        Path(path).write_text(json.dumps(self.to_json(makespan), indent=1) + "\n")

    @staticmethod
    def from_json(data: Any, source: str | Path = "<json>") -> SoCDAGSchedule:
        """Parse the JSON layout; errors name ``source`` and the field."""
        if not isinstance(data, dict):
            raise InstanceFormatError(source, "expected a JSON object")
        if data.get("problem", "socdag") != "socdag":
            raise InstanceFormatError(
                source, f"field 'problem' is {data.get('problem')!r}, not 'socdag'"
            )
        slots = []
        for i, raw in enumerate(data.get("tasks", [])):
            try:
                slots.append(
                    TaskSlot(
                        int(raw["task"]), int(raw["pe"]), float(raw["start"]), float(raw["end"])
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise InstanceFormatError(
                    source, f"tasks[{i}]: bad or missing field {exc}"
                ) from None
        try:
            conditions = Conditions.from_json(data.get("conditions") or {})
        except (TypeError, ValueError) as exc:
            raise InstanceFormatError(source, f"field 'conditions': {exc}") from None
        return SoCDAGSchedule(
            instance=str(data.get("instance", "")),
            tasks=tuple(slots),
            solver=str(data.get("solver", "")),
            status=str(data.get("status", "feasible")),
            wall_time_s=float(data.get("wall_time_s", 0.0)),
            conditions=conditions,
        )

    @staticmethod
    def read(path: str | Path) -> SoCDAGSchedule:
        """Read a schedule JSON file."""
        return SoCDAGSchedule.from_json(read_json(path), path)
