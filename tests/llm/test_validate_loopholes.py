"""Loopholes of the schedule validator, closed in both replays (the compiled one of
:mod:`schedgym.llm.validate_kernel` and the reference numpy loop): work on a request after it
finished (a second prefill would reserve its blocks again and yield one token more than it asks
for, moving its finish time), and times that are not finite (comparisons with NaN are false, so
a NaN time passed every time check)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from schedgym.baselines.llm.policies import VLLM
from schedgym.baselines.llm.routers import LeastLoaded
from schedgym.core.errors import InvalidScheduleError
from schedgym.datasets import llm as shipped
from schedgym.llm import validate_kernel
from schedgym.llm.cost import ReplicaCost
from schedgym.llm.disaggregation import simulate_disaggregated
from schedgym.llm.formats import read_trace
from schedgym.llm.instance import INTERCONNECT_BYTES_PER_S, Cluster, ServingInstance, Workload
from schedgym.llm.schedule import ServingSchedule
from schedgym.llm.simulator import simulate
from schedgym.llm.validate import _replay, validate_schedule

LINK = INTERCONNECT_BYTES_PER_S
PROMPT, OUTPUT = np.array([40, 24, 300]), np.array([5, 3, 7])


@pytest.fixture(scope="module")
def tiny() -> ServingInstance:
    """Three requests on two replicas."""
    w = Workload.from_arrays("tiny", [0.0, 0.01, 0.02], PROMPT, OUTPUT)
    return ServingInstance(w, Cluster.uniform("llama-2-7b", "a100", 2))


@pytest.fixture(scope="module")
def tiny_run(tiny: ServingInstance) -> ServingSchedule:
    metrics, s = simulate(tiny, VLLM(), LeastLoaded())
    assert validate_schedule(tiny, s) == metrics
    return s


@pytest.fixture(scope="module")
def split() -> ServingInstance:
    w = read_trace(shipped.trace_path("azure2023_conv")).head(60).scaled(6.0)
    return ServingInstance(w, Cluster.uniform("llama-2-7b", "a100", 3))


@pytest.fixture(scope="module")
def split_run(split: ServingInstance) -> ServingSchedule:
    metrics, s = simulate_disaggregated(split, [0])
    assert len(s.transfer_request) > 1 and validate_schedule(split, s) == metrics
    return s


def _refused(inst: ServingInstance, s: ServingSchedule, message: str) -> str:
    """Assert both replays refuse ``s`` with the same message, containing ``message``."""
    assert validate_kernel.supports(inst, s)
    texts = []
    for compiled in (True, False):
        with pytest.raises(InvalidScheduleError) as info:
            _replay(inst, s, LINK, compiled=compiled)
        texts.append(str(info.value))
    assert texts[0] == texts[1]
    assert message in texts[0], (message, texts[0])
    return texts[0]


def _set(s: ServingSchedule, name: str, index: int, value: float) -> ServingSchedule:
    """``s`` with entry ``index`` of (a copy of) array ``name`` set to ``value``."""
    a = getattr(s, name).copy()
    a[index] = value
    return dataclasses.replace(s, **{name: a})


def _append_step(
    s: ServingSchedule, replica: int, start: float, end: float, members: list[tuple[int, int]]
) -> ServingSchedule:
    """``s`` with one more step (repeat 1) of ``(request, prefill)`` members on ``replica``."""
    return dataclasses.replace(
        s,
        step_replica=np.append(s.step_replica, replica),
        step_start=np.append(s.step_start, start),
        step_end=np.append(s.step_end, end),
        step_repeat=np.append(s.step_repeat, 1),
        member_ptr=np.append(s.member_ptr, s.member_ptr[-1] + len(members)),
        member_request=np.append(s.member_request, [m[0] for m in members]),
        member_prefill=np.append(s.member_prefill, [m[1] for m in members]),
        preempt_ptr=np.append(s.preempt_ptr, s.preempt_ptr[-1]),
    )


def _replica_free(s: ServingSchedule, replica: int) -> float:
    """The end of ``replica``'s last step."""
    return float(s.step_end[s.step_replica == replica].max())


def test_a_finished_request_is_not_prefilled_again(
    tiny: ServingInstance, tiny_run: ServingSchedule
) -> None:
    s, i = tiny_run, 0
    r = int(s.request_replica[i])
    cost = ReplicaCost(tiny.cluster.replicas[r])
    # a fresh reservation would target prompt + output tokens: a chunk of OUTPUT[i] completes it
    chunk = np.array([OUTPUT[i]], np.int64)
    seconds = cost.iteration(chunk, np.array([PROMPT[i]], np.int64), 1, 0, 0)
    start = _replica_free(s, r)
    again = _append_step(s, r, start, start + seconds, [(i, int(OUTPUT[i]))])
    text = _refused(tiny, again, "after it finished")
    assert text == f"step {s.num_steps}: serves request {i} after it finished"
    # any chunk, alone or beside an unfinished request's work
    one = _append_step(s, r, start, start + seconds, [(i, 1)])
    assert "serves request 0 after it finished" in _refused(tiny, one, "after it finished")


