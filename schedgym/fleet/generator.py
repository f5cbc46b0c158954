"""Seeded fleet scenarios: random networks and fleets, the paper-scale default and a toy.

* :class:`FleetGenerator` / :func:`generate_scenario`: ``V`` vertiports (4-20) placed at random
  in a square region at least ``min_spacing_km`` apart, one business district with most jobs,
  log-normal population and jobs elsewhere; ``A`` aircraft (10-100) of one type spread over the
  vertiports; parking for ``1.5 A`` aircraft in all, a charger per 2.5 parking slots; daily demand
  ``passengers_per_aircraft * A`` times ``demand_level``; the default uncertainty times
  ``uncertainty``.
* :func:`default_scenario`: the shipped ``dfw-8v40a`` (8 vertiports, 40 four-seat aircraft, as
  in Paul, Witter & Chowdhury 2024), read from its JSON file.
* :func:`toy_scenario`: two vertiports, one aircraft, two hours, no uncertainty: small enough to
  check by hand.

Same seed, same scenario: all randomness comes from :func:`schedgym.core.seeding.make_rng` or a
caller's numpy ``Generator``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import numpy as np

from schedgym.core.seeding import make_rng
from schedgym.fleet.instance import (
    Aircraft,
    Demand,
    FleetScenario,
    Uncertainty,
    Vertiport,
)
from schedgym.hardware.aircraft import AircraftType

SizeRange = int | tuple[int, int]
EVTOL_4 = AircraftType("evtol-4")


def _draw(rng: np.random.Generator, size: SizeRange, low: int, high: int, what: str) -> int:
    lo, hi = (size, size) if isinstance(size, int) else size
    if not low <= lo <= hi <= high:
        raise ValueError(f"{what} must lie in {low}..{high}, got {size}")
    return int(rng.integers(lo, hi + 1))


def _positions(
    rng: np.random.Generator, count: int, region_km: float, spacing: float
) -> np.ndarray:
    points: list[np.ndarray] = []
    while len(points) < count:
        candidate = rng.uniform(0.0, region_km, size=2)
        if all(np.hypot(*(candidate - p)) >= spacing for p in points):
            points.append(candidate)
        elif rng.random() < 0.01:  # crowded region: relax the spacing a little
            spacing *= 0.95
    return np.round(np.array(points), 1)


@dataclass(frozen=True)
class FleetGenerator:
    """Random scenarios (see the module docstring); sizes are ints or inclusive ranges."""

    num_vertiports: SizeRange = (4, 10)
    num_aircraft: SizeRange = (10, 40)
    demand_level: float = 1.0
    uncertainty: float = 1.0
    region_km: float = 50.0
    min_spacing_km: float = 6.0
    passengers_per_aircraft: float = 75.0
    aircraft_type: AircraftType = field(default=EVTOL_4)

    def sample(self, rng: np.random.Generator) -> FleetScenario:
        """One scenario drawn with ``rng``."""
        ports = _draw(rng, self.num_vertiports, 2, 20, "num_vertiports")
        fleet_size = _draw(rng, self.num_aircraft, 1, 100, "num_aircraft")
        xy = _positions(rng, ports, self.region_km, self.min_spacing_km)
        population = np.round(rng.lognormal(0.0, 0.5, ports), 2)
        jobs = np.round(rng.lognormal(-0.5, 0.5, ports), 2)
        jobs[int(rng.integers(ports))] = round(3.0 + float(rng.random()), 2)  # business district
        share = rng.uniform(0.7, 1.3, ports)
        parking = np.maximum(2, np.ceil(1.5 * fleet_size * share / share.sum())).astype(int)
        vertiports = tuple(
            Vertiport(
                name=f"V{v}",
                x_km=float(xy[v, 0]),
                y_km=float(xy[v, 1]),
                parking=int(parking[v]),
                chargers=max(1, round(parking[v] / 2.5)),
                population=float(population[v]),
                jobs=float(jobs[v]),
            )
            for v in range(ports)
        )
        bases = _spread(fleet_size, parking, rng)
        socs = np.round(rng.uniform(0.6, 1.0, fleet_size) * 20) / 20
        fleet = tuple(Aircraft(0, int(b), float(s)) for b, s in zip(bases, socs, strict=True))
        demand = Demand(
            daily_passengers=round(self.passengers_per_aircraft * fleet_size, 1),
            level=self.demand_level,
        )
        scenario = FleetScenario(
            name="fleet",
            vertiports=vertiports,
            aircraft_types=(self.aircraft_type,),
            fleet=fleet,
            demand=demand,
            uncertainty=Uncertainty().scaled(self.uncertainty),
        )
        digest = hashlib.blake2b(repr(scenario.to_json()).encode(), digest_size=4).hexdigest()
        return _renamed(scenario, f"fleet-{scenario.size_group}-{digest}")


def _spread(count: int, parking: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bases for ``count`` aircraft, round-robin from a random vertiport, within parking."""
    free = parking.copy()
    bases = np.empty(count, dtype=np.int64)
    v = int(rng.integers(len(free)))
    for i in range(count):
        while free[v] == 0:
            v = (v + 1) % len(free)
        bases[i] = v
        free[v] -= 1
        v = (v + 1) % len(free)
    return bases


def _renamed(scenario: FleetScenario, name: str) -> FleetScenario:
    return replace(scenario, name=name)


def generate_scenario(
    num_vertiports: int,
    num_aircraft: int,
    seed: int,
    demand_level: float = 1.0,
    uncertainty: float = 1.0,
) -> FleetScenario:
    """One random scenario of the given size (see :class:`FleetGenerator`)."""
    generator = FleetGenerator(num_vertiports, num_aircraft, demand_level, uncertainty)
    return generator.sample(make_rng(seed))


def default_scenario() -> FleetScenario:
    """The shipped paper-scale scenario ``dfw-8v40a`` (8 vertiports, 40 aircraft)."""
    from schedgym.datasets import fleet as shipped

    return shipped.load(shipped.DEFAULT)


def toy_scenario() -> FleetScenario:
    """Two vertiports 20 km apart, one four-seat aircraft, 06:00-08:00, no uncertainty.

    A flight takes 10 minutes (one epoch) and 125 energy units (20 kWh of 160); the aircraft
    starts full at ``A`` with a 20 % reserve, so it can fly six legs before it must charge; a
    charger adds 208 units per epoch. A full flight earns ``4 * (80 - 25) - 40 = 180``.
    """
    kind = AircraftType("evtol-4", cruise_kmh=240.0, vtol_time_min=5.0, vtol_energy_kwh=4.0)
    ports = (
        Vertiport("A", 0.0, 0.0, parking=2, chargers=1),
        Vertiport("B", 20.0, 0.0, parking=2, chargers=1),
    )
    return FleetScenario(
        name="toy-2v1a",
        vertiports=ports,
        aircraft_types=(kind,),
        fleet=(Aircraft(0, 0, 1.0),),
        demand=Demand(daily_passengers=20.0, max_wait_min=20),
        uncertainty=Uncertainty().switched(False, False, False),
        start_min=360,
        end_min=480,
    )
