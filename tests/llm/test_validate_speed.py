"""The compiled replay of the validator (:mod:`schedgym.llm.validate_kernel`) against the
reference numpy loop (``replay_reference.reference_replay``): bit-equal token times and equal
metrics on recorded schedules of every kind (batch policies, routers, preemption, a mixed pool,
disaggregation, migration, steps longer than the cost tables), and the same exception with the
same message on broken ones. No time is asserted: ``benchmarks/llm_replay.py`` measures it."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from schedgym.baselines.llm.llumnix import simulate_llumnix
from schedgym.baselines.llm.policies import VLLM, Orca, Sarathi
from schedgym.baselines.llm.routers import LeastLoaded, RoundRobin, ShortestQueue
from schedgym.llm import validate_kernel
from schedgym.llm.cost import ReplicaCost
from schedgym.llm.disaggregation import simulate_disaggregated
from schedgym.llm.hardware import GPUS, ReplicaType, gpu_type, model_shape
from schedgym.llm.instance import INTERCONNECT_BYTES_PER_S, Cluster, ServingInstance, Workload
from schedgym.llm.schedule import TRANSFER_ARRAYS, ServingSchedule
from schedgym.llm.simulator import simulate
from schedgym.llm.validate import _replay, summarize, validate_schedule
from tests.llm.schedules import without_last_step

LINK = INTERCONNECT_BYTES_PER_S


@pytest.fixture(scope="module")
def split(conv: Workload) -> ServingInstance:
    return ServingInstance(conv.head(400).scaled(6.0), Cluster.uniform("llama-2-7b", "a100", 3))


@pytest.fixture(scope="module")
def split_run(split: ServingInstance) -> ServingSchedule:
    return simulate_disaggregated(split, [0])[1]


def _outcome(inst: ServingInstance, s: ServingSchedule, compiled: bool, link: float) -> Any:
    """The replay's token times and metrics, or the exception's type and message."""
    try:
        times = _replay(inst, s, link, compiled=compiled)
    except Exception as exc:
        return type(exc), str(exc)
    return times, summarize(inst, times)


def _same(inst: ServingInstance, s: ServingSchedule, link: float = LINK) -> Any:
    """Assert both replays agree (bit for bit); return the reference's outcome."""
    fast, reference = _outcome(inst, s, True, link), _outcome(inst, s, False, link)
    if isinstance(reference[0], type):
        assert fast == reference
        return reference
    (a, metrics_a), (b, metrics_b) = fast, reference
    assert metrics_a == metrics_b
    for field in ("first_token", "finish", "gaps", "gap_weights"):
        assert np.array_equal(getattr(a, field), getattr(b, field), equal_nan=True), field
    assert a.preemptions == b.preemptions
    return reference


def _recorded(conv: Workload, small: ServingInstance) -> list[tuple[ServingInstance, Any]]:
    """Recorded schedules: three policy x router pairs, memory pressure, a mixed pool."""
    runs: list[tuple[ServingInstance, Any]] = [
        (small, simulate(small, policy, router)[1])
        for policy, router in ((VLLM(), LeastLoaded()), (Sarathi(), RoundRobin()))
    ]
    runs.append((small, simulate(small, Orca(), ShortestQueue())[1]))
    l4 = ServingInstance(conv.head(150).scaled(20.0), Cluster.uniform("llama-2-7b", "l4", 1))
    runs.append((l4, simulate(l4, VLLM(), RoundRobin())[1]))
    model = model_shape("llama-2-7b")
    mixed = Cluster(tuple(ReplicaType(model, gpu_type(g)) for g in ("h100", "a100", "a40")))
    mixed_inst = ServingInstance(conv.head(300).scaled(4.0), mixed)
    runs.append((mixed_inst, simulate(mixed_inst, Sarathi(), LeastLoaded())[1]))
    return runs


def test_recorded_schedules_replay_equal(conv: Workload, small: ServingInstance) -> None:
    runs = _recorded(conv, small)
    assert runs[3][1].preempt_request.size > 0  # the L4 run preempts
    for inst, s in runs:
        assert validate_kernel.supports(inst, s)
        _, metrics = _same(inst, s)
        assert validate_schedule(inst, s) == metrics


