"""The trained fleet agent as a solver: ``fleet.agent``.

An *online* policy: at each decision it sees only the present (queues, batteries, parking,
chargers, open routes) and the scenario's demand forecast, never the realised rest of the day
(unlike ``ga`` and ``clairvoyant``, which plan on the day being solved). It plays the day through
the compiled simulator rules, so its record replays exactly through ``FleetScheduling-v0`` on the
same seed. Options: ``checkpoint`` (default ``agents/checkpoints/fleet_agent.npz``; a bad file
raises :class:`~schedgym.agents.fleet.policy.FleetCheckpointError` before anything is played).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from schedgym.agents.checkpoint import file_fingerprint
from schedgym.agents.fleet.policy import (
    DEFAULT_CHECKPOINT,
    FleetPolicy,
    checkpoint_key,
    forecast_table,
)
from schedgym.baselines.fleet.policies import finish
from schedgym.core.solver import Budget, SolveResult, Stopwatch
from schedgym.fleet.dynamics import realise, realise_day
from schedgym.fleet.generator import toy_scenario
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.schedule import FleetSchedule
from schedgym.fleet.simulator import FleetSimulator


@lru_cache(maxsize=4)
def _cached(path: str, resolved: str, version: tuple[int, int]) -> FleetPolicy:
    return FleetPolicy.load(path)


def load_fleet_policy(checkpoint: str | Path | None = None) -> FleetPolicy:
    """The policy of ``checkpoint`` (default: the shipped one), cached per file version.

    Every fault of the file (see :func:`~schedgym.agents.fleet.policy.read_checkpoint`), or a
    ``checkpoint`` that is not a path, raises
    :class:`~schedgym.agents.fleet.policy.FleetCheckpointError`
    before the compiled kernel sees any weight."""
    return _cached(*checkpoint_key(checkpoint, DEFAULT_CHECKPOINT))


def _warm_up(policy: FleetPolicy) -> None:
    """Play a toy day once so that loading the compiled kernels (~0.15 s, once per process) is
    not counted in the first timed ``solve``."""
    toy = toy_scenario()
    policy.play(FleetSimulator(toy, realise(toy, 0)))


class FleetAgentSolver:
    """Play the day with the trained scoring policy (deterministic: argmax of the scores)."""

    name = "agent"
    problem = "fleet"

    def __init__(self, checkpoint: str | Path | None = None) -> None:
        self.policy = load_fleet_policy(checkpoint)
        path = Path(checkpoint) if checkpoint is not None else DEFAULT_CHECKPOINT
        self.fingerprint = file_fingerprint(path)  # part of the leaderboard's config hash
        _warm_up(self.policy)

    def solve(self, instance: FleetScenario, budget: Budget) -> SolveResult[FleetSchedule]:
        """Play the day of ``budget.seed`` (or the scenario's ``day_seed``)."""
        with Stopwatch() as watch:
            sim = FleetSimulator(instance, realise_day(instance, budget.seed))
            self.policy.play(sim, forecast_table(instance))
        meta = self.policy.meta
        return finish(sim, self.name, watch.elapsed, checkpoint_iteration=meta.get("iteration"))
