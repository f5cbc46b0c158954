"""The reference replay of :func:`schedgym.llm.validate.validate_schedule`, and what the two
replays share.

:func:`reference_replay` replays a :class:`~schedgym.llm.schedule.ServingSchedule` with the
rules of :mod:`schedgym.llm.validate` (read them there) as a plain numpy loop over the steps. It
is the specification the compiled replay (:mod:`schedgym.llm.validate_kernel`) is checked
against: both make the same checks in the same order, raise
:class:`~schedgym.core.errors.InvalidScheduleError` with the same text and return equal
:class:`Replayed` results (``tests/llm/test_validate_speed.py``); it also replays the schedules
whose arrays the kernel does not take. Both replay the transfer events of
:func:`transfer_events` after the steps recorded before them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from schedgym.core.errors import InvalidScheduleError
from schedgym.llm.cost import ReplicaCost
from schedgym.llm.hardware import ReplicaType
from schedgym.llm.instance import BLOCK_TOKENS, ServingInstance
from schedgym.llm.schedule import ServingSchedule


class Replayed(NamedTuple):
    """What the validator's closing checks and metrics need from a replay (either one)."""

    first: np.ndarray  # (n,) first-token times (NaN: none)
    finish: np.ndarray  # (n,) finish times (NaN: unfinished)
    gaps: np.ndarray  # inter-token gaps in the order recorded
    weights: np.ndarray  # their weights
    src_hold: np.ndarray  # (n,) blocks a transfer's source still holds
    generated: np.ndarray  # (n,) tokens produced


def transfer_events(schedule: ServingSchedule, replicas: int) -> list[tuple[int, float, int, int]]:
    """``(position, time, kind, transfer)`` sorted: begins (kind 1) at the start, releases
    (kind 0, first on ties) at the end. A transfer's times must be finite (a NaN would pass
    every time check of both replays, and the sort)."""
    t_count = len(schedule.transfer_request)
    arrays = (
        schedule.transfer_src,
        schedule.transfer_dst,
        schedule.transfer_tokens,
        schedule.transfer_start,
        schedule.transfer_end,
        schedule.transfer_begin_pos,
        schedule.transfer_release_pos,
    )
    if any(len(a) != t_count for a in arrays):
        raise InvalidScheduleError("transfer arrays differ in length")
    events: list[tuple[int, float, int, int]] = []
    for t in range(t_count):
        begin, release = int(schedule.transfer_begin_pos[t]), int(schedule.transfer_release_pos[t])
        src, dst = int(schedule.transfer_src[t]), int(schedule.transfer_dst[t])
        ok = 0 <= begin <= release <= schedule.num_steps and src != dst
        if not ok or not (0 <= src < replicas and 0 <= dst < replicas):
            raise InvalidScheduleError(f"transfer {t}: bad replicas or positions")
        start, end = float(schedule.transfer_start[t]), float(schedule.transfer_end[t])
        if not (math.isfinite(start) and math.isfinite(end)):
            i = int(schedule.transfer_request[t])
            raise InvalidScheduleError(
                f"transfer {t} of request {i} ({src} -> {dst}): times not finite "
                f"(starts at {start}, ends at {end})"
            )
        events.append((begin, start, 1, t))
        events.append((release, end, 0, t))
    events.sort()
    return events


@dataclass
class _State:
    """The validator's replay state that transfers change."""

    where: np.ndarray
    ready: np.ndarray
    floor: list[float]
    src_hold: np.ndarray
    held: list[int]
    capacity: list[int]
    reserved: np.ndarray
    prefilled: np.ndarray
    target: np.ndarray
    costs: dict[ReplicaType, ReplicaCost]


def _fail(step: int, message: str) -> None:
    """Raise the failure ``message`` of step ``step``."""
    raise InvalidScheduleError(f"step {step}: {message}")


