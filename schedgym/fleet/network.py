"""The arrays the simulator kernels work on: a scenario and its realised day, compiled once.

:class:`Network` is a ``NamedTuple`` of integers and numpy arrays (numba reads it as is).
:func:`compile_network` derives it from a :class:`FleetScenario` and a :class:`Realisation`; the
validator derives the same quantities independently from the scenario's records.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from schedgym.fleet.dynamics import Realisation
from schedgym.fleet.instance import FleetScenario
from schedgym.hardware.aircraft import ENERGY_UNITS


class Network(NamedTuple):
    """Static data of one day (``V`` vertiports, ``A`` aircraft, ``K`` types, ``T`` epochs)."""

    num_epochs: int
    max_wait: int  # W: a passenger arriving in epoch t may board in t..t+W
    epoch_min: int
    parking: np.ndarray  # (V,) int64
    chargers: np.ndarray  # (V,) int64
    kind: np.ndarray  # (A,) int64 aircraft type
    seats: np.ndarray  # (A,) int64
    full: np.ndarray  # (A,) int64 energy units of a full battery
    reserve: np.ndarray  # (A,) int64 energy units that must remain after a flight
    rate: np.ndarray  # (A,) int64 energy units a charger adds per epoch
    unit_cost: np.ndarray  # (A,) float64 price of one energy unit
    base: np.ndarray  # (A,) int64 initial vertiport
    soc0: np.ndarray  # (A,) int64 initial state of charge, energy units
    energy: np.ndarray  # (K, V, V) int64 energy units of a flight
    minutes: np.ndarray  # (K, V, V) int64 flight minutes without hold
    nominal: np.ndarray  # (K, V, V) int64 flight epochs without hold
    flight_cost: np.ndarray  # (K, V, V) float64 operating cost of a flight
    margin: np.ndarray  # (V, V) float64 fare minus per-passenger cost
    arrivals: np.ndarray  # (T, V, V) int64 realised passenger arrivals
    delay: np.ndarray  # (T, V) int64 realised take-off holds, minutes
    closed: np.ndarray  # (T, V, V) bool realised route closures
    down_start: np.ndarray  # (A,) int64, -1 if none
    down_end: np.ndarray  # (A,) int64, -1 if none


def route_tables(scenario: FleetScenario) -> dict[str, np.ndarray]:
    """Per type and route: ``energy``, ``minutes``, ``nominal`` epochs, ``flight_cost``; per
    route: ``fare`` and ``margin`` (fare minus the per-passenger cost); zero on the diagonal."""
    dist = scenario.distances()
    ports, kinds = scenario.num_vertiports, len(scenario.aircraft_types)
    energy = np.zeros((kinds, ports, ports), dtype=np.int64)
    minutes = np.zeros((kinds, ports, ports), dtype=np.int64)
    cost = np.zeros((kinds, ports, ports), dtype=np.float64)
    for k, kind in enumerate(scenario.aircraft_types):
        for o in range(ports):
            for d in range(ports):
                if o != d:
                    energy[k, o, d] = kind.flight_units(float(dist[o, d]))
                    minutes[k, o, d] = kind.flight_minutes(float(dist[o, d]))
                    cost[k, o, d] = kind.cost_per_km * float(dist[o, d])
    nominal = -(-minutes // scenario.epoch_min)
    econ = scenario.economics
    off = ~np.eye(ports, dtype=bool)
    fare = np.where(off, econ.fare_base + econ.fare_per_km * dist, 0.0)
    margin = np.where(off, fare - econ.cost_per_passenger, 0.0)
    return {
        "energy": energy,
        "minutes": minutes,
        "nominal": nominal,
        "flight_cost": cost,
        "fare": fare,
        "margin": margin,
    }


def compile_network(scenario: FleetScenario, day: Realisation) -> Network:
    """The kernels' view of ``scenario`` on the realised ``day`` (checked to fit)."""
    day.check(scenario)
    tables = route_tables(scenario)
    types = scenario.aircraft_types
    kind = np.array([a.type for a in scenario.fleet], dtype=np.int64)
    reserve = np.array([types[k].reserve_units for k in kind], dtype=np.int64)
    full = np.full(len(kind), ENERGY_UNITS, dtype=np.int64)
    soc0 = np.array([round(ENERGY_UNITS * a.soc) for a in scenario.fleet], dtype=np.int64)
    return Network(
        num_epochs=scenario.num_epochs,
        max_wait=scenario.max_wait_epochs,
        epoch_min=scenario.epoch_min,
        parking=np.array([v.parking for v in scenario.vertiports], dtype=np.int64),
        chargers=np.array([v.chargers for v in scenario.vertiports], dtype=np.int64),
        kind=kind,
        seats=np.array([types[k].seats for k in kind], dtype=np.int64),
        full=full,
        reserve=reserve,
        rate=np.array([types[k].charge_units(scenario.epoch_min) for k in kind], dtype=np.int64),
        unit_cost=np.array(
            [types[k].unit_kwh * scenario.economics.energy_price_kwh for k in kind],
            dtype=np.float64,
        ),
        base=np.array([a.base for a in scenario.fleet], dtype=np.int64),
        soc0=np.clip(soc0, reserve, full),
        energy=tables["energy"],
        minutes=tables["minutes"],
        nominal=tables["nominal"],
        flight_cost=tables["flight_cost"],
        margin=tables["margin"],
        arrivals=np.array(day.arrivals, dtype=np.int64),  # writable copies: one numba type
        delay=np.array(day.delay_min, dtype=np.int64),
        closed=day.closed(),
        down_start=np.array(day.down_start, dtype=np.int64),
        down_end=np.array(day.down_end, dtype=np.int64),
    )
