"""Training: self-labelling and PPO learn, every problem trains through one engine, runs write
only their run folder, interrupted runs resume where they stopped."""

from __future__ import annotations

import csv
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
from typer.testing import CliRunner

from schedgym.agents.checkpoint import load_checkpoint
from schedgym.agents.command import build_run_config, train_command
from schedgym.agents.config import ConfigError, TrainConfig
from schedgym.agents.train import main, train
from schedgym.cli import app
from schedgym.problems import problem_names

ROOT = Path(__file__).resolve().parents[2]
SIX = [{"num_jobs": 6, "num_machines": 6}]


def small_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """A fast 6x6 job-shop configuration (plain data) writing under ``tmp_path``."""
    data: dict[str, Any] = {
        "name": "t",
        "method": "self_label",
        "env_id": "jobshop",
        "run_dir": str(tmp_path / "{name}"),
        "total_steps": 40_000,
        "curriculum": {"sizes": SIX},
        "arch": {"hidden": 32, "head_hidden": 32},
        "self_label": {
            "instances_per_iter": 8,
            "samples": 16,
            "batch_size": 64,
            "epochs": 4,
            "learning_rate": 1e-3,
        },
        "ppo": {"n_steps": 64, "batch_size": 256, "n_epochs": 4},
        "n_envs": 16,
        "validation": {"num_instances": 16, "every": 5000},
        "checkpoint_every": 5000,
    }
    data.update(overrides)
    return data


def val_scores(run: Path) -> list[float]:
    """The ``val_score`` column of a run's ``metrics.csv``."""
    with (run / "metrics.csv").open() as f:
        return [float(r["val_score"]) for r in csv.DictReader(f)]


def test_self_label_improves_val_score(tmp_path: Path) -> None:
    config = TrainConfig.from_dict(small_config(tmp_path))
    best = train(config, resume=False, progress=False)
    scores = val_scores(config.run_path)
    print("self-label val_score:", scores)
    assert min(scores[1:]) < 0.97 * scores[0], scores
    assert load_checkpoint(best)["meta"]["metrics"]["val_score"] == pytest.approx(
        min(scores), abs=1e-6
    )
    assert (config.run_path / "tb").is_dir() and (config.run_path / "last.pt").is_file()


def test_ppo_improves_val_score_on_a_tiny_size(tmp_path: Path) -> None:
    data = small_config(tmp_path, method="ppo", env_id="socdag", total_steps=8192, arch={"skip": 1})
    data["curriculum"] = {"sizes": [{"num_tasks": [8, 12], "num_pes": 3}]}
    data["validation"]["every"] = 2048
    train(TrainConfig.from_dict(data), resume=False, progress=False)
    scores = val_scores(tmp_path / "t")
    print("ppo val_score:", scores)
    assert min(scores[1:]) < 0.9 * scores[0], scores
    assert min(scores) <= 1.05, scores  # within 5% of HEFT after 8k steps (measured: 1.005)
    state = load_checkpoint(tmp_path / "t" / "last.pt")
    assert state["trainer"]["step"] >= 8192 and "optimizer" in state
    assert any((tmp_path / "t" / "tb").glob("ppo_*"))


def test_self_label_resume_reproduces_uninterrupted_run(tmp_path: Path) -> None:
    short = small_config(tmp_path, name="a", total_steps=4000, checkpoint_every=1000)
    train(TrainConfig.from_dict(short), resume=False, progress=False)
    resumed = train(TrainConfig.from_dict({**short, "total_steps": 9000}), progress=False)
    straight = train(
        TrainConfig.from_dict({**short, "name": "b", "total_steps": 9000}), progress=False
    )
    a = load_checkpoint(resumed.parent / "last.pt")
    b = load_checkpoint(straight.parent / "last.pt")
    assert a["trainer"]["step"] == b["trainer"]["step"] >= 9000
    for key, value in a["policy"].items():
        torch.testing.assert_close(value, b["policy"][key])


