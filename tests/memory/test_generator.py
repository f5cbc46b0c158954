"""Seeded generators: same seed same instance, compiler-like shapes, tight packing instances."""

from __future__ import annotations

import numpy as np
import pytest

from schedgym.core.seeding import make_rng
from schedgym.memory.generator import (
    AssignGenerator,
    PackGenerator,
    TraceConfig,
    UniformGenerator,
    compiler_trace,
    sample_instance,
    tight_pack_instance,
)
from schedgym.memory.validate import validate_mapping


@pytest.mark.parametrize(
    "generator",
    [AssignGenerator(60), PackGenerator(60), UniformGenerator(8)],
    ids=["assign", "pack", "uniform"],
)
def test_same_seed_same_instance(
    generator: AssignGenerator | PackGenerator | UniformGenerator,
) -> None:
    a, b = sample_instance(generator, 5), sample_instance(generator, 5)
    assert a.name == b.name and a.buffers() == b.buffers()
    assert np.array_equal(a.compute, b.compute) and a.capacity == b.capacity
    assert sample_instance(generator, 6).name != a.name


def test_trace_looks_like_a_compiler_trace() -> None:
    buffers, intensity = compiler_trace(make_rng(0), 400)
    assert len(buffers) == 400 and len(intensity) == max(b.end for b in buffers)
    sizes = np.array([b.size for b in buffers])
    lengths = np.array([b.end - b.start for b in buffers])
    horizon = max(b.end for b in buffers)
    assert (sizes % TraceConfig().alignment == 0).all()
    assert sizes.max() / sizes.min() >= 100  # orders of magnitude
    assert np.median(lengths) <= 3  # mostly short-lived activations
    assert (lengths >= horizon // 2).sum() >= 5  # a few long-lived weights
    assert [b.id for b in buffers] == list(range(400))
    assert [b.start for b in buffers] == sorted(b.start for b in buffers)


@pytest.mark.parametrize("tight_steps", [1, 3, 6])
def test_tight_pack_instance_peaks_exactly_at_capacity(tight_steps: int) -> None:
    for seed in range(4):
        inst, witness = tight_pack_instance(make_rng(seed), 120, tight_steps=tight_steps)
        assert inst.variant == "pack" and inst.num_buffers >= 120
        assert inst.max_load() == inst.capacity
        report = validate_mapping(inst, [int(o) for o in witness])
        assert report.peak == inst.capacity and report.fits


def test_assign_capacity_is_a_fraction_of_the_load() -> None:
    inst = AssignGenerator(100, capacity_ratio=0.3).sample(make_rng(1))
    assert inst.variant == "assign" and len(inst.compute) == inst.horizon
    assert inst.capacity < inst.max_load()
    assert inst.capacity == pytest.approx(0.3 * inst.max_load(), rel=0.01)


def test_generator_argument_checks() -> None:
    with pytest.raises(ValueError):
        compiler_trace(make_rng(0), 1)
    with pytest.raises(ValueError):
        tight_pack_instance(make_rng(0), 20, tight_steps=0)
    with pytest.raises(ValueError):
        AssignGenerator((5, 2)).sample(make_rng(0))
