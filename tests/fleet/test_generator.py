"""Seeded scenario generators and realised days."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from schedgym.fleet.dynamics import demand_rates, max_flight_epochs, realise
from schedgym.fleet.generator import FleetGenerator, default_scenario, generate_scenario


def test_same_seed_same_scenario_and_sizes_in_range() -> None:
    a, b = generate_scenario(6, 20, seed=3), generate_scenario(6, 20, seed=3)
    assert a.to_json() == b.to_json() and a.name == b.name
    assert generate_scenario(6, 20, seed=4).name != a.name
    gen = FleetGenerator(num_vertiports=(4, 20), num_aircraft=(10, 100))
    rng = np.random.default_rng(0)
    for _ in range(5):
        s = gen.sample(rng)
        assert 4 <= s.num_vertiports <= 20 and 10 <= s.num_aircraft <= 100
        assert sum(v.parking for v in s.vertiports) >= s.num_aircraft
        assert all(v.chargers >= 1 for v in s.vertiports)
    for big in (generate_scenario(20, 100, seed=1), generate_scenario(4, 10, seed=1)):
        assert big.num_aircraft in (10, 100)
    with pytest.raises(ValueError, match="num_vertiports"):
        generate_scenario(30, 10, seed=0)


def test_levels_scale_demand_and_uncertainty() -> None:
    calm = generate_scenario(5, 10, seed=2, demand_level=0.5, uncertainty=0.0)
    busy = generate_scenario(5, 10, seed=2, demand_level=2.0, uncertainty=2.0)
    assert demand_rates(busy).sum() == pytest.approx(4 * demand_rates(calm).sum())
    assert calm.uncertainty.delay_prob == 0 and busy.uncertainty.delay_prob > 0


def test_realised_day_is_seeded_and_sources_are_independent() -> None:
    scenario = default_scenario()
    one, two = realise(scenario, 5), realise(scenario, 5)
    assert (one.arrivals == two.arrivals).all() and one.closures == two.closures
    other = realise(scenario, 6)
    assert (one.arrivals != other.arrivals).any()
    calm = replace(scenario, uncertainty=scenario.uncertainty.switched(False, True, True))
    quiet = realise(calm, 5)
    assert (quiet.arrivals == one.arrivals).all() and quiet.delay_min.sum() == 0
    assert quiet.closures == one.closures


def test_demand_has_morning_and_evening_peaks_and_downtime_outlasts_flights() -> None:
    scenario = default_scenario()
    per_epoch = demand_rates(scenario).sum(axis=(1, 2))
    hours = (scenario.start_min + (np.arange(scenario.num_epochs) + 0.5) * 10) / 60
    morning = per_epoch[(hours > 7.5) & (hours < 8.5)].mean()
    noon = per_epoch[(hours > 12) & (hours < 13)].mean()
    evening = per_epoch[(hours > 17) & (hours < 18)].mean()
    assert morning > 2 * noon and evening > 2 * noon
    longest = max_flight_epochs(scenario)
    for seed in range(10):
        day = realise(scenario, seed)
        for start, end in zip(day.down_start, day.down_end, strict=True):
            if start >= 0:
                assert end - start >= longest or end == scenario.num_epochs
        day.check(scenario)
