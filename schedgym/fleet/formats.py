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

Checked before the scenario is built: JSON nested objects have no unknown fields; every number
is finite and within the ranges of :mod:`schedgym.fleet.instance` and
:mod:`schedgym.hardware.aircraft` (integers where they count things); clock times are ``HH:MM``
from ``00:00`` to ``24:00`` (``24:00`` only as the end of the day); names are unique and every
``type`` and ``base`` names a listed aircraft type and vertiport; ``count`` is at most
``MAX_AIRCRAFT`` in all, checked before the fleet is expanded.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from schedgym.core.checks import JsonFields
from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import compact_json
from schedgym.fleet.instance import (
    DAY_MIN,
    DEMAND_LIMITS,
    ECONOMICS_LIMITS,
    FORMAT,
    MAX_AIRCRAFT,
    MAX_AIRCRAFT_TYPES,
    MAX_DAY_SEED,
    MAX_VERTIPORTS,
    UNCERTAINTY_LIMITS,
    VERTIPORT_LIMITS,
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
    match = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})", text)
    minutes = 60 * int(match.group(1)) + int(match.group(2)) if match else -1
    if not match or int(match.group(2)) >= 60 or not 0 <= minutes <= DAY_MIN:
        fields.fail(name, f"expected a time HH:MM from 00:00 to 24:00, got {text[:40]!r}")
    return minutes


def _known(fields: JsonFields, names: Any) -> None:
    """Refuse a field of ``fields`` that is not in ``names``."""
    for name in fields.data:
        if name not in names:
            fields.fail(name, "unknown field")


def _numbers(
    fields: JsonFields, limits: dict[str, tuple[float, float]], defaults: dict[str, Any]
) -> dict[str, Any]:
    """The fields of ``limits``, each within its range (an integer where both ends are); a
    field without a default is required."""
    values: dict[str, Any] = {}
    for name, (low, high) in limits.items():
        bounds: dict[str, Any] = {"minimum": low, "maximum": high}
        if name in defaults:
            bounds["default"] = defaults[name]
        if isinstance(low, int) and isinstance(high, int):
            values[name] = fields.integer(name, **bounds)
        else:
            values[name] = fields.number(name, **bounds)
    return values


def _record(fields: JsonFields, cls: Any, limits: dict[str, tuple[float, float]]) -> Any:
    """Read a flat dataclass of numbers, with its defaults, naming unknown fields."""
    defaults = asdict(cls())
    _known(fields, defaults)
    values = _numbers(fields, limits, defaults)
    for name in values:
        if name.endswith("_min_min"):
            high = name.replace("_min_min", "_max_min")
            if high in values and values[name] > values[high]:
                fields.fail(high, f"must be >= {name} ({values[name]}), got {values[high]}")
    return fields.build(cls, **values)


def _count(fields: JsonFields, name: str, most: int) -> None:
    value = fields.get(name)
    if isinstance(value, list) and len(value) > most:
        fields.fail(name, f"{len(value)} entries: at most {most}")


def parse_scenario(data: Any, source: str | Path = "<json>") -> FleetScenario:
    """A scenario from parsed JSON; errors name ``source`` and the field."""
    root = JsonFields(data, source)
    fmt = root.get("format", FORMAT)
    if fmt != FORMAT:
        root.fail("format", f"expected {FORMAT!r}, got {str(fmt)[:40]!r}")
    day = root.child("day")
    _known(day, ("start", "end", "epoch_min"))
    _count(root, "vertiports", MAX_VERTIPORTS)
    _count(root, "aircraft_types", MAX_AIRCRAFT_TYPES)
    _count(root, "fleet", MAX_AIRCRAFT)
    ports: list[Vertiport] = []
    for f in root.objects("vertiports"):
        _known(f, ("name", *VERTIPORT_LIMITS))
        name = f.string("name")
        if any(p.name == name for p in ports):
            f.fail("name", f"vertiport {name[:40]!r} listed twice")
        numbers = _numbers(f, VERTIPORT_LIMITS, {"population": 1.0, "jobs": 1.0})
        ports.append(f.build(Vertiport, name=name, **numbers))
    types: list[AircraftType] = []
    for f in root.objects("aircraft_types"):
        model = AircraftType.from_json(f)
        if any(t.name == model.name for t in types):
            f.fail("name", f"aircraft type {model.name[:40]!r} listed twice")
        types.append(model)
    port_index = {p.name: i for i, p in enumerate(ports)}
    type_index = {t.name: i for i, t in enumerate(types)}
    fleet: list[Aircraft] = []
    for f in root.objects("fleet"):
        _known(f, ("type", "base", "count", "soc"))
        kind, base = f.string("type"), f.string("base")
        if kind not in type_index:
            f.fail("type", f"unknown aircraft type {kind[:40]!r}")
        if base not in port_index:
            f.fail("base", f"unknown vertiport {base[:40]!r}")
        soc = f.number("soc", 1.0, minimum=0.0, maximum=1.0)
        count = f.integer("count", 1, minimum=1, maximum=MAX_AIRCRAFT)
        if len(fleet) + count > MAX_AIRCRAFT:
            f.fail("count", f"more than {MAX_AIRCRAFT} aircraft in all")
        fleet.extend([Aircraft(type_index[kind], port_index[base], soc)] * count)
    seed = None
    if root.data.get("day_seed") is not None:
        seed = root.integer("day_seed", minimum=0, maximum=MAX_DAY_SEED)
    return root.build(
        FleetScenario,
        name=root.string("name"),
        vertiports=tuple(ports),
        aircraft_types=types,
        fleet=tuple(fleet),
        economics=_record(root.child("economics"), Economics, ECONOMICS_LIMITS),
        demand=_record(root.child("demand"), Demand, DEMAND_LIMITS),
        uncertainty=_record(root.child("uncertainty"), Uncertainty, UNCERTAINTY_LIMITS),
        start_min=_minutes(day, "start", "06:00"),
        end_min=_minutes(day, "end", "22:00"),
        epoch_min=day.integer("epoch_min", 10, minimum=1, maximum=DAY_MIN),
        day_seed=seed,
    )


def read_scenario(path: str | Path) -> FleetScenario:
    """Read a scenario JSON file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise InstanceFormatError(path, "no such file") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = str(exc).split(";")[0]  # JSONDecodeError is a ValueError; also too deep a file
        raise InstanceFormatError(path, f"cannot read JSON: {reason}") from None
    return parse_scenario(data, path)


def write_scenario(scenario: FleetScenario, path: str | Path) -> None:
    """Write the scenario JSON file."""
    Path(path).write_text(compact_json(scenario.to_json()) + "\n")
