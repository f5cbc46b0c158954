"""The compiled checks of one step of a serving schedule's replay, and the replay state.

:func:`replay_step` replays step ``s`` of a :class:`~schedgym.llm.schedule.ServingSchedule`
with the rules of :mod:`schedgym.llm.validate` (read them there): it makes every check of the
reference replay (:func:`~schedgym.llm.replay_reference.reference_replay`) for a step in the
same order, then records the step's tokens and inter-token gaps. Iteration times are the cost
model's, evaluated bit for bit as :mod:`schedgym.llm.replay_cost` does. A failure is a code
(``OK`` when none); the state is left as it was at the failure, with the step in
``state.info[AT]``, and :mod:`schedgym.llm.validate_kernel` words it from there with
:data:`STEP_MESSAGES`.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from schedgym.llm.replay_cost import (
    DECODE_FIXED,
    DECODE_PER_TOKEN,
    LAYERS,
    Pool,
    pairwise_sum,
    prefill_attention,
)

# Rows of State.req (int64, one column per request).
WHERE, TARGET, PREFILLED, CACHE, GENERATED, RESERVED, SRC_HOLD, SEEN = range(8)
# Rows of State.times (float64, one column per request).
READY, FIRST, LAST, FINISH = range(4)
# Entries of State.info (int64) and State.seconds (float64).
AT, REQUEST, VALUE = range(3)
TIME, DURATION = range(2)

# Failure codes of a step (worded "step S: ..."), and the kernel's own; a transfer event's are
# :mod:`schedgym.llm.validate_kernel`'s.
OK = 0
BAD_STEP, BUSY, FLOOR, PREEMPT, BATCH, ROUTE, ARRIVAL, CHUNK = range(1, 9)
PAST_PROMPT, NOT_PREFILLED, BEFORE_TRANSFER, PAST_LAST, CAPACITY, LENGTH = range(9, 15)
NOT_FINITE, FINISHED = range(15, 17)
NEED_TABLE = 98  # a step needs more tokens (info[VALUE]) than the cost tables hold: grow, rerun
OVERFLOW = 99  # the gap buffer is too small (a bug: its size is an upper bound)

#: Texts of step failures, formatted with ``request`` (preempted or finished), ``replica``,
#: ``held`` (its KV blocks), ``capacity``, ``time`` (the step's start), ``end``, ``elapsed``
#: (end - start) and ``duration`` (the cost model's).
STEP_MESSAGES = {
    BAD_STEP: "bad replica or repeat",
    NOT_FINITE: "times not finite (starts at {time}, ends at {end})",
    BUSY: "starts at {time} before replica {replica}'s previous step ends",
    FLOOR: "starts at {time}, before a transfer out of replica {replica} ends",
    PREEMPT: "request {request} preempted but not running on replica {replica}",
    BATCH: "empty batch or a request twice",
    ROUTE: "serves a request routed to another replica than {replica}",
    ARRIVAL: "serves a request before it arrives",
    FINISHED: "serves request {request} after it finished",
    CHUNK: "negative chunk or a repeated prefill step",
    PAST_PROMPT: "a prompt chunk runs past its prompt",
    NOT_PREFILLED: "decodes a request whose prompt is not processed",
    BEFORE_TRANSFER: "decodes a request before its KV-cache transfer ends",
    PAST_LAST: "decodes past a request's last token",
    CAPACITY: "holds {held} KV blocks on replica {replica} (capacity {capacity})",
    LENGTH: "lasts {elapsed:.9f} s, the cost model says {duration:.9f} s",
}

SLACK = 1e-9  # the validator's slack on time comparisons (s)


class Requests(NamedTuple):
    """The workload's arrays."""

    arrival: np.ndarray  # (n,) float64
    prompt: np.ndarray  # (n,) int64
    output: np.ndarray  # (n,) int64


