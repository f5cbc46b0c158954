"""The fleet day as a Python object: one decision at a time, over the compiled kernels.

:class:`FleetSimulator` is what the env wraps and what the rule-based baselines drive directly
(skipping the observation encoding). Actions use the *kernel encoding*: ``d < V`` flies to
vertiport ``d`` (stays when ``d`` is the aircraft's own vertiport), ``V`` charges. The rules are
in :mod:`schedgym.fleet.kernels`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from schedgym.fleet import kernels
from schedgym.fleet.dynamics import Realisation
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.kernels import C_ADDED, C_AIRCRAFT, EPOCH, F_AIRCRAFT, F_DEST, F_ORIGIN, F_PAX
from schedgym.fleet.network import Network, compile_network
from schedgym.fleet.schedule import FleetSchedule

Policy = Callable[["FleetSimulator"], int]

# Defaults of the greedy rule (see kernels.greedy_action).
CHARGE_BELOW = 0.5
REPOSITION_MIN = 4


def event_profit(net: Network, flights: np.ndarray, charges: np.ndarray) -> float:
    """Exact (``math.fsum``) profit of logged flights and charges."""
    kind = net.kind[flights[:, F_AIRCRAFT]]
    o, d = flights[:, F_ORIGIN], flights[:, F_DEST]
    gains = flights[:, F_PAX] * net.margin[o, d] - net.flight_cost[kind, o, d]
    costs = charges[:, C_ADDED] * net.unit_cost[charges[:, C_AIRCRAFT]]
    return math.fsum(np.concatenate([gains, -costs]).tolist())


class FleetSimulator:
    """One realised day of ``scenario``, played decision by decision.

    After construction (or :meth:`reset`) ``aircraft`` is the aircraft that decides now (``-1``
    once the day is over), ``epoch`` the current epoch and ``mask`` its legal actions.
    """

    def __init__(self, scenario: FleetScenario, day: Realisation) -> None:
        self.scenario, self.day = scenario, day
        self.net = compile_network(scenario, day)
        self.state = kernels.new_state(self.net)
        self.num_ports = scenario.num_vertiports
        self.mask = np.zeros(self.num_ports + 1, dtype=np.bool_)
        self.aircraft = -1
        self.reset()

    def reset(self) -> None:
        """Back to the start of the day."""
        kernels.reset_state(self.net, self.state)
        self._advance()

    def _advance(self) -> None:
        self.aircraft = int(kernels.advance(self.net, self.state))
        if self.aircraft >= 0:
            kernels.legal_actions(self.net, self.state, self.aircraft, self.mask)
        else:
            self.mask.fill(False)

    @property
    def done(self) -> bool:
        """Whether the day is over."""
        return self.aircraft < 0

    @property
    def epoch(self) -> int:
        """The current epoch (``T`` once the day is over)."""
        return int(self.state.clock[EPOCH])

    @property
    def location(self) -> int:
        """Vertiport of the deciding aircraft."""
        return int(self.state.loc[self.aircraft])

    def is_legal(self, action: int) -> bool:
        """Whether ``action`` (kernel encoding) is legal for the deciding aircraft."""
        return not self.done and 0 <= action <= self.num_ports and bool(self.mask[action])

    def step(self, action: int) -> float:
        """Apply a legal action of the deciding aircraft; return its reward (profit change)."""
        if not self.is_legal(action):
            raise ValueError(f"illegal action {action} for aircraft {self.aircraft}")
        reward = float(kernels.apply_action(self.net, self.state, self.aircraft, int(action)))
        self.state.clock[kernels.CURSOR] = self.aircraft + 1
        self._advance()
        return reward

    def greedy(
        self, charge_below: float = CHARGE_BELOW, reposition_min: int = REPOSITION_MIN
    ) -> int:
        """The greedy dispatcher's action for the deciding aircraft."""
        return int(
            kernels.greedy_action(
                self.net, self.state, self.aircraft, self.mask, charge_below, reposition_min
            )
        )

    def run(self, policy: Policy) -> float:
        """Play the rest of the day with ``policy`` (simulator -> legal action)."""
        total = 0.0
        while not self.done:
            total += self.step(policy(self))
        return total

    def play_genome(
        self,
        genome: np.ndarray,
        charge_below: float = CHARGE_BELOW,
        reposition_min: int = REPOSITION_MIN,
    ) -> float:
        """Play the whole day from the start with a ``(A, T)`` plan (greedy where a gene is -1 or
        illegal; see :func:`kernels.rollout`); return the running profit."""
        genes = np.ascontiguousarray(genome, dtype=np.int64)
        return self.play_compiled(kernels.rollout, genes, charge_below, reposition_min)

    def play_compiled(self, day: Callable[..., float], *args: object) -> float:
        """Play the whole day from the start with a compiled loop ``day(net, state, *args)``
        (such as :func:`kernels.rollout`) that runs to the end of the day and returns the
        running profit; the simulator is then at the end of the day."""
        kernels.reset_state(self.net, self.state)
        total = float(day(self.net, self.state, *args))
        self.aircraft = -1
        self.mask.fill(False)
        return total

    def profit(self) -> float:
        """Profit so far, exact (``math.fsum``) over the logged flights and charges."""
        clock = self.state.clock
        flights = self.state.flights[: clock[kernels.N_FLIGHTS]]
        charges = self.state.charges[: clock[kernels.N_CHARGES]]
        return event_profit(self.net, flights, charges)

    def schedule(
        self,
        solver: str = "",
        status: str = "feasible",
        wall_time_s: float = 0.0,
        bound: float | None = None,
    ) -> FleetSchedule:
        """The record of the day so far (copies of the logs)."""
        st, clock = self.state, self.state.clock
        flights = clock[kernels.N_FLIGHTS]
        return FleetSchedule(
            scenario=self.scenario.name,
            day_seed=self.day.seed,
            decisions=st.decisions[: clock[kernels.N_DECISIONS]].copy(),
            flights=st.flights[:flights].copy(),
            boarded=st.boarded[:flights].copy(),
            charges=st.charges[: clock[kernels.N_CHARGES]].copy(),
            lost=st.lost.copy(),
            profit=self.profit(),
            solver=solver,
            status=status,
            wall_time_s=wall_time_s,
            bound=bound,
        )


def replay(scenario: FleetScenario, day: Realisation, decisions: np.ndarray) -> FleetSimulator:
    """Play ``decisions`` (rows epoch, aircraft, action with -1 for charge) through a fresh
    simulator; raise ``ValueError`` at the first one that is out of turn or illegal."""
    sim = FleetSimulator(scenario, day)
    for i, (epoch, aircraft, action) in enumerate(np.asarray(decisions).tolist()):
        if sim.done or (sim.epoch, sim.aircraft) != (epoch, aircraft):
            now = "the day is over" if sim.done else f"aircraft {sim.aircraft} decides"
            raise ValueError(
                f"decision {i} (epoch {epoch}, aircraft {aircraft}) is out of turn: "
                f"at epoch {sim.epoch} {now}"
            )
        code = sim.num_ports if action == kernels.CHARGE else action
        if not sim.is_legal(code):
            raise ValueError(f"decision {i} (epoch {epoch}, aircraft {aircraft}): illegal {action}")
        sim.step(code)
    if not sim.done:
        raise ValueError(f"decisions end at epoch {sim.epoch} before the day is over")
    return sim
