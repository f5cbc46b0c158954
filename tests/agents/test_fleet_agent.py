"""The fleet agent: checkpoint files, compiled play = env steps, valid days below the bound,
training that improves and resumes exactly, and the shipped policy against the greedy rule."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path

import numpy as np
import pytest
import yaml

from schedgym.agents.fleet.es import FleetConfigError, FleetTrainConfig, train_fleet
from schedgym.agents.fleet.kernel import FEATURES, NUM_FEATURES
from schedgym.agents.fleet.policy import DEFAULT_CHECKPOINT, FleetPolicy, forecast_table
from schedgym.agents.fleet.solver import FleetAgentSolver
from schedgym.baselines.fleet.clairvoyant import ClairvoyantSolver
from schedgym.baselines.fleet.policies import GreedyDispatcher
from schedgym.core.solver import Budget, load_solver
from schedgym.fleet.dynamics import realise
from schedgym.fleet.env import FleetSchedulingEnv
from schedgym.fleet.formats import write_scenario
from schedgym.fleet.generator import default_scenario
from schedgym.fleet.simulator import FleetSimulator
from schedgym.fleet.validate import replay_schedule, validate_schedule
from tests.fleet.scripts import small


def _random_policy(seed: int = 0) -> FleetPolicy:
    policy = FleetPolicy.initial(8, 6, np.random.default_rng(seed))
    theta = np.random.default_rng(seed + 1).normal(0.0, 0.5, policy.flat().shape)
    return policy.with_flat(theta)


def test_flat_weights_and_checkpoint_round_trip(tmp_path: Path) -> None:
    policy = _random_policy()
    again = policy.with_flat(policy.flat())
    assert np.array_equal(again.flat(), policy.flat())
    with pytest.raises(ValueError, match="expected"):
        policy.with_flat(policy.flat()[:-1])
    path = tmp_path / "p.npz"
    policy.save(path)
    loaded = FleetPolicy.load(path)
    assert np.array_equal(loaded.flat(), policy.flat()) and loaded.horizon == policy.horizon
    np.savez(
        tmp_path / "other.npz",
        w_in=policy.w_in,
        b_in=policy.b_in,
        w_out=policy.w_out,
        w_skip=policy.w_skip,
        meta=np.array('{"features": ["x"], "horizon": 6}'),
    )
    with pytest.raises(ValueError, match="other features"):
        FleetPolicy.load(tmp_path / "other.npz")
    assert len(FEATURES) == NUM_FEATURES == policy.w_skip.shape[0]


@pytest.mark.parametrize("seed", [0, 3])
def test_compiled_day_equals_stepping_the_env(seed: int) -> None:
    """The compiled rollout and one-action-at-a-time play through FleetScheduling-v0 agree."""
    scenario = small(seed=seed)
    policy = _random_policy(seed)
    forecast = forecast_table(scenario)
    sim = FleetSimulator(scenario, realise(scenario, seed))
    compiled = policy.play(sim, forecast)
    record = sim.schedule()

    env = FleetSchedulingEnv(scenario, strict=True)
    env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        code = policy.action(env.simulator, forecast)
        action = env.max_ports if code == scenario.num_vertiports else code
        _, reward, done, _, info = env.step(action)
        total += reward
    assert np.array_equal(env.schedule().decisions, record.decisions)
    assert info["profit"] == record.profit
    assert total == pytest.approx(compiled)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agent_days_are_valid_replay_and_stay_below_the_bound(seed: int) -> None:
    scenario = small(seed=seed)
    result = load_solver("fleet", "agent").solve(scenario, Budget(seed=seed))
    record = result.schedule
    assert record is not None and result.status == "feasible"
    assert validate_schedule(scenario, record) == record.profit == result.objective
    assert replay_schedule(scenario, record) == record.profit
    bound = ClairvoyantSolver().solve(scenario, Budget(seed=seed)).bound
    assert bound is not None and record.profit <= bound


def test_shipped_agent_beats_greedy_on_unseen_default_days() -> None:
    """Days 100..104 are neither the report's (0..19) nor training or validation days."""
    scenario = default_scenario()
    agent, greedy = FleetAgentSolver(), GreedyDispatcher()
    assert DEFAULT_CHECKPOINT.is_file()
    ours = [agent.solve(scenario, Budget(seed=s)).objective for s in range(100, 105)]
    theirs = [greedy.solve(scenario, Budget(seed=s)).objective for s in range(100, 105)]
    assert np.mean(ours) > 1.1 * np.mean(theirs)


def _config(tmp_path: Path, iterations: int, run: str) -> dict[str, object]:
    scenario = small(seed=2, hours=3)
    path = tmp_path / "small.json"
    write_scenario(scenario, path)
    return {
        "name": "t",
        "method": "es",
        "seed": 3,
        "scenario": str(path),
        "train_days": [500, 8],
        "validation_days": [900, 6],
        "hidden": 4,
        "es": {"iterations": iterations, "pairs": 4, "days_per_iter": 3, "learning_rate": 0.05},
        "validate_every": 4,
        "run_dir": str(tmp_path / run),
    }


def test_training_improves_on_validation_days(tmp_path: Path) -> None:
    best = train_fleet(_config(tmp_path, 24, "a"), progress=False)
    log = (tmp_path / "a" / "log.csv").read_text().splitlines()
    first, *_ = (float(line.split(",")[3]) for line in log[1:])
    trained = FleetPolicy.load(best)
    assert trained.meta["validation_profit"] > first
    assert trained.meta["validation_profit"] >= max(float(r.split(",")[3]) for r in log[1:])


def test_resumed_training_equals_one_run(tmp_path: Path) -> None:
    train_fleet(_config(tmp_path, 8, "whole"), progress=False)
    train_fleet(_config(tmp_path, 4, "split"), progress=False)
    train_fleet(_config(tmp_path, 8, "split"), progress=False)  # continues from iteration 4
    with np.load(tmp_path / "whole" / "state.npz") as a, np.load(tmp_path / "split/state.npz") as b:
        assert np.array_equal(a["theta"], b["theta"])


def test_bad_configs_name_the_field(tmp_path: Path) -> None:
    data = _config(tmp_path, 4, "bad")
    with pytest.raises(FleetConfigError, match="unknown field lr"):
        FleetTrainConfig.from_dict({**data, "lr": 1})
    with pytest.raises(FleetConfigError, match="days_per_iter"):
        FleetTrainConfig.from_dict({**data, "es": {"days_per_iter": 50}})
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**data, "hidden": 0}))
    from typer.testing import CliRunner

    from schedgym.cli import app

    result = CliRunner().invoke(app, ["train", "--config", str(path)])
    assert result.exit_code == 2 and "hidden" in result.output
    jobshop = Path(__file__).resolve().parents[2] / "experiments/configs/jobshop_self_label.yaml"
    result = CliRunner().invoke(app, ["train", "--env", "fleet", "--config", str(jobshop)])
    assert result.exit_code == 2 and "curriculum.sizes" in result.output
