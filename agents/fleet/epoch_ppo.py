"""Train the epoch-level graph agent (``fleet.ppo-gnn``) with PPO, resumably, from YAML.

Shell (rerun the same command after an interrupt to continue from the last iteration)::

    python -m schedgym.agents.fleet.epoch_ppo --config experiments/configs/fleet_epoch_ppo.yaml \\
        --run-dir runs/fleet_epoch_gnn

One PPO *step* is one decision epoch: its joint action is the actions of all aircraft that decide
in it, and its log-probability the sum of theirs. Each iteration samples ``days_per_iter``
generated scenarios (:class:`~schedgym.fleet.generator.FleetGenerator`), or with
``train_scenario`` days ``train_days`` of one shipped scenario (the ES agent's protocol: its
training days, never the 0-19 of ``default20``; ``val_scenario`` / ``val_days`` validate on other
days of it), and plays one realised day of each with the sampling policy (numpy/numba,
:mod:`schedgym.agents.fleet.epoch_graph`); rewards are the profit earned in each epoch (divided by
money scale x fleet size); advantages are GAE over the day's epochs with the critic's value. The
update re-runs the encoder in torch on the recorded epoch graphs (batched per day) and the head on
the recorded candidate features; clipped surrogate + value loss (+ optional entropy bonus).
Validation (greedy play on seeded generated scenarios, also played by the ES agent) every
``validate_every`` iterations, iteration 0 included (the untrained residual policy = the ES agent);
the best is kept. All randomness is drawn from ``(seed, iteration)``: same seed, same run.

Run folder: ``config.yaml``, ``state.pt`` (model, optimiser, iteration, best), ``best.pt``
(checkpoint format of :func:`~schedgym.agents.fleet.epoch_graph.load_epoch_policy`), ``log.csv``
(one row per iteration; validation columns filled when validated), ``tb/`` (TensorBoard).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from torch import nn

from schedgym.agents.fleet.epoch_graph import (
    AIRCRAFT_FEATURES,
    PRIOR_KEYS,
    ROUTE_FEATURES,
    VERTIPORT_FEATURES,
    EpochGraphPolicy,
    Recorder,
)
from schedgym.agents.fleet.kernel import NUM_FEATURES
from schedgym.agents.fleet.policy import DEFAULT_CHECKPOINT, FleetPolicy, money_scale
from schedgym.fleet.dynamics import realise
from schedgym.fleet.generator import FleetGenerator
from schedgym.fleet.problem import load_instance
from schedgym.fleet.simulator import FleetSimulator


@dataclass
class EpochPPOConfig:
    """Everything a run needs (the YAML file's fields)."""

    name: str = "fleet_epoch_gnn"
    seed: int = 0
    hidden: int = 32
    rounds: int = 2
    tau: float = 0.1
    horizon: int = 6
    prior: str = str(DEFAULT_CHECKPOINT)
    train_vertiports: list[int] = field(default_factory=lambda: [4, 12])
    train_aircraft: list[int] = field(default_factory=lambda: [10, 60])
    iterations: int = 200
    days_per_iter: int = 8
    ppo_epochs: int = 4
    learning_rate: float = 3e-4
    clip: float = 0.2
    gamma: float = 0.99
    lam: float = 0.95
    value_coef: float = 0.5
    entropy_coef: float = 0.0
    max_grad_norm: float = 0.5
    validate_every: int = 10
    val_scenarios: int = 8
    val_seed: int = 900_000
    val_vertiports: list[int] = field(default_factory=lambda: [4, 12])
    val_aircraft: list[int] = field(default_factory=lambda: [10, 60])
    export: str | None = None
    init_from: str | None = None
    train_scenario: str | None = None
    train_days: list[int] = field(default_factory=lambda: [10_000, 10_199])
    val_scenario: str | None = None
    val_days: list[int] = field(default_factory=lambda: [20_000, 20_019])

    @classmethod
    def from_yaml(cls, path: str | Path) -> EpochPPOConfig:
        """Read a YAML file; unknown fields raise ``ValueError``."""
        data = yaml.safe_load(Path(path).read_text()) or {}
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"{path}: unknown fields {unknown}")
        return cls(**data)


