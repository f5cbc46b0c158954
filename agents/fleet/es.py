"""Train the fleet agent with evolution strategies, resumably, from one YAML file.

Shell (rerun the same command after an interrupt, even ``kill -9``, to continue)::

    python -m schedgym.agents.train experiments/configs/fleet_es.yaml

Method: OpenAI-style evolution strategies (Salimans et al. 2017). Each iteration draws
``pairs`` Gaussian perturbations of the weights, plays every ``theta +- sigma * eps`` on the same
``days_per_iter`` training days (common random numbers), turns the mean profits into centred
ranks and steps Adam along the estimated gradient (with weight decay). A day is one compiled
rollout (:func:`schedgym.agents.fleet.kernel.agent_rollout`, milliseconds), so a whole run takes
minutes
on one core. Training days come from their own seed range, never the report's days.

Run folder (``run_dir``)::

    config.yaml   the run's config          state.npz   weights, Adam moments, RNG, iteration
    best.npz      best policy on the validation days (copied to ``export``)
    log.csv       per validation: iteration, seconds, train / validation profit, vs greedy
    tb/           TensorBoard scalars (when tensorboard is installed)
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from schedgym.agents.config import ConfigError, build_config, plain_config, read_config_mapping
from schedgym.agents.fleet.policy import FleetPolicy, forecast_table
from schedgym.fleet.dynamics import realise
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.problem import load_instance
from schedgym.fleet.simulator import FleetSimulator

FleetConfigError = ConfigError  # one error type for every training config (schedgym.agents.config)


@dataclass
class ESConfig:
    """Evolution-strategies hyperparameters."""

    iterations: int = 300
    pairs: int = 24  # antithetic pairs per iteration (2 x pairs candidates)
    days_per_iter: int = 6
    sigma: float = 0.05
    learning_rate: float = 0.02
    weight_decay: float = 0.005


@dataclass
class FleetTrainConfig:
    """A fleet agent training run (fields of ``experiments/configs/fleet_es.yaml``)."""

    name: str = "fleet_agent"
    method: str = "es"
    seed: int = 0
    scenario: str = "dfw-8v40a"
    train_days: tuple[int, int] = (10000, 200)  # first day seed, count
    validation_days: tuple[int, int] = (20000, 20)
    hidden: int = 16
    horizon: int = 6
    es: ESConfig = field(default_factory=ESConfig)
    validate_every: int = 10
    run_dir: str = "runs/{name}"
    export: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "config") -> FleetTrainConfig:
        """Build and check a config; unknown fields and wrong types are errors."""
        cfg = build_config(cls, dict(data), where)
        cfg.check(where)
        return cfg

    @classmethod
    def from_yaml(cls, path: str | Path) -> FleetTrainConfig:
        """Read a YAML config."""
        return cls.from_dict(read_config_mapping(path), str(path))

    def check(self, where: str) -> None:
        """Raise :class:`FleetConfigError` naming the first bad field."""
        if self.method != "es":
            raise FleetConfigError(f"{where}: method must be 'es' for the fleet agent")
        if self.hidden < 1 or self.horizon < 1:
            raise FleetConfigError(f"{where}: hidden and horizon must be >= 1")
        if self.es.iterations < 1 or self.es.pairs < 1 or self.es.days_per_iter < 1:
            raise FleetConfigError(f"{where}: es.iterations, pairs, days_per_iter must be >= 1")
        if self.es.days_per_iter > self.train_days[1]:
            raise FleetConfigError(f"{where}: es.days_per_iter exceeds the training days")
        if self.es.sigma <= 0 or self.es.learning_rate <= 0:
            raise FleetConfigError(f"{where}: es.sigma and es.learning_rate must be > 0")
        if self.validate_every < 1:
            raise FleetConfigError(f"{where}: validate_every must be >= 1")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (YAML-ready)."""
        return plain_config(self)

    @property
    def run_path(self) -> Path:
        """The run folder."""
        return Path(self.run_dir.format(name=self.name))