class Steps(NamedTuple):
    """The schedule's step arrays (``num_steps`` long; the pointers one more)."""

    replica: np.ndarray  # int64
    start: np.ndarray  # float64
    end: np.ndarray  # float64
    repeat: np.ndarray  # int64
    member_ptr: np.ndarray  # int64, values in [0, len(member_request)]
    member_request: np.ndarray  # int64, values in [0, n)
    member_prefill: np.ndarray  # int64
    preempt_ptr: np.ndarray  # int64, values in [0, len(preempt_request)]
    preempt_request: np.ndarray  # int64, values in [0, n)


class State(NamedTuple):
    """The replay state, the recorded gaps and the failure details."""

    req: np.ndarray  # (8, n) int64, rows WHERE ... SEEN
    times: np.ndarray  # (4, n) float64, rows READY, FIRST, LAST, FINISH
    held: np.ndarray  # (R,) int64 KV blocks held
    busy: np.ndarray  # (R,) float64: the end of the replica's last step
    floor: np.ndarray  # (R,) float64: steps may not start before a released transfer's end
    gaps: np.ndarray  # (cap,) float64 inter-token gaps
    weights: np.ndarray  # (cap,) float64 their weights
    recorded: np.ndarray  # (1,) int64: gaps recorded so far
    info: np.ndarray  # (3,) int64: the step or transfer replayed, entries AT, REQUEST, VALUE
    seconds: np.ndarray  # (2,) float64, entries TIME, DURATION


