"""Trained graph-neural agents as solvers, for every problem: ``<problem>.ppo-gnn`` and
``<problem>.ppo-gnn-sample``.

Both load a checkpoint (``agents/checkpoints/<problem>_gnn.pt`` unless ``checkpoint=`` says
otherwise; read with ``weights_only=True``, see :mod:`schedgym.agents.checkpoint`) and build the
solution
by running the policy through the problem's env (``gym.make(problem.env_id, instance=...)`` with
the problem's training env options, so the agent sees what it was trained on), so they construct
the same kind of schedule as the problem's constructive heuristics. Extra keyword options are
env options (e.g. ``mtbf=200, mttr=20`` for the job shop). A bad checkpoint (missing,
unreadable, another format or architecture, wrong shapes, NaN weights) raises
:class:`~schedgym.agents.checkpoint.CheckpointError` before any solving. The episode of
``budget.seed`` is played (``reset(seed=budget.seed)``: the fleet's day, the job shop's noise).

* ``ppo-gnn``: one greedy rollout (legal masks always applied).
* ``ppo-gnn-sample``: the greedy rollout plus sampled rollouts, seeded by ``budget.seed``,
  until the time limit is spent (or ``samples`` of them), in lockstep batches sized to the time
  left; the best solution is kept (:class:`PPOGNNSampleSolver`).
"""

from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from schedgym.agents.checkpoint import (
    CheckpointError,
    checkpoint_file,
    default_checkpoint,
    file_fingerprint,
    load_checkpoint,
    policy_from_payload,
)
from schedgym.agents.policy import GraphPointerPolicy
from schedgym.agents.rollout import (
    CachedEncodingChooser,
    Chooser,
    policy_chooser,
    run_episodes,
)
from schedgym.core.solver import Budget, SolveResult, Stopwatch
from schedgym.problems import get_problem


@lru_cache(maxsize=4)
def _cached_agent(
    path: str, resolved: str, version: tuple[int, int]
) -> tuple[GraphPointerPolicy, dict[str, Any]]:
    payload = load_checkpoint(path)
    options = payload.get("meta", {}).get("env_options", {})
    if not isinstance(options, dict):
        raise CheckpointError(path, "meta['env_options'] must be a dict")
    return policy_from_payload(payload, source=path), options


def load_agent(
    checkpoint: str | Path | None = None, problem: str = "jobshop"
) -> tuple[GraphPointerPolicy, dict[str, Any]]:
    """The policy of ``checkpoint`` (default: ``problem``'s shipped one) and the env options it
    was trained under that change what an action means (those of the problem's
    ``decision_options`` recorded in its ``meta["env_options"]``), cached per file version.

    Every fault of the file (see :mod:`schedgym.agents.checkpoint`), or a ``checkpoint`` that is
    not a path, raises :class:`~schedgym.agents.checkpoint.CheckpointError`."""
    if checkpoint is not None and not isinstance(checkpoint, str | os.PathLike):
        raise CheckpointError(f"checkpoint={checkpoint!r:.60}", "not a file path")
    path = Path(checkpoint) if checkpoint is not None else default_checkpoint(problem)
    info = checkpoint_file(path)
    policy, options = _cached_agent(
        str(path), str(path.resolve()), (info.st_mtime_ns, info.st_size)
    )
    hooks = get_problem(problem).training
    return policy, hooks.decisions(options) if hooks else {}


def load_policy(
    checkpoint: str | Path | None = None, problem: str = "jobshop"
) -> GraphPointerPolicy:
    """The policy of ``checkpoint`` (see :func:`load_agent`)."""
    return load_agent(checkpoint, problem)[0]


