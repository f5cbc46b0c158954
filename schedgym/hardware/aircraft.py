"""Electric aircraft types (eVTOL) as data, and a typed reader of JSON fields.

An :class:`AircraftType` describes one kind of aircraft by its performance, not by code::

    {"name": "evtol-4", "seats": 4, "cruise_kmh": 200.0, "battery_kwh": 160.0,
     "energy_kwh_per_km": 0.8, "vtol_energy_kwh": 4.0, "vtol_time_min": 3.0,
     "reserve_fraction": 0.2, "charge_kw": 200.0, "cost_per_km": 2.0}

* a flight of ``d`` km takes ``ceil(60 d / cruise_kmh + vtol_time_min)`` whole minutes and uses
  ``energy_kwh_per_km * d + vtol_energy_kwh`` kWh (take-off, landing and cruise);
* the state of charge is counted in integer *energy units* of ``battery_kwh / ENERGY_UNITS``
  (0.1 % of the battery): a flight uses the ceiling of its energy in units, a charger adds the
  floor of ``charge_kw * minutes / 60`` kWh in units, and the state of charge must stay at or
  above ``ceil(ENERGY_UNITS * reserve_fraction)`` units after every flight;
* ``cost_per_km`` is the operating cost of a flight per km flown (crew, maintenance).

Integer minutes and energy units make every rule exact, so a replayed day reproduces its profit
bit for bit. :class:`JsonFields` reads typed fields with errors that name the file and the field.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import JsonFields

ENERGY_UNITS = 1000  # energy units in a full battery (0.1 % each)


@dataclass(frozen=True)
class AircraftType:
    """One aircraft type (see the module docstring for units and rounding)."""

    name: str
    seats: int = 4
    cruise_kmh: float = 200.0
    battery_kwh: float = 160.0
    energy_kwh_per_km: float = 0.8
    vtol_energy_kwh: float = 4.0
    vtol_time_min: float = 3.0
    reserve_fraction: float = 0.2
    charge_kw: float = 200.0
    cost_per_km: float = 2.0

    def __post_init__(self) -> None:
        positive = ("cruise_kmh", "battery_kwh", "charge_kw")
        for name in positive:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"aircraft type {self.name!r}: {name} must be > 0, got {value}")
        for name in ("energy_kwh_per_km", "vtol_energy_kwh", "vtol_time_min", "cost_per_km"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"aircraft type {self.name!r}: {name} must be >= 0, got {value}")
        if self.seats < 1:
            raise ValueError(f"aircraft type {self.name!r}: seats must be >= 1")
        if not 0.0 <= self.reserve_fraction < 1.0:
            raise ValueError(f"aircraft type {self.name!r}: reserve_fraction must be in [0, 1)")

    def flight_minutes(self, distance_km: float) -> int:
        """Whole minutes of a flight of ``distance_km`` (take-off and landing included)."""
        return max(1, math.ceil(60.0 * distance_km / self.cruise_kmh + self.vtol_time_min - 1e-9))

    def flight_units(self, distance_km: float) -> int:
        """Energy units a flight of ``distance_km`` uses (rounded up)."""
        kwh = self.energy_kwh_per_km * distance_km + self.vtol_energy_kwh
        return math.ceil(ENERGY_UNITS * kwh / self.battery_kwh - 1e-9)

    def charge_units(self, minutes: float) -> int:
        """Energy units a charger adds in ``minutes`` (rounded down)."""
        return math.floor(ENERGY_UNITS * self.charge_kw * minutes / 60.0 / self.battery_kwh + 1e-9)

    @property
    def reserve_units(self) -> int:
        """The reserve, in energy units (rounded up)."""
        return math.ceil(ENERGY_UNITS * self.reserve_fraction - 1e-9)

    @property
    def unit_kwh(self) -> float:
        """kWh in one energy unit."""
        return self.battery_kwh / ENERGY_UNITS

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the module docstring."""
        return asdict(self)

    @staticmethod
    def from_json(fields: JsonFields) -> AircraftType:
        """Read an aircraft type; errors name the file and the field."""
        default = AircraftType("default")
        kwargs: dict[str, Any] = {"name": fields.string("name")}
        kwargs["seats"] = fields.integer("seats", default.seats, minimum=1)
        for name in (
            "cruise_kmh",
            "battery_kwh",
            "energy_kwh_per_km",
            "vtol_energy_kwh",
            "vtol_time_min",
            "reserve_fraction",
            "charge_kw",
            "cost_per_km",
        ):
            kwargs[name] = fields.number(name, getattr(default, name), minimum=0.0)
        return fields.build(AircraftType, **kwargs)


def read_aircraft_types(path: str | Path) -> tuple[AircraftType, ...]:
    """Read ``{"aircraft_types": [...]}`` (or a bare list) from a JSON file."""
    import json

    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InstanceFormatError(path, f"cannot read JSON: {exc}") from None
    wrapped = JsonFields(data if isinstance(data, dict) else {"aircraft_types": data}, path)
    return tuple(AircraftType.from_json(f) for f in wrapped.objects("aircraft_types"))
