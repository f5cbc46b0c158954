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

Limits (each type raises ``ValueError`` outside them; the reader names the field): the numbers
of :data:`VERTIPORT_LIMITS`, :data:`ECONOMICS_LIMITS`, :data:`DEMAND_LIMITS`,
:data:`UNCERTAINTY_LIMITS` and :data:`~schedgym.hardware.aircraft.AIRCRAFT_LIMITS` are finite and
within their ranges, probabilities and shares in ``[0, 1]``, ``min <= max`` pairs ordered; at
most ``MAX_VERTIPORTS`` vertiports, ``MAX_AIRCRAFT_TYPES`` types (distinct names) and
``MAX_AIRCRAFT`` aircraft; the day within ``0 <= start < end <= 1440`` minutes (``24:00`` only as
an end) in epochs of 1 to 1440 minutes; ``day_seed`` in ``[0, MAX_DAY_SEED]``; and the tables
the simulator allocates stay below ``MAX_TABLE_CELLS`` int64 cells: ``aircraft x epochs x
(wait epochs + 17)`` (per-decision records: 16 columns plus one per waiting age) and
``vertiports**2 x epochs`` (arrivals per origin-destination pair and epoch).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from schedgym.hardware.aircraft import AircraftType

FORMAT = "schedgym-fleet/1"

#: Minutes in a day: clock times lie in ``[0, DAY_MIN]``.
DAY_MIN = 1440
#: Most vertiports, aircraft types and aircraft in one scenario.
MAX_VERTIPORTS = 200
MAX_AIRCRAFT_TYPES = 100
MAX_AIRCRAFT = 2000
#: Largest ``day_seed`` (seeds are non-negative and fit int64).
MAX_DAY_SEED = 2**63 - 1
#: Largest table the simulator allocates, in int64 cells (160 MB); see the module docstring.
MAX_TABLE_CELLS = 2 * 10**7

#: Allowed range ``(low, high)`` of each number of a vertiport, economics, demand, uncertainty.
VERTIPORT_LIMITS: dict[str, tuple[float, float]] = {
    "x_km": (-20_000.0, 20_000.0),
    "y_km": (-20_000.0, 20_000.0),
    "parking": (1, 100_000),
    "chargers": (0, 100_000),
    "population": (0.0, 1e6),
    "jobs": (0.0, 1e6),
}
ECONOMICS_LIMITS: dict[str, tuple[float, float]] = {
    "fare_base": (0.0, 1e6),
    "fare_per_km": (0.0, 1e6),
    "cost_per_passenger": (0.0, 1e6),
    "energy_price_kwh": (0.0, 1e6),
}
DEMAND_LIMITS: dict[str, tuple[float, float]] = {
    "daily_passengers": (0.0, 1e7),
    "level": (0.0, 100.0),
    "morning_peak_h": (0.0, 24.0),
    "evening_peak_h": (0.0, 24.0),
    "peak_width_h": (0.0, 24.0),
    "offpeak_share": (0.0, 1.0),
    "max_wait_min": (0, DAY_MIN),
}
UNCERTAINTY_LIMITS: dict[str, tuple[float, float]] = {
    "delay_prob": (0.0, 1.0),
    "delay_mean_min": (0.0, DAY_MIN),
    "delay_max_min": (0, DAY_MIN),
    "closures_per_day": (0.0, 10_000.0),
    "closure_min_min": (0, DAY_MIN),
    "closure_max_min": (0, DAY_MIN),
    "downtime_prob": (0.0, 1.0),
    "downtime_min_min": (0, DAY_MIN),
    "downtime_max_min": (0, DAY_MIN),
}


def check_limits(owner: str, record: Any, limits: Mapping[str, tuple[float, float]]) -> None:
    """Raise ``ValueError`` naming ``owner`` and the field if a number of ``record`` is not a
    finite number within its ``limits`` (an integer where the default is one)."""
    for name, (low, high) in limits.items():
        value = getattr(record, name)
        whole = isinstance(low, int) and isinstance(high, int)
        kind = numbers.Integral if whole else numbers.Real
        ok = isinstance(value, kind) and not isinstance(value, bool)
        if not (ok and low <= value <= high):  # NaN and infinities compare False
            wanted = "an integer" if whole else "a number"
            raise ValueError(
                f"{owner}: {name} must be {wanted} in [{low:g}, {high:g}], got {value!r:.40}"
            )


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
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"vertiport: name must be a non-empty string, got {self.name!r:.40}")
        check_limits(f"vertiport {self.name!r}", self, VERTIPORT_LIMITS)


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

    def __post_init__(self) -> None:
        check_limits("economics", self, ECONOMICS_LIMITS)


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

    def __post_init__(self) -> None:
        check_limits("demand", self, DEMAND_LIMITS)


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

    def __post_init__(self) -> None:
        check_limits("uncertainty", self, UNCERTAINTY_LIMITS)
        for what in ("closure", "downtime"):
            low, high = getattr(self, f"{what}_min_min"), getattr(self, f"{what}_max_min")
            if low > high:
                raise ValueError(
                    f"uncertainty: {what}_min_min ({low}) must be <= {what}_max_min ({high})"
                )

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
        counts = (
            ("vertiports", len(names), MAX_VERTIPORTS),
            ("aircraft types", len(self.aircraft_types), MAX_AIRCRAFT_TYPES),
            ("aircraft", len(self.fleet), MAX_AIRCRAFT),
        )
        for what, count, most in counts:
            if count > most:
                raise ValueError(f"{count} {what}: at most {most}")
        kinds = [t.name for t in self.aircraft_types]
        if len(set(kinds)) != len(kinds):
            raise ValueError("aircraft types need distinct names")
        for what in ("start_min", "end_min", "epoch_min"):
            value = getattr(self, what)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise ValueError(f"{what} must be an integer, got {value!r:.40}")
        if not (0 <= self.start_min < self.end_min <= DAY_MIN):
            raise ValueError(
                f"the day must lie within 00:00-24:00 and end after it starts "
                f"(start {self.start_min} min, end {self.end_min} min)"
            )
        if not 1 <= self.epoch_min <= DAY_MIN:
            raise ValueError(f"epoch_min must be in [1, {DAY_MIN}], got {self.epoch_min}")
        if (self.end_min - self.start_min) % self.epoch_min:
            raise ValueError("the day's length must be a whole number of epochs")
        seed = self.day_seed
        if seed is not None and (
            isinstance(seed, bool)
            or not isinstance(seed, numbers.Integral)
            or not 0 <= seed <= MAX_DAY_SEED
        ):
            raise ValueError(f"day_seed must be null or an integer in [0, 2**63 - 1], got {seed!r}")
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
        epochs, ports = self.num_epochs, len(names)
        tables = (
            (
                "aircraft x epochs x (wait epochs + 17)",
                len(self.fleet) * epochs * (self.max_wait_epochs + 17),
            ),
            ("vertiports^2 x epochs", ports * ports * epochs),
        )
        for what, cells in tables:
            if cells > MAX_TABLE_CELLS:
                raise ValueError(
                    f"too large: {what} = {cells} exceeds {MAX_TABLE_CELLS} table cells "
                    "(fewer aircraft or vertiports, longer epochs or a shorter max_wait_min)"
                )

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
