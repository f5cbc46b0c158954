"""LLM-serving solvers behind the :class:`~schedgym.core.solver.Solver` protocol: a router and
a batch policy, simulated over the whole workload, the schedule validated.

==================  ==========================================================================
``round-robin``     replicas in turn; vLLM batching
``least-loaded``    fewest outstanding tokens per unit of compute; vLLM batching
``least-loaded-kv`` fewest outstanding tokens per KV-cache block; vLLM batching
``shortest-queue``  fewest unfinished requests; vLLM batching
``sarathi``         least-loaded routing; Sarathi-Serve chunked prefill (512-token budget)
``vllm``            vLLM: FCFS continuous batching (prefills first), least-loaded routing
``orca``            Orca: mixed iteration-level batches, no paged KV (max-length reservation)
``splitwise``       disaggregated prefill and decode pools with KV transfer; the split (fastest
                    replicas prefill) with the best SLO attainment over all splits is kept
``llumnix``         freeness routing and live migration off replicas under memory pressure
``melange``         Melange's per-request-size-bucket allocation over the pool's GPU types
                    (an OR-Tools LP on simulator-measured capacities), then least-loaded within
                    a type (:mod:`schedgym.baselines.llm.melange`)
==================  ==========================================================================

Each is deterministic (the budget is not needed). The objective is the validator's SLO
attainment; ``info`` carries the other metrics (TTFT and TBT p99, goodput, cost per million
tokens, preemptions, the p50 slowdown over each request's isolated latency) and the solver's own
(split, migrations).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from schedgym.baselines.llm.policies import VLLM, OrcaReserved, Sarathi
from schedgym.baselines.llm.routers import LeastLoaded, LeastLoadedKV, RoundRobin, ShortestQueue
from schedgym.core.solver import Budget, SolveResult, Stopwatch
from schedgym.llm.disaggregation import simulate_disaggregated
from schedgym.llm.instance import ServingInstance
from schedgym.llm.schedule import ServingSchedule
from schedgym.llm.simulator import BatchPolicy, Router, simulate
from schedgym.llm.validate import ServingMetrics, validate_schedule


class ServingSolver:
    """Base class: subclasses define ``name``, :meth:`policy` and :meth:`router`."""

    name = "serving"
    problem = "llm"

    def policy(self) -> BatchPolicy:
        """A fresh batch policy."""
        return VLLM()

    def router(self) -> Router:
        """A fresh router."""
        return LeastLoaded()

    def simulate(
        self, instance: ServingInstance
    ) -> tuple[ServingMetrics, ServingSchedule, dict[str, Any]]:
        """Serve the whole workload: metrics, schedule and solver-specific ``info``."""
        metrics, schedule = simulate(instance, self.policy(), self.router())
        return metrics, schedule, {}

    def solve(
        self,
        instance: ServingInstance,
        budget: Budget = Budget(),  # noqa: B008 (frozen, immutable)
    ) -> SolveResult[ServingSchedule]:
        """Simulate the whole workload, then validate the recorded schedule."""
        with Stopwatch() as watch:
            _, schedule, extra = self.simulate(instance)
        metrics = validate_schedule(instance, schedule)
        schedule = dataclasses.replace(
            schedule, solver=self.name, status="feasible", wall_time_s=watch.elapsed
        )
        info: dict[str, Any] = {
            "ttft_p99": metrics.ttft[2],
            "tbt_p99": metrics.tbt[2],
            "goodput_rps": metrics.goodput_rps,
            "cost_per_million_tokens": metrics.cost_per_million_tokens,
            "preemptions": metrics.preemptions,
            "slowdown_p50": metrics.slowdown[0],
            **extra,
        }
        return SolveResult(
            schedule=schedule,
            solver=self.name,
            status="feasible",
            wall_time_s=watch.elapsed,
            objective=metrics.slo_attainment,
            info=info,
        )


class RoundRobinVLLM(ServingSolver):
    """Round-robin routing, vLLM batching."""

    name = "round-robin"

    def router(self) -> Router:
        """Replicas in turn."""
        return RoundRobin()


class LeastLoadedVLLM(ServingSolver):
    """Least-loaded routing, vLLM batching."""

    name = "least-loaded"


class LeastLoadedKVVLLM(ServingSolver):
    """Least-loaded routing by KV-cache capacity (not compute), vLLM batching."""

    name = "least-loaded-kv"

    def router(self) -> Router:
        """Fewest outstanding tokens per KV-cache block."""
        return LeastLoadedKV()


class ShortestQueueVLLM(ServingSolver):
    """Shortest-queue routing, vLLM batching."""

    name = "shortest-queue"

    def router(self) -> Router:
        """Fewest unfinished requests."""
        return ShortestQueue()


class SarathiLeastLoaded(ServingSolver):
    """Least-loaded routing, Sarathi-Serve chunked prefill."""

    name = "sarathi"

    def policy(self) -> BatchPolicy:
        """Chunked prefill, 512-token budget."""
        return Sarathi()


class VLLMSolver(ServingSolver):
    """vLLM: FCFS continuous batching, prefills first; least-loaded routing."""

    name = "vllm"


class OrcaSolver(ServingSolver):
    """Orca: mixed iteration-level batches without a paged KV cache (max-length reservation)."""

    name = "orca"

    def policy(self) -> BatchPolicy:
        """Orca with a 4096-token reservation per running request."""
        return OrcaReserved()


class Splitwise(ServingSolver):
    """Splitwise: disaggregated prefill (the fastest replicas) and decode pools, KV transfer."""

    name = "splitwise"

    def simulate(
        self, instance: ServingInstance
    ) -> tuple[ServingMetrics, ServingSchedule, dict[str, Any]]:
        """Every split of the pool (k fastest replicas prefill, k = 1 ... R-1); the one with
        the best SLO attainment (then goodput, then lower p99 TTFT). One replica: plain vLLM."""
        replicas = instance.cluster.replicas
        if len(replicas) < 2:
            metrics, schedule = simulate(instance, VLLM(), LeastLoaded())
            return metrics, schedule, {"prefill_replicas": 0}
        order = sorted(range(len(replicas)), key=lambda r: -replicas[r].gpu.peak_flops)
        best: tuple[tuple[float, float, float], ServingMetrics, ServingSchedule, int] | None
        best = None
        for k in range(1, len(replicas)):
            metrics, schedule = simulate_disaggregated(instance, order[:k])
            key = (metrics.slo_attainment, metrics.goodput_rps, -metrics.ttft[2])
            if best is None or key > best[0]:
                best = (key, metrics, schedule, k)
        assert best is not None
        return best[1], best[2], {"prefill_replicas": best[3]}


class Llumnix(ServingSolver):
    """Llumnix: freeness routing, live migration off replicas under memory pressure."""

    name = "llumnix"

    def simulate(
        self, instance: ServingInstance
    ) -> tuple[ServingMetrics, ServingSchedule, dict[str, Any]]:
        """Serve with :class:`~schedgym.baselines.llm.llumnix.LlumnixSimulator`."""
        from schedgym.baselines.llm.llumnix import simulate_llumnix

        metrics, schedule, migrations = simulate_llumnix(instance)
        return metrics, schedule, {"migrations": migrations}


class Melange(ServingSolver):
    """Melange: per-size-bucket allocation over the pool's GPU types, least loaded within one."""

    name = "melange"

    def simulate(
        self, instance: ServingInstance
    ) -> tuple[ServingMetrics, ServingSchedule, dict[str, Any]]:
        """Allocate the buckets to the pool's types (lowest highest utilisation), then route."""
        from schedgym.baselines.llm.melange import MelangeRouter, allocate

        mix = allocate(instance)
        metrics, schedule = simulate(instance, VLLM(), MelangeRouter(mix))
        return metrics, schedule, {}