def test_a_finished_request_does_not_decode(
    tiny: ServingInstance, tiny_run: ServingSchedule
) -> None:
    s, i = tiny_run, 1
    r = int(s.request_replica[i])
    alpha, beta = ReplicaCost(tiny.cluster.replicas[r]).decode_run(1, 0)
    context = int(PROMPT[i] + OUTPUT[i])
    start = _replica_free(s, r)
    late = _append_step(s, r, start, start + alpha + beta * context, [(i, 0)])
    text = _refused(tiny, late, "after it finished")
    assert text == f"step {s.num_steps}: serves request {i} after it finished"


def test_a_finished_request_is_not_transferred(
    tiny: ServingInstance, tiny_run: ServingSchedule
) -> None:
    s, i = tiny_run, 2
    src = int(s.request_replica[i])
    start = _replica_free(s, src) + 1.0
    moved = dataclasses.replace(
        s,
        transfer_request=np.array([i]),
        transfer_src=np.array([src]),
        transfer_dst=np.array([1 - src]),
        transfer_tokens=np.array([PROMPT[i] + OUTPUT[i] - 1]),
        transfer_start=np.array([start]),
        transfer_end=np.array([start + 1.0]),
        transfer_begin_pos=np.array([s.num_steps]),
        transfer_release_pos=np.array([s.num_steps]),
    )
    text = _refused(tiny, moved, "has finished")
    assert text == f"transfer 0 of request {i} ({src} -> {1 - src}): the request has finished"


def test_a_transfer_away_and_back_after_finishing_is_refused(
    split: ServingInstance, split_run: ServingSchedule
) -> None:
    # the release of a transfer's source after its request finished on the destination is fine;
    # a second transfer of that request is not
    s = split_run
    t = int(np.argmin(split.workload.output_tokens[s.transfer_request]))
    i, src, dst = int(s.transfer_request[t]), int(s.transfer_src[t]), int(s.transfer_dst[t])
    start = float(s.step_end.max()) + 1.0
    moved = dataclasses.replace(
        s,
        transfer_request=np.append(s.transfer_request, i),
        transfer_src=np.append(s.transfer_src, dst),
        transfer_dst=np.append(s.transfer_dst, src),
        transfer_tokens=np.append(s.transfer_tokens, s.transfer_tokens[t]),
        transfer_start=np.append(s.transfer_start, start),
        transfer_end=np.append(s.transfer_end, start + 1.0),
        transfer_begin_pos=np.append(s.transfer_begin_pos, s.num_steps),
        transfer_release_pos=np.append(s.transfer_release_pos, s.num_steps),
    )
    last = len(s.transfer_request)
    text = _refused(split, moved, "has finished")
    assert text == f"transfer {last} of request {i} ({dst} -> {src}): the request has finished"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("transfer_start", np.nan),
        ("transfer_end", np.nan),
        ("transfer_end", np.inf),
        ("transfer_start", -np.inf),
        ("transfer_start", np.inf),
    ],
)
def test_transfer_times_must_be_finite(
    split: ServingInstance, split_run: ServingSchedule, name: str, value: float
) -> None:
    s = split_run
    for t in (0, len(s.transfer_request) - 1):
        broken = _set(s, name, t, value)
        i, src, dst = s.transfer_request[t], s.transfer_src[t], s.transfer_dst[t]
        text = _refused(split, broken, "not finite")
        assert text.startswith(f"transfer {t} of request {i} ({src} -> {dst}): times not finite")
        assert repr(value).lstrip("-") in text  # 'nan' / 'inf' named


@pytest.mark.parametrize(
    ("name", "value", "at"),
    [
        ("step_start", np.nan, 3),
        ("step_end", np.nan, 3),
        ("step_start", np.nan, -1),
        ("step_end", np.nan, -1),
        ("step_end", np.inf, -1),
        ("step_start", -np.inf, -1),
        ("step_start", np.inf, -1),
    ],
)
def test_step_times_must_be_finite(
    tiny: ServingInstance, tiny_run: ServingSchedule, name: str, value: float, at: int
) -> None:
    s = tiny_run
    k = at % s.num_steps
    text = _refused(tiny, _set(s, name, k, value), "not finite")
    assert text.startswith(f"step {k}: times not finite")


def test_infinite_last_step_is_refused(tiny: ServingInstance, tiny_run: ServingSchedule) -> None:
    # start and end both infinite: end - start is NaN, which no duration check refused
    s = _set(_set(tiny_run, "step_start", -1, np.inf), "step_end", -1, np.inf)
    assert _refused(tiny, s, "not finite").startswith(f"step {s.num_steps - 1}: times not finite")
