"""HEFT with the SAGA convention equals the SAGA library's HeftScheduler on 100 random DAGs.

Skipped only when the ``anrg-saga`` package is not installed (the ``bench`` extra installs it).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from schedgym.baselines.socdag.listsched import HEFT
from schedgym.hardware.platform import Platform, ProcessingElement
from schedgym.socdag.generator import layered_dag
from schedgym.socdag.instance import SoCDAGInstance
from schedgym.socdag.validate import validate_schedule

saga = pytest.importorskip("saga")
saga_heft = pytest.importorskip("saga.schedulers.heft")


def pair(seed: int):
    """The same random related-machines instance for schedgym and for SAGA."""
    rng = np.random.default_rng(seed)
    tasks, pes = int(rng.integers(5, 30)), int(rng.integers(2, 6))
    src, dst = layered_dag(rng, tasks, shape=float(rng.uniform(0.5, 2.0)), out_degree=3)
    cost = rng.uniform(1.0, 10.0, tasks)
    speed = rng.uniform(0.5, 2.0, pes)
    data = rng.uniform(0.0, 10.0, len(src))
    bandwidth = rng.uniform(0.5, 2.0, (pes, pes))
    bandwidth = (bandwidth + bandwidth.T) / 2
    platform = Platform(
        "related",
        tuple(ProcessingElement(p, "PE", speed=float(speed[p])) for p in range(pes)),
        bandwidth,
        np.zeros((pes, pes)),
    )
    ours = SoCDAGInstance(
        f"r{seed}", tuple(f"t{i}" for i in range(tasks)), src, dst, data,
        cost[:, None] / speed[None, :], platform,
    )  # fmt: skip
    network = saga.Network.create(
        [(f"p{p}", float(speed[p])) for p in range(pes)],
        [(f"p{p}", f"p{q}", float(bandwidth[p, q])) for p in range(pes) for q in range(p + 1, pes)],
    )
    graph = saga.TaskGraph.create(
        [(f"t{i}", float(cost[i])) for i in range(tasks)],
        [(f"t{s}", f"t{d}", float(x)) for s, d, x in zip(src, dst, data, strict=True)],
    )
    return ours, network, graph


def test_heft_saga_convention_matches_saga_on_100_random_dags() -> None:
    logging.getLogger().setLevel(logging.ERROR)  # SAGA warns when it adds super source/sink
    differs_with_paper = 0
    for seed in range(100):
        instance, network, graph = pair(seed)
        theirs = saga_heft.HeftScheduler().schedule(network, graph).makespan
        schedule = HEFT(convention="saga").schedule(instance)
        ours = validate_schedule(instance, schedule)
        assert ours == pytest.approx(theirs, rel=1e-9), f"seed {seed}"
        paper = HEFT(convention="paper").schedule(instance).makespan
        differs_with_paper += abs(paper - theirs) > 1e-9 * theirs
    assert differs_with_paper > 10  # the conventions do differ: the test can tell them apart
