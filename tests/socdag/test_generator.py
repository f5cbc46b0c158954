"""Random DAG generators: determinism, controls, and the known-optimum toy."""

from __future__ import annotations

import numpy as np
import pytest

from schedgym.socdag.generator import (
    SoCDAGGenerator,
    known_optimum_instance,
    layered_dag,
    layered_instance,
)
from schedgym.socdag.schedule import SoCDAGSchedule, TaskSlot
from schedgym.socdag.validate import validate_schedule


def test_same_seed_same_instance() -> None:
    a = layered_instance(np.random.default_rng(7), 20, 4)
    b = layered_instance(np.random.default_rng(7), 20, 4)
    assert a.name == b.name and np.array_equal(a.exec_time, b.exec_time)
    c = layered_instance(np.random.default_rng(8), 20, 4)
    assert a.name != c.name


def test_layered_dag_shape_controls() -> None:
    rng = np.random.default_rng(0)
    for shape in (0.5, 1.0, 2.0):
        src, dst = layered_dag(rng, 30, shape=shape)
        assert (src < dst).all() and len(set(zip(src, dst, strict=True))) == len(src)
        assert set(dst) | set(src) == set(range(30))  # connected layers, no isolated task
    tall = layered_dag(np.random.default_rng(1), 36, shape=0.5)
    wide = layered_dag(np.random.default_rng(1), 36, shape=3.0)
    sources = [36 - len(set(d.tolist())) for _, d in (tall, wide)]
    assert sources[0] < sources[1]  # wider graphs start with more entry tasks
    src, dst = layered_dag(np.random.default_rng(2), 20, width=2)
    assert 20 - len(set(dst.tolist())) <= 2


def test_costs_ccr_heterogeneity_unavailable() -> None:
    rng = np.random.default_rng(3)
    homo = layered_instance(rng, 40, 3, heterogeneity=0.0, integer=False)
    assert np.allclose(homo.exec_time, homo.exec_time[:, :1])
    high = layered_instance(rng, 200, 3, ccr=5.0, integer=False, mean_cost=20.0)
    ratio = high.data.mean() / high.mean_exec.mean()
    assert 3.0 < ratio < 7.0
    holes = layered_instance(rng, 50, 4, unavailable=0.5)
    assert not holes.allowed.all() and holes.allowed.any(axis=1).all()
    ints = layered_instance(rng, 30, 3)
    assert np.array_equal(ints.exec_time, np.rint(ints.exec_time)) and ints.exec_time.min() >= 1
    with pytest.raises(ValueError, match="heterogeneity"):
        layered_instance(rng, 5, 2, heterogeneity=2.0)


def test_generator_ranges() -> None:
    gen = SoCDAGGenerator(num_tasks=(5, 9), num_pes=(2, 3))
    rng = np.random.default_rng(0)
    sizes = {(i.num_tasks, i.num_pes) for i in (gen.sample(rng) for _ in range(30))}
    assert all(5 <= t <= 9 and 2 <= p <= 3 for t, p in sizes) and len(sizes) > 3
    assert gen.max_tasks == 9 and gen.max_pes == 3


def test_generator_parameter_ranges() -> None:
    """CCR, heterogeneity and the unavailable fraction may be ranges drawn per instance; a
    fixed value draws exactly what it drew before ranges existed (the same rng stream)."""
    fixed = SoCDAGGenerator(num_tasks=30, num_pes=4, ccr=1.5, heterogeneity=1.0, unavailable=0.2)
    direct = layered_instance(
        np.random.default_rng(5), 30, 4, ccr=1.5, heterogeneity=1.0, unavailable=0.2
    )
    assert fixed.sample(np.random.default_rng(5)).name == direct.name
    mixed = SoCDAGGenerator(
        num_tasks=60,
        num_pes=4,
        heterogeneity=[0.0, 0.01],
        unavailable=(0.3, 0.5),
        ccr=(4.0, 6.0),
        integer=False,
    )
    rng = np.random.default_rng(1)
    for inst in (mixed.sample(rng) for _ in range(5)):
        spread = np.nanmax(inst.exec_time, axis=1) / np.nanmin(inst.exec_time, axis=1)
        assert spread.max() < 1.1  # heterogeneity drawn near 0
        assert 0.1 < 1 - inst.allowed.mean() < 0.7  # about 30-50% of the pairs dropped
        assert inst.data.mean() / inst.mean_exec.mean() > 2.0  # CCR drawn in [4, 6]


def test_known_optimum_planted_schedule_is_valid() -> None:
    rng = np.random.default_rng(4)
    instance, horizon = known_optimum_instance(rng, num_pes=3, tasks_per_pe=4, horizon=50)
    # rebuild the planted schedule: each task on the PE where it is fastest, back to back
    home = np.nanargmin(instance.exec_time, axis=1)
    slots, free = [], np.zeros(3)
    for t in range(instance.num_tasks):  # ids follow planted start times
        p = int(home[t])
        slots.append(TaskSlot(t, p, free[p], free[p] + instance.exec_time[t, p]))
        free[p] += instance.exec_time[t, p]
    assert validate_schedule(instance, SoCDAGSchedule(instance.name, tuple(slots))) == horizon
    assert instance.min_exec.sum() == 3 * horizon  # the area bound that proves optimality
