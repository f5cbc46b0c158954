"""The compiled (numba) replay of :func:`schedgym.llm.validate.validate_schedule`.

:func:`token_times` replays a :class:`~schedgym.llm.schedule.ServingSchedule` with the rules of
:mod:`schedgym.llm.validate` (read them there), step by step and transfer by transfer in one
compiled loop (:func:`replay`), instead of a dozen numpy calls per step. It makes every check of
the reference replay (:func:`~schedgym.llm.replay_reference.reference_replay`) in the same order
and raises :class:`~schedgym.core.errors.InvalidScheduleError` with the same text; its token
times are equal bit for bit, so the metrics are too (``tests/llm/test_validate_speed.py`` checks
both).

The work is split by role: :mod:`schedgym.llm.replay_cost` evaluates the cost model exactly as
:class:`~schedgym.llm.cost.ReplicaCost` does (the tables, :func:`pairwise_sum`,
:func:`prefill_attention`, :func:`cost_constants`), :mod:`schedgym.llm.replay_steps` checks and
replays one step (:func:`~schedgym.llm.replay_steps.replay_step`), and this module replays the
transfer events and the whole loop, then words a failure from the state the kernel left (a code,
``OK`` when none, with the step or transfer in ``state.info[AT]``: :data:`STEP_MESSAGES`,
:data:`TRANSFER_MESSAGES`).

The kernel takes arrays of fixed dtypes and well-formed shapes only (:func:`supports`); any
other schedule goes to the reference replay, which then fails as it always did.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from schedgym.core.errors import InvalidScheduleError
from schedgym.llm.cost import ReplicaCost
from schedgym.llm.hardware import ReplicaType
from schedgym.llm.instance import ServingInstance
from schedgym.llm.replay_cost import Pool, cost_pool
from schedgym.llm.replay_cost import cost_constants as cost_constants  # re-exported
from schedgym.llm.replay_cost import pairwise_sum as pairwise_sum  # re-exported
from schedgym.llm.replay_cost import prefill_attention as prefill_attention  # re-exported
from schedgym.llm.replay_reference import Replayed
from schedgym.llm.replay_steps import (
    AT,
    CACHE,
    DURATION,
    FINISH,
    FIRST,
    GENERATED,
    LAST,
    NEED_TABLE,
    OK,
    PREFILLED,
    READY,
    REQUEST,
    RESERVED,
    SEEN,
    SLACK,
    SRC_HOLD,
    STEP_MESSAGES,
    TARGET,
    TIME,
    VALUE,
    WHERE,
    Requests,
    State,
    Steps,
    ceil_div,
    replay_step,
)
from schedgym.llm.schedule import ARRAYS, FLOAT_ARRAYS, TRANSFER_ARRAYS, ServingSchedule

# Failure codes of a transfer event (worded "transfer T of request I (SRC -> DST): ..."), after
# the step codes of :mod:`schedgym.llm.replay_steps`.
T_RELEASE, T_RESIDENT, T_TOKENS, T_START, T_MODEL, T_SHORT, T_CAPACITY = range(21, 28)
T_FINISHED = 28

#: Texts of transfer failures (after "transfer T of request I (SRC -> DST): "), formatted with
#: ``tokens``, ``cache`` (the request's cached tokens), ``held`` (the destination's KV blocks),
#: ``dst``, ``time`` (the transfer's start), ``elapsed`` (end - start) and ``need`` (the cost
#: model's time).
TRANSFER_MESSAGES = {
    T_RELEASE: "released before it began",
    T_FINISHED: "the request has finished",
    T_RESIDENT: "not resident and prefilled on the source",
    T_TOKENS: "moves {tokens} tokens, the cache holds {cache}",
    T_START: "starts at {time} before its last step ends",
    T_MODEL: "the replicas serve different models",
    T_SHORT: "lasts {elapsed:.9f} s, the cost model needs {need:.9f} s",
    T_CAPACITY: "holds {held} KV blocks on replica {dst}",
}


class Transfers(NamedTuple):
    """The schedule's transfer arrays, each transfer's minimum time, and the sorted events."""

    request: np.ndarray  # (T,) int64, values in [0, n)
    src: np.ndarray  # (T,) int64
    dst: np.ndarray  # (T,) int64
    tokens: np.ndarray  # (T,) int64
    start: np.ndarray  # (T,) float64
    end: np.ndarray  # (T,) float64
    need: np.ndarray  # (T,) float64: ReplicaCost.kv_transfer of the source over the link
    event_pos: np.ndarray  # (E,) int64: the step count the event is replayed after
    event_kind: np.ndarray  # (E,) int64: 1 begin, 0 release
    event_transfer: np.ndarray  # (E,) int64


# -- transfers and the whole replay -----------------------------------------------------------


@numba.njit(cache=True)
def _transfer(e: int, rq: Requests, tr: Transfers, pool: Pool, state: State, rtol: float) -> int:
    """Replay event ``e``: a transfer's release of its source blocks, or its begin (the request
    moves to the destination, which holds its blocks from now on)."""
    req, times = state.req, state.times
    t = tr.event_transfer[e]
    state.info[AT] = t
    i, src, dst = tr.request[t], tr.src[t], tr.dst[t]
    start, end = tr.start[t], tr.end[t]
    if tr.event_kind[e] == 0:
        if req[SRC_HOLD, i] == 0:
            return T_RELEASE
        state.held[src] -= req[SRC_HOLD, i]
        req[SRC_HOLD, i] = 0
        if end > state.floor[src]:  # Python's max(floor, end)
            state.floor[src] = end
        return OK
    tokens = tr.tokens[t]
    if req[GENERATED, i] >= rq.output[i]:
        return T_FINISHED
    if req[WHERE, i] != src or req[RESERVED, i] == 0 or req[PREFILLED, i] != req[TARGET, i]:
        return T_RESIDENT
    if tokens != req[CACHE, i]:
        return T_TOKENS
    if start < times[LAST, i] - SLACK:
        return T_START
    if not pool.same_model[src, dst]:
        return T_MODEL
    if end - start < tr.need[t] * (1.0 - rtol):
        return T_SHORT
    blocks = ceil_div(tokens, pool.block)
    req[SRC_HOLD, i] = req[RESERVED, i]
    req[RESERVED, i] = blocks
    state.held[dst] += blocks
    if state.held[dst] > pool.capacity[dst]:
        return T_CAPACITY
    req[WHERE, i] = dst
    times[READY, i] = end
    return OK


@numba.njit(cache=True)
def replay(rq: Requests, st: Steps, tr: Transfers, pool: Pool, state: State, rtol: float) -> int:
    """Replay every step, each transfer event after the steps recorded before it; ``OK`` or
    the first failure's code (its details in ``state``)."""
    num_steps = len(st.start)
    e = 0
    for s in range(num_steps + 1):
        while e < len(tr.event_pos) and tr.event_pos[e] == s:
            code = _transfer(e, rq, tr, pool, state, rtol)
            if code != OK:
                return code
            e += 1
        if s < num_steps:
            code = replay_step(s, rq, st, pool, state, rtol)
            if code != OK:
                return code
    return OK


