"""The record of a fleet day (the fleet's "schedule"), and its JSON file.

A :class:`FleetSchedule` holds the decision sequence (enough to replay the day through the
simulator on the same seed) and what it did: flights with their passengers by waiting time, and
charging sessions, so that the validator can check every rule without the simulator. The JSON
layout written by ``schedgym solve --problem fleet``::

    {"problem": "fleet", "scenario": NAME, "day_seed": INT or null, "solver": NAME,
     "status": ..., "profit": FLOAT, "bound": FLOAT or null, "wall_time_s": FLOAT,
     "decisions": [[epoch, aircraft, action], ...],
     "flights": [{"aircraft": A, "origin": O, "dest": D, "depart": T, "arrive": T2,
                  "passengers": P, "boarded": [count by waiting epochs 0..W],
                  "soc_before": S, "soc_after": S2}, ...],
     "charges": [{"aircraft": A, "vertiport": V, "epoch": T, "added": U, "soc_before": S}, ...],
     "lost": [passengers leaving unserved per epoch, then those left at the end of the day]}

Epochs count from the start of the day; ``action`` is the destination vertiport (the aircraft's
own vertiport means "stay one epoch") or -1 for "charge one epoch"; states of charge are in the
energy units of :mod:`schedgym.hardware.aircraft`. ``profit`` is the validator's value. A day
without flights adds ``"max_wait_epochs": W`` (otherwise each ``boarded`` list has its ``W + 1``
entries), so that its empty ``boarded`` table keeps its width through a write and a read.

Reading checks (one-line :class:`InstanceFormatError` naming the file and field): integers are
JSON integers in ``[0, MAX_COUNT]`` (``action`` from -1, states of charge from ``-MAX_COUNT``),
``boarded`` lists of one length, ``day_seed`` in ``[0, 2**63 - 1]`` or ``null``, ``profit``,
``bound`` and ``wall_time_s`` finite (``wall_time_s >= 0``), names strings. Whether the day obeys
the rules is the validator's (:mod:`schedgym.fleet.validate`) to say. Writing then reading gives
the same JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from schedgym.core.checks import (
    JsonFields,
    checked_int,
    checked_list,
    checked_string,
    describe_value,
)
from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import read_json
from schedgym.fleet.kernels import (
    C_ADDED,
    C_AIRCRAFT,
    C_EPOCH,
    C_PORT,
    C_SOC_BEFORE,
    F_AIRCRAFT,
    F_ARRIVE,
    F_DEPART,
    F_DEST,
    F_ORIGIN,
    F_PAX,
    F_SOC_AFTER,
    F_SOC_BEFORE,
)

FLIGHT_KEYS = ("aircraft", "origin", "dest", "depart", "arrive", "passengers")
FLIGHT_COLS = (F_AIRCRAFT, F_ORIGIN, F_DEST, F_DEPART, F_ARRIVE, F_PAX)
CHARGE_KEYS = ("aircraft", "vertiport", "epoch", "added", "soc_before")
CHARGE_COLS = (C_AIRCRAFT, C_PORT, C_EPOCH, C_ADDED, C_SOC_BEFORE)
#: largest integer in a day record (epochs, ids, passengers, energy units, counts): 2**40, so
#: that sums over a day's flights, ages and epochs stay far inside int64
MAX_COUNT = 2**40
#: largest ``max_wait_epochs`` (boarding ages 0..W)
MAX_WAIT = 10**6


def _frozen(values: Any, columns: int) -> np.ndarray:
    array = np.array(values, dtype=np.int64).reshape(-1, columns)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class FleetSchedule:
    """One played day (see the module docstring). Arrays are read-only int64.

    ``decisions`` ``(n, 3)``: epoch, aircraft, action; ``flights`` ``(m, 8)``: columns
    ``F_*`` of :mod:`schedgym.fleet.kernels`; ``boarded`` ``(m, W + 1)``; ``charges`` ``(c, 5)``:
    columns ``C_*``; ``lost`` ``(T + 1,)``.
    """

    scenario: str
    day_seed: int | None
    decisions: np.ndarray
    flights: np.ndarray
    boarded: np.ndarray
    charges: np.ndarray
    lost: np.ndarray
    profit: float = 0.0
    solver: str = ""
    status: str = "feasible"
    wall_time_s: float = 0.0
    bound: float | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ages = np.asarray(self.boarded).shape[-1] if np.asarray(self.boarded).ndim == 2 else 1
        object.__setattr__(self, "decisions", _frozen(self.decisions, 3))
        object.__setattr__(self, "flights", _frozen(self.flights, 8))
        object.__setattr__(self, "boarded", _frozen(self.boarded, ages))
        object.__setattr__(self, "charges", _frozen(self.charges, 5))
        lost = np.array(self.lost, dtype=np.int64)
        lost.setflags(write=False)
        object.__setattr__(self, "lost", lost)

    @property
    def passengers(self) -> int:
        """Passengers carried."""
        return int(self.flights[:, F_PAX].sum())

    def to_json(self) -> dict[str, Any]:
        """The JSON layout of the module docstring."""
        flights = []
        for row, boarded in zip(self.flights.tolist(), self.boarded.tolist(), strict=True):
            item = {k: row[c] for k, c in zip(FLIGHT_KEYS, FLIGHT_COLS, strict=True)}
            item.update(boarded=boarded, soc_before=row[F_SOC_BEFORE], soc_after=row[F_SOC_AFTER])
            flights.append(item)
        charges = [
            {k: row[c] for k, c in zip(CHARGE_KEYS, CHARGE_COLS, strict=True)}
            for row in self.charges.tolist()
        ]
        return {
            "problem": "fleet",
            "scenario": self.scenario,
            "day_seed": self.day_seed,
            "solver": self.solver,
            "status": self.status,
            "profit": self.profit,
            "bound": self.bound,
            "wall_time_s": self.wall_time_s,
            "decisions": self.decisions.tolist(),
            "flights": flights,
            "charges": charges,
            "lost": self.lost.tolist(),
        } | ({} if flights else {"max_wait_epochs": self.boarded.shape[1] - 1})

    def write(self, path: str | Path, profit: float | None = None) -> None:
        """Write the JSON file (with ``profit`` replaced by the given validated value): one
        decision, flight or charge per line."""
        data = self.to_json()
        if profit is not None:
            data["profit"] = float(profit)
        parts = []
        for key, value in data.items():
            if key in ("decisions", "flights", "charges") and value:
                body = ",\n".join(json.dumps(v, separators=(",", ":")) for v in value)
                parts.append(f"{json.dumps(key)}:[{body}]")
            else:
                parts.append(f"{json.dumps(key)}:{json.dumps(value, separators=(',', ':'))}")
        Path(path).write_text("{" + ",".join(parts) + "}\n")

    @staticmethod
    def from_json(data: Any, source: str | Path = "<json>") -> FleetSchedule:
        """Parse the JSON layout; errors name ``source`` and the field (checks in the module
        docstring)."""
        root = JsonFields(data, source)
        if root.get("problem", "fleet") != "fleet":
            root.fail("problem", f"expected 'fleet', got {describe_value(root.get('problem'))}")
        decisions = _rows(root, "decisions", 3, (0, 0, -1))
        flights, boarded = [], []
        for f in root.objects("flights", []):
            row = [0] * 8
            for key, col in zip(FLIGHT_KEYS, FLIGHT_COLS, strict=True):
                row[col] = _int(f, key, 0)
            row[F_SOC_BEFORE] = _int(f, "soc_before", -MAX_COUNT)
            row[F_SOC_AFTER] = _int(f, "soc_after", -MAX_COUNT)
            flights.append(row)
            boarded.append(_int_list(f, "boarded"))
        widths = {len(b) for b in boarded}
        if len(widths) > 1:
            root.fail("flights", "every 'boarded' list must have the same length")
        wait = root.get("max_wait_epochs", None)
        if wait is not None:
            wait = checked_int(
                root.source, f"field {root.path('max_wait_epochs')}", wait, 0, MAX_WAIT
            )
            if widths and widths != {wait + 1}:
                root.fail(
                    "max_wait_epochs", f"{wait}, but 'boarded' lists have {widths.pop()} entries"
                )
        width = widths.pop() if widths else (1 if wait is None else wait + 1)
        charges = []
        for f in root.objects("charges", []):
            row = [0] * 5
            for key, col in zip(CHARGE_KEYS, CHARGE_COLS, strict=True):
                row[col] = _int(f, key, 0)
            charges.append(row)
        bound = root.get("bound", None)
        day_seed = root.get("day_seed", None)
        return FleetSchedule(
            scenario=root.string("scenario"),
            day_seed=None
            if day_seed is None
            else checked_int(root.source, f"field {root.path('day_seed')}", day_seed, 0, 2**63 - 1),
            decisions=decisions,
            flights=np.array(flights, dtype=np.int64).reshape(-1, 8),
            boarded=np.array(boarded, dtype=np.int64).reshape(len(boarded), width),
            charges=np.array(charges, dtype=np.int64).reshape(-1, 5),
            lost=np.array(_int_list(root, "lost", []), dtype=np.int64),
            profit=root.number("profit", 0.0),
            solver=checked_string(root.source, "field solver", root.get("solver", "")),
            status=checked_string(root.source, "field status", root.get("status", "feasible")),
            wall_time_s=root.number("wall_time_s", 0.0, minimum=0.0),
            bound=None if bound is None else root.number("bound"),
        )


def _int(fields: JsonFields, name: str, minimum: int) -> int:
    """An integer field in ``[minimum, MAX_COUNT]``."""
    return checked_int(
        fields.source, f"field {fields.path(name)}", fields.get(name), minimum, MAX_COUNT
    )


def _int_list(fields: JsonFields, name: str, default: Any = None) -> list[int]:
    """A list of integers in ``[0, MAX_COUNT]``."""
    value = fields.get(name, default) if default is not None else fields.get(name)
    return checked_list(
        fields.source,
        f"field {fields.path(name)}",
        value,
        lambda w, v: checked_int(fields.source, w, v, 0, MAX_COUNT),
    )


def _rows(fields: JsonFields, name: str, width: int, minimum: tuple[int, ...]) -> np.ndarray:
    """Rows of ``width`` integers, column ``k`` in ``[minimum[k], MAX_COUNT]``."""
    where = f"field {fields.path(name)}"

    def row(at: str, value: Any) -> list[int]:
        if not isinstance(value, list) or len(value) != width:
            raise InstanceFormatError(
                fields.source, f"{at}: expected a list of [{width} integers] rows"
            )
        return [
            checked_int(fields.source, f"{at}[{k}]", v, minimum[k], MAX_COUNT)
            for k, v in enumerate(value)
        ]

    rows = checked_list(fields.source, where, fields.get(name, []), row)
    return np.array(rows, dtype=np.int64).reshape(-1, width)


def read_schedule(path: str | Path) -> FleetSchedule:
    """Read a fleet day JSON file."""
    return FleetSchedule.from_json(read_json(path), Path(path))
