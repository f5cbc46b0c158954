"""``clairvoyant``: an upper bound on the day's profit from the time-expanded model, and the plan
it suggests, played through the simulator.

The solver builds :mod:`schedgym.baselines.fleet.model` for the realised day (perfect information of
demand and disruptions) and solves its LP relaxation (GLOP) for a bound that no policy can beat on
that day; with ``integer=True`` it also runs a MIP solver (SCIP by default) within the budget's
time limit, keeping the smaller of the LP bound and the MIP's proven bound. Bounds are rounded up by
``1e-6`` (relative) to absorb solver tolerances.

The model's flows are then followed in the simulator: an aircraft deciding at vertiport ``o`` in
epoch ``t`` takes the legal action with the most remaining planned flow of its type at ``(o, t)``
(at least one half), else the greedy dispatcher's action. The record of that day is validated like
any other solver's, so its profit is real; ``SolveResult.bound`` carries the bound and
``info["gap"]`` the relative gap between them.

The whole-day integer model is large at the paper's scale (about 7,000 integer arc counts for
8 vertiports and 40 aircraft over 96 epochs): within 30-60 s the MIP solvers bundled with
OR-Tools (SCIP, HiGHS, CBC) found no incumbent there, which is why the LP relaxation is the
default (about 5 s per day). The LP is tightened by a valid cut (a departure's usable seats are at
most the passengers that can be waiting for it). Battery models (``energy``, see
:mod:`schedgym.baselines.fleet.model`): ``"fleet"`` (default), ``"levels"`` (coarsened per-aircraft
levels
of ``level_units``; no tighter at the default scale and 15-50x slower), ``"none"``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ortools.linear_solver import pywraplp

from schedgym.baselines.fleet.model import CHARGE, DOWN, ENERGY_MODES, FLY, WAIT, build_model
from schedgym.baselines.fleet.policies import finish
from schedgym.core.solver import Budget, SolveResult, Stopwatch
from schedgym.fleet.dynamics import realise_day
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.schedule import FleetSchedule
from schedgym.fleet.simulator import FleetSimulator

TOLERANCE = 1e-6
DEFAULT_MIP_TIME_S = 30.0


def _safe(value: float) -> float:
    return value + TOLERANCE * max(1.0, abs(value))


class ClairvoyantSolver:
    """Upper bound plus the plan it suggests (see the module docstring)."""

    name = "clairvoyant"
    problem = "fleet"

    def __init__(
        self,
        integer: bool = False,
        energy: str = "fleet",
        level_units: int = 50,
        mip_backend: str = "SCIP",
    ) -> None:
        if energy not in ENERGY_MODES:
            raise ValueError(f"energy must be one of {ENERGY_MODES}")
        self.integer, self.energy, self.mip_backend = integer, energy, mip_backend
        self.level_units = level_units

    def solve(self, instance: FleetScenario, budget: Budget) -> SolveResult[FleetSchedule]:
        """Bound the day and play the model's plan."""
        info: dict[str, Any] = {}
        with Stopwatch() as watch:
            sim = FleetSimulator(instance, realise_day(instance, budget.seed))
            lp = build_model(sim.net, "GLOP", False, self.energy, self.level_units)
            lp.solver.SetNumThreads(budget.workers)
            if budget.time_limit_s is not None and not self.integer:
                lp.solver.SetTimeLimit(int(1000 * max(budget.time_limit_s - watch.now(), 1.0)))
            lp_status = lp.solver.Solve()
            info.update(lp.stats)
            bound: float | None = None
            plan_model = lp
            if lp_status == pywraplp.Solver.OPTIMAL:
                bound = _safe(lp.solver.Objective().Value())
                info["lp_bound"] = bound
            if self.integer:
                mip = build_model(sim.net, self.mip_backend, True, self.energy, self.level_units)
                mip.solver.SetNumThreads(budget.workers)
                limit = DEFAULT_MIP_TIME_S if budget.time_limit_s is None else budget.time_limit_s
                mip.solver.SetTimeLimit(int(1000 * max(limit - watch.now(), 1.0)))
                status = mip.solver.Solve()
                info["mip_status"] = int(status)
                if status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
                    proven = _safe(mip.solver.Objective().BestBound())
                    info["mip_bound"] = proven
                    info["mip_objective"] = mip.solver.Objective().Value()
                    bound = proven if bound is None else min(bound, proven)
                    plan_model = mip
            flows = _flows(plan_model) if plan_model.solver.NumVariables() else {}
            sim.run(_follow(flows, self.level_units, self.energy == "levels"))
        if bound is not None and bound > 0:
            info["gap"] = (bound - sim.profit()) / bound
        return finish(sim, self.name, watch.elapsed, bound=bound, **info)


Flows = dict[tuple[int, ...], dict[int, float]]


def _flows(model: Any) -> Flows:
    """Planned aircraft counts by (type, vertiport, epoch, level) and by (type, vertiport,
    epoch), per action (kernel encoding)."""
    flows: Flows = defaultdict(lambda: defaultdict(float))
    try:
        values = [arc.n.solution_value() for arc in model.arcs]
    except Exception:  # no solution: nothing to follow
        return {}
    ports = max((arc.d for arc in model.arcs), default=0) + 1
    for arc, value in zip(model.arcs, values, strict=True):
        if value <= 1e-9 or arc.kind == DOWN:
            continue
        code = {WAIT: arc.o, CHARGE: ports, FLY: arc.d}[arc.kind]
        flows[(arc.k, arc.o, arc.t, arc.b)][code] += value
        flows[(arc.k, arc.o, arc.t)][code] += value
    return flows


def _follow(flows: Flows, level_units: int, levels: bool) -> Any:
    """The plan-following policy of the module docstring: the aircraft's own level first."""

    def pick(sim: FleetSimulator, key: tuple[int, ...]) -> int | None:
        plan = flows.get(key)
        if not plan:
            return None
        stay, charge = sim.location, sim.num_ports
        legal = [c for c, v in plan.items() if v >= 0.5 and sim.is_legal(c)]
        full = sim.state.soc[sim.aircraft] >= sim.net.full[sim.aircraft]
        if not legal and full and plan.get(charge, 0.0) >= 0.5:  # a charge when full: stay
            plan[charge] -= 1.0
            return stay
        if not legal:
            return None
        choice = max(legal, key=lambda c: (plan[c], c != stay))
        plan[choice] -= 1.0
        return int(choice)

    def policy(sim: FleetSimulator) -> int:
        a = sim.aircraft
        base = (int(sim.net.kind[a]), sim.location, sim.epoch)
        level = -(-int(sim.state.soc[a]) // level_units) if levels else 0
        for key in ((*base, level), base):
            choice = pick(sim, key)
            if choice is not None:
                return choice
        return sim.greedy()

    return policy


def bound_day(
    instance: FleetScenario, seed: int, energy: str = "fleet", level_units: int = 50
) -> float | None:
    """Just the LP bound of the day (no plan), ``None`` if GLOP did not prove optimality."""
    from schedgym.fleet.network import compile_network

    net = compile_network(instance, realise_day(instance, seed))
    model = build_model(net, "GLOP", False, energy, level_units)
    if model.solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return _safe(model.solver.Objective().Value())
