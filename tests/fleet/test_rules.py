"""Scripted days where a careless policy would break a rule: the env refuses, the validator
rejects a forged record."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from schedgym.core.errors import InvalidScheduleError
from schedgym.fleet.env import FleetSchedulingEnv
from schedgym.fleet.kernels import F_PAX, F_SOC_AFTER
from schedgym.fleet.simulator import FleetSimulator
from schedgym.fleet.validate import replay_schedule, validate_schedule
from tests.fleet.scripts import arrivals, day, scripted

CHARGE = 2  # kernel action of "charge" with two vertiports


def _forged(record, **arrays):  # type: ignore[no-untyped-def]
    return replace(record, **{k: np.array(v) for k, v in arrays.items()})


def test_battery_reserve_is_enforced() -> None:
    scenario = scripted()
    sim = FleetSimulator(scenario, day(scenario))
    legs = 0
    while sim.mask[1 - sim.location]:  # fly back and forth while allowed
        sim.step(1 - sim.location)
        legs += 1
    # 1000 units, 125 per leg, reserve 200: six legs leave 250; a seventh would leave 125
    assert legs == 6 and sim.state.soc[0] == 250 and sim.mask[CHARGE]
    env = FleetSchedulingEnv(scenario, realisation=day(scenario), strict=True)
    env.reset(seed=0)
    for _ in range(6):
        env.step(1 - env.simulator.location)
    with pytest.raises(ValueError):
        env.step(1 - env.simulator.location)
    env.step(env.max_ports)  # charge: 208 units
    assert env.simulator.state.soc[0] == 458
    record = sim.schedule()
    validate_schedule(scenario, record, day(scenario))
    flights = record.flights.copy()
    flights[-1, F_SOC_AFTER] = 150
    with pytest.raises(InvalidScheduleError, match="battery"):
        validate_schedule(scenario, _forged(record, flights=flights), day(scenario))


def test_destination_capacity_is_held_from_departure() -> None:
    scenario = scripted(parking=(2, 1), bases=(0, 0))
    sim = FleetSimulator(scenario, day(scenario))
    assert sim.aircraft == 0 and sim.mask[1]
    sim.step(1)  # aircraft 0 takes B's only slot (in flight for one epoch)
    assert sim.aircraft == 1 and not sim.mask[1]  # careless: would overfill B
    sim.step(0)  # aircraft 1 stays
    assert sim.aircraft == 0 and sim.epoch == 1 and sim.location == 1
    sim.step(0)  # aircraft 0 flies back from B to A
    assert sim.aircraft == 1 and sim.mask[1]  # B's slot is free again
    sim.run(lambda s: s.location)
    record = sim.schedule()
    # forge: aircraft 1 flies to B in epoch 0 as well
    forged = _forged(
        record,
        decisions=[[0, 0, 1], [0, 1, 1], *record.decisions[2:].tolist()],
        flights=np.vstack(
            [record.flights[:1], [[1, 0, 1, 0, 1, 0, 1000, 875]], record.flights[1:]]
        ),
        boarded=np.vstack(
            [record.boarded[:1], np.zeros((1, 3), dtype=np.int64), record.boarded[1:]]
        ),
    )
    with pytest.raises(InvalidScheduleError, match="parking"):
        validate_schedule(scenario, forged, day(scenario))


def test_closed_routes_and_downtime_and_chargers() -> None:
    scenario = scripted(bases=(0, 0), parking=(2, 2), chargers=(1, 1), soc=0.5)
    today = day(scenario, closures=((0, 1, 0, 3),), down_start=[-1, 4], down_end=[-1, 8])
    sim = FleetSimulator(scenario, today)
    assert not sim.mask[1]  # A-B closed in epochs 0-2
    assert sim.mask[CHARGE]
    sim.step(CHARGE)
    assert sim.aircraft == 1 and not sim.mask[CHARGE]  # the only charger is taken
    sim.step(0)
    while sim.epoch < 3:
        sim.step(sim.location)
    assert sim.mask[1]  # open again from epoch 3
    while sim.epoch < 4:
        sim.step(sim.location)
    deciders = set()
    while not sim.done and sim.epoch < 8:
        deciders.add(sim.aircraft)
        sim.step(sim.location)
    assert deciders == {0}  # aircraft 1 is down in epochs 4-7: no decisions
    sim.run(lambda s: s.location)
    record = sim.schedule()
    validate_schedule(scenario, record, today)
    closed_flight = _forged(
        record,
        decisions=[[0, 0, 1], *record.decisions[1:].tolist()],
        flights=[[0, 0, 1, 0, 1, 0, 500, 375]],
        boarded=np.zeros((1, 3), dtype=np.int64),
        charges=np.zeros((0, 5), dtype=np.int64),
    )
    with pytest.raises(InvalidScheduleError, match="closed"):
        validate_schedule(scenario, closed_flight, today)


def test_passengers_board_only_within_their_wait() -> None:
    scenario = scripted(epochs=8, wait_min=20)  # W = 2 epochs
    today = day(scenario, arrivals=arrivals(scenario, (0, 0, 1, 3), (1, 0, 1, 2)))
    sim = FleetSimulator(scenario, today)
    for _ in range(3):  # stay through epochs 0-2: the epoch-0 passengers are still waiting
        sim.step(0)
    sim.step(1)  # epoch 3: those of epoch 0 have left; two of epoch 1 board
    record = sim.schedule()
    assert record.flights[0, F_PAX] == 2 and record.boarded[0].tolist() == [0, 0, 2]
    sim.run(lambda s: s.location)
    record = sim.schedule()
    assert record.lost.sum() == 3
    assert validate_schedule(scenario, record, today) == pytest.approx(2 * 55 - 40)
    boarded = record.boarded.copy()
    boarded[0] = [0, 0, 4]  # forged: more than arrived in epoch 1
    flights = record.flights.copy()
    flights[0, F_PAX] = 4
    with pytest.raises(InvalidScheduleError, match="passengers"):
        validate_schedule(scenario, _forged(record, boarded=boarded, flights=flights), today)


def test_take_off_hold_delays_the_landing() -> None:
    scenario = scripted()
    holds = np.zeros((scenario.num_epochs, 2), dtype=np.int64)
    holds[0, 0] = 15
    today = day(scenario, delay_min=holds)
    sim = FleetSimulator(scenario, today)
    sim.step(1)
    assert sim.schedule().flights[0, 4] == 3  # 10 min + 15 min hold: lands in epoch 3
    sim.run(lambda s: s.location)
    assert replay_schedule(scenario, sim.schedule(), today) == sim.profit()
