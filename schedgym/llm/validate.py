"""The independent checker of a serving schedule and the one source of its metrics.

:func:`validate_schedule` replays a :class:`~schedgym.llm.schedule.ServingSchedule` against the
instance and raises :class:`~schedgym.core.errors.InvalidScheduleError` naming the step and the
request when: a step's or a transfer's start or end is not finite (NaN or infinite); a request is
served by another replica than it was routed to, before it arrived, or after it finished (its
last token is final: no prefill, decode or transfer of it follows); a replica's steps overlap; a
prompt chunk is empty, runs past the prompt, or a decode runs before its prompt is done or past
its last token; the KV blocks held on a replica (a request holds ``ceil(tokens / 16)`` blocks:
its whole prompt from its first chunk, then one more token per decode) exceed its capacity; a
step's duration differs from the cost model's (:class:`~schedgym.llm.cost.ReplicaCost`); or a
request is never completed.

KV-cache transfers (disaggregated prefill/decode, migration) are replayed after the steps
recorded before them (``transfer_begin_pos``, ``transfer_release_pos``). A transfer is refused
when its request has finished, is not resident and fully prefilled on the source, or its
token count differs from the source's cache; when it starts before the request's last step
there ends; when it is shorter than the cost model's
:meth:`~schedgym.llm.cost.ReplicaCost.kv_transfer` over the interconnect
(``interconnect_bytes_per_s``); or when the two replicas serve different models.
The destination holds the blocks from the start (capacity checked); the request may decode
there only from the transfer's end (causality), and the source's blocks count until the
transfer's end (no step of the source recorded after the release may start earlier). Tokens are
produced one at a time and in order by construction of the replay (each decode appends exactly
one). It returns the metrics computed from the replayed token times (:func:`summarize`).

The replay is compiled (:mod:`schedgym.llm.validate_kernel`, one numba loop over the steps);
:func:`~schedgym.llm.replay_reference.reference_replay`, a plain numpy loop, is its
specification: both make the same checks in the same order, raise the same messages and return
equal token times (``tests/llm/test_validate_speed.py``), and it replays the schedules whose
arrays the kernel does not take (other dtypes, pointers or request indices out of range).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schedgym.core.errors import InvalidScheduleError
from schedgym.llm.cost import isolated_latency
from schedgym.llm.instance import INTERCONNECT_BYTES_PER_S, ServingInstance
from schedgym.llm.replay_reference import Replayed, reference_replay, transfer_events
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


def validate_schedule(
    instance: ServingInstance,
    schedule: ServingSchedule,
    interconnect_bytes_per_s: float = INTERCONNECT_BYTES_PER_S,
) -> ServingMetrics:
    """Replay ``schedule`` (see the module docstring; KV transfers run over a link of
    ``interconnect_bytes_per_s``); returns the metrics it achieves."""
    return summarize(instance, _replay(instance, schedule, interconnect_bytes_per_s))


def _replay(
    instance: ServingInstance, schedule: ServingSchedule, link: float, compiled: bool = True
) -> TokenTimes:
    """The token times of the replay. It is compiled (:mod:`schedgym.llm.validate_kernel`)
    when the kernel takes the schedule's arrays (integer and float dtypes, pointers and request
    indices in range: every schedule the simulators write or :func:`read_schedule` reads), else
    (or with ``compiled=False``) it is :func:`~schedgym.llm.replay_reference.reference_replay`'s;
    both refuse the same schedules with the same messages and return equal token times."""
    w, replicas = instance.workload, instance.cluster.replicas
    n = w.num_requests
    route = schedule.request_replica
    if len(route) != n or (n and (route.min() < 0 or route.max() >= len(replicas))):
        raise InvalidScheduleError("request_replica must name a replica for every request")
    events = transfer_events(schedule, len(replicas))
    if compiled:
        from schedgym.llm import validate_kernel

        if validate_kernel.supports(instance, schedule):
            done = validate_kernel.token_times(instance, schedule, events, link, TIME_RTOL)
            return _closing(instance, schedule, done)
    return _closing(
        instance, schedule, reference_replay(instance, schedule, events, link, TIME_RTOL)
    )


def _closing(instance: ServingInstance, schedule: ServingSchedule, done: Replayed) -> TokenTimes:
    """The checks after the last step (every transfer's source released, every request
    complete) and the token times of the replay ``done``."""
    output, generated = instance.workload.output_tokens, done.generated
    if np.any(done.src_hold):
        raise InvalidScheduleError("a transfer's source blocks are never released")
    missing = np.flatnonzero(generated < output)
    if len(missing):
        i = int(missing[0])
        raise InvalidScheduleError(f"request {i} gets {generated[i]} of {output[i]} tokens")
    return TokenTimes(
        done.first, done.finish, done.gaps, done.weights, preemptions=len(schedule.preempt_request)
    )
