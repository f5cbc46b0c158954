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
import numbers
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from schedgym.core.checks import JsonFields
from schedgym.core.errors import InstanceFormatError

ENERGY_UNITS = 1000  # energy units in a full battery (0.1 % each)

#: Allowed range ``(low, high)`` of each number of an aircraft type (``cruise_kmh`` and
#: ``battery_kwh`` bounded away from 0 so that flight minutes and energy units stay small
#: integers: with coordinates within +-20,000 km, a flight takes at most about 3.4 million
#: minutes and 6e11 energy units; ``charge_kw`` must be > 0, the others may be 0).
AIRCRAFT_LIMITS: dict[str, tuple[float, float]] = {
    "seats": (1, 1000),
    "cruise_kmh": (1.0, 10_000.0),
    "battery_kwh": (0.1, 1e6),
    "energy_kwh_per_km": (0.0, 1e3),
    "vtol_energy_kwh": (0.0, 1e4),
    "vtol_time_min": (0.0, 1440.0),
    "reserve_fraction": (0.0, 1.0),  # 1 itself excluded
    "charge_kw": (0.0, 1e5),  # 0 itself excluded
    "cost_per_km": (0.0, 1e6),
}


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
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"aircraft type: name must be a non-empty string, got {self.name!r}")
        if isinstance(self.seats, bool) or not isinstance(self.seats, numbers.Integral):
            raise ValueError(f"aircraft type {self.name!r}: seats must be an integer")
        for name, (low, high) in AIRCRAFT_LIMITS.items():
            value = getattr(self, name)
            ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
            if not (ok and low <= value <= high):  # NaN and infinities compare False
                raise ValueError(
                    f"aircraft type {self.name!r}: {name} must be in [{low:g}, {high:g}], "
                    f"got {value!r:.40}"
                )
        if self.charge_kw <= 0:
            raise ValueError(f"aircraft type {self.name!r}: charge_kw must be > 0")
        if self.reserve_fraction >= 1.0:
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
        for name in fields.data:
            if name != "name" and name not in AIRCRAFT_LIMITS:
                fields.fail(name, "unknown field")
        kwargs: dict[str, Any] = {"name": fields.string("name")}
        low, high = AIRCRAFT_LIMITS["seats"]
        kwargs["seats"] = fields.integer("seats", default.seats, int(low), int(high))
        for name, (low, high) in AIRCRAFT_LIMITS.items():
            if name != "seats":
                kwargs[name] = fields.number(name, getattr(default, name), low, high)
        return fields.build(AircraftType, **kwargs)


def read_aircraft_types(path: str | Path) -> tuple[AircraftType, ...]:
    """Read ``{"aircraft_types": [...]}`` (or a bare list) from a JSON file."""
    import json

    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = str(exc).split(";")[0]  # JSONDecodeError is a ValueError
        raise InstanceFormatError(path, f"cannot read JSON: {reason}") from None
    wrapped = JsonFields(data if isinstance(data, dict) else {"aircraft_types": data}, path)
    return tuple(AircraftType.from_json(f) for f in wrapped.objects("aircraft_types"))
