"""Disaggregated prefill/decode pools: KV transfers recorded, validated, and refused when broken
(a decode before its transfer ends, a transfer shorter than the cost model allows, ...)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from schedgym.core.errors import InvalidScheduleError
from schedgym.datasets import llm as shipped
from schedgym.llm.cost import ReplicaCost, isolated_latency
from schedgym.llm.disaggregation import simulate_disaggregated
from schedgym.llm.formats import read_trace
from schedgym.llm.instance import INTERCONNECT_BYTES_PER_S, Cluster, ServingInstance
from schedgym.llm.policies import Sarathi
from schedgym.llm.schedule import ServingSchedule, read_schedule, write_schedule
from schedgym.llm.validate import validate_schedule


@pytest.fixture(scope="module")
def inst() -> ServingInstance:
    w = read_trace(shipped.trace_path("azure2023_conv")).head(400).scaled(6.0)
    return ServingInstance(w, Cluster.uniform("llama-2-7b", "a100", 3))


@pytest.fixture(scope="module")
def run(inst: ServingInstance) -> ServingSchedule:
    metrics, schedule = simulate_disaggregated(inst, [0])
    assert validate_schedule(inst, schedule) == metrics
    return schedule


def test_every_multi_token_request_is_transferred_once(inst: ServingInstance, run) -> None:
    s = run
    multi = np.flatnonzero(inst.workload.output_tokens > 1)
    assert sorted(s.transfer_request.tolist()) == multi.tolist()
    assert (s.transfer_src == 0).all() and set(s.transfer_dst.tolist()) == {1, 2}
    assert (s.transfer_tokens == inst.workload.prompt_tokens[s.transfer_request]).all()
    cost = ReplicaCost(inst.cluster.replicas[0])
    need = [cost.kv_transfer(int(k), INTERCONNECT_BYTES_PER_S) for k in s.transfer_tokens]
    assert np.allclose(s.transfer_end - s.transfer_start, need)
    # prefill replica 0 runs only prompts; the decode replicas only decodes (no preemption here)
    steps0 = np.flatnonzero(s.step_replica == 0)
    assert all((s.member_prefill[s.member_ptr[k] : s.member_ptr[k + 1]] > 0).all() for k in steps0)


def test_deterministic_and_round_trips(inst: ServingInstance, run, tmp_path: Path) -> None:
    _, again = simulate_disaggregated(inst, [0])
    assert np.array_equal(again.transfer_start, run.transfer_start)
    assert np.array_equal(again.step_end, run.step_end)
    write_schedule(run, tmp_path / "s.json")
    back = read_schedule(tmp_path / "s.json")
    assert validate_schedule(inst, back) == validate_schedule(inst, run)


def test_sarathi_decode_pool_and_memory_pressure() -> None:
    w = read_trace(shipped.trace_path("azure2023_conv")).head(200).scaled(20.0)
    inst = ServingInstance(w, Cluster.uniform("llama-2-7b", "l4", 3))
    metrics, schedule = simulate_disaggregated(inst, [0], Sarathi(), Sarathi())
    assert metrics.preemptions > 0
    assert validate_schedule(inst, schedule) == metrics


def test_slower_link_delays_decodes_but_not_first_tokens(inst: ServingInstance, run) -> None:
    fast = validate_schedule(inst, run)
    slow_metrics, slow = simulate_disaggregated(inst, [0], interconnect_bytes_per_s=1e9)
    assert validate_schedule(inst, slow, interconnect_bytes_per_s=1e9) == slow_metrics
    assert slow_metrics.ttft == fast.ttft  # the prefill pool does not see the link
    assert slow_metrics.tbt[2] > fast.tbt[2]
    with pytest.raises(InvalidScheduleError, match="cost model needs"):
        validate_schedule(inst, run, interconnect_bytes_per_s=1e9)


def _first_decode_after(s: ServingSchedule, t: int) -> int:
    i, dst = s.transfer_request[t], s.transfer_dst[t]
    for k in range(s.num_steps):
        members = s.member_request[s.member_ptr[k] : s.member_ptr[k + 1]]
        if s.step_replica[k] == dst and i in members:
            return k
    raise AssertionError


def test_broken_transfers_are_refused(inst: ServingInstance, run) -> None:
    s = run
    t = int(np.argmax(s.transfer_tokens))  # a long transfer
    cases: dict[str, ServingSchedule] = {}
    end = s.transfer_end.copy()
    k = _first_decode_after(s, t)
    end[t] = s.step_start[k] + 0.05  # the decode starts before the transfer completes
    cases["before its KV-cache transfer ends"] = dataclasses.replace(s, transfer_end=end)
    short = s.transfer_end.copy()
    short[t] = s.transfer_start[t] + 0.5 * (s.transfer_end[t] - s.transfer_start[t])
    cases["cost model needs"] = dataclasses.replace(s, transfer_end=short)
    early = s.transfer_start.copy()
    early[t] -= 1.0  # before the prompt is done
    cases["before its last step ends"] = dataclasses.replace(s, transfer_start=early)
    tokens = s.transfer_tokens.copy()
    tokens[t] += 16
    cases["moves"] = dataclasses.replace(s, transfer_tokens=tokens)
    dst = s.transfer_dst.copy()
    dst[t] = 3 - dst[t]  # to the other decode replica, which never decodes it
    cases["routed to another replica"] = dataclasses.replace(s, transfer_dst=dst)
    keep = np.arange(len(s.transfer_request)) != t
    cases["routed to another replica than"] = dataclasses.replace(
        s, **{f: getattr(s, f)[keep] for f in _TRANSFER_FIELDS}
    )
    begin = s.transfer_begin_pos.copy()
    begin[t] = s.transfer_release_pos[t] + 1
    cases["bad replicas or positions"] = dataclasses.replace(s, transfer_begin_pos=begin)
    for message, broken in cases.items():
        with pytest.raises(InvalidScheduleError, match=message):
            validate_schedule(inst, broken)


def test_early_release_of_source_blocks_is_refused(inst: ServingInstance, run) -> None:
    s = run
    # a transfer whose source ran a step between the transfer's start and its release
    for t in range(len(s.transfer_request)):
        src, b, r = s.transfer_src[t], s.transfer_begin_pos[t], s.transfer_release_pos[t]
        later = [k for k in range(b, r) if s.step_replica[k] == src]
        if later and s.step_start[later[0]] < s.transfer_end[t]:
            release = s.transfer_release_pos.copy()
            release[t] = b
            broken = dataclasses.replace(s, transfer_release_pos=release)
            with pytest.raises(InvalidScheduleError, match="before a transfer out of"):
                validate_schedule(inst, broken)
            return
    pytest.skip("no transfer overlaps a later source step in this run")


def test_isolated_latency_bounds_every_request(inst: ServingInstance, run) -> None:
    metrics = validate_schedule(inst, run)
    ttft_lb, e2e_lb = isolated_latency(inst)
    assert (e2e_lb >= ttft_lb).all() and (ttft_lb > 0).all()
    assert metrics.slowdown[0] >= 1.0 and metrics.e2e_lower_bound[2] <= metrics.e2e[2]


_TRANSFER_FIELDS = (
    "transfer_request",
    "transfer_src",
    "transfer_dst",
    "transfer_tokens",
    "transfer_start",
    "transfer_end",
    "transfer_begin_pos",
    "transfer_release_pos",
)


def test_direction_a_disaggregation_cuts_tail_tbt_on_a_trace_window() -> None:
    from schedgym.baselines.llm.directions import disaggregation

    result = disaggregation(rate_factor=2.0, replicas=4, requests=1500)
    vllm, (split, transfer) = result["vllm"][0], result["splitwise-2P2D"]
    assert split.tbt[2] < 0.5 * vllm.tbt[2]  # no prompt interrupts a decode
    assert len(transfer) > 0 and transfer.min() > 0
