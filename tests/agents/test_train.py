"""Training: self-labelling learns, PPO runs, interrupted runs resume where they stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

from agents.checkpoint import load_checkpoint, policy_from_payload
from agents.command import train_command
from agents.config import ConfigError, TrainConfig
from agents.rollout import run_episodes
from agents.run import EnvPool, greedy_makespans, seeded_instances
from agents.train import main, train

ROOT = Path(__file__).resolve().parents[2]
SIX = {
    "num_jobs_start": [6, 6],
    "num_jobs_end": [6, 6],
    "num_machines_start": [6, 6],
    "num_machines_end": [6, 6],
    "stages": 1,
}


def small_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """A fast 6x6 configuration (plain data) writing under ``tmp_path``."""
    data: dict[str, Any] = {
        "name": "t",
        "run_dir": str(tmp_path / "{name}"),
        "total_steps": 40_000,
        "curriculum": SIX,
        "arch": {"hidden": 32, "head_hidden": 32},
        "self_label": {
            "instances_per_iter": 8,
            "samples": 16,
            "batch_size": 64,
            "epochs": 4,
            "learning_rate": 1e-3,
        },
        "ppo": {"n_steps": 256, "batch_size": 128, "n_epochs": 2},
        "validation": {"sizes": [[6, 6]], "num_instances": 16, "every": 5000},
        "checkpoint_every": 5000,
    }
    for key, value in overrides.items():
        data[key] = value
    return data


def random_makespans(instances: list[Any], pool: EnvPool, repeats: int = 3) -> np.ndarray:
    """Mean makespan of uniformly random legal dispatching, per instance."""
    envs = pool.get(instances[0].num_jobs, instances[0].num_ops, len(instances))
    resets = [{"seed": 0, "options": {"instance": inst}} for inst in instances]
    runs = []
    for r in range(repeats):
        rng = np.random.default_rng(r)

        def choose(obs: Any, masks: np.ndarray, rng: Any = rng) -> np.ndarray:
            return np.array([rng.choice(np.flatnonzero(row)) for row in masks])

        runs.append(run_episodes(envs, choose, resets).makespans)
    return np.mean(runs, axis=0)


def test_self_label_beats_random_policy_on_held_out_instances(tmp_path: Path) -> None:
    config = TrainConfig.from_dict(small_config(tmp_path))
    best = train(config, resume=False, progress=False)
    policy = policy_from_payload(load_checkpoint(best))
    held_out = seeded_instances([(6, 6)], 24, seed=777)  # disjoint from validation seeds
    pool = EnvPool(config)
    trained = greedy_makespans(policy, held_out, pool).mean()
    uniform = random_makespans(held_out, pool).mean()
    print(f"trained greedy {trained:.1f} vs uniform random {uniform:.1f}")
    assert trained < 0.98 * uniform, (trained, uniform)
    assert (config.run_path / "tb").is_dir() and (config.run_path / "state.pt").is_file()


def test_self_label_resume_reproduces_uninterrupted_run(tmp_path: Path) -> None:
    short = small_config(tmp_path, name="a", total_steps=4000, checkpoint_every=1000)
    train(TrainConfig.from_dict(short), resume=False, progress=False)
    resumed = train(TrainConfig.from_dict({**short, "total_steps": 9000}), progress=False)
    straight = train(
        TrainConfig.from_dict({**short, "name": "b", "total_steps": 9000}), progress=False
    )
    a, b = (
        load_checkpoint(resumed.parent / "state.pt"),
        load_checkpoint(straight.parent / "state.pt"),
    )
    assert a["trainer"]["step"] == b["trainer"]["step"] >= 9000
    for key, value in a["policy"].items():
        torch.testing.assert_close(value, b["policy"][key])


def test_ppo_learns_and_predicts_with_masks(tmp_path: Path) -> None:
    data = small_config(tmp_path, method="ppo", total_steps=1024, n_envs=2)
    data["validation"]["every"] = 512
    best = train(TrainConfig.from_dict(data), resume=False, progress=False)
    state = load_checkpoint(best.parent / "state.pt")
    assert state["trainer"]["step"] >= 1024 and "optimizer" in state
    assert any((best.parent / "tb").glob("ppo_*"))
    policy = policy_from_payload(load_checkpoint(best))
    held_out = seeded_instances([(5, 4)], 4, seed=3)  # another size than trained on
    assert np.isfinite(greedy_makespans(policy, held_out, EnvPool(TrainConfig())).all())


@pytest.mark.parametrize("method", ["self_label", "ppo"])
def test_sigkill_then_rerun_continues_from_saved_step(tmp_path: Path, method: str) -> None:
    sizes = {"self_label": (60_000, 2000), "ppo": (3000, 512)}[method]
    data = small_config(tmp_path, method=method, total_steps=sizes[0], checkpoint_every=sizes[1])
    data["validation"]["every"] = 10**6
    config_path = tmp_path / "cfg.yaml"
    config_path.write_text(yaml.safe_dump(data))
    state_path = tmp_path / "t" / "state.pt"
    command = [sys.executable, "-m", "agents.train", str(config_path), "--no-progress"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not state_path.is_file() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    saved = int(load_checkpoint(state_path)["trainer"]["step"])
    assert 0 < saved < data["total_steps"]
    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"resuming from step {saved}" in rerun.stdout
    final = load_checkpoint(state_path)["trainer"]["step"]
    assert final >= data["total_steps"]


def test_config_errors_name_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("ppo:\n  n_stepz: 3\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: unknown field ppo\.n_stepz"):
        TrainConfig.from_yaml(bad)
    bad.write_text("method: dqn\n")
    with pytest.raises(ConfigError, match="method"):
        TrainConfig.from_yaml(bad)
    assert main([str(tmp_path / "missing.yaml")]) == 2


def test_shipped_config_parses_and_sweep_names_runs(tmp_path: Path) -> None:
    config = TrainConfig.from_yaml(ROOT / "experiments" / "configs" / "jobshop_ppo.yaml")
    assert config.env_id == "schedgym/JobShop-v0"
    from agents.sweep import sweep_configs

    runs = sweep_configs(config, {"seed": [1, 2], "self_label.samples": [8]})
    assert [r.name for r in runs] == [
        f"{config.name}[seed=1,samples=8]",
        f"{config.name}[seed=2,samples=8]",
    ]
    assert runs[1].seed == 2 and runs[1].self_label.samples == 8
    assert callable(train_command)
