"""The epoch-level graph agent as solvers: ``fleet.ppo-gnn`` and its ``-sample`` twin.

An *online* policy (like ``fleet.agent``): per 10-minute epoch it encodes the present state (and
the scenario's demand forecast, never the realised rest of the day) as a graph ONCE, then decides
for every free aircraft in the env's order (:mod:`schedgym.agents.fleet.epoch_graph`). Inference
is numpy/numba only (torch reads the checkpoint once, at construction). It plays the day through
the compiled simulator rules, so its record replays exactly through ``FleetScheduling-v0``.

Options: ``checkpoint`` (default ``agents/checkpoints/fleet_epoch_gnn.pt``). The ``-sample``
variant samples each aircraft's action from the policy's softmax (seeded by the budget's seed)
instead of taking the argmax.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from schedgym.agents.checkpoint import file_fingerprint
from schedgym.agents.fleet.epoch_graph import (
    DEFAULT_EPOCH_CHECKPOINT,
    EpochGraphPolicy,
    load_epoch_policy,
)
from schedgym.agents.fleet.policy import FleetCheckpointError, checkpoint_key, forecast_table
from schedgym.baselines.fleet.policies import finish
from schedgym.core.solver import Budget, SolveResult, Stopwatch
from schedgym.fleet.dynamics import realise, realise_day
from schedgym.fleet.generator import toy_scenario
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.schedule import FleetSchedule
from schedgym.fleet.simulator import FleetSimulator


@lru_cache(maxsize=4)
def _cached(path: str, resolved: str, version: tuple[int, int]) -> EpochGraphPolicy:
    try:
        return load_epoch_policy(path)
    except Exception as exc:  # unreadable, wrong layout: one error type, one line
        first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise FleetCheckpointError(path, f"not a fleet epoch-graph checkpoint ({first})") from None


def load_epoch_solver_policy(checkpoint: str | Path | None = None) -> EpochGraphPolicy:
    """The policy of ``checkpoint`` (default: the shipped one), cached per file version; a missing
    or unreadable file raises :class:`~schedgym.agents.fleet.policy.FleetCheckpointError`."""
    return _cached(*checkpoint_key(checkpoint, DEFAULT_EPOCH_CHECKPOINT))


class EpochGNNSolver:
    """Play the day with the epoch graph policy, argmax per aircraft (deterministic)."""

    name = "ppo-gnn"
    problem = "fleet"
    sample = False

    def __init__(self, checkpoint: str | Path | None = None) -> None:
        self.policy = load_epoch_solver_policy(checkpoint)
        path = Path(checkpoint) if checkpoint is not None else DEFAULT_EPOCH_CHECKPOINT
        self.fingerprint = file_fingerprint(path)  # part of the leaderboard's config hash
        toy = toy_scenario()  # compile / load the kernels once, outside the timed solve
        self.policy.play(FleetSimulator(toy, realise(toy, 0)))

    def solve(self, instance: FleetScenario, budget: Budget) -> SolveResult[FleetSchedule]:
        """Play the day of ``budget.seed`` (or the scenario's ``day_seed``)."""
        rng = np.random.default_rng(budget.seed) if self.sample else None
        with Stopwatch() as watch:
            sim = FleetSimulator(instance, realise_day(instance, budget.seed))
            self.policy.play(sim, forecast_table(instance), rng=rng)
        meta = self.policy.meta
        return finish(sim, self.name, watch.elapsed, checkpoint_iteration=meta.get("iteration"))


class EpochGNNSampleSolver(EpochGNNSolver):
    """As :class:`EpochGNNSolver`, sampling each action from the softmax (seeded)."""

    name = "ppo-gnn-sample"
    sample = True