# -- the Python side --------------------------------------------------------------------------

#: The schedule's integer arrays the kernel reads (the transfers' event positions are read by
#: :func:`~schedgym.llm.replay_reference.transfer_events`, in Python).
_INT_ARRAYS = tuple(
    name
    for name in (*ARRAYS, *TRANSFER_ARRAYS)
    if name not in FLOAT_ARRAYS and name not in ("transfer_begin_pos", "transfer_release_pos")
)


def _within(values: np.ndarray, top: int) -> bool:
    """Whether every value is in ``[0, top)``."""
    return not len(values) or (int(values.min()) >= 0 and int(values.max()) < top)


def supports(instance: ServingInstance, schedule: ServingSchedule) -> bool:
    """Whether the kernel can replay ``schedule``: 1-D arrays of signed integer and float
    dtypes (the arrival times float64: the reference compares them with a step's start in their
    own precision), step arrays at least ``num_steps`` long, pointers within their arrays, every
    request index a request (numpy would wrap a negative one, or raise on a large one)."""
    w = instance.workload
    n, steps = w.num_requests, schedule.num_steps
    ints = [getattr(schedule, name) for name in _INT_ARRAYS] + [w.prompt_tokens, w.output_tokens]
    floats = [getattr(schedule, name) for name in FLOAT_ARRAYS] + [w.arrivals]
    if any(not isinstance(a, np.ndarray) or a.ndim != 1 for a in ints + floats):
        return False
    if any(a.dtype.kind != "i" for a in ints) or any(a.dtype.kind != "f" for a in floats):
        return False
    if w.arrivals.dtype != np.float64:
        return False
    step_arrays = (schedule.step_replica, schedule.step_end, schedule.step_repeat)
    if any(len(a) < steps for a in step_arrays):
        return False
    if len(schedule.member_prefill) != len(schedule.member_request):
        return False
    for ptr, items in (
        (schedule.member_ptr, schedule.member_request),
        (schedule.preempt_ptr, schedule.preempt_request),
    ):
        if len(ptr) < steps + 1 or not _within(ptr[: steps + 1], len(items) + 1):
            return False
    requests = (schedule.member_request, schedule.preempt_request, schedule.transfer_request)
    return all(_within(a, n) for a in requests)


