"""The vllm, orca, splitwise, llumnix and melange solvers: validated schedules, and each one's
own mechanism (slots, the split, migrations, the bucket allocation)."""

from __future__ import annotations

import numpy as np
import pytest

from schedgym.baselines.llm import melange
from schedgym.baselines.llm.llumnix import simulate_llumnix
from schedgym.baselines.llm.solvers import (
    LeastLoadedVLLM,
    Llumnix,
    Melange,
    OrcaSolver,
    Splitwise,
    VLLMSolver,
)
from schedgym.llm.hardware import ReplicaType, gpu_type, model_shape
from schedgym.llm.instance import Cluster, ServingInstance, Workload
from schedgym.llm.validate import validate_schedule


@pytest.fixture(scope="module")
def small(conv: Workload) -> ServingInstance:
    """This module's own small instance: 300 requests on 3 replicas (the shared one has 2)."""
    return ServingInstance(conv.head(300).scaled(6.0), Cluster.uniform("llama-2-7b", "a100", 3))


def test_vllm_is_least_loaded_with_vllm_batching(small: ServingInstance) -> None:
    a, b = VLLMSolver().solve(small), LeastLoadedVLLM().solve(small)
    assert a.objective == b.objective
    assert np.array_equal(a.schedule.step_end, b.schedule.step_end)


def test_orca_reserves_max_length_slots(small: ServingInstance) -> None:
    result = OrcaSolver().solve(small)
    s = result.schedule
    slots = small.cluster.replicas[0].kv_capacity_tokens // 4096
    sizes = np.diff(s.member_ptr)
    assert sizes.max() <= slots < 256  # the reservation, not the engine's max_seqs, caps it
    assert validate_schedule(small, s).slo_attainment == result.objective


def test_splitwise_keeps_the_best_split(small: ServingInstance) -> None:
    result = Splitwise().solve(small)
    k = result.info["prefill_replicas"]
    assert 1 <= k <= 2 and len(result.schedule.transfer_request) > 0
    assert set(result.schedule.transfer_src.tolist()) == set(range(k))
    assert validate_schedule(small, result.schedule).slo_attainment == result.objective


def test_llumnix_migrates_under_memory_pressure(conv: Workload) -> None:
    inst = ServingInstance(conv.head(400).scaled(1.5), Cluster.uniform("llama-2-7b", "l4", 3))
    metrics, schedule, migrations = simulate_llumnix(inst)
    assert migrations > 0 and len(schedule.transfer_request) == migrations
    assert validate_schedule(inst, schedule) == metrics
    result = Llumnix().solve(inst)
    assert result.info["migrations"] == migrations


def _types() -> tuple[ReplicaType, ReplicaType]:
    model = model_shape("llama-2-7b")
    return ReplicaType(model, gpu_type("a10")), ReplicaType(model, gpu_type("a100"))


def _fake_capacity(replica: ReplicaType, bucket: int, target: float = 0.95) -> float:
    # the cheap type is good at short prompts only; the big one at everything
    if replica.gpu.name == "a10":
        return 4.0 if bucket < 2 else 0.2
    return 6.0


def test_melange_program_buys_the_cheap_type_for_small_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(melange, "capacity", _fake_capacity)
    a10, a100 = _types()
    rates = np.zeros(melange.NUM_BUCKETS)
    rates[0], rates[4] = 16.0, 12.0  # short and long prompts
    caps = {r: np.array([_fake_capacity(r, b) for b in range(len(rates))]) for r in (a10, a100)}
    mix = melange._program(rates, caps, None)
    assert mix.counts == {a10: 4, a100: 2}  # 4 x 0.75 + 2 x 5.12 beats 5 x a100 (and all a10)
    assert mix.shares[a10][0] == pytest.approx(1.0) and mix.shares[a100][4] == pytest.approx(1)
    assert mix.price_per_hour == pytest.approx(4 * a10.price_per_hour + 2 * a100.price_per_hour)


def test_melange_solver_routes_by_bucket(conv: Workload, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(melange, "capacity", _fake_capacity)
    a10, a100 = _types()
    inst = ServingInstance(conv.head(300).scaled(3.0), Cluster((a10, a10, a100)))
    result = Melange().solve(inst)
    s = result.schedule
    assert validate_schedule(inst, s).slo_attainment == result.objective
    b = melange.buckets(inst.workload)
    long_prompts = b >= 2
    assert (s.request_replica[long_prompts] == 2).mean() > 0.9  # mostly on the A100
