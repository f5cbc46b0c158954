"""Fleet scenarios: vertiports, aircraft, economics, demand and uncertainty.

A :class:`FleetScenario` is everything about a day of urban-air-mobility operations that is known
in advance; what actually happens on a given day (passenger arrivals, take-off delays, route
closures, aircraft downtime) is a :class:`~schedgym.fleet.dynamics.Realisation` drawn from it
with a seed. Its JSON file (``"format": "schedgym-fleet/1"``) is read and written by
:mod:`schedgym.fleet.formats`, whose docstring gives the layout.

``aircraft_types`` follow :mod:`schedgym.hardware.aircraft`. Positions are in km on a plane;
distances are Euclidean. ``parking`` is the number of aircraft a vertiport holds (on the ground or
inbound, see :mod:`schedgym.fleet.env`), ``chargers`` how many charge at once. ``population`` and
``jobs`` weight demand: the morning peak flows from population to jobs, the evening peak back,
off-peak demand in both directions. ``day_seed`` fixes the realised day (evaluation instances);
when ``None`` the day comes from the episode's or the solver's seed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from schedgym.hardware.aircraft import AircraftType

FORMAT = "schedgym-fleet/1"


@dataclass(frozen=True)
class Vertiport:
    """A vertiport: position (km), parking capacity, chargers and demand weights."""

    name: str
    x_km: float
    y_km: float
    parking: int
    chargers: int
    population: float = 1.0
    jobs: float = 1.0

    def __post_init__(self) -> None:
        if self.parking < 1 or self.chargers < 0:
            raise ValueError(f"vertiport {self.name!r}: needs parking >= 1 and chargers >= 0")
        if self.population < 0 or self.jobs < 0:
            raise ValueError(f"vertiport {self.name!r}: demand weights must be >= 0")


@dataclass(frozen=True)
class Aircraft:
    """One aircraft: its type (index into the scenario's types), base vertiport, initial charge."""

    type: int
    base: int
    soc: float = 1.0


@dataclass(frozen=True)
class Economics:
    """Fares (``fare_base + fare_per_km * distance`` per passenger) and costs."""

    fare_base: float = 20.0
    fare_per_km: float = 3.0
    cost_per_passenger: float = 25.0
    energy_price_kwh: float = 0.25


@dataclass(frozen=True)
class Demand:
    """Expected passengers per day and their spread over the day (see the module docstring)."""

    daily_passengers: float = 3000.0
    level: float = 1.0
    morning_peak_h: float = 8.0
    evening_peak_h: float = 17.5
    peak_width_h: float = 1.0
    offpeak_share: float = 0.3
    max_wait_min: int = 30


@dataclass(frozen=True)
class Uncertainty:
    """Take-off delays (per vertiport and epoch), route closures and aircraft downtime.

    A zero probability or rate switches a source off; :meth:`scaled` multiplies all of them.
    """

    delay_prob: float = 0.1
    delay_mean_min: float = 6.0
    delay_max_min: int = 20
    closures_per_day: float = 2.0
    closure_min_min: int = 60
    closure_max_min: int = 180
    downtime_prob: float = 0.1
    downtime_min_min: int = 60
    downtime_max_min: int = 180

    def scaled(self, level: float) -> Uncertainty:
        """The same uncertainty with every probability and rate multiplied by ``level``."""
        return replace(
            self,
            delay_prob=min(1.0, self.delay_prob * level),
            closures_per_day=self.closures_per_day * level,
            downtime_prob=min(1.0, self.downtime_prob * level),
        )

    def switched(self, delays: bool, closures: bool, downtime: bool) -> Uncertainty:
        """The same uncertainty with the sources whose switch is False turned off."""
        return replace(
            self,
            delay_prob=self.delay_prob if delays else 0.0,
            closures_per_day=self.closures_per_day if closures else 0.0,
            downtime_prob=self.downtime_prob if downtime else 0.0,
        )


@dataclass(frozen=True, eq=False)
class FleetScenario:
    """A day of UAM operations known in advance (see the module docstring)."""

    name: str
    vertiports: tuple[Vertiport, ...]
    aircraft_types: tuple[AircraftType, ...]
    fleet: tuple[Aircraft, ...]
    economics: Economics = field(default_factory=Economics)
    demand: Demand = field(default_factory=Demand)
    uncertainty: Uncertainty = field(default_factory=Uncertainty)
    start_min: int = 360
    end_min: int = 1320
    epoch_min: int = 10
    day_seed: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "vertiports", tuple(self.vertiports))
        object.__setattr__(self, "aircraft_types", tuple(self.aircraft_types))
        object.__setattr__(self, "fleet", tuple(self.fleet))
        names = [v.name for v in self.vertiports]
        if len(names) < 2 or len(set(names)) != len(names):
            raise ValueError("needs at least two vertiports with distinct names")
        if not self.aircraft_types or not self.fleet:
            raise ValueError("needs at least one aircraft type and one aircraft")
        if self.epoch_min < 1 or self.end_min <= self.start_min:
            raise ValueError("needs epoch_min >= 1 and end after start")
        if (self.end_min - self.start_min) % self.epoch_min:
            raise ValueError("the day's length must be a whole number of epochs")
        parked = np.zeros(len(names), dtype=np.int64)
        for i, plane in enumerate(self.fleet):
            if not (0 <= plane.type < len(self.aircraft_types)):
                raise ValueError(f"aircraft {i}: unknown type index {plane.type}")
            if not (0 <= plane.base < len(names)):
                raise ValueError(f"aircraft {i}: unknown base index {plane.base}")
            reserve = self.aircraft_types[plane.type].reserve_fraction
            if not reserve <= plane.soc <= 1.0:
                raise ValueError(f"aircraft {i}: soc must be in [reserve {reserve}, 1]")
            parked[plane.base] += 1
        for v, port in enumerate(self.vertiports):
            if parked[v] > port.parking:
                raise ValueError(
                    f"vertiport {port.name!r}: {parked[v]} based aircraft exceed parking"
                )
        if self.demand.max_wait_min < 0 or self.demand.daily_passengers < 0:
            raise ValueError("demand: max_wait_min and daily_passengers must be >= 0")

    @property
    def num_vertiports(self) -> int:
        """Number of vertiports."""
        return len(self.vertiports)

    @property
    def num_aircraft(self) -> int:
        """Number of aircraft."""
        return len(self.fleet)

    @property
    def num_epochs(self) -> int:
        """Decision epochs in the day."""
        return (self.end_min - self.start_min) // self.epoch_min

    @property
    def max_wait_epochs(self) -> int:
        """A passenger arriving in epoch ``t`` may board departures in epochs ``t..t+W``."""
        return self.demand.max_wait_min // self.epoch_min

    @property
    def size_group(self) -> str:
        """``"8v40a"`` (vertiports, aircraft)."""
        return f"{self.num_vertiports}v{self.num_aircraft}a"

    def distances(self) -> np.ndarray:
        """``(V, V)`` float64 Euclidean distances in km."""
        xy = np.array([[v.x_km, v.y_km] for v in self.vertiports], dtype=np.float64)
        return np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))

    def with_day(self, day_seed: int | None) -> FleetScenario:
        """This scenario fixed to the day ``day_seed`` (name gets a ``-dN`` suffix)."""
        base = re.sub(r"-d\d+$", "", self.name) if self.day_seed is not None else self.name
        name = base if day_seed is None else f"{base}-d{day_seed}"
        return replace(self, name=name, day_seed=day_seed)

    def to_json(self) -> dict[str, Any]:
        """The JSON layout of :mod:`~schedgym.fleet.formats` (fleet grouped by type, base, soc)."""
        groups: dict[tuple[int, int, float], int] = {}
        for plane in self.fleet:
            key = (plane.type, plane.base, plane.soc)
            groups[key] = groups.get(key, 0) + 1
        return {
            "format": FORMAT,
            "name": self.name,
            "day": {
                "start": _clock(self.start_min),
                "end": _clock(self.end_min),
                "epoch_min": self.epoch_min,
            },
            "vertiports": [asdict(v) for v in self.vertiports],
            "aircraft_types": [t.to_json() for t in self.aircraft_types],
            "fleet": [
                {
                    "type": self.aircraft_types[k].name,
                    "base": self.vertiports[b].name,
                    "count": n,
                    "soc": soc,
                }
                for (k, b, soc), n in groups.items()
            ],
            "economics": asdict(self.economics),
            "demand": asdict(self.demand),
            "uncertainty": asdict(self.uncertainty),
            "day_seed": self.day_seed,
        }


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
