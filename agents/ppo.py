"""MaskablePPO training of :class:`~agents.policy.GraphPointerPolicy` with a size curriculum.

Envs are padded to the curriculum's largest size (the observation space must not change during a
run) and wrapped in :class:`SizeCurriculum`, whose size ranges a callback moves forward as
training progresses. ``n_envs > 1`` uses ``SubprocVecEnv`` with the forkserver start method
(environments are registered by importing ``schedgym``). A callback validates greedily (masks
always applied), keeps the best checkpoint, and writes the resumable state every
``checkpoint_every`` steps: policy, optimizer, step count and curriculum stage. On resume the
envs are reseeded from ``seed + step`` so that a resumed run does not replay the same instances.
"""

from __future__ import annotations

import dataclasses
import os
from functools import partial
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from sb3_contrib import MaskablePPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecEnv

from agents.checkpoint import load_checkpoint, load_policy_state, make_payload
from agents.config import TrainConfig
from agents.policy import GraphPointerPolicy
from agents.run import ProgressDisplay, RunFiles, Validator, format_metrics, make_env


class SizeCurriculum(gym.Wrapper[Any, Any, Any, Any]):
    """Lets a trainer change the random instance sizes of a wrapped generator-based env.

    ``set_size_range`` replaces the env's ``generator`` (a dataclass with ``num_jobs`` and
    ``num_machines`` fields) from the next reset on.
    """

    def set_size_range(self, num_jobs: tuple[int, int], num_machines: tuple[int, int]) -> None:
        """Draw instances of ``num_jobs`` x ``num_machines`` (inclusive ranges) from now on."""
        base = self.env.unwrapped
        base.generator = dataclasses.replace(  # type: ignore[attr-defined]
            base.generator,  # type: ignore[attr-defined]
            num_jobs=tuple(num_jobs),
            num_machines=tuple(num_machines),
        )

    def action_masks(self) -> np.ndarray:
        """The wrapped env's legal-action mask (for MaskablePPO)."""
        return np.asarray(self.env.unwrapped.action_masks())  # type: ignore[attr-defined]


def _curriculum_env(config_data: dict[str, Any], stage: int) -> gym.Env[Any, Any]:
    """Module-level env factory (picklable for subprocess workers)."""
    torch.set_num_threads(1)
    config = TrainConfig.from_dict(config_data)
    jobs, machines = config.curriculum.ranges(stage)
    max_jobs, max_machines = config.curriculum.max_sizes()
    env = make_env(config, max_jobs, max_machines, num_jobs=jobs, num_machines=machines)
    return SizeCurriculum(env)


def make_vec_env(config: TrainConfig, stage: int) -> VecEnv:
    """``n_envs`` curriculum envs: ``DummyVecEnv`` for one, forkserver ``SubprocVecEnv`` else."""
    factory = partial(_curriculum_env, config.to_dict(), stage)
    if config.n_envs <= 1:
        return DummyVecEnv([factory])
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    return SubprocVecEnv([factory] * config.n_envs, start_method="forkserver")


