"""Fleet solvers that play the day through the simulator: ``random`` and ``greedy``.

Both drive :class:`schedgym.fleet.simulator.FleetSimulator`, the same rules as
``FleetScheduling-v0`` without the observation encoding, on the day of
:func:`schedgym.fleet.dynamics.realise_day` (the scenario's ``day_seed``, else the budget's
seed), so their records replay exactly through the env.

=========  ==========================================================================
``random``  a uniformly random legal action (fly, stay or charge), seeded by the budget
``greedy``  demand-following dispatcher (:func:`schedgym.fleet.kernels.greedy_action`): the most
            profitable flight carrying waiting passengers; else charge below half a battery;
            else reposition to the largest unserved queue; else top up; else stay
=========  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from schedgym.core.solver import Budget, SolveResult, Stopwatch
from schedgym.fleet.dynamics import realise_day
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.schedule import FleetSchedule
from schedgym.fleet.simulator import CHARGE_BELOW, REPOSITION_MIN, FleetSimulator


def finish(
    sim: FleetSimulator, name: str, wall_time_s: float, bound: float | None = None, **info: object
) -> SolveResult[FleetSchedule]:
    """The solver result of a finished day: its record, with the exact profit as objective."""
    schedule = sim.schedule(name, "feasible", wall_time_s, bound)
    schedule.info.update(info)
    return SolveResult(
        schedule=schedule,
        solver=name,
        status="feasible",
        wall_time_s=wall_time_s,
        objective=schedule.profit,
        bound=bound,
        info=dict(info),
    )


class SimulatorSolver:
    """Base class: play the day with :meth:`policy` (subclasses set ``name``)."""

    name = "policy"
    problem = "fleet"

    def policy(
        self, sim: FleetSimulator, rng: np.random.Generator
    ) -> Callable[[FleetSimulator], int]:
        """The decision function for one day."""
        raise NotImplementedError

    def solve(self, instance: FleetScenario, budget: Budget) -> SolveResult[FleetSchedule]:
        """Play one day (the time limit is never reached in practice)."""
        with Stopwatch() as watch:
            sim = FleetSimulator(instance, realise_day(instance, budget.seed))
            sim.run(self.policy(sim, np.random.default_rng(budget.seed)))
        return finish(sim, self.name, watch.elapsed)


class RandomPolicy(SimulatorSolver):
    """A uniformly random legal action, seeded by the budget's seed."""

    name = "random"

    def policy(
        self, sim: FleetSimulator, rng: np.random.Generator
    ) -> Callable[[FleetSimulator], int]:
        return lambda s: int(rng.choice(np.flatnonzero(s.mask)))


class GreedyDispatcher(SimulatorSolver):
    """The demand-following dispatcher; ``charge_below`` (fraction of a full battery) and
    ``reposition_min`` (passengers) are its two knobs."""

    name = "greedy"

    def __init__(
        self, charge_below: float = CHARGE_BELOW, reposition_min: int = REPOSITION_MIN
    ) -> None:
        self.charge_below, self.reposition_min = charge_below, reposition_min

    def policy(
        self, sim: FleetSimulator, rng: np.random.Generator
    ) -> Callable[[FleetSimulator], int]:
        return lambda s: s.greedy(self.charge_below, self.reposition_min)

    def solve(self, instance: FleetScenario, budget: Budget) -> SolveResult[FleetSchedule]:
        """Play one day with the compiled rollout (every gene defers to the rule)."""
        with Stopwatch() as watch:
            sim = FleetSimulator(instance, realise_day(instance, budget.seed))
            genome = np.full((instance.num_aircraft, instance.num_epochs), -1, dtype=np.int64)
            sim.play_genome(genome, self.charge_below, self.reposition_min)
        return finish(sim, self.name, watch.elapsed)
