"""The epoch-level graph agent (fleet.ppo-gnn): the untrained residual policy is the ES
agent, records validate, runs are deterministic, checkpoints load with ``weights_only=True``, a
PPO iteration changes the weights and the encoder runs once per epoch."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path

import numpy as np
import pytest
import torch

from schedgym.agents.fleet.epoch_graph import EpochGraphPolicy, Recorder, load_epoch_policy
from schedgym.agents.fleet.epoch_ppo import (
    EpochGraphNet,
    EpochPPOConfig,
    EpochPPOTrainer,
    checkpoint_state,
    numpy_policy,
    to_day,
)
from schedgym.agents.fleet.epoch_solver import EpochGNNSampleSolver, EpochGNNSolver
from schedgym.agents.fleet.policy import FleetCheckpointError, FleetPolicy
from schedgym.core.solver import Budget
from schedgym.fleet.dynamics import realise
from schedgym.fleet.generator import FleetGenerator
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.simulator import FleetSimulator
from schedgym.fleet.validate import replay_schedule, validate_schedule

torch.set_num_threads(1)
TINY = {
    "train_vertiports": [4, 4],
    "train_aircraft": [10, 10],
    "days_per_iter": 1,
    "ppo_epochs": 1,
    "val_scenarios": 1,
    "val_vertiports": [4, 4],
    "val_aircraft": [10, 10],
    "validate_every": 1,
}


def _scenario(seed: int = 3, ports: int = 5, planes: int = 12) -> FleetScenario:
    return FleetGenerator(ports, planes).sample(np.random.default_rng(seed))


def _untrained(seed: int = 0) -> tuple[EpochGraphNet, EpochPPOConfig]:
    cfg = EpochPPOConfig()
    torch.manual_seed(seed)
    return EpochGraphNet(cfg, FleetPolicy.load(cfg.prior)), cfg


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained checkpoint with a non-zero correction (so it differs from the ES agent)."""
    net, cfg = _untrained()
    with torch.no_grad():
        net.head_out.w.normal_(0.0, 0.5)
    path = tmp_path_factory.mktemp("ckpt") / "epoch.pt"
    torch.save(checkpoint_state(net, cfg, {"iteration": 0}), path)
    return path


def test_untrained_residual_policy_is_the_es_agent() -> None:
    net, cfg = _untrained()
    policy = numpy_policy(net, cfg)
    prior = FleetPolicy.load(cfg.prior)
    for seed in (3, 4):
        scenario = _scenario(seed)
        es = FleetSimulator(scenario, realise(scenario, seed))
        ours = FleetSimulator(scenario, realise(scenario, seed))
        prior.play(es)
        policy.play(ours)
        assert np.array_equal(es.state.decisions, ours.state.decisions)
        assert es.profit() == ours.profit()


def test_solver_record_validates_and_is_deterministic(checkpoint: Path) -> None:
    scenario = _scenario()
    for cls in (EpochGNNSolver, EpochGNNSampleSolver):
        solver = cls(checkpoint=checkpoint)
        first = solver.solve(scenario, Budget(seed=7))
        again = solver.solve(scenario, Budget(seed=7))
        record = first.schedule
        assert record is not None and again.schedule is not None
        assert validate_schedule(scenario, record) == record.profit == first.objective
        assert replay_schedule(scenario, record) == record.profit
        assert np.array_equal(record.decisions, again.schedule.decisions)
    with pytest.raises(FleetCheckpointError):
        EpochGNNSolver(checkpoint=checkpoint.with_name("missing.pt"))


def test_checkpoint_round_trip_weights_only(checkpoint: Path) -> None:
    state = torch.load(checkpoint, weights_only=True)
    assert set(state) == {"model", "config", "meta"}
    policy = load_epoch_policy(checkpoint)
    again = EpochGraphPolicy.from_state(state)
    for key, value in policy.weights.items():
        assert np.array_equal(value, again.weights[key])
    net, cfg = _untrained(seed=1)
    net.load_export(state["model"])
    assert torch.equal(net.head_out.w, state["model"]["head_out.w"])
    scenario = _scenario()
    a = FleetSimulator(scenario, realise(scenario, 1))
    b = FleetSimulator(scenario, realise(scenario, 1))
    assert policy.play(a) == numpy_policy(net, cfg).play(b)