class Lin(nn.Module):
    """``x @ w + b`` with ``w`` stored ``(in, out)`` (the numpy layout)."""

    def __init__(self, fan_in: int, fan_out: int, bias: bool = True, zero: bool = False) -> None:
        super().__init__()
        scale = 0.0 if zero else (2.0 / fan_in) ** 0.5
        self.w = nn.Parameter(torch.randn(fan_in, fan_out, dtype=torch.float64) * scale)
        self.b = nn.Parameter(torch.zeros(fan_out, dtype=torch.float64)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x @ self.w
        return y + self.b if self.b is not None else y


class Round(nn.Module):
    """One message-passing round (see :meth:`EpochGraphPolicy.encode`)."""

    def __init__(self, h: int) -> None:
        super().__init__()
        self.msg_node = Lin(h, h, bias=False)
        self.msg_edge = Lin(2 * ROUTE_FEATURES, h)
        self.v_self, self.v_air, self.v_route = Lin(h, h), Lin(h, h, False), Lin(h, h, False)
        self.a_self, self.a_port = Lin(h, h), Lin(h, h, False)


class EpochGraphNet(nn.Module):
    """The torch twin of :class:`EpochGraphPolicy` (float64), with the fixed ES prior as buffers."""

    def __init__(self, cfg: EpochPPOConfig, prior: FleetPolicy) -> None:
        super().__init__()
        h = cfg.hidden
        self.inv_tau = 1.0 / cfg.tau
        self.v_in, self.a_in = Lin(VERTIPORT_FEATURES, h), Lin(AIRCRAFT_FEATURES, h)
        self.rounds = nn.ModuleList(Round(h) for _ in range(cfg.rounds))
        self.head_a, self.head_d = Lin(h, h, False), Lin(h, h, False)
        self.head_x, self.head_out = Lin(NUM_FEATURES, h), Lin(h, 1, zero=True)
        self.value_hid, self.value_out = Lin(2 * h, h), Lin(h, 1)
        for key in PRIOR_KEYS:
            self.register_buffer(f"prior_{key}", torch.from_numpy(getattr(prior, key).copy()))

    def export(self) -> dict[str, torch.Tensor]:
        """The state dictionary of a checkpoint (``prior.*`` for the fixed ES network)."""
        state = {k: v.detach().clone() for k, v in self.state_dict().items()}
        return {(f"prior.{k[6:]}" if k.startswith("prior_") else k): v for k, v in state.items()}

    def load_export(self, model: dict[str, torch.Tensor]) -> None:
        """Load a checkpoint's ``model`` (:meth:`export`'s layout, ``prior.*`` included)."""
        self.load_state_dict(
            {(f"prior_{k[6:]}" if k.startswith("prior.") else k): v for k, v in model.items()}
        )

    def encode(
        self, vf: torch.Tensor, af: torch.Tensor, loc: torch.Tensor, ef: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Batched over ``E`` epochs: ``P_a (E, A, H)``, ``P_d (E, V, H)``, ``value (E,)``."""
        ports = vf.shape[1]
        hv, ha = torch.relu(self.v_in(vf)), torch.relu(self.a_in(af))
        edges = torch.cat([ef, ef.transpose(1, 2)], dim=3)
        off = (1.0 - torch.eye(ports, dtype=vf.dtype))[None, :, :, None]
        onehot = nn.functional.one_hot(loc, ports).to(vf.dtype)  # (E, A, V)
        count = onehot.sum(1).clamp(min=1.0)[..., None]
        idx = loc[..., None].expand(-1, -1, hv.shape[2])
        for r in self.rounds:
            assert isinstance(r, Round)
            agg = torch.einsum("eav,eah->evh", onehot, ha) / count
            msg = torch.relu(r.msg_node(hv).unsqueeze(1) + r.msg_edge(edges))
            m = (msg * off).sum(2) / max(ports - 1, 1)
            hv_new = torch.relu(r.v_self(hv) + r.v_air(agg) + r.v_route(m)) + hv
            ha = torch.relu(r.a_self(ha) + r.a_port(torch.gather(hv, 1, idx))) + ha
            hv = hv_new
        pooled = torch.cat([hv.mean(1), ha.mean(1)], dim=1)
        value = self.value_out(torch.relu(self.value_hid(pooled)))[:, 0]
        return self.head_a(ha), self.head_d(hv), value

    def decisions(
        self,
        pa: torch.Tensor,
        pd: torch.Tensor,
        x: torch.Tensor,
        prior: torch.Tensor,
        mask: torch.Tensor,
        ints: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-probabilities of the recorded actions and the entropies, per decision."""
        step, aircraft, origin, action = ints.unbind(1)
        width = x.shape[1]
        dest = torch.arange(width).expand(len(step), -1).clone()
        dest[:, width - 1] = origin
        z = torch.relu(self.head_x(x) + pa[step, aircraft][:, None, :] + pd[step[:, None], dest])
        logits = prior * self.inv_tau + self.head_out(z)[..., 0]
        logits = logits.masked_fill(~mask, -torch.inf)
        logp = torch.log_softmax(logits, dim=1)
        ent = -(logp.exp() * logp.masked_fill(~mask, 0.0)).sum(1)
        return logp.gather(1, action[:, None])[:, 0], ent


def checkpoint_state(net: EpochGraphNet, cfg: EpochPPOConfig, meta: dict[str, Any]) -> dict:
    """The ``.pt`` content: ``model`` tensors, ``config`` and ``meta`` (plain values)."""
    return {"model": net.export(), "config": asdict(cfg), "meta": meta}


def numpy_policy(net: EpochGraphNet, cfg: EpochPPOConfig) -> EpochGraphPolicy:
    """The numpy policy with the torch network's current weights."""
    return EpochGraphPolicy.from_state(checkpoint_state(net, cfg, {}))


@dataclass
class Day:
    """One recorded training day as tensors."""

    vf: torch.Tensor
    af: torch.Tensor
    loc: torch.Tensor
    ef: torch.Tensor
    x: torch.Tensor
    prior: torch.Tensor
    mask: torch.Tensor
    ints: torch.Tensor
    old_logp: torch.Tensor  # per epoch step
    adv: torch.Tensor
    ret: torch.Tensor


def to_day(rec: Recorder, scale: float, gamma: float, lam: float) -> Day:
    """GAE over the recorded epoch steps; tensors for the update."""
    n = int(rec.count[0])
    rewards = np.asarray(rec.rewards) / scale
    values = np.asarray(rec.values)
    adv = np.zeros_like(rewards)
    last = 0.0
    for k in range(len(rewards) - 1, -1, -1):
        nxt = values[k + 1] if k + 1 < len(rewards) else 0.0
        last = rewards[k] + gamma * nxt - values[k] + gamma * lam * last
        adv[k] = last
    ints = torch.from_numpy(rec.ints[:n].copy())
    old = torch.zeros(len(rewards), dtype=torch.float64)
    old.index_add_(0, ints[:, 0], torch.from_numpy(rec.logp[:n].copy()))
    vf, af, loc, ef = (np.stack(a) for a in zip(*rec.graphs, strict=True))
    return Day(
        torch.from_numpy(vf),
        torch.from_numpy(af),
        torch.from_numpy(loc),
        torch.from_numpy(ef),
        torch.from_numpy(rec.x[:n].copy()),
        torch.from_numpy(rec.prior[:n].copy()),
        torch.from_numpy(rec.mask[:n].copy()),
        ints,
        old,
        torch.from_numpy(adv),
        torch.from_numpy(adv + values),
    )


def ppo_loss(net: EpochGraphNet, day: Day, cfg: EpochPPOConfig, adv: torch.Tensor) -> tuple:
    """Clipped surrogate over epoch steps + value loss - entropy bonus; and the stats."""
    pa, pd, value = net.encode(day.vf, day.af, day.loc, day.ef)
    logp, ent = net.decisions(pa, pd, day.x, day.prior, day.mask, day.ints)
    joint = torch.zeros_like(day.old_logp).index_add(0, day.ints[:, 0], logp)
    ratio = torch.exp(joint - day.old_logp)
    surr = torch.min(ratio * adv, ratio.clamp(1 - cfg.clip, 1 + cfg.clip) * adv)
    v_loss = ((value - day.ret) ** 2).mean()
    loss = -surr.mean() + cfg.value_coef * v_loss - cfg.entropy_coef * ent.mean()
    clipped = ((ratio - 1).abs() > cfg.clip).double().mean()
    return loss, v_loss.item(), ent.mean().item(), clipped.item()


def validation_set(cfg: EpochPPOConfig) -> list[FleetSimulator]:
    """The seeded generated validation days (scenario seed = day seed = ``val_seed + i``), or
    with ``val_scenario`` the days ``val_days`` (inclusive range) of that shipped scenario."""
    if cfg.val_scenario is not None:
        scenario = load_instance(cfg.val_scenario)
        first, last = cfg.val_days
        return [FleetSimulator(scenario, realise(scenario, d)) for d in range(first, last + 1)]
    gen = FleetGenerator(tuple(cfg.val_vertiports), tuple(cfg.val_aircraft))  # type: ignore[arg-type]
    sims = []
    for i in range(cfg.val_scenarios):
        scen = gen.sample(np.random.default_rng(cfg.val_seed + i))
        sims.append(FleetSimulator(scen, realise(scen, cfg.val_seed + i)))
    return sims


class EpochPPOTrainer:
    """PPO on generated scenarios; see the module docstring."""

    def __init__(self, cfg: EpochPPOConfig, run_dir: str | Path) -> None:
        self.cfg, self.run = cfg, Path(run_dir)
        self.run.mkdir(parents=True, exist_ok=True)
        torch.set_num_threads(1)
        torch.manual_seed(cfg.seed)
        self.prior = FleetPolicy.load(cfg.prior)
        self.net = EpochGraphNet(cfg, self.prior)
        if cfg.init_from is not None:  # start from a trained agent's weights (same architecture)
            self.net.load_export(torch.load(cfg.init_from, weights_only=True)["model"])
        self.opt = torch.optim.Adam(self.net.parameters(), lr=cfg.learning_rate)
        self.iteration, self.best, self.seconds = 0, -np.inf, 0.0
        self.val = validation_set(cfg)
        self.train_fixed = (  # read once: every iteration draws days of the same scenario
            load_instance(cfg.train_scenario) if cfg.train_scenario is not None else None
        )
        self.val_es = float(sum(self.prior.play(s) for s in self.val))
        state_file = self.run / "state.pt"
        if state_file.exists():
            state = torch.load(state_file, weights_only=True)
            self.net.load_state_dict(state["net"])
            self.opt.load_state_dict(state["opt"])
            self.iteration, self.best = int(state["iteration"]), float(state["best"])
            self.seconds = float(state["seconds"])
        (self.run / "config.yaml").write_text(yaml.safe_dump(asdict(cfg), sort_keys=False))

    def validate(self) -> float:
        """Greedy validation profit (sum over the validation days)."""
        policy = numpy_policy(self.net, self.cfg)
        return float(sum(policy.play(s) for s in self.val))

    def iterate(self) -> dict[str, float]:
        """Collect ``days_per_iter`` sampled days and run the PPO update; return statistics."""
        cfg, it = self.cfg, self.iteration
        rng = np.random.default_rng([cfg.seed, it])
        torch.manual_seed(cfg.seed * 1_000_003 + it)
        gen = FleetGenerator(tuple(cfg.train_vertiports), tuple(cfg.train_aircraft))  # type: ignore[arg-type]
        policy = numpy_policy(self.net, cfg)
        days, profits = [], []
        for _ in range(cfg.days_per_iter):
            if self.train_fixed is not None:  # one of the shipped scenario's training days
                scen, day = (
                    self.train_fixed,
                    int(rng.integers(cfg.train_days[0], cfg.train_days[1] + 1)),
                )
            else:
                scen = gen.sample(rng)
                day = int(rng.integers(1 << 30))
            sim = FleetSimulator(scen, realise(scen, day))
            rec = Recorder.for_sim(sim)
            profits.append(policy.play(sim, rng=rng, recorder=rec))
            scale = money_scale(sim.net) * sim.net.kind.shape[0]
            days.append(to_day(rec, scale, cfg.gamma, cfg.lam))
        flat = torch.cat([d.adv for d in days])
        mean, std = flat.mean(), flat.std().clamp(min=1e-8)
        stats = np.zeros(4)
        for _ in range(cfg.ppo_epochs):
            for i in torch.randperm(len(days)).tolist():
                loss, v_loss, ent, clipped = ppo_loss(
                    self.net, days[i], cfg, (days[i].adv - mean) / std
                )
                self.opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.net.parameters(), cfg.max_grad_norm)
                self.opt.step()
                stats += [loss.item(), v_loss, ent, clipped]
        stats /= cfg.ppo_epochs * len(days)
        return {
            "train_profit": float(np.mean(profits)),
            "loss": stats[0],
            "value_loss": stats[1],
            "entropy": stats[2],
            "clip_frac": stats[3],
        }

    def _save(self) -> None:
        state = {
            "net": self.net.state_dict(),
            "opt": self.opt.state_dict(),
            "iteration": self.iteration,
            "best": self.best,
            "seconds": self.seconds,
        }
        torch.save(state, self.run / "state.tmp.pt")
        (self.run / "state.tmp.pt").replace(self.run / "state.pt")

    def _log(self, row: dict[str, Any], writer: Any) -> None:
        path = self.run / "log.csv"
        fields = [
            "iteration",
            "seconds",
            "train_profit",
            "loss",
            "value_loss",
            "entropy",
            "clip_frac",
            "val_profit",
            "val_es",
            "val_vs_es",
        ]
        new = not path.exists()
        with open(path, "a", newline="") as handle:
            out = csv.DictWriter(handle, fields)
            if new:
                out.writeheader()
            out.writerow({k: row.get(k, "") for k in fields})
        if writer is not None:
            for k, v in row.items():
                if k != "iteration" and v != "":
                    writer.add_scalar(k, float(v), int(row["iteration"]))

    def _check(self, writer: Any, row: dict[str, Any]) -> None:
        val = self.validate()
        row.update(
            val_profit=round(val, 1),
            val_es=round(self.val_es, 1),
            val_vs_es=round(val / self.val_es, 5),
        )
        if val > self.best:
            self.best = val
            meta = {
                "iteration": self.iteration,
                "val_profit": val,
                "val_es": self.val_es,
                "seconds": round(self.seconds, 1),
            }
            torch.save(checkpoint_state(self.net, self.cfg, meta), self.run / "best.pt")

    def train(self, iterations: int | None = None, progress: bool = True) -> Path:
        """Run (or continue) to ``iterations`` (default: the config's); return ``best.pt``."""
        total = self.cfg.iterations if iterations is None else iterations
        writer = _tensorboard(self.run / "tb")
        if self.iteration == 0 and not (self.run / "best.pt").exists():
            row: dict[str, Any] = {"iteration": 0, "seconds": 0.0}
            self._check(writer, row)
            self._log(row, writer)
        while self.iteration < total:
            start = time.perf_counter()
            row = self.iterate()
            self.iteration += 1
            self.seconds += time.perf_counter() - start
            row = {"iteration": self.iteration, "seconds": round(self.seconds, 1), **row}
            if self.iteration % self.cfg.validate_every == 0 or self.iteration == total:
                self._check(writer, row)
            self._log(row, writer)
            self._save()
            if progress:
                print(
                    {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()},
                    flush=True,
                )
        if writer is not None:
            writer.close()
        if self.cfg.export:
            shutil.copyfile(self.run / "best.pt", self.cfg.export)
        return self.run / "best.pt"


def _tensorboard(path: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # pragma: no cover
        return None
    return SummaryWriter(str(path))


def main(argv: list[str] | None = None) -> None:
    """``python -m schedgym.agents.fleet.epoch_ppo --config FILE --run-dir DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--iterations", type=int, default=None)
    args = parser.parse_args(argv)
    cfg = EpochPPOConfig.from_yaml(args.config)
    best = EpochPPOTrainer(cfg, args.run_dir).train(args.iterations)
    print(f"best checkpoint: {best}")


if __name__ == "__main__":
    main()
