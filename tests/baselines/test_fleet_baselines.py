"""Fleet baselines: valid records, seeded GA, and the clairvoyant bound above every solver."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest

from schedgym.baselines.fleet.certify import certify
from schedgym.baselines.fleet.clairvoyant import ClairvoyantSolver, bound_day
from schedgym.baselines.fleet.ga import GeneticPlanner
from schedgym.baselines.fleet.policies import GreedyDispatcher, RandomPolicy
from schedgym.core.solver import Budget, available_solvers, load_solver
from schedgym.datasets import fleet as fleet_data
from schedgym.fleet.dynamics import realise_day
from schedgym.fleet.generator import default_scenario, toy_scenario
from schedgym.fleet.network import compile_network
from schedgym.fleet.validate import replay_schedule, validate_schedule
from tests.fleet.scripts import small

FAST_GA = {"population": 8, "generations": 6}


def _solvers() -> list:  # type: ignore[type-arg]
    return [RandomPolicy(), GreedyDispatcher(), GeneticPlanner(**FAST_GA), ClairvoyantSolver()]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_solver_plays_a_valid_day_below_the_bound(seed: int) -> None:
    scenario = small(seed=seed)
    results = {s.name: s.solve(scenario, Budget(seed=seed)) for s in _solvers()}
    bound = results["clairvoyant"].bound
    assert bound is not None
    for name, result in results.items():
        record = result.schedule
        assert record is not None and record.day_seed == seed
        profit = validate_schedule(scenario, record)
        assert replay_schedule(scenario, record) == record.profit == result.objective
        assert profit <= bound, f"{name}: profit {profit} above the bound {bound}"
    assert results["ga"].objective >= results["greedy"].objective  # greedy seeds the GA
    assert results["greedy"].objective > results["random"].objective
    assert 0.0 <= results["clairvoyant"].info["gap"] < 1.0


def test_bound_holds_on_a_default_day_and_matches_the_shipped_one() -> None:
    scenario = default_scenario()
    greedy = GreedyDispatcher().solve(scenario, Budget(seed=4)).objective
    ga = GeneticPlanner(**FAST_GA).solve(scenario, Budget(seed=4)).objective
    bound = bound_day(scenario, 4)
    assert bound is not None and greedy is not None and ga is not None
    assert max(greedy, ga) < bound
    shipped = fleet_data.reference("dfw-8v40a-d4")
    assert shipped is not None and bound <= shipped < bound + 0.02  # rules changed? recompute


@pytest.mark.parametrize(("energy", "level_units"), [("fleet", 50), ("levels", 50), ("none", 1)])
def test_model_relaxes_every_played_day(energy: str, level_units: int) -> None:
    """Each solver's day, embedded in the model, is a feasible point worth at least its profit:
    the model (hence its LP bound) really is a relaxation of the simulator."""
    scenario = small(seed=5, hours=3)
    net = compile_network(scenario, realise_day(scenario, 7))
    for solver in _solvers()[:3]:
        record = solver.solve(scenario, Budget(seed=7)).schedule
        assert record is not None
        feasible, value = certify(net, record, energy, level_units)
        assert feasible and value is not None and value >= record.profit - 1e-6


def test_integer_model_on_the_toy_and_its_plan_is_checked() -> None:
    scenario = toy_scenario().with_day(0)
    result = ClairvoyantSolver(integer=True).solve(scenario, Budget(seed=0, time_limit_s=20))
    assert result.info["mip_status"] == 0  # optimal
    record = result.schedule
    assert record is not None and result.bound is not None
    assert validate_schedule(scenario, record) == result.objective <= result.bound
    greedy = GreedyDispatcher().solve(scenario, Budget(seed=0)).objective
    assert greedy is not None and greedy <= result.bound


def test_ga_is_seeded() -> None:
    scenario = small(seed=3)
    one = GeneticPlanner(**FAST_GA).solve(scenario, Budget(seed=1))
    two = GeneticPlanner(**FAST_GA).solve(scenario, Budget(seed=1))
    assert one.objective == two.objective
    assert one.schedule is not None and two.schedule is not None
    assert (one.schedule.decisions == two.schedule.decisions).all()


def test_entry_points_publish_the_stable_names() -> None:
    names = {"random", "greedy", "ga", "clairvoyant"}
    assert names <= set(available_solvers("fleet"))
    for name in sorted(names):
        solver = load_solver("fleet", name)
        assert solver.name == name and solver.problem == "fleet"