def test_encoder_once_per_epoch_and_torch_matches_numpy(checkpoint: Path) -> None:
    policy = load_epoch_policy(checkpoint)
    scenario = _scenario()
    sim = FleetSimulator(scenario, realise(scenario, 2))
    recorder = Recorder.for_sim(sim)
    policy.encoder_calls = 0
    policy.play(sim, rng=np.random.default_rng(0), recorder=recorder)
    epochs = np.unique(sim.state.decisions[: sim.state.clock[3], 0])
    assert policy.encoder_calls == len(epochs) == len(recorder.rewards) <= scenario.num_epochs
    assert int(recorder.count[0]) > 2 * len(epochs)  # several aircraft per encoder call
    compiled = FleetSimulator(scenario, realise(scenario, 2))  # one compiled call for the day
    stepped = FleetSimulator(scenario, realise(scenario, 2))  # the trainer's epoch loop
    policy.encoder_calls = 0
    assert policy.play(compiled) == policy.play(stepped, recorder=Recorder.for_sim(stepped))
    assert np.array_equal(compiled.state.decisions, stepped.state.decisions)
    epochs = np.unique(compiled.state.decisions[: compiled.state.clock[3], 0])
    assert policy.encoder_calls == 2 * len(epochs)
    net, _ = _untrained()
    net.load_export(torch.load(checkpoint, weights_only=True)["model"])
    day = to_day(recorder, 1000.0, 0.99, 0.95)
    with torch.no_grad():
        pa, pd, value = net.encode(day.vf, day.af, day.loc, day.ef)
        logp, _ = net.decisions(pa, pd, day.x, day.prior, day.mask, day.ints)
    n = int(recorder.count[0])
    assert torch.allclose(logp, torch.from_numpy(recorder.logp[:n]), atol=1e-9)
    assert torch.allclose(value, torch.tensor(recorder.values, dtype=torch.float64), atol=1e-6)


def test_tiny_ppo_iteration_changes_weights_deterministically(tmp_path: Path) -> None:
    cfg = EpochPPOConfig(**TINY)  # type: ignore[arg-type]
    runs = []
    for name in ("a", "b"):
        trainer = EpochPPOTrainer(cfg, tmp_path / name)
        before = {k: v.clone() for k, v in trainer.net.state_dict().items()}
        trainer.train(iterations=1, progress=False)
        after = trainer.net.state_dict()
        assert any(not torch.equal(before[k], after[k]) for k in before if "prior" not in k)
        assert all(torch.equal(before[k], after[k]) for k in before if "prior" in k)
        runs.append(after)
        assert (tmp_path / name / "best.pt").exists() and (tmp_path / name / "log.csv").exists()
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])
    resumed = EpochPPOTrainer(cfg, tmp_path / "a")  # resumes from state.pt
    assert resumed.iteration == 1
    assert all(torch.equal(resumed.net.state_dict()[k], runs[0][k]) for k in runs[0])


def test_fixed_scenario_training_days_and_init_from(tmp_path: Path) -> None:
    """``train_scenario`` / ``val_scenario`` play days of one shipped scenario (validation on
    the listed days, inclusive), and ``init_from`` starts from a trained checkpoint's weights."""
    from schedgym.agents.fleet.epoch_ppo import validation_set

    cfg = EpochPPOConfig(**TINY, val_scenario="dfw-8v40a", val_days=[20_000, 20_002])  # type: ignore[arg-type]
    sims = validation_set(cfg)
    assert len(sims) == 3 and all(s.scenario.name == "dfw-8v40a" for s in sims)
    first = EpochPPOTrainer(EpochPPOConfig(**TINY), tmp_path / "first")  # type: ignore[arg-type]
    first.train(iterations=1, progress=False)
    start = EpochPPOConfig(  # type: ignore[arg-type]
        **TINY, init_from=str(tmp_path / "first" / "best.pt"), train_scenario="dfw-8v40a"
    )
    second = EpochPPOTrainer(start, tmp_path / "second")
    best = torch.load(tmp_path / "first" / "best.pt", weights_only=True)["model"]
    state = second.net.state_dict()
    assert all(torch.equal(state[k], v) for k, v in best.items() if not k.startswith("prior."))
    assert second.iterate()["train_profit"] != 0.0  # plays days of dfw-8v40a
