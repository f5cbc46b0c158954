"""SoC-DAG schedules, the conditions of a stream episode, and the schedule JSON file.

The JSON layout (docs/design.md, stable)::

    {"problem": "socdag", "instance": NAME, "solver": NAME, "status": ..., "makespan": FLOAT,
     "wall_time_s": FLOAT, "tasks": [{"task": I, "pe": P, "start": S, "end": E}, ...]}

A stream episode's schedule is one of the whole workload (every job's tasks, numbered job after
job) and adds a ``"conditions"`` object: each task's release time (its job's injection), its
realised duration when execution times are noisy, its job, and each job's arrival, injection and
application, so that the schedule can be validated and its metrics recomputed without the
simulator.

Reading checks the structure and every number (one-line :class:`InstanceFormatError` naming the
file and field): ``task`` and ``pe`` are JSON integers below ``MAX_TASKS`` and ``MAX_PES``; times
are finite numbers in ``[0, MAX_SCHEDULE_TIME]``; names are strings; the conditions' per-task
lists (``release``, ``durations``, ``job``) have one length, the per-job lists (``arrival``,
``injection``, ``apps``) another, and every job id has an injection time. Feasibility is the
validator's (:mod:`schedgym.socdag.validate`). Writing then reading gives the same JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from schedgym.core.checks import (
    checked_fields,
    checked_int,
    checked_list,
    checked_number,
    checked_object,
    checked_string,
    describe_value,
)
from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import read_json
from schedgym.hardware.platform import MAX_PES
from schedgym.socdag.instance import MAX_TASKS

#: largest time a schedule file may hold (starts, ends, release and arrival times, durations):
#: far above any makespan of a readable instance (at most MAX_TASKS + MAX_EDGES items of at most
#: 1e9 each), finite, and exact enough in float64 for the validator's tolerance
MAX_SCHEDULE_TIME = 1e18


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
    def from_json(data: Any, source: str | Path = "<json>") -> Conditions:
        """Inverse of :meth:`to_json`; checks every entry (times finite in ``[0,
        MAX_SCHEDULE_TIME]``, job ids integers naming a job, one entry per task or per job) and
        names ``source`` and the field on error."""
        where = "field conditions"
        checked_object(source, where, data)

        def times(key: str) -> list[float] | None:
            value = data.get(key)
            if value is None:
                return None
            return checked_list(
                source,
                f"{where}.{key}",
                value,
                lambda w, v: checked_number(source, w, v, 0.0, MAX_SCHEDULE_TIME),
            )

        release, durations, arrival, injection = (
            times(k) for k in ("release", "durations", "arrival", "injection")
        )
        jobs = data.get("job")
        job = (
            None
            if jobs is None
            else checked_list(
                source,
                f"{where}.job",
                jobs,
                lambda w, v: checked_int(source, w, v, 0, MAX_TASKS - 1),
            )
        )
        apps = checked_list(
            source, f"{where}.apps", data.get("apps", []), lambda w, v: checked_string(source, w, v)
        )
        for group in (
            {"release": release, "durations": durations, "job": job},
            {"arrival": arrival, "injection": injection, "apps": apps or None},
        ):
            sizes = {k: len(v) for k, v in group.items() if v is not None}
            if len(set(sizes.values())) > 1:
                shown = ", ".join(f"{k} {n}" for k, n in sizes.items())
                raise InstanceFormatError(source, f"{where}: lengths differ ({shown})")
        if job is not None and injection is not None and job and max(job) >= len(injection):
            raise InstanceFormatError(
                source, f"{where}.job: job {max(job)} but only {len(injection)} injection times"
            )

        def array(values: list[Any] | None, dtype: type) -> np.ndarray | None:
            return None if values is None else np.array(values, dtype=dtype)

        return Conditions(
            array(release, np.float64),
            array(durations, np.float64),
            array(job, np.int64),
            array(arrival, np.float64),
            array(injection, np.float64),
            tuple(apps),
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
        """Parse the JSON layout; errors name ``source`` and the field (checks in the module
        docstring)."""
        if not isinstance(data, dict):
            raise InstanceFormatError(source, "expected a JSON object")
        if data.get("problem", "socdag") != "socdag":
            raise InstanceFormatError(
                source, f"field problem is {describe_value(data.get('problem'))}, not 'socdag'"
            )

        def slot(where: str, value: Any) -> TaskSlot:
            raw = checked_fields(source, where, value, ("task", "pe", "start", "end"))
            return TaskSlot(
                checked_int(source, f"{where}.task", raw["task"], 0, MAX_TASKS - 1),
                checked_int(source, f"{where}.pe", raw["pe"], 0, MAX_PES - 1),
                *(
                    checked_number(source, f"{where}.{k}", raw[k], 0.0, MAX_SCHEDULE_TIME)
                    for k in ("start", "end")
                ),
            )

        slots = checked_list(source, "field tasks", data.get("tasks", []), slot)
        if data.get("makespan") is not None:
            checked_number(source, "field makespan", data["makespan"], 0.0, MAX_SCHEDULE_TIME)
        return SoCDAGSchedule(
            instance=checked_string(source, "field instance", data.get("instance", "")),
            tasks=tuple(slots),
            solver=checked_string(source, "field solver", data.get("solver", "")),
            status=checked_string(source, "field status", data.get("status", "feasible")),
            wall_time_s=checked_number(
                source, "field wall_time_s", data.get("wall_time_s", 0.0), 0.0, None
            ),
            conditions=Conditions.from_json(data.get("conditions") or {}, source),
        )

    @staticmethod
    def read(path: str | Path) -> SoCDAGSchedule:
        """Read a schedule JSON file."""
        return SoCDAGSchedule.from_json(read_json(path), path)