def _state(route: np.ndarray, replicas: int, gap_capacity: int) -> State:
    """A fresh replay state: every request on its routed replica, nothing held, no token."""
    n = len(route)
    req = np.zeros((SEEN + 1, n), np.int64)
    req[WHERE] = route
    req[SEEN] = -1
    times = np.full((FINISH + 1, n), np.nan)
    times[READY] = -np.inf
    return State(
        req=req,
        times=times,
        held=np.zeros(replicas, np.int64),
        busy=np.full(replicas, -np.inf),
        floor=np.full(replicas, -np.inf),
        gaps=np.zeros(gap_capacity),
        weights=np.zeros(gap_capacity),
        recorded=np.zeros(1, np.int64),
        info=np.zeros(3, np.int64),
        seconds=np.zeros(2),
    )


def _ints(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, np.int64)


def _floats(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, np.float64)


def _steps(schedule: ServingSchedule) -> Steps:
    """The kernel's view of the steps (cut to ``num_steps``, pointers to one more)."""
    s, steps = schedule, schedule.num_steps
    return Steps(
        _ints(s.step_replica[:steps]),
        _floats(s.step_start),
        _floats(s.step_end[:steps]),
        _ints(s.step_repeat[:steps]),
        _ints(s.member_ptr[: steps + 1]),
        _ints(s.member_request),
        _ints(s.member_prefill),
        _ints(s.preempt_ptr[: steps + 1]),
        _ints(s.preempt_request),
    )


def _transfers(
    instance: ServingInstance,
    schedule: ServingSchedule,
    events: list[tuple[int, float, int, int]],
    costs: dict[ReplicaType, ReplicaCost],
    link: float,
) -> Transfers:
    """The kernel's view of the transfers, each one's minimum time over ``link`` (the source's
    :meth:`ReplicaCost.kv_transfer`) and the ``events`` as the validator sorted them."""
    s, replicas = schedule, instance.cluster.replicas
    need = [
        costs[replicas[int(src)]].kv_transfer(int(tokens), link)
        for src, tokens in zip(s.transfer_src, s.transfer_tokens, strict=True)
    ]
    return Transfers(
        _ints(s.transfer_request),
        _ints(s.transfer_src),
        _ints(s.transfer_dst),
        _ints(s.transfer_tokens),
        _floats(s.transfer_start),
        _floats(s.transfer_end),
        np.array(need, np.float64),
        np.array([e[0] for e in events], np.int64),
        np.array([e[2] for e in events], np.int64),
        np.array([e[3] for e in events], np.int64),
    )


