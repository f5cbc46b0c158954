"""Seeded request workloads shaped like the shipped Azure 2023 traces.

:class:`TraceLikeGenerator` draws ``num_requests`` requests:

- arrivals: a Gamma renewal process whose inter-arrival coefficient of variation is the one
  measured on the reference trace (conversation: about 1.1; code: about 13, very bursty), at
  ``rate`` requests per second (default: the trace's own mean rate);
- prompt and output lengths: independent draws from the reference trace's empirical quantile
  function (101 quantiles, linear between them), so their distributions match the trace's;
  the correlation between a request's prompt and output lengths is not kept.

The same seed gives the same workload. :class:`ServingGenerator` draws whole instances (the
problem's generated suites, the env and the training sampler): such a workload served by a pool
of replicas whose size, GPU types and load are drawn from given ranges.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from schedgym.datasets import llm as shipped
from schedgym.llm.formats import read_trace
from schedgym.llm.hardware import ReplicaType, gpu_type, model_shape
from schedgym.llm.instance import Cluster, ServingInstance, Workload

QUANTILES = np.linspace(0.0, 1.0, 101)


@dataclass(frozen=True)
class TraceStatistics:
    """What the generator takes from a reference trace."""

    mean_rate: float  # requests per second
    interarrival_cv: float
    prompt_quantiles: np.ndarray  # (101,)
    output_quantiles: np.ndarray  # (101,)


@cache
def trace_statistics(trace: str) -> TraceStatistics:
    """Rate, burstiness and length quantiles of a shipped trace."""
    w = read_trace(shipped.trace_path(trace))
    gaps = np.diff(w.arrivals)
    return TraceStatistics(
        mean_rate=(w.num_requests - 1) / w.duration_s,
        interarrival_cv=float(gaps.std() / gaps.mean()),
        prompt_quantiles=np.quantile(w.prompt_tokens, QUANTILES),
        output_quantiles=np.quantile(w.output_tokens, QUANTILES),
    )


@dataclass(frozen=True)
class TraceLikeGenerator:
    """Workloads like ``trace`` (see the module docstring); ``rate`` in requests/s."""

    num_requests: int = 1000
    trace: str = "azure2023_conv"
    rate: float | None = None

    def sample(self, rng: np.random.Generator) -> Workload:
        """One workload."""
        stats = trace_statistics(self.trace)
        rate = self.rate or stats.mean_rate
        shape = 1.0 / stats.interarrival_cv**2
        gaps = rng.gamma(shape, 1.0 / (shape * rate), size=self.num_requests)
        gaps[0] = 0.0
        arrivals = np.cumsum(gaps)

        def lengths(quantiles: np.ndarray) -> np.ndarray:
            drawn = np.interp(rng.random(self.num_requests), QUANTILES, quantiles)
            return np.maximum(np.rint(drawn), 1).astype(np.int64)

        prompt = lengths(stats.prompt_quantiles)
        output = lengths(stats.output_quantiles)
        name = f"{self.trace}-gen-n{self.num_requests}-r{rate:.3g}"
        return Workload.from_arrays(name, arrivals, prompt, output)


IntRange = int | tuple[int, int]
FloatRange = float | tuple[float, float]


def _draw_int(rng: np.random.Generator, value: IntRange) -> int:
    lo, hi = (value, value) if isinstance(value, int) else value
    return int(rng.integers(lo, hi + 1))


def _draw_float(rng: np.random.Generator, value: FloatRange) -> float:
    lo, hi = (value, value) if isinstance(value, int | float) else value
    return float(rng.uniform(lo, hi)) if hi > lo else float(lo)


@dataclass(frozen=True)
class ServingGenerator:
    """Seeded serving instances: ``num_requests`` requests like ``trace`` arriving at
    ``rate_per_replica x num_replicas`` requests/s, served by ``num_replicas`` replicas of
    ``model`` on ``tp`` GPUs each, every replica's GPU type drawn uniformly from ``gpus`` (several
    types give a heterogeneous pool). Integer and float settings are a value or an inclusive
    ``(low, high)`` range drawn uniformly per instance."""

    num_requests: IntRange = (60, 120)
    num_replicas: IntRange = (2, 4)
    rate_per_replica: FloatRange = (2.0, 5.0)
    model: str = "llama-2-7b"
    gpus: tuple[str, ...] = ("a100",)
    tp: int = 1
    trace: str = "azure2023_conv"

    @property
    def max_num_requests(self) -> int:
        """The most requests an instance can have (the env's padding)."""
        return self.num_requests if isinstance(self.num_requests, int) else self.num_requests[1]

    @property
    def max_num_replicas(self) -> int:
        """The most replicas an instance can have (the env's padding)."""
        return self.num_replicas if isinstance(self.num_replicas, int) else self.num_replicas[1]

    def sample(self, rng: np.random.Generator) -> ServingInstance:
        """One instance."""
        count = _draw_int(rng, self.num_replicas)
        rate = _draw_float(rng, self.rate_per_replica) * count
        n = _draw_int(rng, self.num_requests)
        picks = [self.gpus[int(k)] for k in rng.integers(0, len(self.gpus), size=count)]
        model = model_shape(self.model)
        cluster = Cluster(tuple(ReplicaType(model, gpu_type(g), self.tp) for g in picks))
        workload = TraceLikeGenerator(n, self.trace, rate).sample(rng)
        pool = "+".join(sorted(set(picks)))
        name = f"{self.trace}-n{n}-r{rate:.3g}-{count}x{self.model}@{pool}"
        return ServingInstance(workload, cluster, name=name)
