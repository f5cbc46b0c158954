"""LLM-serving solvers behind the :class:`~schedgym.core.solver.Solver` protocol: a router and
a batch policy, simulated over the whole workload, the schedule validated.

==================  ==========================================================================
``round-robin``     replicas in turn; vLLM batching
``least-loaded``    fewest outstanding tokens per unit of compute; vLLM batching
``shortest-queue``  fewest unfinished requests; vLLM batching
``sarathi``         least-loaded routing; Sarathi-Serve chunked prefill (512-token budget)
==================  ==========================================================================

Each is deterministic (the budget is not needed). The objective is the validator's SLO
attainment; ``info`` carries the other metrics (TTFT and TBT p99, goodput, cost per million
tokens, preemptions).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from schedgym.baselines.llm.policies import VLLM, Sarathi
from schedgym.baselines.llm.routers import LeastLoaded, RoundRobin, ShortestQueue
from schedgym.core.solver import Budget, SolveResult, Stopwatch
from schedgym.llm.instance import ServingInstance
from schedgym.llm.schedule import ServingSchedule
from schedgym.llm.simulator import BatchPolicy, Router, simulate
from schedgym.llm.validate import validate_schedule


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

    def solve(
        self,
        instance: ServingInstance,
        budget: Budget = Budget(),  # noqa: B008 (frozen, immutable)
    ) -> SolveResult[ServingSchedule]:
        """Simulate the whole workload, then validate the recorded schedule."""
        with Stopwatch() as watch:
            _, schedule = simulate(instance, self.policy(), self.router())
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
