"""The fleet agent's parameters, its checkpoint file, and playing a day with it.

:class:`FleetPolicy` holds the scoring network of :mod:`agents.fleet.kernel` (``w_in``, ``b_in``,
``w_out``, ``w_skip``) and the forecast horizon. It flattens to one vector (what evolution
strategies perturb, :mod:`agents.fleet.es`) and is stored as a ``.npz`` file read with
``allow_pickle=False`` (no code runs on load), with a JSON string of metadata.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agents.fleet.kernel import FEATURES, NUM_FEATURES, agent_action, agent_rollout
from schedgym.fleet.dynamics import demand_rates
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.network import Network
from schedgym.fleet.simulator import FleetSimulator

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent.parent / "checkpoints" / "fleet_agent.npz"


def forecast_table(scenario: FleetScenario) -> np.ndarray:
    """``(T + 1, V)``: expected passengers leaving each vertiport before epoch ``t`` (the
    scenario's demand model, known in advance; not the realised day)."""
    rates = demand_rates(scenario).sum(axis=2)
    ports = scenario.num_vertiports
    return np.concatenate([np.zeros((1, ports)), np.cumsum(rates, axis=0)])


def money_scale(net: Network) -> float:
    """Money unit of the features: the largest margin times the largest cabin."""
    return max(float(net.margin.max()) * float(net.seats.max()), 1.0)


@dataclass
class FleetPolicy:
    """The scoring network (see :mod:`agents.fleet.kernel`) and its feature horizon."""

    w_in: np.ndarray  # (F, H)
    b_in: np.ndarray  # (H,)
    w_out: np.ndarray  # (H,)
    w_skip: np.ndarray  # (F,)
    horizon: int = 6
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def initial(cls, hidden: int, horizon: int, rng: np.random.Generator) -> FleetPolicy:
        """Small random hidden weights; the skip weights start as "take the most valuable
        action" (``value`` = 1), a myopic dispatcher for the search to improve on."""
        w_skip = np.zeros(NUM_FEATURES)
        w_skip[FEATURES.index("value")] = 1.0
        return cls(
            w_in=rng.normal(0.0, 1.0 / np.sqrt(NUM_FEATURES), (NUM_FEATURES, hidden)),
            b_in=np.zeros(hidden),
            w_out=np.zeros(hidden),
            w_skip=w_skip,
            horizon=horizon,
        )

    @property
    def hidden(self) -> int:
        """Hidden units of the network."""
        return int(self.b_in.shape[0])

    def flat(self) -> np.ndarray:
        """All weights as one vector."""
        return np.concatenate([self.w_in.ravel(), self.b_in, self.w_out, self.w_skip])

    def with_flat(self, theta: np.ndarray) -> FleetPolicy:
        """A policy of the same shape with weights ``theta`` (see :meth:`flat`)."""
        f, h = NUM_FEATURES, self.hidden
        sizes = np.cumsum([f * h, h, h, f])
        if theta.shape != (int(sizes[-1]),):
            raise ValueError(f"expected {int(sizes[-1])} weights, got {theta.shape}")
        w_in, b_in, w_out, w_skip = np.split(np.asarray(theta, dtype=np.float64), sizes[:-1])
        return FleetPolicy(w_in.reshape(f, h), b_in, w_out, w_skip, self.horizon, dict(self.meta))

    # ------------------------------------------------------------------ playing
    def play(self, sim: FleetSimulator, forecast: np.ndarray | None = None) -> float:
        """Play ``sim``'s whole day from the start (compiled); return the running profit."""
        table = forecast_table(sim.scenario) if forecast is None else forecast
        return sim.play_compiled(
            agent_rollout,
            table,
            self.horizon,
            money_scale(sim.net),
            self.w_in,
            self.b_in,
            self.w_out,
            self.w_skip,
        )

    def action(self, sim: FleetSimulator, forecast: np.ndarray) -> int:
        """The action (kernel encoding) for ``sim``'s deciding aircraft, one step at a time."""
        x = np.zeros((sim.num_ports + 1, NUM_FEATURES))
        return int(
            agent_action(
                sim.net,
                sim.state,
                forecast,
                sim.aircraft,
                sim.mask,
                x,
                self.horizon,
                money_scale(sim.net),
                self.w_in,
                self.b_in,
                self.w_out,
                self.w_skip,
            )
        )

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path) -> None:
        """Write the ``.npz`` checkpoint (atomically)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**self.meta, "features": list(FEATURES), "horizon": self.horizon}
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(
            tmp,
            w_in=self.w_in,
            b_in=self.b_in,
            w_out=self.w_out,
            w_skip=self.w_skip,
            meta=np.array(json.dumps(meta, sort_keys=True)),
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path | None = None) -> FleetPolicy:
        """Read a checkpoint (default: the shipped one); refuses a different feature list."""
        path = Path(path) if path is not None else DEFAULT_CHECKPOINT
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no fleet agent checkpoint")
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            arrays = {k: np.array(data[k], dtype=np.float64) for k in ("w_in", "b_in", "w_out")}
            w_skip = np.array(data["w_skip"], dtype=np.float64)
        if meta.get("features") != list(FEATURES):
            raise ValueError(f"{path}: written for other features ({meta.get('features')})")
        return cls(w_skip=w_skip, horizon=int(meta["horizon"]), meta=meta, **arrays)
