"""The independent checker of a serving schedule and the one source of its metrics.

:func:`validate_schedule` replays a :class:`~schedgym.llm.schedule.ServingSchedule` against the
instance and raises :class:`~schedgym.core.errors.InvalidScheduleError` naming the step and the
request when: a request is served by another replica than it was routed to, or before it arrived;
a replica's steps overlap; a prompt chunk is empty, runs past the prompt, or a decode runs
before its prompt is done or past its last token; the KV blocks held on a replica (a request
holds ``ceil(tokens / 16)`` blocks: its whole prompt from its first chunk, then one more token
per decode) exceed the replica's capacity; a step's duration differs from the cost model's
(:class:`~schedgym.llm.cost.ReplicaCost`); or a request is never completed.

KV-cache transfers (disaggregated prefill/decode, migration) are replayed after the steps
recorded before them (``transfer_begin_pos``, ``transfer_release_pos``). A transfer is refused
when the request is not resident and fully prefilled on the source, or its token count differs
from the source's cache; when it starts before the request's last step there ends; when it is
shorter than the cost model's :meth:`~schedgym.llm.cost.ReplicaCost.kv_transfer` over the
interconnect (``interconnect_bytes_per_s``); or when the two replicas serve different models.
The destination holds the blocks from the start (capacity checked); the request may decode
there only from the transfer's end (causality), and the source's blocks count until the
transfer's end (no step of the source recorded after the release may start earlier). Tokens are
produced
one at a time and in order by construction of the replay (each decode appends exactly one).
It returns the metrics computed from the replayed token times (:func:`summarize`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schedgym.core.errors import InvalidScheduleError
from schedgym.llm.cost import ReplicaCost, isolated_latency
from schedgym.llm.hardware import ReplicaType
from schedgym.llm.instance import BLOCK_TOKENS, INTERCONNECT_BYTES_PER_S, ServingInstance
from schedgym.llm.schedule import ServingSchedule

#: Default service-level objectives: time to first token and mean time between tokens (s).
TTFT_SLO_S = 2.0
TPOT_SLO_S = 0.1
TIME_RTOL = 1e-6


@dataclass(frozen=True)
class TokenTimes:
    """Per-request first-token and finish times, every inter-token gap (weighted)."""

    first_token: np.ndarray
    finish: np.ndarray
    gaps: np.ndarray
    gap_weights: np.ndarray
    preemptions: int = 0


@dataclass(frozen=True)
class ServingMetrics:
    """Latency percentiles (s), SLO attainment, throughput and cost of one serving run."""

    ttft: tuple[float, float, float]  # p50, p90, p99
    tbt: tuple[float, float, float]
    e2e: tuple[float, float, float]
    slo_attainment: float  # share of requests with TTFT and mean TBT within the targets
    goodput_rps: float  # requests per second meeting both targets
    throughput_tokens_s: float  # prompt + output tokens per second of the run
    output_tokens_s: float
    makespan_s: float  # first arrival to last finish
    cost_per_hour: float
    cost_per_million_tokens: float  # prompt + output
    preemptions: int
    #: p50/p90/p99 of each request's lower bound: its end-to-end latency alone on the pool's
    #: fastest replica for it (:func:`isolated_latency`), and of latency / lower bound.
    e2e_lower_bound: tuple[float, float, float] = (0.0, 0.0, 0.0)
    slowdown: tuple[float, float, float] = (0.0, 0.0, 0.0)


def _weighted_quantiles(
    values: np.ndarray, weights: np.ndarray, qs: tuple[float, ...]
) -> tuple[float, ...]:
    if not len(values):
        return tuple(0.0 for _ in qs)
    order = np.argsort(values, kind="stable")
    v, cw = values[order], np.cumsum(weights[order])
    return tuple(float(v[min(np.searchsorted(cw, q * cw[-1]), len(v) - 1)]) for q in qs)


def meets_slo(
    arrival: np.ndarray,
    first_token: np.ndarray,
    finish: np.ndarray,
    output_tokens: np.ndarray,
    ttft_slo_s: float = TTFT_SLO_S,
    tpot_slo_s: float = TPOT_SLO_S,
) -> np.ndarray:
    """Which finished requests met both targets: TTFT and mean time per output token after the
    first (the one rule of the SLO attainment, the goodput and the env's reward)."""
    more = output_tokens > 1
    tpot = np.zeros(len(arrival))
    tpot[more] = (finish[more] - first_token[more]) / (output_tokens[more] - 1)
    return np.asarray((first_token - arrival <= ttft_slo_s) & (tpot <= tpot_slo_s))


def summarize(
    instance: ServingInstance,
    times: TokenTimes,
    ttft_slo_s: float = TTFT_SLO_S,
    tpot_slo_s: float = TPOT_SLO_S,
) -> ServingMetrics:
    """The metrics of a run from its token times (the same function for simulator and
    validator)."""
    w = instance.workload
    qs = (0.5, 0.9, 0.99)
    ttft = times.first_token - w.arrivals
    e2e = times.finish - w.arrivals
    good = meets_slo(
        w.arrivals, times.first_token, times.finish, w.output_tokens, ttft_slo_s, tpot_slo_s
    )
    makespan = float(times.finish.max() - w.arrivals.min())
    tokens = float(w.prompt_tokens.sum() + w.output_tokens.sum())
    price = instance.cluster.price_per_hour
    bound = isolated_latency(instance)[1]
    return ServingMetrics(
        ttft=tuple(float(x) for x in np.quantile(ttft, qs)),  # type: ignore[arg-type]
        tbt=_weighted_quantiles(times.gaps, times.gap_weights, qs),  # type: ignore[arg-type]
        e2e=tuple(float(x) for x in np.quantile(e2e, qs)),  # type: ignore[arg-type]
        slo_attainment=float(good.mean()),
        goodput_rps=float(good.sum() / makespan),
        throughput_tokens_s=tokens / makespan,
        output_tokens_s=float(w.output_tokens.sum()) / makespan,
        makespan_s=makespan,
        cost_per_hour=price,
        cost_per_million_tokens=price * makespan / 3600.0 / (tokens / 1e6),
        preemptions=times.preemptions,
        e2e_lower_bound=tuple(float(x) for x in np.quantile(bound, qs)),  # type: ignore[arg-type]
        slowdown=tuple(float(x) for x in np.quantile(e2e / bound, qs)),  # type: ignore[arg-type]
    )


def _fail(step: int, message: str) -> None:
    raise InvalidScheduleError(f"step {step}: {message}")


def validate_schedule(
    instance: ServingInstance,
    schedule: ServingSchedule,
    interconnect_bytes_per_s: float = INTERCONNECT_BYTES_PER_S,
) -> ServingMetrics:
    """Replay ``schedule`` (see the module docstring; KV transfers run over a link of
    ``interconnect_bytes_per_s``); returns the metrics it achieves."""
    w, replicas = instance.workload, instance.cluster.replicas
    n = w.num_requests
    route = schedule.request_replica
    if len(route) != n or (n and (route.min() < 0 or route.max() >= len(replicas))):
        raise InvalidScheduleError("request_replica must name a replica for every request")
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
    events = _transfer_events(schedule, len(replicas))
    ev = 0
    state = _State(
        where, ready, floor, src_hold, held, capacity, reserved, prefilled, target, costs
    )
    link = interconnect_bytes_per_s
    for s in range(schedule.num_steps + 1):
        while ev < len(events) and events[ev][0] == s:
            _replay_transfer(instance, schedule, state, events[ev], link, cache, generated, last)
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
        if abs((end - start) - durations.sum()) > TIME_RTOL * max(durations.sum(), 1e-3):
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
    if np.any(src_hold):
        raise InvalidScheduleError("a transfer's source blocks are never released")
    missing = np.flatnonzero(generated < w.output_tokens)
    if len(missing):
        i = int(missing[0])
        raise InvalidScheduleError(
            f"request {i} gets {generated[i]} of {w.output_tokens[i]} tokens"
        )
    times = TokenTimes(
        first,
        finish,
        np.concatenate(gaps) if gaps else np.zeros(0),
        np.concatenate(weights) if weights else np.zeros(0),
        len(schedule.preempt_request),
    )
    return summarize(instance, times)


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


def _transfer_events(schedule: ServingSchedule, replicas: int) -> list[tuple[int, float, int, int]]:
    """``(position, time, kind, transfer)`` sorted: begins (kind 1) at the start, releases
    (kind 0, first on ties) at the end."""
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
        events.append((begin, float(schedule.transfer_start[t]), 1, t))
        events.append((release, float(schedule.transfer_end[t]), 0, t))
    events.sort()
    return events


def _replay_transfer(
    instance: ServingInstance,
    schedule: ServingSchedule,
    st: _State,
    event: tuple[int, float, int, int],
    link: float,
    cache: np.ndarray,
    generated: np.ndarray,
    last: np.ndarray,
) -> None:
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
    if st.where[i] != src or st.reserved[i] == 0 or st.prefilled[i] != st.target[i]:
        raise InvalidScheduleError(f"{where}: not resident and prefilled on the source")
    if tokens != cache[i] or generated[i] >= instance.workload.output_tokens[i]:
        raise InvalidScheduleError(f"{where}: moves {tokens} tokens, the cache holds {cache[i]}")
    if start < last[i] - 1e-9:
        raise InvalidScheduleError(f"{where}: starts at {start} before its last step ends")
    if replicas[src].model != replicas[dst].model:
        raise InvalidScheduleError(f"{where}: the replicas serve different models")
    need = st.costs[replicas[src]].kv_transfer(tokens, link)
    if end - start < need * (1.0 - TIME_RTOL):
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