def _gap_capacity(schedule: ServingSchedule, output_tokens: np.ndarray) -> int:
    """An upper bound on the gaps the replay records: a step records at most one per member
    plus ``repeat - 1``, and a step that records runs no more iterations than a request has
    tokens (the members of the steps replayed are disjoint slices of ``member_request``)."""
    most = int(output_tokens.max()) if len(output_tokens) else 0
    repeats = np.clip(schedule.step_repeat[: schedule.num_steps], 0, most)
    return len(schedule.member_request) + int(repeats.sum()) + 1


def _raise(code: int, state: State, schedule: ServingSchedule, tr: Transfers, pool: Pool) -> None:
    """Raise the kernel's failure ``code`` worded as the reference replay words it, from the
    state the kernel left."""
    at = int(state.info[AT])
    if code in STEP_MESSAGES:
        r = int(schedule.step_replica[at])
        known = 0 <= r < len(pool.capacity)
        text = STEP_MESSAGES[code].format(
            request=int(state.info[REQUEST]),
            replica=r,
            held=int(state.held[r]) if known else 0,
            capacity=int(pool.capacity[r]) if known else 0,
            time=float(state.seconds[TIME]),
            end=float(schedule.step_end[at]),
            elapsed=float(schedule.step_end[at]) - float(schedule.step_start[at]),
            duration=float(state.seconds[DURATION]),
        )
        raise InvalidScheduleError(f"step {at}: {text}")
    if code in TRANSFER_MESSAGES:
        i, src, dst = int(tr.request[at]), int(tr.src[at]), int(tr.dst[at])
        start, end = float(tr.start[at]), float(tr.end[at])
        text = TRANSFER_MESSAGES[code].format(
            tokens=int(tr.tokens[at]),
            cache=int(state.req[CACHE, i]),
            held=int(state.held[dst]),
            dst=dst,
            time=start,
            elapsed=end - start,
            need=float(tr.need[at]),
        )
        raise InvalidScheduleError(f"transfer {at} of request {i} ({src} -> {dst}): {text}")
    raise RuntimeError(f"validate_kernel: internal failure {code} at {at}")


def token_times(
    instance: ServingInstance,
    schedule: ServingSchedule,
    events: list[tuple[int, float, int, int]],
    link: float,
    rtol: float,
) -> Replayed:
    """Replay ``schedule`` (one the kernel :func:`supports`) with the transfer ``events`` as
    the validator sorted them, transfers over ``link`` bytes/s, durations within ``rtol`` of
    the cost model's; raise the first failure as the reference replay does."""
    replicas = instance.cluster.replicas
    costs = {r: ReplicaCost(r) for r in set(replicas)}
    rq = Requests(
        _floats(instance.workload.arrivals),
        _ints(instance.workload.prompt_tokens),
        _ints(instance.workload.output_tokens),
    )
    st, tr = _steps(schedule), _transfers(instance, schedule, events, costs, link)
    capacity = _gap_capacity(schedule, rq.output)
    tokens = 0
    while True:  # rerun from the start with longer tables when a step needs them (rare)
        pool = cost_pool(instance, costs, tokens)
        state = _state(schedule.request_replica, len(replicas), capacity)
        code = replay(rq, st, tr, pool, state, rtol)
        if code != NEED_TABLE:
            break
        tokens = int(state.info[VALUE])
    if code != OK:
        _raise(code, state, schedule, tr, pool)
    n = int(state.recorded[0])
    return Replayed(
        state.times[FIRST],
        state.times[FINISH],
        state.gaps[:n].copy(),
        state.weights[:n].copy(),
        state.req[SRC_HOLD],
        state.req[GENERATED],
    )
