"""Job-shop schedules, the conditions of a dynamic episode, and the schedule JSON file.

The JSON layout (docs/design.md, stable)::

    {"problem": "jobshop", "instance": NAME, "solver": NAME, "status": ..., "makespan": INT,
     "wall_time_s": FLOAT,
     "operations": [{"job": J, "index": K, "machine": M, "start": S, "end": E}, ...]}

Episodes with noise, breakdowns, release times or blocking add a ``"conditions"`` object
(realised durations, release times, machine downtimes, blocking flag) so that the schedule can be
validated later without the simulator.

Reading checks the structure and every number (one-line :class:`InstanceFormatError` naming the
file and field): ids and times are JSON integers in ``[0, MAX_TIME]`` (``2**53 - 1``: exact in
float64, no int64 overflow in the validator's sums), ``wall_time_s`` finite and ``>= 0``, names
strings, durations a rectangular table. Whether the operations form a feasible schedule is the
validator's (:mod:`schedgym.jobshop.validate`) to say. Writing then reading gives the same JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from schedgym.core.checks import (
    MAX_EXACT_INT,
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

#: largest time (start, end, duration, release, downtime bound) a schedule file may hold: the
#: largest integer a JSON reader and a float64 hold exactly (2**53 - 1)
MAX_TIME = MAX_EXACT_INT
OPERATION_KEYS = ("job", "index", "machine", "start", "end")


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
    def from_json(data: Any, source: str | Path = "<json>") -> Conditions:
        """Inverse of :meth:`to_json`; every entry is checked (integers in ``[0,
        MAX_TIME]``, rectangular durations, ``[machine, start, end]`` downtimes, a boolean
        ``blocking``) and an error names ``source`` and the field."""
        checked_object(source, "field conditions", data)

        def time(where: str, value: Any) -> int:
            return checked_int(source, where, value, 0, MAX_TIME)

        def row(where: str, value: Any) -> list[int]:
            return checked_list(source, where, value, time)

        durations = data.get("durations")
        table = None
        if durations is not None:
            rows = checked_list(source, "field conditions.durations", durations, row)
            if len({len(r) for r in rows}) > 1:
                raise InstanceFormatError(
                    source, "field conditions.durations: rows of different lengths"
                )
            table = np.array(rows, dtype=np.int64).reshape(len(rows), -1 if rows else 0)
        release = data.get("release")
        downtimes = checked_list(
            source,
            "field conditions.downtimes",
            data.get("downtimes", []),
            lambda where, v: tuple(checked_list(source, where, v, time, 3)),
        )
        blocking = data.get("blocking", False)
        if not isinstance(blocking, bool):
            raise InstanceFormatError(source, "field conditions.blocking: expected true or false")
        return Conditions(
            durations=table,
            release=None
            if release is None
            else np.array(row("field conditions.release", release), dtype=np.int64),
            downtimes=tuple((m, s, e) for m, s, e in downtimes),
            blocking=blocking,
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
    def from_json(data: Any, source: str | Path = "<json>") -> JobShopSchedule:
        """Parse the JSON layout; errors name ``source`` and the field. Integers (job, index,
        machine, start, end, makespan) must be whole JSON numbers in ``[0, MAX_TIME]``; where
        an operation sits is the validator's to judge."""
        if not isinstance(data, dict):
            raise InstanceFormatError(source, "expected a JSON object")
        if data.get("problem", "jobshop") != "jobshop":
            raise InstanceFormatError(
                source, f"field problem is {describe_value(data.get('problem'))}, not 'jobshop'"
            )
        ops = [
            Operation(
                *(checked_int(source, f"{where}.{k}", raw[k], 0, MAX_TIME) for k in OPERATION_KEYS)
            )
            for where, raw in checked_list(
                source,
                "field operations",
                data.get("operations", []),
                lambda w, v: (w, checked_fields(source, w, v, OPERATION_KEYS)),
            )
        ]
        if data.get("makespan") is not None:
            checked_int(source, "field makespan", data["makespan"], 0, MAX_TIME)
        return JobShopSchedule(
            instance=checked_string(source, "field instance", data.get("instance", "")),
            operations=tuple(ops),
            solver=checked_string(source, "field solver", data.get("solver", "")),
            status=checked_string(source, "field status", data.get("status", "feasible")),
            wall_time_s=checked_number(
                source, "field wall_time_s", data.get("wall_time_s", 0.0), 0.0, None
            ),
            conditions=Conditions.from_json(data.get("conditions") or {}, source),
        )

    @staticmethod
    def read(path: str | Path) -> JobShopSchedule:
        """Read a schedule JSON file."""
        return JobShopSchedule.from_json(read_json(path), path)
