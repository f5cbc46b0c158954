"""Sarathi-Serve against vLLM at equal load: chunked prefill removes the decode stalls that
whole-prompt prefills cause, lowering the tail time between tokens.

``python -m schedgym.baselines.llm.compare [RATE_FACTOR] [REPLICAS]`` replays the shipped
trace (arrivals ``RATE_FACTOR`` times faster) on ``REPLICAS`` Llama-2-7B replicas on A100s with
the least-loaded router under both policies, validates both schedules, and prints their metrics.
"""

from __future__ import annotations

import sys

from schedgym.baselines.llm.policies import VLLM, Sarathi
from schedgym.baselines.llm.routers import LeastLoaded
from schedgym.datasets import llm as shipped
from schedgym.llm.formats import read_trace
from schedgym.llm.instance import Cluster, ServingInstance
from schedgym.llm.simulator import BatchPolicy, simulate
from schedgym.llm.validate import ServingMetrics, validate_schedule


def compare(
    rate_factor: float = 3.0, replicas: int = 4, requests: int | None = None
) -> dict[str, ServingMetrics]:
    """Validated metrics of vLLM and Sarathi on the conversation trace at one load."""
    workload = read_trace(shipped.trace_path("azure2023_conv"))
    if requests is not None:
        workload = workload.head(requests)
    instance = ServingInstance(
        workload.scaled(rate_factor), Cluster.uniform("llama-2-7b", "a100", replicas)
    )
    policies: list[BatchPolicy] = [VLLM(), Sarathi()]
    out = {}
    for policy in policies:
        _, schedule = simulate(instance, policy, LeastLoaded())
        out[policy.name] = validate_schedule(instance, schedule)
    return out


def main(argv: list[str]) -> None:
    """Print the comparison (see the module docstring)."""
    rate = float(argv[0]) if argv else 3.0
    replicas = int(argv[1]) if len(argv) > 1 else 4
    print(f"azure2023_conv x{rate:g} on {replicas} x llama-2-7b@a100, least-loaded router")
    print(
        f"{'policy':<10} {'TTFT p50':>9} {'TTFT p99':>9} {'TBT p50':>8} {'TBT p99':>8} {'SLO %':>6}"
    )
    for name, m in compare(rate, replicas).items():
        print(
            f"{name:<10} {m.ttft[0]:>9.3f} {m.ttft[2]:>9.3f} {m.tbt[0]:>8.4f} {m.tbt[2]:>8.4f}"
            f" {100 * m.slo_attainment:>6.1f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