def _tracked_files() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize("problem", list(problem_names()))
@pytest.mark.parametrize("method", ["ppo", "self_label"])
def test_every_problem_trains_through_the_cli(tmp_path: Path, problem: str, method: str) -> None:
    before = _tracked_files()
    run = tmp_path / "run"
    args = ["train", "--env", problem, "--method", method, "--steps", "600"]
    args += ["--run-dir", str(run), "--no-progress", "--seed", "1"]
    args += ["--set", "validation.num_instances=2", "--set", "validation.every=300"]
    args += ["--set", "n_envs=2", "--set", "ppo.n_steps=150", "--set", "ppo.batch_size=100"]
    args += ["--set", "self_label.instances_per_iter=1", "--set", "self_label.samples=2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    assert {p.name for p in run.iterdir()} == {
        "config.yaml",
        "metrics.csv",
        "last.pt",
        "best.pt",
        "tb",
    }
    with (run / "metrics.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["step", "wall_s", "env_steps_per_s", "val_score"] and len(rows) >= 2
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["method"] == method and saved["seed"] == 1 and saved["total_steps"] == 600
    assert load_checkpoint(run / "best.pt")["meta"]["env_id"].endswith("-v0")
    assert _tracked_files() == before


def test_export_needs_force_onto_a_shipped_checkpoint(tmp_path: Path) -> None:
    shipped = ROOT / "agents" / "checkpoints" / "jobshop_gnn.pt"
    with pytest.raises(ConfigError, match="--force"):
        train(TrainConfig.from_dict(small_config(tmp_path)), export=shipped)
    data = small_config(tmp_path, total_steps=500)
    data["validation"]["num_instances"] = 2
    out = tmp_path / "mine.pt"
    train(TrainConfig.from_dict(data), resume=False, progress=False, export=out)
    assert out.read_bytes() == (tmp_path / "t" / "best.pt").read_bytes()


@pytest.mark.parametrize("method", ["self_label", "ppo"])
def test_sigkill_then_rerun_continues_from_saved_step(tmp_path: Path, method: str) -> None:
    sizes = {"self_label": (60_000, 2000), "ppo": (6000, 1024)}[method]
    data = small_config(tmp_path, method=method, total_steps=sizes[0], checkpoint_every=sizes[1])
    data["validation"] = {"num_instances": 2, "every": 10**6}
    config_path = tmp_path / "cfg.yaml"
    config_path.write_text(yaml.safe_dump(data))
    state_path = tmp_path / "t" / "last.pt"
    command = [sys.executable, "-m", "schedgym.agents.train", str(config_path), "--no-progress"]
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
    assert load_checkpoint(state_path)["trainer"]["step"] >= data["total_steps"]


def test_config_errors_name_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("ppo:\n  n_stepz: 3\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: unknown field ppo\.n_stepz"):
        TrainConfig.from_yaml(bad)
    bad.write_text("method: dqn\n")
    with pytest.raises(ConfigError, match="method"):
        TrainConfig.from_yaml(bad)
    bad.write_text("env_id: chess\n")
    with pytest.raises(ConfigError, match="not a registered problem"):
        TrainConfig.from_yaml(bad)
    bad.write_text("curriculum:\n  sizes: [{num_jobz: 3}]\n")
    with pytest.raises(ConfigError, match=r"curriculum\.sizes"):
        TrainConfig.from_yaml(bad)
    bad.write_text("validation:\n  reference: no-such-rule\n")
    with pytest.raises(ConfigError, match=r"validation\.reference"):
        TrainConfig.from_yaml(bad)
    assert main([str(tmp_path / "missing.yaml")]) == 2


def test_validation_reference_overrides_the_problem_heuristic(tmp_path: Path) -> None:
    from schedgym.agents.validation import reference_objectives, validation_instances

    config = TrainConfig.from_dict(
        {
            "env_id": "schedgym/JobShop-v0",
            "curriculum": {"sizes": [{"num_jobs": 4, "num_machines": 3}]},
            "validation": {"num_instances": 3, "reference": "fifo"},
        }
    )
    instances, _ = validation_instances(config)
    fifo = reference_objectives(config, instances)
    config.validation.reference = None
    default = reference_objectives(config, instances)  # the problem's own rule
    assert config.problem.training is not None
    assert config.problem.training.reference_solver != "fifo"
    assert len(fifo) == len(default) == 3 and not np.array_equal(fifo, default)


def test_every_shipped_config_parses() -> None:
    for problem in problem_names():
        for method in ("ppo", "self_label"):
            path = ROOT / "experiments" / "configs" / f"{problem}_{method}.yaml"
            config = TrainConfig.from_yaml(path)
            assert config.method == method and config.problem.name == problem
            assert build_run_config(None, problem, method).name == config.name


def test_flags_and_set_override_the_config(tmp_path: Path) -> None:
    config = build_run_config(
        None, "memory", "ppo", steps=123, seed=4, run_dir=str(tmp_path), overrides=["n_envs=3"]
    )
    assert (config.total_steps, config.seed, config.n_envs) == (123, 4, 3)
    assert config.run_path == tmp_path and config.env_id == "schedgym/MemoryMapping-v0"
    assert callable(train_command)


def test_shipped_config_sweep_names_runs() -> None:
    from schedgym.agents.sweep import sweep_configs

    config = TrainConfig.from_yaml(ROOT / "experiments" / "configs" / "jobshop_self_label.yaml")
    runs = sweep_configs(config, {"seed": [1, 2], "self_label.samples": [8]})
    assert [r.name for r in runs] == [
        f"{config.name}[seed=1,samples=8]",
        f"{config.name}[seed=2,samples=8]",
    ]
    assert runs[1].seed == 2 and runs[1].self_label.samples == 8


def test_learning_curve_plots_a_run_folder(tmp_path: Path) -> None:
    from schedgym.experiments.learning_curve import main as plot_main

    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.csv").write_text(
        "step,wall_s,env_steps_per_s,val_score\n0,0.5,0,1.9\n1000,10,100,1.2\n2000,20,100,1.1\n"
    )
    out = tmp_path / "curve.png"
    assert plot_main([str(run), "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_label_options_build_the_label_solvers(tmp_path: Path) -> None:
    """Tabu search labels an active-construction run: its env actions replay in that env and
    beat the untrained policy's samples."""
    from schedgym.agents.run import RunFiles
    from schedgym.agents.self_label import SelfLabelTrainer

    data = small_config(tmp_path, env_kwargs={"construction": "active"})
    data["self_label"].update(
        instances_per_iter=2,
        samples=2,
        label_solvers=["tabu"],
        label_options={"tabu": {"iterations": 300, "construction": "active"}},
    )
    files = RunFiles(tmp_path / "run")
    trainer = SelfLabelTrainer(TrainConfig.from_dict(data), files, None)
    stats = trainer.iterate()
    assert stats["label_objective"] < stats["sample_objective"], stats
    data["self_label"]["label_options"] = {"mwkr": {}}
    with pytest.raises(ConfigError, match=r"label_options\.mwkr: not in label_solvers"):
        SelfLabelTrainer(TrainConfig.from_dict(data), files, None)
    data["self_label"]["label_options"] = {"tabu": {"iterations": 0}}
    with pytest.raises(ConfigError, match=r"label_options\.tabu"):
        SelfLabelTrainer(TrainConfig.from_dict(data), files, None)


def test_checkpoint_records_the_construction_and_the_solver_plays_under_it(tmp_path: Path) -> None:
    from schedgym.agents.solver import PPOGNNSolver
    from schedgym.core.solver import Budget
    from schedgym.datasets.jobshop import load

    data = small_config(tmp_path, total_steps=2000, env_kwargs={"construction": "active"})
    data["validation"] = {"num_instances": 2, "every": 2000}
    best = train(TrainConfig.from_dict(data), resume=False, progress=False)
    assert load_checkpoint(best)["meta"]["env_options"] == {"construction": "active"}
    solver = PPOGNNSolver(checkpoint=best)
    assert solver.env_options["construction"] == "active"
    assert (
        PPOGNNSolver(checkpoint=best, construction="non-delay").env_options["construction"]
        == "non-delay"
    )  # the caller's option wins
    result = solver.solve(load("ft06"), Budget(seed=0))
    assert result.objective is not None and result.objective >= 55
    shipped = PPOGNNSolver()  # trained before the option existed: non-delay, the env default
    assert "construction" not in shipped.env_options


def test_include_greedy_keeps_the_greedy_solution_unless_a_sample_beats_it(tmp_path: Path) -> None:
    """With ``include_greedy`` no instance's label is worse than the policy's greedy solution."""
    import copy

    from schedgym.agents.rollout import policy_chooser, run_episodes
    from schedgym.agents.run import RunFiles
    from schedgym.agents.self_label import SelfLabelTrainer

    data = small_config(tmp_path)
    data["self_label"].update(instances_per_iter=4, samples=1, include_greedy=True)
    trainer = SelfLabelTrainer(TrainConfig.from_dict(data), RunFiles(tmp_path / "run"), None)
    rng = copy.deepcopy(trainer.rng)  # draws the instances iterate() will draw
    generator = trainer.problem.sampler.level_generator(size=trainer.config.size_at(0))
    instances = [generator.sample(rng) for _ in range(4)]
    hooks = trainer.problem.training
    greedy = run_episodes(
        trainer.pool.get(4),
        policy_chooser(trainer.policy),
        [{"seed": 0, "options": {"instance": inst}} for inst in instances],
        key=hooks.objective_key,
    )
    stats = trainer.iterate()
    assert stats["label_objective"] <= float(np.mean(greedy.objectives)) + 1e-9
    assert stats["label_objective"] <= stats["sample_objective"] + 1e-9


def test_curriculum_mix_draws_every_size_setting_in_one_iteration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``curriculum.mix`` each instance draws its size setting (seeded), so one iteration
    holds both shapes; PPO refuses the option."""
    from schedgym.agents import self_label
    from schedgym.agents.run import RunFiles
    from schedgym.agents.self_label import SelfLabelTrainer

    sizes = [{"num_jobs": 6, "num_machines": 6}, {"num_jobs": 8, "num_machines": 4}]
    data = small_config(tmp_path, curriculum={"sizes": sizes, "mix": True})
    data["self_label"].update(instances_per_iter=12, samples=2, epochs=1)
    shapes: list[tuple[int, int]] = []
    original = self_label.run_episodes

    def recording(envs: Any, chooser: Any, resets: Any, key: str = "makespan") -> Any:
        shapes.extend(r["options"]["instance"].machines.shape for r in resets)
        return original(envs, chooser, resets, key=key)

    monkeypatch.setattr(self_label, "run_episodes", recording)
    trainer = SelfLabelTrainer(TrainConfig.from_dict(data), RunFiles(tmp_path / "run"), None)
    trainer.iterate()
    assert set(shapes) == {(6, 6), (8, 4)}
    again = SelfLabelTrainer(TrainConfig.from_dict(data), RunFiles(tmp_path / "again"), None)
    first, shapes[:] = list(shapes), []
    again.iterate()
    assert shapes == first  # same seed, same draws
    with pytest.raises(ConfigError, match=r"curriculum\.mix"):
        TrainConfig.from_dict({**data, "method": "ppo"})


def test_progress_display_total_grows_to_an_overshooting_last_step() -> None:
    """A run stops after the iteration that passes total_steps: the bar never shows more steps
    done than its total."""
    from schedgym.agents.run import ProgressDisplay

    bar = ProgressDisplay(3000, 0, True, "self-label")
    try:
        bar.update(1200)
        assert bar.total == 3000
        bar.update(9520)
        assert bar.total == 9520
        task = bar._progress.tasks[0]
        assert (task.completed, task.total) == (9520, 9520)
    finally:
        bar.close()
