"""Independent check of a fleet day's record, its exact profit, and replay through the simulator.

:func:`validate_schedule` is the single source of truth for the fleet objective (the day's
profit). It reads only the scenario, the realised day and the record (never the simulator) and
checks, raising :class:`InvalidScheduleError` with one line naming the aircraft, the epoch and
the rule:

* each aircraft's events (flights ``[depart, arrive)``, charges ``[epoch, epoch + 1)``) do not
  overlap, start where the aircraft is, at epochs inside the day, and never while it is down;
* battery: the recorded states of charge follow from the initial charge, flight energies and
  charges; a charge adds ``min(rate, full - soc)`` to a battery that is not full; the charge after
  every flight is at least the reserve;
* flights: on open routes only, landing by the end of the day without hold, arriving when the
  realised take-off hold says, with at most ``seats`` passengers;
* capacities: taking the flights in the simulator's order (epoch, then aircraft), no departure
  makes a vertiport hold more aircraft (parked or inbound) than its parking; at most ``chargers``
  charges per vertiport and epoch;
* passengers: boarded only after arriving and at most ``W`` epochs later, never more than arrived
  and are still waiting (each OD queue is replayed in flight order); the lost count closes the
  books;
* every event matches a decision of the log, and the claimed profit matches.

:func:`replay_schedule` plays the decision log through :class:`FleetSimulator` on the same day
and requires the same events and bit-for-bit the same profit.
"""

from __future__ import annotations

import math

import numpy as np

from schedgym.core.errors import InvalidScheduleError
from schedgym.fleet.dynamics import Realisation, realise
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.kernels import (
    C_ADDED,
    C_AIRCRAFT,
    C_EPOCH,
    C_PORT,
    C_SOC_BEFORE,
    CHARGE,
    F_AIRCRAFT,
    F_ARRIVE,
    F_DEPART,
    F_DEST,
    F_ORIGIN,
    F_PAX,
    F_SOC_AFTER,
    F_SOC_BEFORE,
)
from schedgym.fleet.network import route_tables
from schedgym.fleet.schedule import FleetSchedule
from schedgym.hardware.aircraft import ENERGY_UNITS


def _fail(message: str) -> None:
    raise InvalidScheduleError(message)


def _day(scenario: FleetScenario, schedule: FleetSchedule, day: Realisation | None) -> Realisation:
    if day is not None:
        return day
    if schedule.day_seed is None:
        _fail("the record has no day_seed: pass the realised day explicitly")
    return realise(scenario, int(schedule.day_seed))  # type: ignore[arg-type]


def validate_schedule(
    scenario: FleetScenario, schedule: FleetSchedule, day: Realisation | None = None
) -> float:
    """Check ``schedule`` (see the module docstring) and return the day's exact profit."""
    day = _day(scenario, schedule, day)
    tables = route_tables(scenario)
    epochs, wait = scenario.num_epochs, scenario.max_wait_epochs
    types = [scenario.aircraft_types[a.type] for a in scenario.fleet]
    kinds = np.array([a.type for a in scenario.fleet], dtype=np.int64)
    closed = day.closed()
    flights, charges, boarded = schedule.flights, schedule.charges, schedule.boarded
    if len(flights) and boarded.shape != (len(flights), wait + 1):
        _fail(f"boarded must have {wait + 1} columns (waits 0..{wait}), got {boarded.shape}")
    decided = {(int(t), int(a)): int(x) for t, a, x in schedule.decisions.tolist()}

    events: dict[int, list[tuple[int, str, np.ndarray]]] = {a: [] for a in range(len(types))}
    for f in flights:
        if not 0 <= f[F_AIRCRAFT] < len(types):
            _fail(f"flight of unknown aircraft {f[F_AIRCRAFT]}")
        events[int(f[F_AIRCRAFT])].append((int(f[F_DEPART]), "flight", f))
    for c in charges:
        if not 0 <= c[C_AIRCRAFT] < len(types):
            _fail(f"charge of unknown aircraft {c[C_AIRCRAFT]}")
        events[int(c[C_AIRCRAFT])].append((int(c[C_EPOCH]), "charge", c))

    charger_use: dict[tuple[int, int], int] = {}
    for a, plan in events.items():
        kind, k = types[a], int(kinds[a])
        full, reserve = ENERGY_UNITS, kind.reserve_units
        soc = int(np.clip(round(ENERGY_UNITS * scenario.fleet[a].soc), reserve, full))
        loc, free = scenario.fleet[a].base, 0
        down = (int(day.down_start[a]), int(day.down_end[a]))
        for start, what, row in sorted(plan, key=lambda e: e[0]):
            where = f"aircraft {a}, epoch {start}"
            if start < free or not 0 <= start < epochs:
                _fail(f"{where}: {what} overlaps the previous event or lies outside the day")
            if down[0] <= start < down[1]:
                _fail(f"{where}: {what} while the aircraft is down")
            if what == "charge":
                v = int(row[C_PORT])
                if v != loc or int(row[C_SOC_BEFORE]) != soc or soc >= full:
                    _fail(f"{where}: charge at {v} (aircraft at {loc}) or wrong/full battery")
                if int(row[C_ADDED]) != min(kind.charge_units(scenario.epoch_min), full - soc):
                    _fail(f"{where}: charge adds {row[C_ADDED]} units, not min(rate, room)")
                if decided.get((start, a)) != CHARGE:
                    _fail(f"{where}: charge without a matching decision")
                soc += int(row[C_ADDED])
                charger_use[(v, start)] = charger_use.get((v, start), 0) + 1
                free = start + 1
                continue
            o, d = int(row[F_ORIGIN]), int(row[F_DEST])
            if o != loc or not (0 <= d < scenario.num_vertiports) or d == o:
                _fail(f"{where}: flight {o} -> {d} but the aircraft is at {loc}")
            if decided.get((start, a)) != d:
                _fail(f"{where}: flight without a matching decision")
            if closed[start, o, d]:
                _fail(f"{where}: flight {o} -> {d} on a closed route")
            if start + int(tables["nominal"][k, o, d]) > epochs:
                _fail(f"{where}: flight {o} -> {d} cannot land by the end of the day")
            hold = int(day.delay_min[start, o])
            arrive = start + math.ceil(
                (int(tables["minutes"][k, o, d]) + hold) / scenario.epoch_min
            )
            if int(row[F_ARRIVE]) != arrive:
                _fail(f"{where}: flight lands at {row[F_ARRIVE]}, the day says {arrive}")
            used = int(tables["energy"][k, o, d])
            if int(row[F_SOC_BEFORE]) != soc or int(row[F_SOC_AFTER]) != soc - used:
                _fail(
                    f"{where}: battery record {row[F_SOC_BEFORE]} -> {row[F_SOC_AFTER]} "
                    f"does not follow from {soc} - {used}"
                )
            if soc - used < reserve:
                _fail(f"{where}: battery {soc - used} below the reserve {reserve}")
            if not 0 <= int(row[F_PAX]) <= kind.seats:
                _fail(f"{where}: {row[F_PAX]} passengers for {kind.seats} seats")
            soc, loc, free = soc - used, d, arrive
    for (v, t), used_chargers in charger_use.items():
        if used_chargers > scenario.vertiports[v].chargers:
            _fail(
                f"vertiport {v}, epoch {t}: {used_chargers} aircraft charging, "
                f"{scenario.vertiports[v].chargers} chargers"
            )
    _check_parking(scenario, flights)
    _check_passengers(scenario, day, flights, boarded, schedule.lost)

    margin = tables["margin"]
    gains = (
        flights[:, F_PAX] * margin[flights[:, F_ORIGIN], flights[:, F_DEST]]
        - tables["flight_cost"][
            kinds[flights[:, F_AIRCRAFT]], flights[:, F_ORIGIN], flights[:, F_DEST]
        ]
    )
    unit = np.array(
        [t.unit_kwh * scenario.economics.energy_price_kwh for t in types], dtype=np.float64
    )
    costs = charges[:, C_ADDED] * unit[charges[:, C_AIRCRAFT]]
    profit = math.fsum(np.concatenate([gains, -costs]).tolist())
    if abs(profit - schedule.profit) > 1e-6 * max(1.0, abs(profit)):
        _fail(f"claimed profit {schedule.profit} differs from the validated {profit}")
    return profit


