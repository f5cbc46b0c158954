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
energy units of :mod:`schedgym.hardware.aircraft`. ``profit`` is the validator's value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import JsonFields
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
        }

    def write(self, path: str | Path, profit: float | None = None) -> None:
        """Write the JSON file (with ``profit`` replaced by the given validated value)."""
        data = self.to_json()
        if profit is not None:
            data["profit"] = float(profit)
        text = json.dumps(data, separators=(",", ":"))
        Path(path).write_text(text.replace('},{"', '},\n{"').replace("],[", "],\n[") + "\n")

    @staticmethod
    def from_json(data: Any, source: str | Path = "<json>") -> FleetSchedule:
        """Parse the JSON layout; errors name ``source`` and the field."""
        root = JsonFields(data, source)
        if root.get("problem", "fleet") != "fleet":
            root.fail("problem", f"expected 'fleet', got {root.get('problem')!r}")
        decisions = _rows(root, "decisions", 3)
        flights, boarded = [], []
        for f in root.objects("flights", []):
            row = [0] * 8
            for key, col in zip(FLIGHT_KEYS, FLIGHT_COLS, strict=True):
                row[col] = f.integer(key, minimum=0)
            row[F_SOC_BEFORE] = f.integer("soc_before")
            row[F_SOC_AFTER] = f.integer("soc_after")
            flights.append(row)
            boarded.append(_int_list(f, "boarded"))
        widths = {len(b) for b in boarded}
        if len(widths) > 1:
            root.fail("flights", "every 'boarded' list must have the same length")
        charges = []
        for f in root.objects("charges", []):
            row = [0] * 5
            for key, col in zip(CHARGE_KEYS, CHARGE_COLS, strict=True):
                row[col] = f.integer(key, minimum=0)
            charges.append(row)
        bound = root.get("bound", None)
        return FleetSchedule(
            scenario=root.string("scenario"),
            day_seed=root.optional_integer("day_seed"),
            decisions=decisions,
            flights=np.array(flights, dtype=np.int64).reshape(-1, 8),
            boarded=np.array(boarded, dtype=np.int64).reshape(
                len(boarded), widths.pop() if widths else 1
            ),
            charges=np.array(charges, dtype=np.int64).reshape(-1, 5),
            lost=np.array(_int_list(root, "lost", []), dtype=np.int64),
            profit=root.number("profit", 0.0),
            solver=str(root.get("solver", "")),
            status=str(root.get("status", "feasible")),
            wall_time_s=root.number("wall_time_s", 0.0, minimum=0.0),
            bound=None if bound is None else root.number("bound"),
        )


def _int_list(fields: JsonFields, name: str, default: Any = None) -> list[int]:
    value = fields.get(name, default) if default is not None else fields.get(name)
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        fields.fail(name, "expected a list of integers")
    return list(value)


def _rows(fields: JsonFields, name: str, width: int) -> np.ndarray:
    value = fields.get(name, [])
    ok = isinstance(value, list) and all(
        isinstance(r, list)
        and len(r) == width
        and all(isinstance(v, int) and not isinstance(v, bool) for v in r)
        for r in value
    )
    if not ok:
        fields.fail(name, f"expected a list of [{width} integers] rows")
    return np.array(value, dtype=np.int64).reshape(-1, width)


def read_schedule(path: str | Path) -> FleetSchedule:
    """Read a fleet day JSON file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise InstanceFormatError(path, "no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InstanceFormatError(path, f"cannot read JSON: {exc}") from None
    return FleetSchedule.from_json(data, path)