@numba.njit(cache=True)
def ceil_div(a: int, b: int) -> int:
    """``-(-a // b)`` (floor division as Python's)."""
    return -(-a // b)


# -- one step ---------------------------------------------------------------------------------


@numba.njit(cache=True)
def _preempt(s: int, r: int, st: Steps, state: State) -> int:
    """Drop the KV cache of the requests preempted before step ``s``."""
    req = state.req
    for p in range(st.preempt_ptr[s], st.preempt_ptr[s + 1]):
        i = st.preempt_request[p]
        if req[WHERE, i] != r or req[RESERVED, i] == 0:
            state.info[REQUEST] = i
            return PREEMPT
        state.held[r] -= req[RESERVED, i]
        req[RESERVED, i] = 0
        req[PREFILLED, i] = 0
        req[CACHE, i] = 0
    return OK


@numba.njit(cache=True)
def _check_batch(
    s: int, r: int, lo: int, hi: int, start: float, k: int, rq: Requests, st: Steps, state: State
) -> int:
    """The batch of members ``lo:hi``: not empty, no request twice, all routed to ``r``,
    arrived by ``start`` and not finished, no negative chunk, and prompt work only in single
    iterations."""
    req = state.req
    if hi <= lo:
        return BATCH
    for m in range(lo, hi):
        i = st.member_request[m]
        if req[SEEN, i] == s:
            return BATCH
        req[SEEN, i] = s
    for m in range(lo, hi):
        if req[WHERE, st.member_request[m]] != r:
            return ROUTE
    for m in range(lo, hi):
        if rq.arrival[st.member_request[m]] > start + SLACK:
            return ARRIVAL
    for m in range(lo, hi):
        i = st.member_request[m]
        if req[GENERATED, i] >= rq.output[i]:  # no work after the last token (finish is final)
            state.info[REQUEST] = i
            return FINISHED
    prompts = 0
    for m in range(lo, hi):
        if st.member_prefill[m] < 0:
            return CHUNK
        prompts += st.member_prefill[m] > 0
    if prompts and k != 1:
        return CHUNK
    return OK


@numba.njit(cache=True)
def _reserve_prompts(
    r: int, lo: int, hi: int, rq: Requests, st: Steps, pool: Pool, state: State
) -> None:
    """A request's first chunk (nothing reserved) reserves its whole prompt (plus the tokens
    generated before a preemption)."""
    req = state.req
    for m in range(lo, hi):
        i = st.member_request[m]
        if st.member_prefill[m] > 0 and req[RESERVED, i] == 0:
            req[TARGET, i] = rq.prompt[i] + req[GENERATED, i]
            need = ceil_div(req[TARGET, i], pool.block)
            req[RESERVED, i] = need
            state.held[r] += need


@numba.njit(cache=True)
def _check_progress(
    s: int, lo: int, hi: int, start: float, k: int, rq: Requests, st: Steps, state: State
) -> int:
    """Chunks within their prompts; decodes of prefilled requests, after their transfer, up to
    their last token (each check over the whole batch before the next)."""
    req, times = state.req, state.times
    for m in range(lo, hi):
        i, chunk = st.member_request[m], st.member_prefill[m]
        if chunk > 0 and req[PREFILLED, i] + chunk > req[TARGET, i]:
            return PAST_PROMPT
    for m in range(lo, hi):
        i = st.member_request[m]
        if st.member_prefill[m] == 0 and (
            req[RESERVED, i] == 0 or req[PREFILLED, i] != req[TARGET, i]
        ):
            return NOT_PREFILLED
    for m in range(lo, hi):
        i = st.member_request[m]
        if st.member_prefill[m] == 0 and times[READY, i] > start + SLACK:
            return BEFORE_TRANSFER
    for m in range(lo, hi):
        i = st.member_request[m]
        if st.member_prefill[m] == 0 and req[GENERATED, i] + k > rq.output[i]:
            return PAST_LAST
    return OK


@numba.njit(cache=True)
def _grow_decodes(r: int, lo: int, hi: int, k: int, st: Steps, pool: Pool, state: State) -> None:
    """Reserve the blocks the ``k`` tokens each decode appends need."""
    req = state.req
    for m in range(lo, hi):
        i = st.member_request[m]
        if st.member_prefill[m] == 0:
            grow = max(ceil_div(req[CACHE, i] + k, pool.block) - req[RESERVED, i], 0)
            state.held[r] += grow
            req[RESERVED, i] += grow


@numba.njit(cache=True)
def _durations(
    s: int, r: int, lo: int, hi: int, k: int, st: Steps, pool: Pool, state: State
) -> np.ndarray:
    """The cost model's iteration times of the step (:meth:`ReplicaCost.iteration` for a step
    with prompt work, :meth:`ReplicaCost.decode_run` for ``k`` decode iterations); an empty
    array (``NEED_TABLE`` recorded) when the tables are too short."""
    req = state.req
    c = pool.cost[r]
    consts = pool.consts[c]
    prompts = decodes = chunk_tokens = completes = context = 0
    for m in range(lo, hi):
        i, chunk = st.member_request[m], st.member_prefill[m]
        if chunk > 0:
            prompts += 1
            chunk_tokens += chunk
            completes += req[PREFILLED, i] + chunk == req[TARGET, i]
        else:
            decodes += 1
            context += req[CACHE, i] + 1
    tokens = chunk_tokens + decodes
    if tokens >= pool.linear.shape[1]:
        state.info[VALUE] = tokens
        return np.zeros(0)
    if prompts == 0:
        alpha = (pool.linear[c, decodes] + pool.head[c, decodes]) + consts[DECODE_FIXED]
        beta = consts[DECODE_PER_TOKEN]
        out = np.empty(k)
        for j in range(k):
            out[j] = alpha + beta * float(context + decodes * j)
        return out
    new, past = np.empty(prompts), np.empty(prompts)
    p = 0
    for m in range(lo, hi):
        if st.member_prefill[m] > 0:
            new[p], past[p] = st.member_prefill[m], req[PREFILLED, st.member_request[m]]
            p += 1
    seconds = pool.linear[c, tokens] + pool.head[c, completes + decodes]
    seconds += consts[LAYERS] * prefill_attention(consts, new, past)
    if decodes:
        seconds += consts[DECODE_FIXED] + consts[DECODE_PER_TOKEN] * float(context)
    out = np.empty(1)
    out[0] = seconds
    return out


@numba.njit(cache=True)
def _add_gap(state: State, gap: float, weight: float) -> None:
    """Append one inter-token gap (the buffer's size is checked per step)."""
    n = state.recorded[0]
    state.gaps[n] = gap
    state.weights[n] = weight
    state.recorded[0] = n + 1


@numba.njit(cache=True)
def _record(
    r: int,
    lo: int,
    hi: int,
    start: float,
    end: float,
    durations: np.ndarray,
    rq: Requests,
    st: Steps,
    state: State,
) -> None:
    """The step's tokens: each decode appends ``k`` (gaps: the first from its last token, then
    the iteration times), each chunk extends its prompt (a completed prompt yields a token:
    the first, or after a preemption a gap from the last); finished requests free their
    blocks."""
    req, times = state.req, state.times
    k = len(durations)
    decodes = 0
    for m in range(lo, hi):
        if st.member_prefill[m] == 0:
            i = st.member_request[m]
            _add_gap(state, start + durations[0] - times[LAST, i], 1.0)
            decodes += 1
    if decodes and k > 1:
        for j in range(1, k):
            _add_gap(state, durations[j], float(decodes))
    for m in range(lo, hi):
        i, chunk = st.member_request[m], st.member_prefill[m]
        if chunk == 0:
            req[CACHE, i] += k
            req[GENERATED, i] += k
            times[LAST, i] = end
    for m in range(lo, hi):
        i, chunk = st.member_request[m], st.member_prefill[m]
        if chunk > 0:
            req[PREFILLED, i] += chunk
            req[CACHE, i] += chunk
            if req[PREFILLED, i] == req[TARGET, i]:
                if not np.isnan(times[LAST, i]):
                    _add_gap(state, end - times[LAST, i], 1.0)
                req[GENERATED, i] += 1
                if np.isnan(times[FIRST, i]):
                    times[FIRST, i] = end
                times[LAST, i] = end
    for m in range(lo, hi):
        i = st.member_request[m]
        if req[GENERATED, i] >= rq.output[i]:
            times[FINISH, i] = end
            state.held[r] -= req[RESERVED, i]
            req[RESERVED, i] = 0


@numba.njit(cache=True)
def replay_step(s: int, rq: Requests, st: Steps, pool: Pool, state: State, rtol: float) -> int:
    """Replay step ``s``: its checks in the reference's order, then its tokens."""
    r, k = st.replica[s], st.repeat[s]
    start, end = st.start[s], st.end[s]
    state.info[AT], state.seconds[TIME] = s, start
    if not 0 <= r < len(pool.capacity) or k < 1:
        return BAD_STEP
    if not (np.isfinite(start) and np.isfinite(end)):  # NaN would pass every comparison
        return NOT_FINITE
    if start < state.busy[r] - SLACK:
        return BUSY
    if start < state.floor[r] - SLACK:
        return FLOOR
    state.busy[r] = end
    code = _preempt(s, r, st, state)
    if code != OK:
        return code
    lo, hi = st.member_ptr[s], st.member_ptr[s + 1]
    code = _check_batch(s, r, lo, hi, start, k, rq, st, state)
    if code != OK:
        return code
    _reserve_prompts(r, lo, hi, rq, st, pool, state)
    code = _check_progress(s, lo, hi, start, k, rq, st, state)
    if code != OK:
        return code
    _grow_decodes(r, lo, hi, k, st, pool, state)
    if state.held[r] > pool.capacity[r]:
        return CAPACITY
    durations = _durations(s, r, lo, hi, k, st, pool, state)
    if not len(durations):
        return NEED_TABLE
    total = pairwise_sum(durations, 0, len(durations))
    state.seconds[DURATION] = total
    scale = 1e-3 if total < 1e-3 else total  # Python's max(total, 1e-3)
    if abs((end - start) - total) > rtol * scale:
        return LENGTH
    if state.recorded[0] + (hi - lo) + len(durations) > len(state.gaps):
        return OVERFLOW
    _record(r, lo, hi, start, end, durations, rq, st, state)
    return OK
