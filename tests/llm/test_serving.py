"""Trace files, the generator, the simulator with every policy and router, and the validator
(on recorded schedules and on deliberately broken ones)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from schedgym.baselines.llm.compare import compare
from schedgym.baselines.llm.policies import VLLM, Orca, Sarathi
from schedgym.baselines.llm.routers import LeastLoaded, RoundRobin, ShortestQueue
from schedgym.core.errors import InstanceFormatError, InvalidScheduleError
from schedgym.datasets import llm as shipped
from schedgym.llm.formats import read_trace, write_trace
from schedgym.llm.generator import TraceLikeGenerator, trace_statistics
from schedgym.llm.instance import Cluster, ServingInstance, Workload
from schedgym.llm.schedule import ServingSchedule, read_schedule, write_schedule
from schedgym.llm.simulator import simulate
from schedgym.llm.validate import validate_schedule
from tests.llm.schedules import without_last_step


def test_shipped_traces_read_and_round_trip(conv: Workload, tmp_path: Path) -> None:
    assert conv.num_requests == 19_366
    code = read_trace(shipped.trace_path("azure2023_code"))
    assert code.num_requests == 8_819
    write_trace(conv.head(50), tmp_path / "t.csv")
    back = read_trace(tmp_path / "t.csv")
    assert np.allclose(back.arrivals, conv.arrivals[:50], atol=1e-6)
    assert (back.prompt_tokens == conv.prompt_tokens[:50]).all()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b,c\n1,2,3\n", "expected the header"),
        ("arrived_at,num_prefill_tokens,num_decode_tokens\n0,5,0\n", ":2: malformed row"),
        ("arrived_at,num_prefill_tokens,num_decode_tokens\n-1,5,5\n", ":2: malformed row"),
        ("arrived_at,num_prefill_tokens,num_decode_tokens\n", "no requests"),
    ],
)
def test_bad_trace_files_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InstanceFormatError, match=message):
        read_trace(path)


def test_generator_is_seeded_and_matches_the_trace() -> None:
    gen = TraceLikeGenerator(5000, "azure2023_conv", rate=10.0)
    a, b = gen.sample(np.random.default_rng(1)), gen.sample(np.random.default_rng(1))
    assert np.array_equal(a.arrivals, b.arrivals) and np.array_equal(
        a.prompt_tokens, b.prompt_tokens
    )
    stats = trace_statistics("azure2023_conv")
    assert abs(np.median(a.prompt_tokens) / stats.prompt_quantiles[50] - 1) < 0.1
    assert abs(a.num_requests / a.duration_s / 10.0 - 1) < 0.1
    bursty = TraceLikeGenerator(5000, "azure2023_code").sample(np.random.default_rng(2))
    gaps = np.diff(bursty.arrivals)
    assert gaps.std() / gaps.mean() > 3  # code arrivals are far burstier than Poisson


@pytest.mark.parametrize("policy", [VLLM(), Orca(), Sarathi()], ids=lambda p: p.name)
@pytest.mark.parametrize(
    "router", [RoundRobin(), LeastLoaded(), ShortestQueue()], ids=lambda r: r.name
)
def test_every_policy_and_router_validates(small: ServingInstance, policy, router) -> None:
    metrics, schedule = simulate(small, dataclasses.replace(policy), dataclasses.replace(router))
    assert validate_schedule(small, schedule) == metrics
    assert metrics.ttft[0] > 0 and metrics.tbt[2] >= metrics.tbt[0] > 0
    assert 0 <= metrics.slo_attainment <= 1 and metrics.cost_per_million_tokens > 0


@pytest.mark.parametrize("policy", [VLLM(), Orca(), Sarathi()], ids=lambda p: p.name)
def test_memory_pressure_preempts_and_still_validates(conv: Workload, policy) -> None:
    # Llama-2-7B on one L4 leaves a small KV cache: requests get preempted and recomputed.
    inst = ServingInstance(conv.head(150).scaled(20.0), Cluster.uniform("llama-2-7b", "l4", 1))
    metrics, schedule = simulate(inst, dataclasses.replace(policy), RoundRobin())
    assert metrics.preemptions > 0
    assert validate_schedule(inst, schedule) == metrics


def test_heterogeneous_pool(conv: Workload) -> None:
    from schedgym.llm.hardware import ReplicaType, gpu_type, model_shape

    model = model_shape("llama-2-7b")
    cluster = Cluster(tuple(ReplicaType(model, gpu_type(g)) for g in ("h100", "a100", "a40")))
    inst = ServingInstance(conv.head(300).scaled(4.0), cluster)
    metrics, schedule = simulate(inst, Sarathi(), LeastLoaded())
    assert validate_schedule(inst, schedule) == metrics
    served = np.bincount(schedule.request_replica, minlength=3)
    assert served[0] > served[2]  # the H100 gets more than the A40


def test_schedule_file_round_trip(small: ServingInstance, tmp_path: Path) -> None:
    metrics, schedule = simulate(small, Sarathi(), LeastLoaded())
    write_schedule(schedule, tmp_path / "s.json")
    assert validate_schedule(small, read_schedule(tmp_path / "s.json")) == metrics


def _broken(schedule: ServingSchedule, **changes: Any) -> ServingSchedule:
    return dataclasses.replace(schedule, **changes)


def test_broken_schedules_are_refused(small: ServingInstance) -> None:
    _, s = simulate(small, Sarathi(), LeastLoaded())
    decode_step = int(np.flatnonzero(s.step_repeat > 1)[0])
    cases: dict[str, ServingSchedule] = {}
    end = s.step_end.copy()
    end[decode_step] += 0.01
    cases["the cost model says"] = _broken(s, step_end=end)
    start = s.step_start.copy()
    start[0] -= 1.0
    cases["before it arrives"] = _broken(s, step_start=start)
    route = s.request_replica.copy()
    route[s.member_request[0]] = 1 - route[s.member_request[0]]
    cases["routed to another replica"] = _broken(s, request_replica=route)
    repeat = s.step_repeat.copy()
    repeat[decode_step] += 10_000
    cases["past a request's last token"] = _broken(s, step_repeat=repeat)
    chunk = s.member_prefill.copy()
    chunk[np.flatnonzero(chunk > 0)[0]] += 100_000
    cases["runs past its prompt"] = _broken(s, member_prefill=chunk)
    cases["gets"] = without_last_step(s)
    for message, broken in cases.items():
        with pytest.raises(InvalidScheduleError, match=message):
            validate_schedule(small, broken)


def test_kv_capacity_is_checked(small: ServingInstance) -> None:
    from schedgym.llm.hardware import ReplicaType

    _, s = simulate(small, VLLM(), RoundRobin())
    tiny = ReplicaType(
        small.cluster.replicas[0].model,
        small.cluster.replicas[0].gpu,
        memory_utilisation=0.18,  # a few hundred blocks only
    )
    cramped = ServingInstance(small.workload, Cluster((tiny, tiny)))
    with pytest.raises(InvalidScheduleError, match="KV blocks"):
        validate_schedule(cramped, s)


def test_sarathi_lowers_p99_tbt_against_vllm() -> None:
    result = compare(rate_factor=3.0, replicas=4, requests=3000)
    assert result["sarathi"].tbt[2] < 0.5 * result["vllm"].tbt[2]


@pytest.mark.slow
def test_full_conversation_replay_is_fast(conv: Workload) -> None:
    import time

    inst = ServingInstance(conv, Cluster.uniform("llama-2-7b", "a100", 4))
    started = time.perf_counter()
    metrics, _ = simulate(inst, VLLM(), LeastLoaded())
    assert time.perf_counter() - started < 10.0
    assert metrics.makespan_s > conv.duration_s