def reference_replay(
    instance: ServingInstance,
    schedule: ServingSchedule,
    events: list[tuple[int, float, int, int]],
    link: float,
    rtol: float,
) -> Replayed:
    """The replay as a plain numpy loop over the steps: the specification the compiled
    replay (:mod:`schedgym.llm.validate_kernel`) is checked against, and the replay of
    schedules whose arrays the kernel does not take. Transfers run over ``link`` bytes/s and
    durations are within ``rtol`` of the cost model's; the first failure is raised."""
    w, replicas = instance.workload, instance.cluster.replicas
    n = w.num_requests
    route = schedule.request_replica
    costs = {r: ReplicaCost(r) for r in set(replicas)}
    capacity = [r.kv_capacity_tokens // BLOCK_TOKENS for r in replicas]
    held = [0] * len(replicas)
    busy_until = [-np.inf] * len(replicas)
    target = np.zeros(n, np.int64)
    prefilled = np.zeros(n, np.int64)
    cache = np.zeros(n, np.int64)
    generated = np.zeros(n, np.int64)
    reserved = np.zeros(n, np.int64)
    first = np.full(n, np.nan)
    last = np.full(n, np.nan)
    finish = np.full(n, np.nan)
    gaps: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    where = route.copy()  # the replica holding the request now
    ready = np.full(n, -np.inf)  # decodes on the current replica may start from here
    floor = [-np.inf] * len(replicas)  # steps may not start before a released transfer's end
    src_hold = np.zeros(n, np.int64)
    ev = 0
    state = _State(
        where, ready, floor, src_hold, held, capacity, reserved, prefilled, target, costs
    )
    for s in range(schedule.num_steps + 1):
        while ev < len(events) and events[ev][0] == s:
            _replay_transfer(
                instance, schedule, state, events[ev], link, rtol, cache, generated, last
            )
            ev += 1
        if s == schedule.num_steps:
            break
        r = int(schedule.step_replica[s])
        start, end, k = (
            float(schedule.step_start[s]),
            float(schedule.step_end[s]),
            int(schedule.step_repeat[s]),
        )
        if not 0 <= r < len(replicas) or k < 1:
            _fail(s, "bad replica or repeat")
        if not (math.isfinite(start) and math.isfinite(end)):  # NaN passes every comparison
            _fail(s, f"times not finite (starts at {start}, ends at {end})")
        if start < busy_until[r] - 1e-9:
            _fail(s, f"starts at {start} before replica {r}'s previous step ends")
        if start < floor[r] - 1e-9:
            _fail(s, f"starts at {start}, before a transfer out of replica {r} ends")
        busy_until[r] = end
        for i in schedule.preempt_request[schedule.preempt_ptr[s] : schedule.preempt_ptr[s + 1]]:
            if where[i] != r or reserved[i] == 0:
                _fail(s, f"request {i} preempted but not running on replica {r}")
            held[r] -= int(reserved[i])
            reserved[i] = prefilled[i] = cache[i] = 0
        members = schedule.member_request[schedule.member_ptr[s] : schedule.member_ptr[s + 1]]
        chunks = schedule.member_prefill[schedule.member_ptr[s] : schedule.member_ptr[s + 1]]
        if not len(members) or len(np.unique(members)) != len(members):
            _fail(s, "empty batch or a request twice")
        if np.any(where[members] != r):
            _fail(s, f"serves a request routed to another replica than {r}")
        if np.any(w.arrivals[members] > start + 1e-9):
            _fail(s, "serves a request before it arrives")
        finished = members[generated[members] >= w.output_tokens[members]]
        if len(finished):  # no work after the last token (a finish time is final)
            _fail(s, f"serves request {int(finished[0])} after it finished")
        pre, ch, dec = members[chunks > 0], chunks[chunks > 0], members[chunks == 0]
        if np.any(chunks < 0) or (len(pre) and k != 1):
            _fail(s, "negative chunk or a repeated prefill step")
        fresh = pre[reserved[pre] == 0]
        target[fresh] = w.prompt_tokens[fresh] + generated[fresh]
        need = -(-target[fresh] // BLOCK_TOKENS)
        reserved[fresh] = need
        held[r] += int(need.sum())
        if np.any(prefilled[pre] + ch > target[pre]):
            _fail(s, "a prompt chunk runs past its prompt")
        if np.any(reserved[dec] == 0) or np.any(prefilled[dec] != target[dec]):
            _fail(s, "decodes a request whose prompt is not processed")
        if np.any(ready[dec] > start + 1e-9):
            _fail(s, "decodes a request before its KV-cache transfer ends")
        if np.any(generated[dec] + k > w.output_tokens[dec]):
            _fail(s, "decodes past a request's last token")
        grow = np.maximum(-(-(cache[dec] + k) // BLOCK_TOKENS) - reserved[dec], 0)
        held[r] += int(grow.sum())
        reserved[dec] += grow
        if held[r] > capacity[r]:
            _fail(s, f"holds {held[r]} KV blocks on replica {r} (capacity {capacity[r]})")
        cost = costs[replicas[r]]
        context = int((cache[dec] + 1).sum())
        if len(pre):
            completes = int((prefilled[pre] + ch == target[pre]).sum())
            durations = np.array(
                [cost.iteration(ch, prefilled[pre], completes + len(dec), len(dec), context)]
            )
        else:
            alpha, beta = cost.decode_run(len(dec), context)
            durations = alpha + beta * (context + len(dec) * np.arange(k))
        if abs((end - start) - durations.sum()) > rtol * max(durations.sum(), 1e-3):
            _fail(s, f"lasts {end - start:.9f} s, the cost model says {durations.sum():.9f} s")
        if len(dec):
            gaps.append(start + durations[0] - last[dec])
            weights.append(np.ones(len(dec)))
            if k > 1:
                gaps.append(durations[1:])
                weights.append(np.full(k - 1, float(len(dec))))
            cache[dec] += k
            generated[dec] += k
            last[dec] = end
        if len(pre):
            prefilled[pre] += ch
            cache[pre] += ch
            done = pre[prefilled[pre] == target[pre]]
            again = done[~np.isnan(last[done])]
            gaps.append(end - last[again])
            weights.append(np.ones(len(again)))
            generated[done] += 1
            first[done] = np.where(np.isnan(first[done]), end, first[done])
            last[done] = end
        over = members[generated[members] >= w.output_tokens[members]]
        finish[over] = end
        held[r] -= int(reserved[over].sum())
        reserved[over] = 0
    return Replayed(
        first,
        finish,
        np.concatenate(gaps) if gaps else np.zeros(0),
        np.concatenate(weights) if weights else np.zeros(0),
        src_hold,
        generated,
    )


def _replay_transfer(
    instance: ServingInstance,
    schedule: ServingSchedule,
    st: _State,
    event: tuple[int, float, int, int],
    link: float,
    rtol: float,
    cache: np.ndarray,
    generated: np.ndarray,
    last: np.ndarray,
) -> None:
    """Replay ``event``, a transfer's begin or release (over a link of ``link`` bytes/s, its
    duration within ``rtol`` of the cost model's)."""
    _, _, kind, t = event
    i = int(schedule.transfer_request[t])
    src, dst = int(schedule.transfer_src[t]), int(schedule.transfer_dst[t])
    start, end = float(schedule.transfer_start[t]), float(schedule.transfer_end[t])
    where = f"transfer {t} of request {i} ({src} -> {dst})"
    if kind == 0:  # release the source's blocks
        if st.src_hold[i] == 0:
            raise InvalidScheduleError(f"{where}: released before it began")
        st.held[src] -= int(st.src_hold[i])
        st.src_hold[i] = 0
        st.floor[src] = max(st.floor[src], end)
        return
    replicas = instance.cluster.replicas
    tokens = int(schedule.transfer_tokens[t])
    if generated[i] >= instance.workload.output_tokens[i]:
        raise InvalidScheduleError(f"{where}: the request has finished")
    if st.where[i] != src or st.reserved[i] == 0 or st.prefilled[i] != st.target[i]:
        raise InvalidScheduleError(f"{where}: not resident and prefilled on the source")
    if tokens != cache[i]:
        raise InvalidScheduleError(f"{where}: moves {tokens} tokens, the cache holds {cache[i]}")
    if start < last[i] - 1e-9:
        raise InvalidScheduleError(f"{where}: starts at {start} before its last step ends")
    if replicas[src].model != replicas[dst].model:
        raise InvalidScheduleError(f"{where}: the replicas serve different models")
    need = st.costs[replicas[src]].kv_transfer(tokens, link)
    if end - start < need * (1.0 - rtol):
        raise InvalidScheduleError(
            f"{where}: lasts {end - start:.9f} s, the cost model needs {need:.9f} s"
        )
    blocks = -(-tokens // BLOCK_TOKENS)
    st.src_hold[i] = st.reserved[i]
    st.reserved[i] = blocks
    st.held[dst] += blocks
    if st.held[dst] > st.capacity[dst]:
        raise InvalidScheduleError(f"{where}: holds {st.held[dst]} KV blocks on replica {dst}")
    st.where[i] = dst
    st.ready[i] = end
