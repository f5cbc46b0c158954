"""MaskablePPO training of :class:`~schedgym.agents.policy.GraphPointerPolicy` on any registered
problem.

``n_envs`` curriculum envs (:mod:`schedgym.agents.envs`) are stepped in lockstep, so each step
costs one
batched graph-network call for all of them and each update sees ``n_steps * n_envs`` decisions.
A callback moves the curriculum forward, validates greedily on the fixed validation set (masks
always applied; ``val_score`` in ``metrics.csv``), keeps the best checkpoint, and writes the
resumable state every ``checkpoint_every`` steps: policy, optimizer, step count, wall time. On
resume the envs are reseeded from ``seed + step`` so that a resumed run does not replay the
same instances.

Why the defaults differ from SB3's: with a near-uniform initial pointer head, Adam at SB3's
3e-4 moved the policy by an approximate KL of 5e-6 per update (clip fraction 0) on 6x6 job shops;
1e-3 with 16 envs gives KL ~1e-3 per update and learning curves that move
(``benchmarks/train_throughput.py``, README).
"""

from __future__ import annotations

from typing import Any

import torch
from sb3_contrib import MaskablePPO
from stable_baselines3.common.callbacks import BaseCallback

from schedgym.agents.checkpoint import load_initial_state, load_policy_state, make_payload
from schedgym.agents.config import TrainConfig
from schedgym.agents.envs import make_vec_env
from schedgym.agents.policy import GraphPointerPolicy
from schedgym.agents.run import ProgressDisplay, RunFiles, format_metrics
from schedgym.agents.validation import Tracker


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
        size = cfg.size_at(step)
        if size != trainer.size:
            trainer.size = size
            self.training_env.env_method("set_size", size)
        if step >= self.next_val:
            metrics = trainer.validate(step)
            for key, value in metrics.items():
                self.logger.record(f"val/{key}", value)
            self.text = format_metrics({"val": metrics["val_score"]})
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
        trainer = state["trainer"] if state else {}
        self.start_step = int(trainer.get("step", 0))
        self.size = config.size_at(self.start_step)
        self.vec_env = make_vec_env(config, self.size)
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
        self.policy: GraphPointerPolicy = self.model.policy
        if state is not None:
            load_policy_state(self.policy, state["policy"])
            self.policy.optimizer.load_state_dict(state["optimizer"])
            self.model.num_timesteps = self.start_step
            self.vec_env.seed(config.seed + self.start_step)
            torch.manual_seed(config.seed + self.start_step)
        elif config.init_from:
            load_initial_state(self.policy, config.init_from)
        self.tracker = Tracker(
            config,
            files,
            "ppo",
            float(trainer.get("best", float("inf"))),
            float(trainer.get("wall_s", 0.0)),
            self.start_step,
        )

    def validate(self, step: int) -> dict[str, float]:
        """Greedy validation; keeps the best checkpoint."""
        return self.tracker.validate(self.policy, step)

    def save_state(self, step: int) -> None:
        """Atomically write the resumable state at ``step``."""
        payload = make_payload(self.policy, {"method": "ppo", "step": step})
        payload["optimizer"] = self.policy.optimizer.state_dict()
        payload["trainer"] = {
            "method": "ppo",
            "step": step,
            "best": self.tracker.best,
            "wall_s": self.tracker.clock.wall_s,
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
            self.vec_env.close()
            return
        if self.start_step == 0:
            self.validate(0)
        bar = ProgressDisplay(cfg.total_steps, self.start_step, progress, "ppo")
        try:
            self.model.learn(
                total_timesteps=remaining,
                callback=TrainingCallback(self, bar),
                reset_num_timesteps=self.start_step == 0,
                tb_log_name="ppo",
            )
            self.validate(self.model.num_timesteps)
            self.save_state(self.model.num_timesteps)
        finally:
            bar.close()
            self.vec_env.close()
