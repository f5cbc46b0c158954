"""The independent checker of a serving schedule and the one source of its metrics.

:func:`validate_schedule` replays a :class:`~schedgym.llm.schedule.ServingSchedule` against the
instance and raises :class:`~schedgym.core.errors.InvalidScheduleError` naming the step and the
request when: a request is served by another replica than it was routed to, or before it arrived;
a replica's steps overlap; a prompt chunk is empty, runs past the prompt, or a decode runs
before its prompt is done or past its last token; the KV blocks held on a replica (a request
holds ``ceil(tokens / 16)`` blocks: its whole prompt from its first chunk, then one more token
per decode) exceed the replica's capacity; a step's duration differs from the cost model's
(:class:`~schedgym.llm.cost.ReplicaCost`); or a request is never completed. Tokens are produced
one at a time and in order by construction of the replay (each decode appends exactly one).
It returns the metrics computed from the replayed token times (:func:`summarize`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schedgym.core.errors import InvalidScheduleError
from schedgym.llm.cost import ReplicaCost
from schedgym.llm.instance import BLOCK_TOKENS, ServingInstance
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
    )


def _fail(step: int, message: str) -> None:
    raise InvalidScheduleError(f"step {step}: {message}")


def validate_schedule(instance: ServingInstance, schedule: ServingSchedule) -> ServingMetrics:
    """Replay ``schedule`` (see the module docstring); returns the metrics it achieves."""
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
    for s in range(schedule.num_steps):
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
        busy_until[r] = end
        for i in schedule.preempt_request[schedule.preempt_ptr[s] : schedule.preempt_ptr[s + 1]]:
            if route[i] != r or reserved[i] == 0:
                _fail(s, f"request {i} preempted but not running on replica {r}")
            held[r] -= int(reserved[i])
            reserved[i] = prefilled[i] = cache[i] = 0
        members = schedule.member_request[schedule.member_ptr[s] : schedule.member_ptr[s + 1]]
        chunks = schedule.member_prefill[schedule.member_ptr[s] : schedule.member_ptr[s + 1]]
        if not len(members) or len(np.unique(members)) != len(members):
            _fail(s, "empty batch or a request twice")
        if np.any(route[members] != r):
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
