"""``schedgym/FleetScheduling-v0``: dispatch an urban-air-mobility fleet, one aircraft per step.

Day
    Decision epochs of ``epoch_min`` minutes (default 10, 06:00-22:00: 96 epochs). In each epoch
    every free aircraft that is not down decides once, in index order (the rules, shared with the
    simulator and the validator, are in :mod:`schedgym.fleet.kernels`). Passengers appear per
    origin-destination pair (morning and evening peaks) and wait up to ``max_wait_min`` before
    leaving; take-off holds, route closures and aircraft downtime are drawn with the day (each
    switchable: ``delays``, ``closures``, ``downtime``; scaled by ``uncertainty``).
Action
    ``Discrete(max_vertiports + 1)`` for the deciding aircraft: ``v < V`` flies to vertiport ``v``
    (``v`` = its own vertiport: stay one epoch); ``max_vertiports``: charge one epoch. Masked to the
    legal ones: range and reserve, open routes, a free parking slot at the destination (held from
    departure), landing by the end of the day, a free charger and a battery not yet full.
Reward
    ``reward_scale`` x (fares minus per-passenger costs of the passengers boarding, minus the
    flight's operating cost; or minus the charging cost), so the episode return is
    ``reward_scale`` x the day's profit. ``reward_scale="auto"`` divides by the largest margin of
    one full flight (the observation's unit of value) times the number of aircraft, so the
    return is the profit in full flights per aircraft, comparable across fleet sizes.
Observation
    Padded graph (``schedgym.core.graph_obs``): vertiport nodes then aircraft nodes; route edges
    and aircraft -> vertiport edges; 22 node and 7 global features (``schedgym.fleet.observation``).
    ``action_node`` maps ``v`` to vertiport node ``v`` and "charge" to the deciding aircraft's node.
Invalid actions
    A masked or out-of-range action is refused: the state does not change, the reward is
    ``-invalid_penalty`` and ``info["invalid_action"] = True``; with ``strict=True`` it raises
    ``ValueError``.
Episode end
    ``terminated`` when the day is over; ``info["profit"]`` then holds the exact profit and
    ``env.unwrapped.schedule()`` the day's record (replayable, validated by
    :func:`schedgym.fleet.validate.validate_schedule`).
Options
    ``scenario`` (or ``instance``, as in the other envs): shipped name, JSON path or
    :class:`FleetScenario` (default: the shipped
    ``dfw-8v40a``); or ``num_vertiports`` / ``num_aircraft`` (ints or ranges) to draw one per reset
    from :class:`FleetGenerator`. The day: ``reset(seed=s)`` plays day ``s`` (what a solver sees
    with ``Budget(seed=s)``) unless the scenario fixes ``day_seed``; later resets without a seed
    draw new days. ``reset(options={"scenario": ..., "realisation": ...})`` switches the scenario
    (``"instance"`` is an alias, as in the other envs) or gives the day explicitly for one
    episode. ``demand_level`` and ``uncertainty`` override the
    scenario's. Renders ``ansi`` (a summary line) and ``rgb_array`` (the day plot).

Version history: v0 — first release.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from schedgym.core.actions import as_action
from schedgym.core.render import render_at_end, rendered
from schedgym.core.rewards import RewardScale, checked_reward_scale, episode_scale
from schedgym.fleet.dynamics import Realisation, realise
from schedgym.fleet.generator import FleetGenerator, SizeRange, default_scenario
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.observation import FleetObserver, observation_space
from schedgym.fleet.problem import load_instance
from schedgym.fleet.schedule import FleetSchedule
from schedgym.fleet.simulator import FleetSimulator


def _high(size: SizeRange) -> int:
    return size if isinstance(size, int) else int(size[1])


class FleetSchedulingEnv(gym.Env):
    """UAM fleet dispatching environment (see the module docstring for the full contract)."""

    metadata = {"render_modes": ["ansi", "rgb_array", "human"], "render_fps": 4}  # noqa: RUF012

    def __init__(
        self,
        scenario: str | Path | FleetScenario | None = None,
        *,
        instance: str | Path | FleetScenario | None = None,
        num_vertiports: SizeRange | None = None,
        num_aircraft: SizeRange | None = None,
        generator: FleetGenerator | None = None,
        max_vertiports: int | None = None,
        max_aircraft: int | None = None,
        demand_level: float | None = None,
        uncertainty: float | None = None,
        delays: bool = True,
        closures: bool = True,
        downtime: bool = True,
        realisation: Realisation | None = None,
        reward_scale: RewardScale = 1.0,
        invalid_penalty: float = 1.0,
        strict: bool = False,
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}")
        if instance is not None:
            if scenario is not None:
                raise ValueError("give scenario or instance (its alias), not both")
            scenario = instance
        self.generator: FleetGenerator | None = generator
        if self.generator is None and (num_vertiports is not None or num_aircraft is not None):
            self.generator = FleetGenerator(num_vertiports or (4, 10), num_aircraft or (10, 40))
        if scenario is not None or self.generator is None:
            self.fixed: FleetScenario | None = self._load(scenario)
            default_ports, default_fleet = self.fixed.num_vertiports, self.fixed.num_aircraft
        else:
            self.fixed = None
            default_ports = _high(self.generator.num_vertiports)
            default_fleet = _high(self.generator.num_aircraft)
        self.overrides = (demand_level, uncertainty, delays, closures, downtime)
        self.realisation = realisation
        self.max_ports = max_vertiports or default_ports
        self.max_aircraft = max_aircraft or default_fleet
        self.reward_scale = checked_reward_scale(reward_scale)
        self._scale = 1.0  # set per episode at reset
        self.invalid_penalty = invalid_penalty
        self.strict = strict
        self.render_mode = render_mode
        self.observation_space = observation_space(self.max_ports, self.max_aircraft)
        self.action_space = spaces.Discrete(self.max_ports + 1)
        self._observer = FleetObserver(self.max_ports, self.max_aircraft)
        self._sim: FleetSimulator | None = None

    def _load(self, scenario: str | Path | FleetScenario | None) -> FleetScenario:
        if scenario is None:
            return default_scenario()
        return scenario if isinstance(scenario, FleetScenario) else load_instance(scenario)

    def _adjust(self, scenario: FleetScenario) -> FleetScenario:
        level, scale, delays, closures, downtime = self.overrides
        if level is not None:
            scenario = replace(scenario, demand=replace(scenario.demand, level=level))
        unc = scenario.uncertainty if scale is None else scenario.uncertainty.scaled(scale)
        return replace(scenario, uncertainty=unc.switched(delays, closures, downtime))

    # ------------------------------------------------------------------ gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start a day (see "Options" in the module docstring)."""
        super().reset(seed=seed)
        options = options or {}
        chosen = options.get("scenario", options.get("instance"))  # "instance" as in every env
        if chosen is not None:
            scenario = self._load(chosen)
        elif self.fixed is not None:
            scenario = self.fixed
        else:
            assert self.generator is not None
            scenario = self.generator.sample(self.np_random)
        scenario = self._adjust(scenario)
        day = options.get("realisation") or self.realisation
        if day is None:
            if scenario.day_seed is not None:
                day_seed = scenario.day_seed
            elif seed is not None:
                day_seed = int(seed)
            else:
                day_seed = int(self.np_random.integers(2**31 - 1))
            day = realise(scenario, day_seed)
        self._sim = FleetSimulator(scenario, day)
        self._observer.reset(self._sim)
        self._observer.refresh()
        unit = self._observer.margin_scale * max(scenario.num_aircraft, 1)
        self._scale = episode_scale(self.reward_scale, unit)
        info = {"scenario": scenario.name, "day_seed": day.seed, **self._where()}
        return self._observer.buffer.observation(), info

    def _where(self) -> dict[str, int]:
        sim = self.simulator
        return {"epoch": sim.epoch, "aircraft": sim.aircraft}

    def _code(self, action: int) -> int:
        """Kernel encoding of an env action (-1 if it maps to nothing)."""
        sim = self.simulator
        if action == self.max_ports:
            return sim.num_ports
        return action if 0 <= action < sim.num_ports else -1

    def step(
        self, action: int | np.integer
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """The deciding aircraft takes ``action`` (see the module docstring)."""
        sim = self.simulator
        taken = as_action(action, self.max_ports + 1)
        code = self._code(taken)
        if code < 0 or not sim.is_legal(code):
            if self.strict:
                raise ValueError(f"invalid action {taken} for aircraft {sim.aircraft}")
            obs = self._observer.buffer.observation()
            refused = {"invalid_action": True, **self._where()}
            return obs, -float(self.invalid_penalty), False, False, refused
        aircraft, origin = sim.aircraft, sim.location
        reward = sim.step(code) * self._scale
        if code < sim.num_ports and code != origin:
            self._observer.on_departure(aircraft)
        self._observer.refresh()
        info: dict[str, Any] = {"invalid_action": False, **self._where()}
        terminated = sim.done
        if terminated:
            record = sim.schedule()
            info.update(
                {
                    "profit": record.profit,
                    "passengers": record.passengers,
                    "lost": int(record.lost.sum()),
                }
            )
        render_at_end(self, terminated)
        return self._observer.buffer.observation(), float(reward), terminated, False, info

    def action_masks(self) -> np.ndarray:
        """Legal actions, bool ``(max_vertiports + 1,)`` (for sb3-contrib's MaskablePPO)."""
        return self._observer.buffer.action_mask.astype(bool)

    def render(self) -> str | np.ndarray | None:
        """``ansi``: one summary line; ``rgb_array``: the day plot ``(H, W, 3)`` uint8.

        ``human``: the ``ansi`` text printed to stdout (also when an episode ends); ``None``.
        """
        if self.render_mode is None or self._sim is None:
            return None
        sim, record = self._sim, self.schedule()
        text = (
            f"{sim.scenario.name} epoch {sim.epoch}/{sim.net.num_epochs}: "
            f"profit {record.profit:.2f}, {record.passengers} passengers, "
            f"{len(record.flights)} flights, {len(record.charges)} charges"
        )

        def picture() -> np.ndarray:
            from schedgym.fleet.render import day_rgb

            return day_rgb(sim.scenario, record, sim.day)

        return rendered(self.render_mode, lambda: text, picture)

    # ------------------------------------------------------------------ extras
    @property
    def simulator(self) -> FleetSimulator:
        """The episode's simulator (after ``reset``)."""
        if self._sim is None:
            raise RuntimeError("call reset() first")
        return self._sim

    @property
    def scenario(self) -> FleetScenario:
        """The current episode's scenario."""
        return self.simulator.scenario

    def schedule(self, solver: str = "", status: str = "feasible") -> FleetSchedule:
        """The day's record so far."""
        return self.simulator.schedule(solver, status)
