"""``ga``: a genetic algorithm over the day's plan, evaluated by simulating the realised day.

As in Paul, Witter & Chowdhury (2024), the GA is an *offline* planner: it evaluates each plan by
playing it on the day being solved, so it sees that day's demand and disruptions (which an
online policy does not). A plan is a genome ``(A, T)`` of actions (kernel encoding: a vertiport,
or ``V`` to charge) for each aircraft and epoch; ``-1`` defers to the greedy dispatcher, and so
does any gene that is illegal when its aircraft decides (the repair rule), so every genome plays a
valid day. Playing a genome is one compiled rollout (:func:`schedgym.fleet.kernels.rollout`).

* initial population: the all-greedy plan and mutants of it (so the GA never ends below greedy);
* selection: binary tournaments; elitism keeps the ``elite`` best;
* crossover (probability ``crossover``): each aircraft's row from one parent or the other;
* mutation: ``mutation_genes`` genes at epochs where the parent's aircraft actually decided,
  set to a random action or back to ``-1``.

Seeded by the budget's seed; deterministic for a given ``generations`` (``time_limit_s`` of the
budget, when given, stops earlier).
"""

from __future__ import annotations

import numpy as np

from schedgym.baselines.fleet.policies import finish
from schedgym.core.solver import Budget, SolveResult, Stopwatch
from schedgym.fleet import kernels
from schedgym.fleet.dynamics import realise_day
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.schedule import FleetSchedule
from schedgym.fleet.simulator import CHARGE_BELOW, REPOSITION_MIN, FleetSimulator


class GeneticPlanner:
    """The GA of the module docstring (default budget: 16 plans x 30 generations)."""

    name = "ga"
    problem = "fleet"

    def __init__(
        self,
        population: int = 16,
        generations: int = 30,
        elite: int = 2,
        crossover: float = 0.7,
        mutation_genes: int = 6,
        charge_below: float = CHARGE_BELOW,
        reposition_min: int = REPOSITION_MIN,
    ) -> None:
        if population < 2 or not 0 < elite < population:
            raise ValueError("need population >= 2 and 0 < elite < population")
        self.population, self.generations, self.elite = population, generations, elite
        self.crossover, self.mutation_genes = crossover, mutation_genes
        self.charge_below, self.reposition_min = charge_below, reposition_min

    def _evaluate(self, sim: FleetSimulator, genome: np.ndarray) -> tuple[float, np.ndarray]:
        sim.play_genome(genome, self.charge_below, self.reposition_min)
        count = sim.state.clock[kernels.N_DECISIONS]
        points = sim.state.decisions[:count, :2].copy()  # epoch, aircraft
        return sim.profit(), points

    def _mutate(
        self, genome: np.ndarray, points: np.ndarray, ports: int, rng: np.random.Generator
    ) -> np.ndarray:
        child = genome.copy()
        if len(points) == 0:
            return child
        for i in rng.integers(0, len(points), self.mutation_genes):
            epoch, aircraft = points[i]
            child[aircraft, epoch] = int(rng.integers(-1, ports + 1))
        return child

    def solve(self, instance: FleetScenario, budget: Budget) -> SolveResult[FleetSchedule]:
        """Evolve plans for the day; return the best one played through the simulator."""
        rng = np.random.default_rng(budget.seed)
        with Stopwatch() as watch:
            sim = FleetSimulator(instance, realise_day(instance, budget.seed))
            ports = instance.num_vertiports
            greedy = np.full((instance.num_aircraft, instance.num_epochs), -1, dtype=np.int64)
            fitness, points = self._evaluate(sim, greedy)
            pop = [(fitness, greedy, points)]
            while len(pop) < self.population:
                child = self._mutate(greedy, points, ports, rng)
                score, child_points = self._evaluate(sim, child)
                pop.append((score, child, child_points))
            done = 0
            for _ in range(self.generations):
                if budget.time_limit_s is not None and watch.now() > budget.time_limit_s:
                    break
                pop.sort(key=lambda item: -item[0])
                nxt = pop[: self.elite]
                while len(nxt) < self.population:
                    a, b = self._pick(pop, rng), self._pick(pop, rng)
                    child = a[1]
                    if rng.random() < self.crossover:
                        rows = rng.random(instance.num_aircraft) < 0.5
                        child = np.where(rows[:, None], a[1], b[1])
                    child = self._mutate(child, a[2], ports, rng)
                    score, child_points = self._evaluate(sim, child)
                    nxt.append((score, child, child_points))
                pop = nxt
                done += 1
            pop.sort(key=lambda item: -item[0])
            best = pop[0][1]
            sim.play_genome(best, self.charge_below, self.reposition_min)
        return finish(
            sim,
            self.name,
            watch.elapsed,
            generations=done,
            greedy_profit=fitness,
            evaluations=self.population + done * (self.population - self.elite),
        )

    @staticmethod
    def _pick(
        pop: list[tuple[float, np.ndarray, np.ndarray]], rng: np.random.Generator
    ) -> tuple[float, np.ndarray, np.ndarray]:
        i, j = rng.integers(0, len(pop), 2)
        return pop[i] if pop[i][0] >= pop[j][0] else pop[j]
