"""Fleet scenario files: the ``schedgym-fleet/1`` JSON layout, its reader and writer.

The data types are in :mod:`schedgym.fleet.instance`. The JSON layout
(``"format": "schedgym-fleet/1"``)::

    {"format": "schedgym-fleet/1", "name": "dfw-8v40a",
     "day": {"start": "06:00", "end": "22:00", "epoch_min": 10},
     "vertiports": [{"name": "DAL", "x_km": 0.0, "y_km": 0.0, "parking": 8, "chargers": 3,
                     "population": 1.0, "jobs": 2.0}, ...],
     "aircraft_types": [{"name": "evtol-4", "seats": 4, ...}, ...],
     "fleet": [{"type": "evtol-4", "base": "DAL", "count": 5, "soc": 0.9}, ...],
     "economics": {"fare_base": 20.0, "fare_per_km": 3.0, "cost_per_passenger": 25.0,
                   "energy_price_kwh": 0.25},
     "demand": {"daily_passengers": 3000.0, "level": 1.0, "morning_peak_h": 8.0,
                "evening_peak_h": 17.5, "peak_width_h": 1.0, "offpeak_share": 0.3,
                "max_wait_min": 30},
     "uncertainty": {"delay_prob": 0.1, "delay_mean_min": 6.0, "delay_max_min": 20,
                     "closures_per_day": 2.0, "closure_min_min": 60, "closure_max_min": 180,
                     "downtime_prob": 0.1, "downtime_min_min": 60, "downtime_max_min": 180},
     "day_seed": null}

``aircraft_types`` follow :mod:`schedgym.hardware.aircraft`; the meaning of every field is in
:mod:`schedgym.fleet.instance`. ``day_seed`` ``null`` leaves the day to the episode's or the
solver's seed. Every error names the file and the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import JsonFields, compact_json
from schedgym.fleet.instance import (
    FORMAT,
    Aircraft,
    Demand,
    Economics,
    FleetScenario,
    Uncertainty,
    Vertiport,
)
from schedgym.hardware.aircraft import AircraftType


def _minutes(fields: JsonFields, name: str, default: str) -> int:
    text = fields.string(name, default)
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not match or int(match.group(2)) >= 60 or int(match.group(1)) > 24:
        fields.fail(name, f"expected a time HH:MM, got {text!r}")
    return 60 * int(match.group(1)) + int(match.group(2))


def _record(fields: JsonFields, cls: Any) -> Any:
    """Read a flat dataclass of numbers, with its defaults, naming unknown fields."""
    default = cls()
    kwargs: dict[str, Any] = {}
    for name in fields.data:
        if name not in default.__dict__:
            fields.fail(name, "unknown field")
    for name, value in asdict(default).items():
        if isinstance(value, int):
            kwargs[name] = fields.integer(name, value, minimum=0)
        else:
            kwargs[name] = fields.number(name, value, minimum=0.0)
    return fields.build(cls, **kwargs)


def parse_scenario(data: Any, source: str | Path = "<json>") -> FleetScenario:
    """A scenario from parsed JSON; errors name ``source`` and the field."""
    root = JsonFields(data, source)
    fmt = root.get("format", FORMAT)
    if fmt != FORMAT:
        root.fail("format", f"expected {FORMAT!r}, got {fmt!r}")
    day = root.child("day")
    ports = []
    for f in root.objects("vertiports"):
        ports.append(
            f.build(
                Vertiport,
                name=f.string("name"),
                x_km=f.number("x_km"),
                y_km=f.number("y_km"),
                parking=f.integer("parking", minimum=1),
                chargers=f.integer("chargers", minimum=0),
                population=f.number("population", 1.0, minimum=0.0),
                jobs=f.number("jobs", 1.0, minimum=0.0),
            )
        )
    types = tuple(AircraftType.from_json(f) for f in root.objects("aircraft_types"))
    port_index = {p.name: i for i, p in enumerate(ports)}
    type_index = {t.name: i for i, t in enumerate(types)}
    fleet: list[Aircraft] = []
    for f in root.objects("fleet"):
        kind, base = f.string("type"), f.string("base")
        if kind not in type_index:
            f.fail("type", f"unknown aircraft type {kind!r}")
        if base not in port_index:
            f.fail("base", f"unknown vertiport {base!r}")
        soc = f.number("soc", 1.0, minimum=0.0, maximum=1.0)
        plane = Aircraft(type_index[kind], port_index[base], soc)
        fleet.extend([plane] * f.integer("count", 1, minimum=1))
    seed = root.optional_integer("day_seed")
    return root.build(
        FleetScenario,
        name=root.string("name"),
        vertiports=tuple(ports),
        aircraft_types=types,
        fleet=tuple(fleet),
        economics=_record(root.child("economics"), Economics),
        demand=_record(root.child("demand"), Demand),
        uncertainty=_record(root.child("uncertainty"), Uncertainty),
        start_min=_minutes(day, "start", "06:00"),
        end_min=_minutes(day, "end", "22:00"),
        epoch_min=day.integer("epoch_min", 10, minimum=1),
        day_seed=seed,
    )


def read_scenario(path: str | Path) -> FleetScenario:
    """Read a scenario JSON file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise InstanceFormatError(path, "no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InstanceFormatError(path, f"cannot read JSON: {exc}") from None
    return parse_scenario(data, path)


def write_scenario(scenario: FleetScenario, path: str | Path) -> None:
    """Write the scenario JSON file."""
    Path(path).write_text(compact_json(scenario.to_json()) + "\n")
