"""Published directions reproduced on the Azure conversation trace (results in ``docs/llm.md``).

``python -m schedgym.baselines.llm.directions splitwise [RATE_FACTOR] [REPLICAS] [REQUESTS]``:
disaggregation (Splitwise, Patel et al., ISCA 2024) against vLLM and Sarathi-Serve at equal GPU
count and load: ``REPLICAS`` Llama-2-7B replicas on A100s, the trace's first ``REQUESTS``
requests (all by default) arriving ``RATE_FACTOR`` times faster; vLLM and Sarathi with the
least-loaded router, Splitwise with every prefill/decode split. Every schedule is validated;
the KV-transfer times are read off the validated schedule.

``python -m schedgym.baselines.llm.directions melange [RATE_FACTOR] [SECONDS]``: see
:mod:`schedgym.baselines.llm.melange`.
"""

from __future__ import annotations

import sys

import numpy as np

from schedgym.baselines.llm.policies import VLLM, Sarathi
from schedgym.baselines.llm.routers import LeastLoaded
from schedgym.datasets import llm as shipped
from schedgym.llm.disaggregation import simulate_disaggregated
from schedgym.llm.formats import read_trace
from schedgym.llm.instance import Cluster, ServingInstance
from schedgym.llm.simulator import simulate
from schedgym.llm.validate import ServingMetrics, validate_schedule


def disaggregation(
    rate_factor: float = 3.0, replicas: int = 4, requests: int | None = None
) -> dict[str, tuple[ServingMetrics, np.ndarray]]:
    """Validated metrics and KV-transfer durations (s; empty without disaggregation) of vLLM,
    Sarathi and Splitwise with ``k`` prefill replicas (``splitwise-kP``) at one load."""
    workload = read_trace(shipped.trace_path("azure2023_conv"))
    if requests is not None:
        workload = workload.head(requests)
    instance = ServingInstance(
        workload.scaled(rate_factor), Cluster.uniform("llama-2-7b", "a100", replicas)
    )
    out: dict[str, tuple[ServingMetrics, np.ndarray]] = {}
    for policy in (VLLM(), Sarathi()):
        _, schedule = simulate(instance, policy, LeastLoaded())
        out[policy.name] = (validate_schedule(instance, schedule), np.zeros(0))
    for k in range(1, replicas):
        _, schedule = simulate_disaggregated(instance, range(k))
        transfer = schedule.transfer_end - schedule.transfer_start
        out[f"splitwise-{k}P{replicas - k}D"] = (validate_schedule(instance, schedule), transfer)
    return out


def print_disaggregation(rate: float, replicas: int, requests: int | None) -> None:
    """Print :func:`disaggregation` as a markdown table."""
    head = "all" if requests is None else f"first {requests}"
    print(f"azure2023_conv ({head} requests) x{rate:g} on {replicas} x llama-2-7b@a100")
    print("| system | TTFT p50 | TTFT p99 | TBT p50 | TBT p99 | E2E p99 | SLO % | KV ms mean/p99 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, (m, transfer) in disaggregation(rate, replicas, requests).items():
        kv = (
            f"{1e3 * transfer.mean():.1f} / {1e3 * np.quantile(transfer, 0.99):.1f}"
            if len(transfer)
            else "-"
        )
        print(
            f"| {name} | {m.ttft[0]:.3f} | {m.ttft[2]:.3f} | {m.tbt[0]:.4f} | {m.tbt[2]:.4f}"
            f" | {m.e2e[2]:.2f} | {100 * m.slo_attainment:.1f} | {kv} |"
        )


def main(argv: list[str]) -> None:
    """Run one direction (see the module docstring)."""
    if not argv or argv[0] not in ("splitwise", "melange"):
        raise SystemExit("usage: directions splitwise|melange [args]")
    if argv[0] == "splitwise":
        rate = float(argv[1]) if len(argv) > 1 else 3.0
        replicas = int(argv[2]) if len(argv) > 2 else 4
        requests = int(argv[3]) if len(argv) > 3 else None
        print_disaggregation(rate, replicas, requests)
    else:
        from schedgym.baselines.llm.melange import main as melange_main

        melange_main(argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