class PPOGNNSolver:
    """Greedy rollout of the trained graph policy (job shop; the other problems subclass it)."""

    name = "ppo-gnn"
    problem = "jobshop"

    def __init__(self, checkpoint: str | Path | None = None, **env_options: Any) -> None:
        torch.set_num_threads(1)
        self.policy, trained_under = load_agent(checkpoint, self.problem)
        path = Path(checkpoint) if checkpoint is not None else default_checkpoint(self.problem)
        self.fingerprint = file_fingerprint(path)  # part of the leaderboard's config hash
        descriptor = get_problem(self.problem)
        hooks = descriptor.training
        self.env_id = descriptor.env_id
        self.direction = descriptor.direction
        self.objective_key = hooks.objective_key if hooks else "objective"
        defaults = dict(hooks.env_kwargs) if hooks else {}
        self.env_options = {**defaults, **trained_under, **env_options}

    def _env(self, instance: Any) -> gym.Env[Any, Any]:
        return gym.make(self.env_id, instance=instance, **self.env_options).unwrapped

    def _result(
        self, env: gym.Env[Any, Any], objective: float, elapsed: float, info: dict[str, Any]
    ) -> SolveResult[Any]:
        if not np.isfinite(objective):
            return SolveResult(None, self.name, "infeasible", elapsed, info=info)
        schedule = env.schedule(solver=self.name)  # type: ignore[attr-defined]
        return SolveResult(
            schedule, self.name, "feasible", elapsed, objective=float(objective), info=info
        )

    def _run(
        self, instance: Any, chooser: Chooser | CachedEncodingChooser, count: int, seed: int
    ) -> tuple[list[gym.Env[Any, Any]], np.ndarray]:
        envs = [self._env(instance) for _ in range(count)]
        resets = [{"seed": seed} for _ in envs]
        episodes = run_episodes(envs, chooser, resets, key=self.objective_key)
        return envs, episodes.worst_is(self.direction)

    def _best(self, values: np.ndarray) -> int:
        return int(np.argmin(values) if self.direction == "min" else np.argmax(values))

    def _better(self, a: float, b: float) -> bool:
        return a < b if self.direction == "min" else a > b

    def solve(self, instance: Any, budget: Budget) -> SolveResult[Any]:
        """One greedy solution."""
        with Stopwatch() as watch:
            envs, values = self._run(instance, policy_chooser(self.policy), 1, budget.seed)
        return self._result(envs[0], float(values[0]), watch.elapsed, {"rollouts": 1})


class PPOGNNSampleSolver(PPOGNNSolver):
    """Best of the greedy rollout and sampled rollouts (seeded by the budget).

    ``samples=None`` (default) keeps sampling until the time limit is spent (64 samples when
    the budget has no time limit); a number caps the samples. Batches of up to ``batch``
    rollouts run in lockstep; each batch is sized to what the remaining time holds, from the
    measured time per rollout (the greedy rollout's at first, an upper bound), so small budgets
    and large instances still get samples; no batch starts when the time left is shorter than
    the greedy rollout took (a lockstep batch lasts at least that long). Without a binding time
    limit the result is fixed by the seed; when the time limit binds, how many samples fit
    depends on the machine.

    ``refresh_every`` (default :attr:`REFRESH_EVERY`): the sampled rollouts re-run the graph
    network only at every ``refresh_every``-th decision of an episode and reuse its last
    encoding in between (:class:`schedgym.agents.rollout.CachedEncodingChooser`); the greedy
    rollout always encodes every state, so it is the ``ppo-gnn`` solution.
    """

    name = "ppo-gnn-sample"
    #: Samples drawn when neither ``samples`` nor a time limit bounds the search.
    UNBOUNDED_SAMPLES = 64
    #: Decisions between two GNN passes of a sampled episode. The job shop's: 8 (on Taillard
    #: 15x15 and 50x15 the greedy policy loses at most 0.4 points of gap at 8 while the rollout
    #: is 3.6-4x cheaper, docs/results.md); the other problems' subclasses keep 1.
    REFRESH_EVERY = 8

    def __init__(
        self,
        checkpoint: str | Path | None = None,
        samples: int | None = None,
        batch: int = 16,
        refresh_every: int | None = None,
        **env_options: Any,
    ) -> None:
        super().__init__(checkpoint, **env_options)
        if (samples is not None and samples < 1) or batch < 1:
            raise ValueError(f"samples and batch must be >= 1, got {samples} and {batch}")
        refresh = self.REFRESH_EVERY if refresh_every is None else int(refresh_every)
        if refresh < 1:
            raise ValueError(f"refresh_every must be >= 1, got {refresh_every}")
        self.samples = samples
        self.batch = batch
        self.refresh_every = refresh

    def solve(self, instance: Any, budget: Budget) -> SolveResult[Any]:
        """The best of the greedy and the sampled solutions."""
        generator = torch.Generator().manual_seed(int(budget.seed))
        sampler = CachedEncodingChooser(self.policy, self.refresh_every, True, generator)
        limit_s = budget.time_limit_s
        deadline = None if limit_s is None else time.perf_counter() + limit_s
        wanted = self.samples
        if wanted is None:
            wanted = self.UNBOUNDED_SAMPLES if deadline is None else 10**9
        with Stopwatch() as watch:
            envs, values = self._run(instance, policy_chooser(self.policy), 1, budget.seed)
            best_env, best = envs[0], float(values[0])
            per_rollout = max(watch.now(), 1e-6)  # lockstep batches cost less per rollout
            # a sampled rollout that re-encodes every few decisions costs less than the greedy
            # one (at 8: 0.24-0.28 of its time on Taillard); the first batch measures it
            per_rollout *= min(1.0, max(0.5, 2 / self.refresh_every))
            single = per_rollout  # a batch of any size lasts at least one rollout's steps
            done = 0
            while done < wanted:
                count = min(self.batch, wanted - done)
                if deadline is not None:
                    room = 0.8 * (deadline - time.perf_counter())  # margin: batches vary
                    count = min(count, int(room / per_rollout))
                    if count < 1 or room < single:
                        break
                started = time.perf_counter()
                envs, values = self._run(instance, sampler, count, budget.seed)
                elapsed = time.perf_counter() - started
                per_rollout = max(elapsed / count, 1e-6)
                single = min(single, elapsed)  # a measured batch bounds it
                done += count
                i = self._best(values)
                if self._better(float(values[i]), best):
                    best_env, best = envs[i], float(values[i])
        info = {"rollouts": done + 1, "samples": done, "refresh_every": self.refresh_every}
        return self._result(best_env, best, watch.elapsed, info)


