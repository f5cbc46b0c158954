"""What happens on one day of a scenario: passenger arrivals and disruptions, drawn from a seed.

Everything random in FleetScheduling-v0 is *exogenous*: it is drawn here, before the day starts,
from the day's seed, and does not depend on the decisions. So every policy meets the same day on
the same seed, a recorded decision sequence replays exactly, and the clairvoyant model can be given
the whole day in advance. Each source has its own random stream (switching one off leaves the
others unchanged):

* **demand**: ``arrivals[t, o, d]`` passengers for ``o -> d`` appear in epoch ``t``, Poisson with
  the expected rates of :func:`demand_rates` (morning peak population -> jobs, evening peak
  jobs -> population, off-peak both ways);
* **take-off delays**: ``delay_min[t, v]``: every departure from ``v`` in epoch ``t`` is held that
  many minutes on the ground (with probability ``delay_prob``, exponential with mean
  ``delay_mean_min``, at least 1, at most ``delay_max_min``);
* **route closures**: weather closes a route (both directions) for a window: no departure on it in
  epochs ``[start, end)``; Poisson number per day, uniform route, start and duration;
* **aircraft downtime**: an aircraft (with probability ``downtime_prob``) cannot take off nor charge
  in epochs ``[start, end)``; one in flight at ``start`` lands first. Windows last at least as long
  as the longest possible flight, so an aircraft always lands before its downtime ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from schedgym.core.seeding import spawn_rngs
from schedgym.fleet.instance import FleetScenario

NONE = -1


@dataclass(frozen=True, eq=False)
class Realisation:
    """One realised day (arrays read-only; see the module docstring)."""

    seed: int | None
    arrivals: np.ndarray  # (T, V, V) int64 passengers appearing per epoch and OD pair
    delay_min: np.ndarray  # (T, V) int64 take-off hold in minutes per epoch and vertiport
    closures: tuple[tuple[int, int, int, int], ...]  # (o, d, start, end) epochs, both directions
    down_start: np.ndarray  # (A,) int64 first epoch down, -1 if none
    down_end: np.ndarray  # (A,) int64 first epoch up again, -1 if none

    def __post_init__(self) -> None:
        for name in ("arrivals", "delay_min", "down_start", "down_end"):
            array = np.array(getattr(self, name), dtype=np.int64)
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        object.__setattr__(self, "closures", tuple(tuple(map(int, c)) for c in self.closures))

    def closed(self) -> np.ndarray:
        """``(T, V, V)`` bool: route ``o -> d`` closed for departures in epoch ``t``."""
        num_epochs, num_ports = self.delay_min.shape
        closed = np.zeros((num_epochs, num_ports, num_ports), dtype=np.bool_)
        for o, d, start, end in self.closures:
            closed[start:end, o, d] = True
            closed[start:end, d, o] = True
        return closed

    def check(self, scenario: FleetScenario) -> None:
        """Raise ``ValueError`` if the arrays do not fit ``scenario``."""
        t, v, a = scenario.num_epochs, scenario.num_vertiports, scenario.num_aircraft
        if self.arrivals.shape != (t, v, v) or (self.arrivals < 0).any():
            raise ValueError(f"arrivals must be ({t}, {v}, {v}) non-negative integers")
        if self.delay_min.shape != (t, v) or (self.delay_min < 0).any():
            raise ValueError(f"delay_min must be ({t}, {v}) non-negative integers")
        if self.down_start.shape != (a,) or self.down_end.shape != (a,):
            raise ValueError(f"down_start and down_end must have shape ({a},)")
        for o, d, start, end in self.closures:
            if not (0 <= o < v and 0 <= d < v and o != d and 0 <= start < end <= t):
                raise ValueError(f"bad closure {(o, d, start, end)}")
        longest = max_flight_epochs(scenario, int(self.delay_min.max(initial=0)))
        for i, (start, end) in enumerate(zip(self.down_start, self.down_end, strict=True)):
            if start == NONE and end == NONE:
                continue
            if not (0 <= start < end <= t):
                raise ValueError(f"aircraft {i}: bad downtime [{start}, {end})")
            if end - start < longest and end < t:
                raise ValueError(f"aircraft {i}: downtime shorter than the longest flight")


def quiet_day(scenario: FleetScenario, arrivals: np.ndarray | None = None) -> Realisation:
    """A day without disruptions (and without passengers unless ``arrivals`` is given)."""
    t, v, a = scenario.num_epochs, scenario.num_vertiports, scenario.num_aircraft
    return Realisation(
        seed=None,
        arrivals=np.zeros((t, v, v), dtype=np.int64) if arrivals is None else arrivals,
        delay_min=np.zeros((t, v), dtype=np.int64),
        closures=(),
        down_start=np.full(a, NONE, dtype=np.int64),
        down_end=np.full(a, NONE, dtype=np.int64),
    )


def max_flight_epochs(scenario: FleetScenario, delay_min: int | None = None) -> int:
    """Epochs of the longest possible flight (any type, any route, the longest hold)."""
    hold = scenario.uncertainty.delay_max_min if delay_min is None else delay_min
    longest = max(
        t.flight_minutes(float(scenario.distances().max())) for t in scenario.aircraft_types
    )
    return math.ceil((longest + hold) / scenario.epoch_min)


def demand_rates(scenario: FleetScenario) -> np.ndarray:
    """``(T, V, V)`` float64 expected passenger arrivals per epoch and OD pair (zero diagonal)."""
    demand, epochs = scenario.demand, scenario.num_epochs
    hours = (scenario.start_min + (np.arange(epochs) + 0.5) * scenario.epoch_min) / 60.0
    width = max(demand.peak_width_h, 1e-6)

    def shape(values: np.ndarray) -> np.ndarray:
        return values / values.sum() if values.sum() > 0 else np.full(epochs, 1.0 / epochs)

    morning = shape(np.exp(-0.5 * ((hours - demand.morning_peak_h) / width) ** 2))
    evening = shape(np.exp(-0.5 * ((hours - demand.evening_peak_h) / width) ** 2))
    flat = np.full(epochs, 1.0 / epochs)
    pop = np.array([v.population for v in scenario.vertiports], dtype=np.float64)
    jobs = np.array([v.jobs for v in scenario.vertiports], dtype=np.float64)
    off = ~np.eye(len(pop), dtype=bool)

    def od(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        matrix = np.outer(src, dst) * off
        total = matrix.sum()
        return matrix / total if total > 0 else off / off.sum()

    peak = (1.0 - demand.offpeak_share) / 2.0
    total = demand.daily_passengers * demand.level
    rates = total * (
        peak * morning[:, None, None] * od(pop, jobs)[None]
        + peak * evening[:, None, None] * od(jobs, pop)[None]
        + demand.offpeak_share * flat[:, None, None] * od(pop + jobs, pop + jobs)[None]
    )
    return np.asarray(rates, dtype=np.float64)


def realise(scenario: FleetScenario, seed: int) -> Realisation:
    """The day of ``scenario`` drawn from ``seed`` (the scenario's ``day_seed`` is not applied
    here: see :func:`day_seed`)."""
    epochs, ports, fleet = scenario.num_epochs, scenario.num_vertiports, scenario.num_aircraft
    unc, step = scenario.uncertainty, scenario.epoch_min
    demand_rng, delay_rng, closure_rng, down_rng = spawn_rngs(seed, 4)
    arrivals = demand_rng.poisson(demand_rates(scenario)).astype(np.int64)

    held = delay_rng.random((epochs, ports)) < unc.delay_prob
    draws = np.ceil(delay_rng.exponential(max(unc.delay_mean_min, 1e-9), (epochs, ports)))
    delay = np.where(held, np.clip(draws, 1, max(unc.delay_max_min, 1)), 0).astype(np.int64)

    closures = []
    for _ in range(int(closure_rng.poisson(unc.closures_per_day))):
        o, d = closure_rng.choice(ports, size=2, replace=False)
        start = int(closure_rng.integers(0, epochs))
        minutes = closure_rng.integers(
            unc.closure_min_min, max(unc.closure_max_min, unc.closure_min_min) + 1
        )
        end = min(epochs, start + max(1, math.ceil(minutes / step)))
        closures.append((int(min(o, d)), int(max(o, d)), start, end))

    longest = max_flight_epochs(scenario)
    hit = down_rng.random(fleet) < unc.downtime_prob
    starts = down_rng.integers(0, epochs, fleet)
    down_minutes = down_rng.integers(
        unc.downtime_min_min, max(unc.downtime_max_min, unc.downtime_min_min) + 1, fleet
    )
    lengths = np.maximum(np.ceil(down_minutes / step).astype(np.int64), longest)
    down_start = np.where(hit, starts, NONE).astype(np.int64)
    down_end = np.where(hit, np.minimum(epochs, starts + lengths), NONE).astype(np.int64)
    return Realisation(seed, arrivals, delay, tuple(closures), down_start, down_end)


def day_seed(scenario: FleetScenario, seed: int) -> int:
    """The seed of the day to play: the scenario's ``day_seed`` when it has one, else ``seed``."""
    return scenario.day_seed if scenario.day_seed is not None else int(seed)


def realise_day(scenario: FleetScenario, seed: int) -> Realisation:
    """``realise(scenario, day_seed(scenario, seed))``: what solvers and the env play."""
    return realise(scenario, day_seed(scenario, seed))
