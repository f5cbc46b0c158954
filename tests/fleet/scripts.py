"""Helpers of the fleet tests: small scenarios with short days, and scripted ones."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from schedgym.fleet.dynamics import Realisation, quiet_day
from schedgym.fleet.generator import generate_scenario
from schedgym.fleet.instance import Aircraft, Demand, FleetScenario, Uncertainty, Vertiport
from schedgym.hardware.aircraft import AircraftType

# 20 km apart at 240 km/h plus 5 min of take-off and landing: 10 minutes, one epoch; 125 units.
KIND = AircraftType("evtol-4", cruise_kmh=240.0, vtol_time_min=5.0)


def small(seed: int = 1, hours: int = 4, ports: int = 4, fleet: int = 8) -> FleetScenario:
    """A generated scenario with a short day (every uncertainty on, raised to be seen)."""
    scenario = generate_scenario(ports, fleet, seed=seed, uncertainty=3.0)
    return replace(scenario, start_min=420, end_min=420 + 60 * hours)


def scripted(
    parking: tuple[int, ...] = (2, 2),
    chargers: tuple[int, ...] = (1, 1),
    bases: tuple[int, ...] = (0,),
    soc: float = 1.0,
    epochs: int = 12,
    wait_min: int = 20,
) -> FleetScenario:
    """Vertiports 20 km apart on a line, one aircraft type, no random uncertainty."""
    ports = tuple(
        Vertiport(chr(ord("A") + i), 20.0 * i, 0.0, parking=p, chargers=c)
        for i, (p, c) in enumerate(zip(parking, chargers, strict=True))
    )
    return FleetScenario(
        name="scripted",
        vertiports=ports,
        aircraft_types=(KIND,),
        fleet=tuple(Aircraft(0, b, soc) for b in bases),
        demand=Demand(daily_passengers=0.0, max_wait_min=wait_min),
        uncertainty=Uncertainty().switched(False, False, False),
        start_min=360,
        end_min=360 + 10 * epochs,
    )


def day(scenario: FleetScenario, **changes: object) -> Realisation:
    """A quiet day of ``scenario`` with the given fields replaced (arrays as lists are fine)."""
    return replace(quiet_day(scenario), **changes)  # type: ignore[arg-type]


def arrivals(scenario: FleetScenario, *items: tuple[int, int, int, int]) -> np.ndarray:
    """An arrivals array with ``(epoch, origin, destination, count)`` entries."""
    t, v = scenario.num_epochs, scenario.num_vertiports
    out = np.zeros((t, v, v), dtype=np.int64)
    for epoch, o, d, count in items:
        out[epoch, o, d] += count
    return out
