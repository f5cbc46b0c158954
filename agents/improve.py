"""``jobshop.ppo-gnn-improve``: the trained agent's samples, then tabu search from the best one.

The agent's sampler (:class:`~schedgym.agents.solver.PPOGNNSampleSolver`: greedy plus sampled
rollouts of the graph policy) runs for ``sample_share`` of the time budget; the best sampled
schedule's machine orders then start the N5 tabu search of
:class:`~schedgym.baselines.jobshop.tabu.TabuSearch` for the rest of the budget. The search keeps
its best schedule, so the result is never worse than the best sample. This is the "cheap
improvement phase" recipe of learned constructive heuristics followed by local search (as in
L2S, Zhang et al. 2024, where the improvement is learned; here it is the classical tabu search).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schedgym.agents.solver import PPOGNNSampleSolver
from schedgym.baselines.jobshop.tabu import DEFAULT_TIME_LIMIT_S, TabuSearch
from schedgym.core.errors import InvalidScheduleError
from schedgym.core.solver import Budget
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import Conditions, JobShopSchedule
from schedgym.jobshop.validate import validate_schedule


class PPOGNNImprove(TabuSearch):
    """Agent sampling for ``sample_share`` of the budget, then N5 tabu search from its best
    schedule (``checkpoint``: the agent; ``samples``: cap on the agent's samples, which with
    ``iterations`` makes a run deterministic; other options: :class:`TabuSearch`'s)."""

    name = "ppo-gnn-improve"
    problem = "jobshop"

    def __init__(
        self,
        *,
        checkpoint: str | Path | None = None,
        sample_share: float = 0.3,
        samples: int | None = None,
        **tabu_options: Any,
    ) -> None:
        if not 0.0 < sample_share < 1.0:
            raise ValueError(f"sample_share must be in (0, 1), got {sample_share}")
        super().__init__(start="fdd-mwkr", **tabu_options)
        self._start_solver = PPOGNNSampleSolver(checkpoint=checkpoint, samples=samples)
        self.start = "ppo-gnn-sample"
        self.sample_share = sample_share
        self.fingerprint = self._start_solver.fingerprint  # the checkpoint, for the config hash

    def _initial(self, instance: JobShopInstance, budget: Budget) -> JobShopSchedule:
        """The best of the agent's rollouts within ``sample_share`` of the budget, validated."""
        limit = budget.time_limit_s if budget.time_limit_s is not None else DEFAULT_TIME_LIMIT_S
        share = Budget(time_limit_s=self.sample_share * limit, seed=budget.seed)
        result = self._start_solver.solve(instance, share)
        if result.schedule is None:
            raise InvalidScheduleError("ppo-gnn-improve: the agent found no schedule")
        validate_schedule(instance, result.schedule, Conditions())
        schedule: JobShopSchedule = result.schedule
        return schedule