#: The stream-mode SoC agent (``socdag_stream_gnn.md``): what ``socdag.ppo-gnn`` plays on a
#: :class:`~schedgym.socdag.workload.StreamConfig` unless a checkpoint is named.
SOCDAG_STREAM_CHECKPOINT = "socdag_stream_gnn.pt"


class SoCDAGPPOGNN(PPOGNNSolver):
    """``socdag.ppo-gnn``: the SoC DAG graph agent, greedy. Given a
    :class:`~schedgym.socdag.workload.StreamConfig` instead of a DAG it plays one stream episode
    (``reset(seed=budget.seed)``: the jobs and arrivals the runtime schedulers see for that seed;
    objective: average job latency) with the stream-trained agent, ``socdag_stream_gnn.pt``,
    unless ``checkpoint`` names one."""

    problem = "socdag"

    def __init__(self, checkpoint: str | Path | None = None, **env_options: Any) -> None:
        super().__init__(checkpoint, **env_options)
        self.named_checkpoint = checkpoint is not None

    def solve(self, instance: Any, budget: Budget) -> SolveResult[Any]:
        """One greedy schedule of a DAG, or one greedy stream episode."""
        from schedgym.socdag.workload import StreamConfig

        if not isinstance(instance, StreamConfig):
            return super().solve(instance, budget)
        policy = self.policy
        if not self.named_checkpoint:
            path = default_checkpoint("socdag").parent / SOCDAG_STREAM_CHECKPOINT
            policy = load_policy(path, "socdag")
        options = {**self.env_options, "mode": "stream", "stream": instance}
        env = gym.make(self.env_id, **options).unwrapped
        hooks = get_problem(self.problem).training
        key = hooks.under(options)[0] if hooks else "avg_latency"
        with Stopwatch() as watch:
            episodes = run_episodes([env], policy_chooser(policy), [{"seed": budget.seed}], key=key)
        info: dict[str, Any] = {"rollouts": 1, "decisions": episodes.steps}
        result = self._result(env, float(episodes.objectives[0]), watch.elapsed, info)
        if result.schedule is not None:  # as the runtime schedulers: the validated metrics
            from schedgym.socdag.validate import stream_metrics

            instance = env.simulator.instance  # type: ignore[attr-defined]
            info["metrics"] = stream_metrics(instance, result.schedule)
        return result


class SoCDAGPPOGNNSample(PPOGNNSampleSolver):
    """``socdag.ppo-gnn-sample``: the SoC DAG graph agent, best of greedy and sampled."""

    problem = "socdag"
    REFRESH_EVERY = 1


class MemoryPPOGNN(PPOGNNSolver):
    """``memory.ppo-gnn``: the memory-mapping graph agent, greedy."""

    problem = "memory"


class MemoryPPOGNNSample(PPOGNNSampleSolver):
    """``memory.ppo-gnn-sample``: the memory-mapping graph agent, best of greedy and sampled."""

    problem = "memory"
    REFRESH_EVERY = 1


class FleetPPOGNN(PPOGNNSolver):
    """``fleet.ppo-gnn-step``: the first fleet graph agent (one network call per deciding
    aircraft, ``fleet_gnn.pt``), greedy; ``fleet.ppo-gnn`` is now the epoch-level agent
    (:mod:`schedgym.agents.fleet.epoch_solver`)."""

    name = "ppo-gnn-step"
    problem = "fleet"


class FleetPPOGNNSample(PPOGNNSampleSolver):
    """``fleet.ppo-gnn-step-sample``: the per-aircraft fleet graph agent, best of greedy and
    sampled."""

    name = "ppo-gnn-step-sample"
    problem = "fleet"
    REFRESH_EVERY = 1


class LLMPPOGNN(PPOGNNSolver):
    """``llm.ppo-gnn``: the LLM-serving routing agent (route mode), greedy."""

    problem = "llm"


class LLMPPOGNNSample(PPOGNNSampleSolver):
    """``llm.ppo-gnn-sample``: the LLM-serving routing agent, best of greedy and sampled."""

    problem = "llm"
    REFRESH_EVERY = 1
