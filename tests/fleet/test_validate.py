"""Validator and replay: exact profit, JSON round trip, tampered records rejected."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from schedgym.core.errors import InstanceFormatError, InvalidScheduleError
from schedgym.fleet.dynamics import realise
from schedgym.fleet.kernels import F_ARRIVE, F_PAX
from schedgym.fleet.schedule import read_schedule
from schedgym.fleet.simulator import FleetSimulator
from schedgym.fleet.validate import replay_schedule, validate_schedule
from tests.fleet.scripts import small


def _played(seed: int = 0, policy: str = "random"):  # type: ignore[no-untyped-def]
    scenario = small(seed=2)
    sim = FleetSimulator(scenario, realise(scenario, seed))
    rng = np.random.default_rng(seed)
    if policy == "random":
        sim.run(lambda s: int(rng.choice(np.flatnonzero(s.mask))))
    else:
        sim.run(lambda s: s.greedy())
    return scenario, sim.schedule("test")


@pytest.mark.parametrize("policy", ["random", "greedy"])
def test_replay_reproduces_the_profit_exactly(policy: str) -> None:
    for seed in range(3):
        scenario, record = _played(seed, policy)
        profit = validate_schedule(scenario, record)
        assert replay_schedule(scenario, record) == record.profit  # bit for bit
        assert profit == pytest.approx(record.profit, rel=1e-12)
        assert len(record.flights) > 0


def test_json_round_trip_then_validate_and_replay(tmp_path: Path) -> None:
    scenario, record = _played(1, "greedy")
    path = tmp_path / "day.json"
    record.write(path)
    again = read_schedule(path)
    assert (again.flights == record.flights).all() and (again.boarded == record.boarded).all()
    assert (again.decisions == record.decisions).all() and again.profit == record.profit
    assert validate_schedule(scenario, again) == validate_schedule(scenario, record)
    assert replay_schedule(scenario, again) == record.profit


def test_tampered_records_are_rejected() -> None:
    scenario, record = _played(0, "greedy")
    carried = int(np.flatnonzero(record.flights[:, F_PAX] > 0)[0])
    flights = record.flights.copy()
    flights[carried, F_PAX] += 1
    with pytest.raises(InvalidScheduleError):
        validate_schedule(scenario, replace(record, flights=flights))
    flights = record.flights.copy()
    flights[0, F_ARRIVE] -= 1
    with pytest.raises(InvalidScheduleError, match="lands"):
        validate_schedule(scenario, replace(record, flights=flights))
    with pytest.raises(InvalidScheduleError, match="claimed profit"):
        validate_schedule(scenario, replace(record, profit=record.profit + 1.0))
    with pytest.raises(InvalidScheduleError, match="replay"):
        replay_schedule(scenario, replace(record, decisions=record.decisions[1:]))
    with pytest.raises(InvalidScheduleError, match="day_seed"):
        validate_schedule(scenario, replace(record, day_seed=None))


def test_malformed_record_files_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"problem": "fleet", "scenario": "x", "decisions": [[0, 1]]}')
    with pytest.raises(InstanceFormatError, match=r"bad.json: field decisions"):
        read_schedule(path)
    path.write_text('{"problem": "fleet", "scenario": "x", "flights": [{"aircraft": 0}]}')
    with pytest.raises(InstanceFormatError, match=r"field flights\[0\]\.origin: missing"):
        read_schedule(path)
    with pytest.raises(InstanceFormatError, match="no such file"):
        read_schedule(tmp_path / "none.json")