def days(scenario: FleetScenario, first: int, count: int) -> list[FleetSimulator]:
    """Simulators of the days ``first .. first + count - 1`` of ``scenario``."""
    return [FleetSimulator(scenario, realise(scenario, first + i)) for i in range(count)]


def greedy_profit(sims: Sequence[FleetSimulator]) -> float:
    """Mean profit of the greedy dispatcher on ``sims`` (the reference of the log)."""
    out = []
    for sim in sims:
        genome = np.full((sim.scenario.num_aircraft, sim.net.num_epochs), -1, dtype=np.int64)
        out.append(sim.play_genome(genome))
    return float(np.mean(out))


class ESTrainer:
    """One resumable ES run (see the module docstring)."""

    def __init__(self, cfg: FleetTrainConfig) -> None:
        self.cfg = cfg
        self.run = cfg.run_path
        self.scenario = load_instance(cfg.scenario)
        self.forecast = forecast_table(self.scenario)
        self.train_sims = days(self.scenario, *cfg.train_days)
        self.val_sims = days(self.scenario, *cfg.validation_days)

    # ------------------------------------------------------------------ evaluation
    def profits(self, policy: FleetPolicy, sims: Sequence[FleetSimulator]) -> np.ndarray:
        """Profit of ``policy`` on each day."""
        return np.array([policy.play(sim, self.forecast) for sim in sims])

    # ------------------------------------------------------------------ state
    def _fresh(self) -> dict[str, Any]:
        rng = np.random.default_rng(self.cfg.seed)
        policy = FleetPolicy.initial(self.cfg.hidden, self.cfg.horizon, rng)
        theta = policy.flat()
        return {
            "policy": policy,
            "theta": theta,
            "m": np.zeros_like(theta),
            "v": np.zeros_like(theta),
            "iteration": 0,
            "rng": rng,
            "best": -np.inf,
            "seconds": 0.0,
        }

    def _save_state(self, state: dict[str, Any]) -> None:
        path = self.run / "state.npz"
        tmp = self.run / "state.tmp.npz"
        np.savez(
            tmp,
            theta=state["theta"],
            m=state["m"],
            v=state["v"],
            info=np.array(
                json.dumps(
                    {
                        "iteration": state["iteration"],
                        "best": state["best"],
                        "seconds": state["seconds"],
                        "rng": state["rng"].bit_generator.state,
                    }
                )
            ),
        )
        tmp.replace(path)

    def _load_state(self) -> dict[str, Any] | None:
        path = self.run / "state.npz"
        if not path.is_file():
            return None
        state = self._fresh()
        with np.load(path, allow_pickle=False) as data:
            for key in ("theta", "m", "v"):
                state[key] = np.array(data[key])
            info = json.loads(str(data["info"]))
        state["rng"].bit_generator.state = info["rng"]
        state.update(iteration=info["iteration"], best=info["best"], seconds=info["seconds"])
        return state

    # ------------------------------------------------------------------ training
    def step(self, state: dict[str, Any]) -> float:
        """One ES iteration (updates ``state`` in place); returns the candidates' mean profit."""
        es, rng, theta = self.cfg.es, state["rng"], state["theta"]
        policy: FleetPolicy = state["policy"]
        chosen = rng.choice(len(self.train_sims), es.days_per_iter, replace=False)
        sims = [self.train_sims[i] for i in chosen]
        eps = rng.normal(size=(es.pairs, theta.shape[0]))
        plus = [self.profits(policy.with_flat(theta + es.sigma * e), sims).mean() for e in eps]
        minus = [self.profits(policy.with_flat(theta - es.sigma * e), sims).mean() for e in eps]
        scores = np.array(plus + minus)
        ranks = np.empty(scores.shape[0])
        ranks[np.argsort(scores, kind="stable")] = np.arange(scores.shape[0])
        ranks = ranks / (scores.shape[0] - 1) - 0.5
        grad = (ranks[: es.pairs] - ranks[es.pairs :]) @ eps / (2 * es.pairs * es.sigma)
        grad -= es.weight_decay * theta
        it = state["iteration"] + 1
        state["m"] = 0.9 * state["m"] + 0.1 * grad
        state["v"] = 0.999 * state["v"] + 0.001 * grad**2
        m_hat = state["m"] / (1 - 0.9**it)
        v_hat = state["v"] / (1 - 0.999**it)
        state["theta"] = theta + es.learning_rate * m_hat / (np.sqrt(v_hat) + 1e-8)
        state["iteration"] = it
        return float(scores.mean())

    def train(self, resume: bool = True, progress: bool = True) -> Path:
        """Run (or continue) the run; return the best checkpoint."""
        cfg = self.cfg
        if not resume and self.run.exists():
            shutil.rmtree(self.run)
        self.run.mkdir(parents=True, exist_ok=True)
        (self.run / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
        state = (self._load_state() if resume else None) or self._fresh()
        greedy = greedy_profit(self.val_sims)
        writer = _tensorboard(self.run / "tb")
        bar = _progress(cfg.es.iterations, state["iteration"], progress)
        try:
            while state["iteration"] < cfg.es.iterations:
                started = time.perf_counter()
                train_mean = self.step(state)
                state["seconds"] += time.perf_counter() - started
                it = state["iteration"]
                if it % cfg.validate_every == 0 or it == cfg.es.iterations:
                    self._validate(state, train_mean, greedy, writer)
                self._save_state(state)
                if bar is not None and np.isfinite(state["best"]):
                    bar.update(it, f"best/greedy={state['best'] / greedy:.4f}")
                elif bar is not None:
                    bar.update(it)
        finally:
            if bar is not None:
                bar.close()
            if writer is not None:
                writer.close()
        return self.run / "best.npz"

    def _validate(
        self, state: dict[str, Any], train_mean: float, greedy: float, writer: Any
    ) -> None:
        cfg, it = self.cfg, state["iteration"]
        policy = state["policy"].with_flat(state["theta"])
        val = float(self.profits(policy, self.val_sims).mean())
        row = [it, round(state["seconds"], 1), round(train_mean, 2), round(val, 2)]
        with open(self.run / "log.csv", "a", newline="") as handle:
            out = csv.writer(handle)
            if handle.tell() == 0:
                out.writerow(["iteration", "seconds", "train_profit", "val_profit", "vs_greedy"])
            out.writerow([*row, round(val / greedy, 4)])
        if writer is not None:
            writer.add_scalar("profit/train", train_mean, it)
            writer.add_scalar("profit/validation", val, it)
            writer.add_scalar("profit/validation_vs_greedy", val / greedy, it)
        if val > state["best"]:
            state["best"] = val
            policy.meta = {
                "name": cfg.name,
                "scenario": cfg.scenario,
                "seed": cfg.seed,
                "iteration": it,
                "train_seconds": round(state["seconds"], 1),
                "validation_profit": round(val, 2),
                "validation_greedy_profit": round(greedy, 2),
                "validation_days": list(cfg.validation_days),
                "train_days": list(cfg.train_days),
            }
            policy.save(self.run / "best.npz")
            if cfg.export:
                policy.save(cfg.export)


def _tensorboard(path: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # pragma: no cover - tensorboard is in the agents extra
        return None
    return SummaryWriter(str(path))


def _progress(total: int, start: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from schedgym.agents.run import ProgressDisplay

    return ProgressDisplay(total, start, True, "es")


def train_fleet(
    config: FleetTrainConfig | str | Path | Mapping[str, Any],
    *,
    resume: bool = True,
    progress: bool = True,
) -> Path:
    """Train (or continue) the fleet agent of ``config``; return ``<run>/best.npz``."""
    if isinstance(config, FleetTrainConfig):
        cfg = config
    elif isinstance(config, Mapping):
        cfg = FleetTrainConfig.from_dict(config)
    else:
        cfg = FleetTrainConfig.from_yaml(config)
    return ESTrainer(cfg).train(resume=resume, progress=progress)
