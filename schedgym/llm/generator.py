"""Seeded request workloads shaped like the shipped Azure 2023 traces.

:class:`TraceLikeGenerator` draws ``num_requests`` requests:

- arrivals: a Gamma renewal process whose inter-arrival coefficient of variation is the one
  measured on the reference trace (conversation: about 1.1; code: about 13, very bursty), at
  ``rate`` requests per second (default: the trace's own mean rate);
- prompt and output lengths: independent draws from the reference trace's empirical quantile
  function (101 quantiles, linear between them), so their distributions match the trace's;
  the correlation between a request's prompt and output lengths is not kept.

The same seed gives the same workload.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from schedgym.datasets import llm as shipped
from schedgym.llm.formats import read_trace
from schedgym.llm.instance import Workload

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
