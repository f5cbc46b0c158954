"""LLMServing-v0 with a ``window``: only the requests in the system are nodes, in recycled slots,
and the graph is the full graph without its finished requests (same features, same edges)."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from schedgym.llm.env import LLMServingEnv
from schedgym.llm.generator import ServingGenerator
from schedgym.llm.instance import ServingInstance


@pytest.fixture(scope="module")
def instance() -> ServingInstance:
    gen = ServingGenerator(num_requests=150, num_replicas=3, rate_per_replica=4.0)
    return gen.sample(np.random.default_rng(11))


def _graph(
    obs: dict[str, np.ndarray], node_of: np.ndarray, nrep: int, only_shown: bool = False
) -> dict[str, object]:
    """The observation as a labelled graph: replica rows, request rows by request index, and
    edges as (request, replica) pairs (``only_shown``: only the edges of requests in
    ``node_of``; otherwise every edge must belong to one)."""
    request_of = {int(node): j for j, node in enumerate(node_of) if node >= 0}
    real = np.flatnonzero(obs["node_mask"])
    edges = obs["edge_index"][:, obs["edge_mask"] > 0]
    if only_shown:
        edges = edges[:, [int(src) in request_of for src in edges[0]]]
        real = np.array([k for k in real if k < nrep or int(k) in request_of], dtype=np.int64)
    return {
        "replicas": obs["node_features"][:nrep].tolist(),
        "requests": {request_of[int(k)]: obs["node_features"][k].tolist() for k in real[nrep:]},
        "edges": sorted((request_of[int(s)], int(d)) for s, d in edges.T),
        "globals": obs["global_features"].tolist(),
        "mask": obs["action_mask"].tolist(),
    }


def test_the_window_shows_the_unfinished_part_of_the_full_graph(instance: ServingInstance) -> None:
    full, windowed = (
        LLMServingEnv(instance, wait=False),
        LLMServingEnv(instance, wait=False, window=120),
    )
    a, _ = full.reset(seed=0)
    b, _ = windowed.reset(seed=0)
    nrep, steps, largest = instance.num_replicas, 0, 0
    assert b["node_features"].shape[0] == full.max_replicas + 120
    while True:
        sim = full.sim
        unfinished = np.isnan(sim.finish) & (np.arange(len(sim.finish)) < full._next)
        keep = np.where(unfinished, nrep + np.arange(len(unfinished)), -1)
        expected = _graph(a, keep, nrep, only_shown=True)
        got = _graph(b, windowed._observer.node, nrep)
        assert got == expected
        assert int(b["num_nodes"][0]) == nrep + int(unfinished.sum())
        largest = max(largest, int(unfinished.sum()))
        legal = np.flatnonzero(full.action_masks())
        action = int(legal[steps % len(legal)])
        a, ra, done_a, _, info_a = full.step(action)
        b, rb, done_b, _, info_b = windowed.step(action)
        steps += 1
        assert ra == rb and done_a == done_b
        if done_a:
            assert info_a["slo_attainment"] == info_b["slo_attainment"]
            break
    assert 10 < largest <= 120  # slots were recycled: fewer than the 150 requests


def test_too_small_a_window_says_so_and_the_env_checks(instance: ServingInstance) -> None:
    env = LLMServingEnv(instance, wait=False, window=4)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="raise the window"):
        for _ in range(instance.num_requests):
            env.step(int(np.flatnonzero(env.action_masks())[0]))
    with pytest.raises(ValueError, match="window"):
        LLMServingEnv(instance, window=0)
    check_env(LLMServingEnv(window=256), skip_render_check=True)