def test_transfer_schedules_replay_equal(
    conv: Workload, split: ServingInstance, split_run: ServingSchedule
) -> None:
    _same(split, split_run)
    slow = simulate_disaggregated(split, [0], interconnect_bytes_per_s=1e9)[1]
    _same(split, slow, link=1e9)
    l4 = ServingInstance(conv.head(200).scaled(20.0), Cluster.uniform("llama-2-7b", "l4", 3))
    _same(l4, simulate_disaggregated(l4, [0], Sarathi(), Sarathi())[1])  # preempts on both sides
    pressed = ServingInstance(conv.head(400).scaled(1.5), Cluster.uniform("llama-2-7b", "l4", 3))
    metrics, migrated, migrations = simulate_llumnix(pressed)
    assert migrations > 0
    assert _same(pressed, migrated)[1] == metrics


def test_steps_longer_than_the_cost_tables() -> None:
    # 29,000 then 40,000 prompt tokens in one iteration: the tables (16,384 tokens) grow twice
    w = Workload.from_arrays("long", [0.0, 0.0, 0.05], [20000, 9000, 40000], [3, 40, 4])
    inst = ServingInstance(w, Cluster.uniform("llama-2-7b", "a100", 1))
    metrics, s = simulate(inst, VLLM(), LeastLoaded())
    assert _same(inst, s)[1] == metrics


def _set(s: ServingSchedule, name: str, index: int, value: float) -> ServingSchedule:
    """``s`` with entry ``index`` of (a copy of) array ``name`` set to ``value``."""
    a = getattr(s, name).copy()
    a[index] = value
    return dataclasses.replace(s, **{name: a})


def _step_breakages(s: ServingSchedule, replicas: int) -> dict[str, ServingSchedule]:
    """One broken copy of ``s`` for each check of a step (keyed by the expected message)."""
    decode = int(np.flatnonzero(s.step_repeat > 1)[0])
    pair = int(s.member_ptr[np.flatnonzero(np.diff(s.member_ptr) >= 2)[0]])  # of a 2+ batch
    first, chunk = s.member_request[0], int(np.flatnonzero(s.member_prefill > 0)[0])
    route = s.request_replica
    later = int(np.flatnonzero(s.step_replica == s.step_replica[0])[1])
    other = int(np.flatnonzero(s.request_replica != s.step_replica[decode])[0])
    ptr = s.preempt_ptr.copy()
    ptr[decode + 1 :] += 1
    return {
        "the cost model says": _set(s, "step_end", decode, s.step_end[decode] + 0.01),
        "before it arrives": _set(s, "step_start", 0, s.step_start[0] - 1.0),
        "times not finite": _set(s, "step_end", decode, np.nan),
        "another replica": _set(s, "request_replica", first, replicas - 1 - route[first]),
        "past a request's last token": _set(s, "step_repeat", decode, 10_000),
        "runs past its prompt": _set(s, "member_prefill", chunk, 100_000),
        "negative chunk": _set(s, "member_prefill", chunk, -1),
        "a request twice": _set(s, "member_request", pair + 1, s.member_request[pair]),
        "bad replica": _set(s, "step_replica", decode, replicas),
        "previous step ends": _set(s, "step_start", later, s.step_start[0]),
        "preempted but not running": dataclasses.replace(
            s,
            preempt_ptr=ptr,
            preempt_request=np.insert(s.preempt_request, s.preempt_ptr[decode + 1], other),
        ),
        "gets": without_last_step(s),
    }


def test_broken_steps_fail_alike(small: ServingInstance) -> None:
    for policy in (Sarathi(), VLLM()):
        s = simulate(small, policy, LeastLoaded())[1]
        for message, broken in _step_breakages(s, small.num_replicas).items():
            text = _same(small, broken)[1]
            assert message in text, (message, text)
    tiny = ReplicaType(small.cluster.replicas[0].model, gpu_type("a100"), memory_utilisation=0.18)
    cramped = ServingInstance(small.workload, Cluster((tiny, tiny)))
    s = simulate(small, VLLM(), RoundRobin())[1]
    assert "KV blocks" in _same(cramped, s)[1]


