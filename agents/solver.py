"""Trained graph-neural agents as solvers: ``jobshop.ppo-gnn`` and ``jobshop.ppo-gnn-sample``.

Both load a checkpoint (``agents/checkpoints/jobshop_gnn.pt`` unless ``checkpoint=`` says
otherwise; read with ``weights_only=True``, see :mod:`agents.checkpoint`) and build schedules by
running the policy through ``JobShopEnv``, so they construct the same non-delay schedules as the
dispatching rules. Extra keyword options are env options (e.g. ``mtbf=200, mttr=20``). A bad
checkpoint (missing, unreadable, another format or architecture, wrong shapes, NaN weights)
raises :class:`~agents.checkpoint.CheckpointError` before any solving.

* ``ppo-gnn``: one greedy rollout (legal masks always applied).
* ``ppo-gnn-sample``: the greedy rollout plus ``samples`` sampled rollouts, run ``batch`` at a
  time in lockstep and seeded by ``budget.seed``; the best schedule is kept. No batch starts that
  would not end within ``budget.time_limit_s`` (estimated from the previous batch, or as
  ``batch`` greedy rollouts for the first), so with a tight limit only the greedy rollout runs.
"""

from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agents.checkpoint import (
    DEFAULT_CHECKPOINT,
    CheckpointError,
    checkpoint_file,
    load_checkpoint,
    policy_from_payload,
)
from agents.policy import GraphPointerPolicy
from agents.rollout import Chooser, policy_chooser, run_episodes
from schedgym.core.solver import Budget, SolveResult, Stopwatch
from schedgym.jobshop.env import JobShopEnv
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import JobShopSchedule


@lru_cache(maxsize=4)
def _cached_policy(path: str, resolved: str, version: tuple[int, int]) -> GraphPointerPolicy:
    return policy_from_payload(load_checkpoint(path), source=path)


def load_policy(checkpoint: str | Path | None = None) -> GraphPointerPolicy:
    """The policy of ``checkpoint`` (default: the shipped one), cached per file version.

    Every fault of the file (see :mod:`agents.checkpoint`), or a ``checkpoint`` that is not a
    path, raises :class:`~agents.checkpoint.CheckpointError`."""
    if checkpoint is not None and not isinstance(checkpoint, str | os.PathLike):
        raise CheckpointError(f"checkpoint={checkpoint!r:.60}", "not a file path")
    path = Path(checkpoint) if checkpoint is not None else DEFAULT_CHECKPOINT
    info = checkpoint_file(path)
    return _cached_policy(str(path), str(path.resolve()), (info.st_mtime_ns, info.st_size))


class PPOGNNSolver:
    """Greedy rollout of the trained graph policy."""

    name = "ppo-gnn"
    problem = "jobshop"

    def __init__(self, checkpoint: str | Path | None = None, **env_options: Any) -> None:
        torch.set_num_threads(1)
        self.policy = load_policy(checkpoint)
        self.env_options = env_options

    def _env(self, instance: JobShopInstance) -> JobShopEnv:
        return JobShopEnv(instance, **self.env_options)

    def _result(
        self, env: JobShopEnv, makespan: float, elapsed: float, info: dict[str, Any]
    ) -> SolveResult[JobShopSchedule]:
        if not np.isfinite(makespan):
            return SolveResult(None, self.name, "infeasible", elapsed, info=info)
        schedule = env.schedule(solver=self.name)
        return SolveResult(
            schedule, self.name, "feasible", elapsed, objective=float(makespan), info=info
        )

    def _run(
        self, instance: JobShopInstance, chooser: Chooser, count: int, seed: int
    ) -> tuple[list[JobShopEnv], np.ndarray]:
        envs = [self._env(instance) for _ in range(count)]
        episodes = run_episodes(envs, chooser, [{"seed": seed} for _ in envs])
        return envs, episodes.worst_is("min")

    def solve(self, instance: JobShopInstance, budget: Budget) -> SolveResult[JobShopSchedule]:
        """One greedy schedule."""
        with Stopwatch() as watch:
            envs, makespans = self._run(instance, policy_chooser(self.policy), 1, budget.seed)
        return self._result(envs[0], float(makespans[0]), watch.elapsed, {"rollouts": 1})


class PPOGNNSampleSolver(PPOGNNSolver):
    """Best of the greedy rollout and ``samples`` sampled rollouts (seeded by the budget)."""

    name = "ppo-gnn-sample"

    def __init__(
        self,
        checkpoint: str | Path | None = None,
        samples: int = 64,
        batch: int = 16,
        **env_options: Any,
    ) -> None:
        super().__init__(checkpoint, **env_options)
        if samples < 1 or batch < 1:
            raise ValueError(f"samples and batch must be >= 1, got {samples} and {batch}")
        self.samples = samples
        self.batch = batch

    def solve(self, instance: JobShopInstance, budget: Budget) -> SolveResult[JobShopSchedule]:
        """The best of the greedy and the sampled schedules."""
        generator = torch.Generator().manual_seed(int(budget.seed))
        sampler = policy_chooser(self.policy, sample=True, generator=generator)
        deadline = (
            None if budget.time_limit_s is None else time.perf_counter() + budget.time_limit_s
        )
        with Stopwatch() as watch:
            envs, makespans = self._run(instance, policy_chooser(self.policy), 1, budget.seed)
            best_env, best = envs[0], float(makespans[0])
            batch_s = watch.now() * self.batch  # first estimate: no gain from lockstep batching
            done = 0
            while done < self.samples:
                count = min(self.batch, self.samples - done)
                if deadline is not None and time.perf_counter() + batch_s > deadline:
                    break
                started = time.perf_counter()
                envs, makespans = self._run(instance, sampler, count, budget.seed)
                batch_s = time.perf_counter() - started
                done += count
                i = int(np.argmin(makespans))
                if makespans[i] < best:
                    best_env, best = envs[i], float(makespans[i])
        info = {"rollouts": done + 1, "samples": done}
        return self._result(best_env, best, watch.elapsed, info)