class TrainingCallback(BaseCallback):
    """Curriculum, validation, best checkpoint, resumable state and progress display."""

    def __init__(self, trainer: PPOTrainer, bar: ProgressDisplay) -> None:
        super().__init__()
        self.trainer = trainer
        self.bar = bar
        cfg = trainer.config
        self.next_val = (trainer.start_step // cfg.validation.every + 1) * cfg.validation.every
        self.next_ckpt = (trainer.start_step // cfg.checkpoint_every + 1) * cfg.checkpoint_every
        self.text = ""

    def _on_step(self) -> bool:
        trainer, cfg, step = self.trainer, self.trainer.config, self.num_timesteps
        stage = cfg.curriculum.stage(step / max(cfg.total_steps, 1))
        if stage != trainer.stage:
            trainer.stage = stage
            self.training_env.env_method("set_size_range", *cfg.curriculum.ranges(stage))
        if step >= self.next_val:
            metrics = trainer.validate()
            for key, value in metrics.items():
                self.logger.record(f"val/{key}", value)
            self.text = format_metrics({"val": metrics["ratio"]})
            self.next_val = (step // cfg.validation.every + 1) * cfg.validation.every
        if step >= self.next_ckpt:
            trainer.save_state(step)
            self.next_ckpt = (step // cfg.checkpoint_every + 1) * cfg.checkpoint_every
        self.bar.update(step, self.text)
        return True


class PPOTrainer:
    """Runs (or resumes) a MaskablePPO training run described by a :class:`TrainConfig`."""

    def __init__(self, config: TrainConfig, files: RunFiles, state: dict[str, Any] | None) -> None:
        self.config = config
        self.files = files
        self.start_step = int(state["trainer"]["step"]) if state else 0
        self.stage = config.curriculum.stage(self.start_step / max(config.total_steps, 1))
        self.best = float(state["trainer"]["best"]) if state else float("inf")
        self.vec_env = make_vec_env(config, self.stage)
        ppo = config.ppo
        self.model = MaskablePPO(
            GraphPointerPolicy,
            self.vec_env,
            learning_rate=ppo.learning_rate,
            n_steps=ppo.n_steps,
            batch_size=ppo.batch_size,
            n_epochs=ppo.n_epochs,
            gamma=ppo.gamma,
            gae_lambda=ppo.gae_lambda,
            clip_range=ppo.clip_range,
            ent_coef=ppo.ent_coef,
            vf_coef=ppo.vf_coef,
            max_grad_norm=ppo.max_grad_norm,
            policy_kwargs=dict(config.arch),
            tensorboard_log=str(files.tensorboard),
            seed=config.seed,
            device="cpu",
            verbose=0,
        )
        self.policy: GraphPointerPolicy = self.model.policy  # type: ignore[assignment]
        if state is not None:
            load_policy_state(self.policy, state["policy"])
            self.policy.optimizer.load_state_dict(state["optimizer"])
            self.model.num_timesteps = self.start_step
            self.vec_env.seed(config.seed + self.start_step)
            torch.manual_seed(config.seed + self.start_step)
            if files.best.is_file():  # best.pt may be newer than the state
                kept = load_checkpoint(files.best)["meta"].get("metrics", {})
                self.best = min(self.best, float(kept.get("ratio", self.best)))
        elif config.init_from:
            load_policy_state(self.policy, load_checkpoint(config.init_from)["policy"])
        self.validator = Validator(config, config.validation)

    def validate(self) -> dict[str, float]:
        """Greedy validation; keeps the best checkpoint."""
        metrics = self.validator.evaluate(self.policy)
        if metrics["ratio"] < self.best:
            self.best = metrics["ratio"]
            meta = {"method": "ppo", "step": self.model.num_timesteps, "metrics": metrics}
            self.files.save_best(make_payload(self.policy, meta), self.config.export)
        return metrics

    def save_state(self, step: int) -> None:
        """Atomically write the resumable state at ``step``."""
        payload = make_payload(self.policy, {"method": "ppo", "step": step})
        payload["optimizer"] = self.policy.optimizer.state_dict()
        payload["trainer"] = {
            "method": "ppo",
            "step": step,
            "best": self.best,
            "stage": self.stage,
            "torch_rng": torch.get_rng_state(),
            "config": self.config.to_dict(),
        }
        self.files.save_state(payload)

    def run(self, progress: bool) -> None:
        """Train until ``total_steps``."""
        cfg = self.config
        remaining = cfg.total_steps - self.start_step
        if self.start_step > 0:
            print(f"resuming from step {self.start_step}", flush=True)
        if remaining <= 0:
            return
        if self.start_step == 0 and not self.files.best.is_file():
            self.validate()
        bar = ProgressDisplay(cfg.total_steps, self.start_step, progress, "ppo")
        try:
            self.model.learn(
                total_timesteps=remaining,
                callback=TrainingCallback(self, bar),
                reset_num_timesteps=self.start_step == 0,
                tb_log_name="ppo",
            )
            self.validate()
            self.save_state(self.model.num_timesteps)
        finally:
            bar.close()
            self.vec_env.close()
