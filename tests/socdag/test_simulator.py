"""Simulator and timeline: insertion, stream cap, FIFO queues, latency bookkeeping, noise."""

from __future__ import annotations

import numpy as np
import pytest

from schedgym.datasets import socdag as shipped
from schedgym.socdag.env import stream_config
from schedgym.socdag.simulator import SoCSimulator
from schedgym.socdag.timeline import Timeline
from schedgym.socdag.validate import stream_metrics, validate_schedule
from schedgym.socdag.workload import StreamConfig, static_workload


def test_timeline_first_fitting_gap_vectorised() -> None:
    tl = Timeline(2, 10)
    tl.insert(0, 5.0, 8.0)
    tl.insert(0, 0.0, 2.0)
    tl.insert(0, 3.0, 3.0)  # zero length: not recorded
    assert tl.count.tolist() == [2, 0]
    est = tl.earliest(np.array([1.0, 1.0]), np.array([3.0, 3.0]))
    assert est.tolist() == [2.0, 1.0]  # gap [2, 5) fits 3 exactly
    assert tl.earliest(np.array([1.0, 0.0]), np.array([4.0, np.nan]))[0] == 8.0
    assert np.isnan(tl.earliest(np.array([1.0, 0.0]), np.array([4.0, np.nan]))[1])
    assert tl.earliest_on(0, 1.0, 3.0) == 2.0
    assert tl.last_end().tolist() == [8.0, 0.0]


def test_static_insertion_and_append() -> None:
    inst = shipped.load("topcuoglu")
    for insertion in (True, False):
        sim = SoCSimulator(static_workload(inst), insertion=insertion)
        while not sim.finished:
            task = sim.current()
            sim.assign(task, int(np.nanargmin(sim.estimates(task)[1])))
        assert validate_schedule(inst, sim.schedule()) == sim.makespan()
    with pytest.raises(ValueError, match="not ready"):
        SoCSimulator(static_workload(inst)).assign(9, 0)


def run_stream(config: StreamConfig, seed: int) -> SoCSimulator:
    sim = SoCSimulator(
        config.sample(np.random.default_rng(seed)), online=True, max_in_flight=config.max_in_flight
    )
    in_flight_seen = 0
    while not sim.finished:
        while sim.ready_count:
            task = sim.current()
            sim.assign(task, int(np.nanargmin(sim.estimates(task)[1])))
            in_flight_seen = max(in_flight_seen, sim.in_flight)
        sim.advance()
    assert in_flight_seen <= config.max_in_flight
    return sim


def test_stream_cap_latency_bookkeeping_and_fifo() -> None:
    config = stream_config(arrival_mean=5.0, max_in_flight=3, num_jobs=12)
    sim = run_stream(config, seed=0)
    injection, completion = sim.injection, sim.completion
    assert (injection >= sim.workload.arrival).all()
    assert (injection > sim.workload.arrival).any()  # the cap made some jobs wait
    for t in np.linspace(0, completion.max(), 200):  # never more than 3 jobs in the system
        assert ((injection <= t) & (completion > t)).sum() <= 3
    metrics = stream_metrics(sim.instance, sim.schedule())
    assert sum(metrics.latencies) == pytest.approx(sim.accrued)
    assert np.allclose(metrics.latencies, completion - injection)
    order = np.argsort(sim.start)
    for pe in range(sim.num_pes):  # FIFO: on each PE, tasks start in the order they end
        on_pe = order[sim.pe_of[order] == pe]
        assert (np.diff(sim.end[on_pe]) >= 0).all()


def test_stream_noise_realised_durations_and_estimates() -> None:
    config = stream_config(arrival_mean=40.0, num_jobs=10, exec_noise=0.4)
    sim = run_stream(config, seed=3)
    schedule = sim.schedule()
    durations = schedule.conditions.durations
    assert durations is not None
    nominal = sim.exec[np.arange(sim.num_tasks), sim.pe_of]
    assert not np.allclose(durations, nominal)
    assert (durations >= 0).all()
    assert stream_metrics(sim.instance, schedule).jobs == 10
    assert np.allclose(sim.est_end[sim.completed], sim.end[sim.completed])


def test_stream_workload_is_seeded_and_uses_the_mix() -> None:
    config = stream_config(apps={"sc-tx": 1.0, "sc-rx": 0.0}, num_jobs=6)
    work = config.sample(np.random.default_rng(1))
    assert set(work.apps) == {"sc-tx"} and work.num_jobs == 6
    again = config.sample(np.random.default_rng(1))
    assert np.array_equal(work.arrival, again.arrival)
    assert work.instance.num_tasks == 6 * 8 and work.job_of.tolist()[:9] == [0] * 8 + [1]
    with pytest.raises(ValueError, match="weights"):
        stream_config(apps={"sc-tx": -1.0})
