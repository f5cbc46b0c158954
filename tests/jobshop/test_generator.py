"""Seeded job-shop generators and the known-optimum construction."""

from __future__ import annotations

import numpy as np
import pytest

from schedgym.baselines.jobshop.cpsat import JobShopCPSAT
from schedgym.core.solver import Budget
from schedgym.jobshop.generator import (
    JobShopGenerator,
    KnownOptimumGenerator,
    known_optimum_instance,
    known_optimum_schedule,
    taillard_instance,
    toy_instance,
)
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.validate import validate_schedule


def same(a: JobShopInstance, b: JobShopInstance) -> bool:
    return np.array_equal(a.machines, b.machines) and np.array_equal(a.durations, b.durations)


def is_permutation_per_row(instance: JobShopInstance) -> bool:
    expected = np.arange(instance.num_machines)
    return all(np.array_equal(np.sort(row), expected) for row in instance.machines)


def test_taillard_same_seed_same_instance() -> None:
    a, b = taillard_instance(15, 15, seed=7), taillard_instance(15, 15, seed=7)
    assert same(a, b) and a.name == b.name
    assert not same(a, taillard_instance(15, 15, seed=8))


def test_taillard_distribution() -> None:
    instance = taillard_instance(20, 15, seed=3)
    assert instance.durations.shape == (20, 15) == instance.machines.shape
    assert instance.durations.min() >= 1 and instance.durations.max() <= 99
    assert is_permutation_per_row(instance)
    narrow = taillard_instance(5, 4, seed=3, low=10, high=12, name="narrow")
    assert narrow.name == "narrow"
    assert set(np.unique(narrow.durations)) <= {10, 11, 12}


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="low <= high"):
        taillard_instance(3, 3, seed=0, low=5, high=4)
    with pytest.raises(ValueError, match="at least one job"):
        known_optimum_instance(0, 3, seed=0)
    with pytest.raises(ValueError, match="num_jobs range"):
        JobShopGenerator(num_jobs=(5, 2)).sample(np.random.default_rng(0))


def test_generator_draws_sizes_in_range() -> None:
    generator = JobShopGenerator(num_jobs=(3, 6), num_machines=(2, 4))
    assert (generator.max_num_jobs, generator.max_num_machines) == (6, 4)
    rng = np.random.default_rng(0)
    shapes = set()
    for _ in range(30):
        instance = generator.sample(rng)
        assert 3 <= instance.num_jobs <= 6 and 2 <= instance.num_ops <= 4
        assert is_permutation_per_row(instance)
        shapes.add(instance.durations.shape)
    assert len(shapes) > 3
    first = generator.sample(np.random.default_rng(11))
    assert same(first, generator.sample(np.random.default_rng(11)))
    assert JobShopGenerator(4, 3).sample(rng).durations.shape == (4, 3)


def test_two_set_routing_is_demirkols_second_class() -> None:
    """``routing="two-set"``: each job visits the first half of the machines (in a random
    order) before the second half, like dmu41-dmu80; seeded; the default routing is unchanged."""
    from schedgym.datasets.jobshop import load

    generator = JobShopGenerator(
        num_jobs=(5, 30), num_machines=(2, 20), high=200, routing="two-set"
    )
    rng = np.random.default_rng(0)
    for _ in range(20):
        instance = generator.sample(rng)
        half = instance.num_ops // 2
        assert is_permutation_per_row(instance)
        assert (instance.machines[:, :half] < half).all()
        assert instance.name.startswith("two-set-")
        assert instance.durations.max() <= 200
    orders = {
        tuple(row) for row in JobShopGenerator(12, 10, routing="two-set").sample(rng).machines
    }
    assert len(orders) > 1  # random within each half
    dmu = load("dmu41")  # the published class: the same structure
    assert (dmu.machines[:, : dmu.num_ops // 2] < dmu.num_ops // 2).all()
    a = JobShopGenerator(8, 6, routing="two-set").sample(np.random.default_rng(5))
    assert same(a, JobShopGenerator(8, 6, routing="two-set").sample(np.random.default_rng(5)))
    # the default routing draws what it drew before the option existed (name = content hash)
    assert JobShopGenerator(8, 6).sample(np.random.default_rng(5)).name == "taillard-8x6-0d5817c1"
    with pytest.raises(ValueError, match="routing"):
        JobShopGenerator(routing="cyclic")


SIZES = [(1, 1), (1, 4), (4, 1), (3, 3), (6, 4), (4, 6), (10, 10)]


@pytest.mark.parametrize(("jobs", "machines"), SIZES)
def test_known_optimum_witness_reaches_the_lower_bound(jobs: int, machines: int) -> None:
    for seed in range(10):
        instance, optimum = known_optimum_instance(jobs, machines, seed)
        assert instance.durations.shape == (jobs, machines)
        assert is_permutation_per_row(instance)
        assert instance.durations.min() >= 1 and instance.durations.max() <= 99
        assert instance.lower_bound() == optimum
        witness = known_optimum_schedule(jobs, machines, seed)
        assert witness.instance == instance.name
        assert validate_schedule(instance, witness) == optimum


@pytest.mark.parametrize(("jobs", "machines", "seed"), [(3, 3, 0), (5, 3, 1), (3, 5, 2), (6, 6, 3)])
def test_cpsat_proves_the_known_optimum(jobs: int, machines: int, seed: int) -> None:
    instance, optimum = known_optimum_instance(jobs, machines, seed)
    result = JobShopCPSAT(workers=1).solve(instance, Budget(time_limit_s=10, seed=0))
    assert result.status == "optimal"
    assert result.objective == optimum == result.bound


def test_known_optimum_generator() -> None:
    generator = KnownOptimumGenerator(num_jobs=(2, 5), num_machines=(2, 5), low=5, high=20)
    instance, optimum = generator.sample_with_optimum(np.random.default_rng(4))
    assert instance.lower_bound() == optimum
    assert instance.durations.min() >= 5 and instance.durations.max() <= 20
    assert same(instance, generator.sample(np.random.default_rng(4)))


def test_toy_instance_is_ft06() -> None:
    instance, optimum = toy_instance()
    assert instance.name == "ft06" and optimum == 55
