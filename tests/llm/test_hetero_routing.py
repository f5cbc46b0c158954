"""Routing on heterogeneous pools: the ``least-loaded-kv`` router, the env's
``current_request`` (a router asked on the env's simulator reproduces that router's solver),
the behaviour-cloning script's trimmed observations, and the evaluation's explicit pool."""

from __future__ import annotations

import numpy as np
import pytest

from schedgym.agents.graph_batch import pad_observations
from schedgym.baselines.llm.routers import LeastLoaded, LeastLoadedKV
from schedgym.core.solver import load_solver
from schedgym.experiments.llm_bc_init import route, trimmed
from schedgym.experiments.llm_route_eval import instances
from schedgym.llm.env import LLMServingEnv
from schedgym.llm.instance import Cluster, ServingInstance, Workload
from schedgym.llm.policies import VLLM
from schedgym.llm.simulator import Simulator


def _pool(conv: Workload) -> ServingInstance:
    """200 requests on one H100 and one A100 replica: 3.2x the compute, 1.1x the KV blocks."""
    cluster = Cluster(
        Cluster.uniform("llama-2-7b", "h100", 1).replicas
        + Cluster.uniform("llama-2-7b", "a100", 1).replicas
    )
    return ServingInstance(conv.head(200).scaled(4.0), cluster, name="h100+a100")


def test_least_loaded_kv_weighs_by_kv_blocks_not_compute(conv: Workload) -> None:
    sim = Simulator(_pool(conv), VLLM(), LeastLoadedKV())
    fast, slow = sim.replicas
    assert fast.cost.replica.gpu.peak_flops > 3 * slow.cost.replica.gpu.peak_flops
    fast.outstanding_tokens, slow.outstanding_tokens = 2_000, 1_000
    # per KV block the H100 (slightly more blocks) is the busier one; per FLOP/s it is not
    assert fast.total_blocks < 2 * slow.total_blocks
    assert LeastLoadedKV().route(sim, 0) == 1
    assert LeastLoaded().route(sim, 0) == 0


def test_least_loaded_kv_solver_is_valid_and_differs(conv: Workload) -> None:
    instance = _pool(conv)
    kv = load_solver("llm", "least-loaded-kv").solve(instance)
    ll = load_solver("llm", "least-loaded").solve(instance)
    assert kv.schedule is not None and kv.objective is not None
    shares = [np.mean(s.schedule.request_replica == 0) for s in (kv, ll)]
    assert shares[0] < shares[1]  # fewer requests to the H100 than by compute


def test_router_asked_on_the_env_reproduces_its_solver(conv: Workload) -> None:
    instance = _pool(conv)
    env = LLMServingEnv(instance, wait=False)
    observations, actions, attainment = route(env, instance, "least-loaded-kv")
    expected = load_solver("llm", "least-loaded-kv").solve(instance).objective
    assert attainment == pytest.approx(expected)
    assert len(observations) == len(actions) > 0
    assert env.current_request is None  # the episode is over


def test_trimmed_observations_pad_back_to_the_same_graph() -> None:
    generator_instance = instances(6.0, 1, 120, 2, seed=3)[0]
    env = LLMServingEnv(generator_instance, wait=False, window=256)
    obs, _ = env.reset(seed=0)
    for _ in range(40):
        obs, *_ = env.step(int(np.argmax(obs["action_mask"][:2])))
    cut = trimmed(obs)
    assert cut["node_features"].shape[0] < obs["node_features"].shape[0]
    back = pad_observations([cut, obs])
    for key in ("node_features", "node_mask", "edge_index", "edge_mask"):
        assert np.array_equal(back[key][0], back[key][1]), key


def test_evaluation_pool_keeps_the_traffic() -> None:
    a100 = instances(5.0, 1, 50, 2, seed=7)[0]
    mixed = instances(5.0, 1, 50, 2, seed=7, gpus=["h100", "a100"])[0]
    assert np.array_equal(a100.workload.arrivals, mixed.workload.arrivals)
    assert [r.gpu.name for r in mixed.cluster.replicas] == ["h100", "a100"]
    assert "h100+a100" in mixed.name