def _transfer_breakages(s: ServingSchedule) -> dict[str, ServingSchedule]:
    """One broken copy of the disaggregated ``s`` for each check of a transfer."""
    t = int(np.argmax(s.transfer_tokens))
    i, dst = s.transfer_request[t], s.transfer_dst[t]
    k = next(
        k
        for k in range(s.num_steps)
        if s.step_replica[k] == dst and i in s.member_request[s.member_ptr[k] : s.member_ptr[k + 1]]
    )
    keep = np.arange(len(s.transfer_request)) != t
    half = s.transfer_start[t] + 0.5 * (s.transfer_end[t] - s.transfer_start[t])
    return {
        "before its KV-cache transfer ends": _set(s, "transfer_end", t, s.step_start[k] + 0.05),
        "cost model needs": _set(s, "transfer_end", t, half),
        "not finite (starts at nan": _set(s, "transfer_start", t, np.nan),
        "before its last step ends": _set(s, "transfer_start", t, s.transfer_start[t] - 1.0),
        "moves": _set(s, "transfer_tokens", t, s.transfer_tokens[t] + 16),
        "routed to another replica": _set(s, "transfer_dst", t, 3 - dst),
        "routed to another replica than": dataclasses.replace(
            s, **{f: getattr(s, f)[keep] for f in TRANSFER_ARRAYS}
        ),
        "bad replicas or positions": _set(
            s, "transfer_begin_pos", t, s.transfer_release_pos[t] + 1
        ),
        "not resident": _set(s, "transfer_src", t, 3 - dst),
        "released before it began": _set(  # at the begin's position, the release sorts first
            _set(s, "transfer_end", t, -1.0), "transfer_release_pos", t, s.transfer_begin_pos[t]
        ),
    }


def test_broken_transfers_fail_alike(split: ServingInstance, split_run: ServingSchedule) -> None:
    s = split_run
    for message, broken in _transfer_breakages(s).items():
        text = _same(split, broken)[1]
        assert message in text, (message, text)
    assert "cost model needs" in _same(split, s, link=1e9)[1]
    for t in range(len(s.transfer_request)):  # a source step between a transfer's start and end
        src, b, r = s.transfer_src[t], s.transfer_begin_pos[t], s.transfer_release_pos[t]
        later = [k for k in range(b, r) if s.step_replica[k] == src]
        if later and s.step_start[later[0]] < s.transfer_end[t]:
            early = _set(s, "transfer_release_pos", t, b)
            assert "before a transfer out of" in _same(split, early)[1]
            break
    else:
        pytest.fail("no transfer overlaps a later source step")
    a100 = split.cluster.replicas[0]
    other_model = ReplicaType(model_shape("llama-2-13b"), a100.gpu)
    small_dst = ReplicaType(a100.model, a100.gpu, memory_utilisation=0.18)
    for dst, message in ((other_model, "different models"), (small_dst, "KV blocks on replica 1")):
        pool = Cluster((a100, dst, a100))
        assert message in _same(ServingInstance(split.workload, pool), s)[1]


def test_arrays_the_kernel_does_not_take_go_to_the_reference(small: ServingInstance) -> None:
    s = simulate(small, Sarathi(), LeastLoaded())[1]
    metrics = validate_schedule(small, s)
    narrow = dataclasses.replace(
        s, **{f: getattr(s, f).astype(np.int32) for f in ("member_request", "member_prefill")}
    )
    assert validate_kernel.supports(small, narrow)  # any integer dtype is widened
    assert _same(small, narrow)[1] == metrics
    floating = dataclasses.replace(s, step_repeat=s.step_repeat.astype(np.float64))
    assert not validate_kernel.supports(small, floating)
    assert validate_schedule(small, floating) == metrics
    wrapped = _set(s, "member_request", 0, -1)  # numpy would wrap it
    assert not validate_kernel.supports(small, wrapped)
    _same(small, wrapped)


def test_pairwise_sum_is_numpys() -> None:
    rng = np.random.default_rng(0)
    for n in [*range(300), 1000, 1023, 1024, 1025, 8191, 8193, 100_003]:
        a = rng.random(n + 3) * 10.0 ** rng.uniform(-6, 6, n + 3)
        assert validate_kernel.pairwise_sum(a, 3, n) == a[3:].sum()


def test_prefill_attention_is_the_cost_models() -> None:
    rng = np.random.default_rng(1)
    for gpu in GPUS.values():
        for model, tp in (("llama-2-7b", 1), ("llama-2-70b", 4), ("llama-3-8b", 2)):
            replica = ReplicaType(model_shape(model), gpu, tp)
            cost = ReplicaCost(replica, max_tokens=16)
            consts = validate_kernel.cost_constants(cost)
            for size in (1, 3, 9, 130):
                new = rng.integers(1, 4096, size).astype(np.float64)
                past = rng.integers(0, 8192, size).astype(np.float64)
                expected = cost.cost.prefill_attention(replica.model, tp, new, past)
                assert validate_kernel.prefill_attention(consts, new, past) == expected