def _check_parking(scenario: FleetScenario, flights: np.ndarray) -> None:
    occ = np.zeros(scenario.num_vertiports, dtype=np.int64)
    for plane in scenario.fleet:
        occ[plane.base] += 1
    order = np.lexsort((flights[:, F_AIRCRAFT], flights[:, F_DEPART]))
    for i in order:
        o, d = int(flights[i, F_ORIGIN]), int(flights[i, F_DEST])
        occ[o] -= 1
        occ[d] += 1
        if occ[d] > scenario.vertiports[d].parking:
            _fail(
                f"aircraft {flights[i, F_AIRCRAFT]}, epoch {flights[i, F_DEPART]}: vertiport "
                f"{d} would hold {occ[d]} aircraft, parking {scenario.vertiports[d].parking}"
            )


def _check_passengers(
    scenario: FleetScenario,
    day: Realisation,
    flights: np.ndarray,
    boarded: np.ndarray,
    lost: np.ndarray,
) -> None:
    remaining = np.array(day.arrivals, dtype=np.int64)  # (T, V, V) not yet boarded
    order = np.lexsort((flights[:, F_AIRCRAFT], flights[:, F_DEPART]))
    for i in order:
        t, o, d = int(flights[i, F_DEPART]), int(flights[i, F_ORIGIN]), int(flights[i, F_DEST])
        if int(boarded[i].sum()) != int(flights[i, F_PAX]):
            _fail(f"aircraft {flights[i, F_AIRCRAFT]}, epoch {t}: boarded counts do not add up")
        for age, count in enumerate(boarded[i].tolist()):
            if count == 0:
                continue
            if t - age < 0 or count < 0 or remaining[t - age, o, d] < count:
                _fail(
                    f"aircraft {flights[i, F_AIRCRAFT]}, epoch {t}: {count} passengers "
                    f"{o} -> {d} boarded after waiting {age} epochs, not that many waiting"
                )
            remaining[t - age, o, d] -= count
    if len(lost) and int(np.sum(lost)) != int(remaining.sum()):
        _fail(
            f"lost passengers {int(np.sum(lost))} differ from those never boarded "
            f"{int(remaining.sum())}"
        )


def replay_schedule(
    scenario: FleetScenario, schedule: FleetSchedule, day: Realisation | None = None
) -> float:
    """Replay the decision log through the simulator on the same day; require the same events
    and exactly the same profit (returned)."""
    from schedgym.fleet.simulator import replay

    day = _day(scenario, schedule, day)
    try:
        sim = replay(scenario, day, schedule.decisions)
    except ValueError as exc:
        raise InvalidScheduleError(f"replay failed: {exc}") from None
    again = sim.schedule()
    for name in ("flights", "boarded", "charges"):
        if not np.array_equal(getattr(again, name), getattr(schedule, name)):
            _fail(f"replay gives different {name} than the record")
    if again.profit != schedule.profit:
        _fail(f"replay profit {again.profit!r} differs from the record's {schedule.profit!r}")
    return again.profit
