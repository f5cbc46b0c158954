"""Self-labelling training (Corsini et al. 2024, "Self-Labeling the Job Shop Scheduling Problem").

Works for any registered problem: each iteration draws ``instances_per_iter`` instances of the
curriculum's current size from the problem's sampler, samples ``samples`` solutions of each with
the current policy (all ``instances x samples`` envs stepped in lockstep, one batched network
call per step), optionally adds the solutions of solvers that report their env actions
(``label_solvers``, e.g. the job-shop rules), keeps the best solution of each instance (by the
problem's objective and direction) as its pseudo-label, replays it to collect the observations,
and takes cross-entropy steps on the label's actions under the legal masks. Decisions with a
single legal action carry no signal and are skipped.

The trainer shares the policy class and the checkpoint format with PPO; its resumable state adds
the optimizer, the step and iteration counters and the numpy and torch RNG states, so a resumed
run draws exactly the instances and samples an uninterrupted run would have drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.tensorboard import SummaryWriter

from schedgym.agents.checkpoint import (
    load_initial_state,
    load_policy_state,
    make_payload,
    numpy_rng_state,
    restore_numpy_rng,
)
from schedgym.agents.config import ConfigError, TrainConfig
from schedgym.agents.envs import EnvPool, make_env
from schedgym.agents.graph_batch import obs_to_tensors, stack_observations
from schedgym.agents.policy import GraphPointerPolicy, build_policy
from schedgym.agents.rollout import policy_chooser, replay, run_episodes
from schedgym.agents.run import ProgressDisplay, RunFiles, format_metrics
from schedgym.agents.validation import Tracker
from schedgym.core.errors import SchedGymError
from schedgym.core.solver import Budget, load_solver


def label_solver(problem: str, name: str, options: Mapping[str, Any] | None = None) -> Any:
    """A registered solver of ``problem`` whose results carry ``info["actions"]``, built with
    keyword ``options``."""
    try:
        return load_solver(problem, name, **dict(options or {}))
    except SchedGymError as exc:
        raise ConfigError(f"self_label.label_solvers: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"self_label.label_options.{name}: {exc}") from None


def cross_entropy_step(
    policy: GraphPointerPolicy,
    batch: dict[str, np.ndarray],
    actions: np.ndarray,
    max_grad_norm: float,
    weights: np.ndarray | None = None,
) -> tuple[float, float]:
    """One gradient step of masked cross-entropy towards ``actions`` (each decision weighted by
    ``weights`` when given: the weighted mean); (loss, accuracy)."""
    tensors = obs_to_tensors(batch)
    logits = policy.action_logits(tensors)
    legal = policy.legal_mask(tensors, logits)
    logits = logits.masked_fill(~legal, -1e9)
    target = torch.as_tensor(actions, dtype=torch.long)
    if weights is None:
        loss = F.cross_entropy(logits, target)
    else:
        w = torch.as_tensor(weights, dtype=torch.float32)
        loss = (F.cross_entropy(logits, target, reduction="none") * w).sum() / w.sum()
    policy.optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(policy.parameters(), max_grad_norm)
    policy.optimizer.step()
    accuracy = (logits.argmax(dim=-1) == target).float().mean()
    return float(loss.detach()), float(accuracy)


class SelfLabelTrainer:
    """Runs (or resumes) a self-labelling training run described by a :class:`TrainConfig`."""

    def __init__(self, config: TrainConfig, files: RunFiles, state: dict[str, Any] | None) -> None:
        self.config = config
        self.files = files
        settings = config.self_label
        probe = make_env(config)
        torch.manual_seed(config.seed)  # the initial weights
        self.policy = build_policy(
            probe.observation_space,
            probe.action_space,
            config.arch,
            settings.learning_rate,
        )
        self.problem = config.problem
        unknown = sorted(set(settings.label_options) - set(settings.label_solvers))
        if unknown:
            raise ConfigError(f"self_label.label_options.{unknown[0]}: not in label_solvers")
        self.labellers = [
            label_solver(self.problem.name, n, settings.label_options.get(n))
            for n in settings.label_solvers
        ]
        self.pool = EnvPool(config)
        self.rng = np.random.default_rng(config.seed)
        self.torch_rng = torch.Generator().manual_seed(config.seed)
        self.step = 0
        self.iteration = 0
        trainer = state["trainer"] if state else {}
        if state is not None:
            self._restore(state)
        elif config.init_from:
            load_initial_state(self.policy, config.init_from)
        self.tracker = Tracker(
            config,
            files,
            "self_label",
            float(trainer.get("best", float("inf"))),
            float(trainer.get("wall_s", 0.0)),
            self.step,
        )

    def _restore(self, state: dict[str, Any]) -> None:
        load_policy_state(self.policy, state["policy"])
        self.policy.optimizer.load_state_dict(state["optimizer"])
        trainer = state["trainer"]
        self.step = int(trainer["step"])
        self.iteration = int(trainer["iteration"])
        self.rng = restore_numpy_rng(trainer["rng"])
        self.torch_rng.set_state(trainer["torch_rng"])

    def save_state(self) -> None:
        """Atomically write the resumable state."""
        payload = make_payload(self.policy, {"method": "self_label", "step": self.step})
        payload["optimizer"] = self.policy.optimizer.state_dict()
        payload["trainer"] = {
            "method": "self_label",
            "step": self.step,
            "iteration": self.iteration,
            "best": self.tracker.best,
            "wall_s": self.tracker.clock.wall_s,
            "rng": numpy_rng_state(self.rng),
            "torch_rng": self.torch_rng.get_state(),
            "config": self.config.to_dict(),
        }
        self.files.save_state(payload)

    def validate(self, writer: SummaryWriter) -> dict[str, float]:
        """Greedy validation; keeps the best checkpoint."""
        return self.tracker.validate(self.policy, self.step, writer)

    def iterate(self) -> dict[str, float]:
        """One self-labelling iteration; returns its statistics."""
        cfg, settings = self.config, self.config.self_label
        hooks = self.problem.training
        sampler = self.problem.sampler
        assert hooks is not None and sampler is not None
        count, samples = settings.instances_per_iter, settings.samples
        if cfg.curriculum.mix:  # each instance draws its size setting
            generators = [sampler.level_generator(size=s) for s in cfg.train_sizes()]
            pick = self.rng.integers  # drawn before each instance, as the runs measured it
            instances = [
                generators[int(pick(len(generators)))].sample(self.rng) for _ in range(count)
            ]
        else:
            generator = sampler.level_generator(size=cfg.size_at(self.step))
            instances = [generator.sample(self.rng) for _ in range(count)]
        resets = [{"seed": 0, "options": {"instance": inst}} for inst in instances]
        self.policy.set_training_mode(False)
        envs = self.pool.get(count * samples)
        sampled = run_episodes(
            envs,
            policy_chooser(self.policy, sample=True, generator=self.torch_rng),
            [r for r in resets for _ in range(samples)],
            key=self.config.episode_objective_key(),
        )
        sign = 1.0 if self.problem.direction == "min" else -1.0
        scores = sign * sampled.worst_is(self.problem.direction).reshape(count, samples)
        labels = [sampled.actions[i * samples + int(np.argmin(scores[i]))] for i in range(count)]
        best = scores.min(axis=1)
        steps: int = sampled.steps
        if settings.include_greedy:  # the greedy solution is the label unless strictly beaten
            greedy = run_episodes(
                envs[:count],
                policy_chooser(self.policy, sample=False),
                resets,
                key=self.config.episode_objective_key(),
            )
            steps += greedy.steps
            own = sign * greedy.worst_is(self.problem.direction)
            for i in range(count):
                if not own[i] > best[i]:
                    labels[i], best[i] = greedy.actions[i], own[i]
        for solver in self.labellers:  # solvers' own solutions compete for the labels
            for i, instance in enumerate(instances):
                result = solver.solve(instance, Budget(seed=0))
                actions = list(result.info.get("actions", []))
                steps += len(actions)
                if actions and result.objective is not None and sign * result.objective < best[i]:
                    labels[i], best[i] = actions, sign * result.objective
        observations, targets = [], []
        for i in range(count):
            for obs, action in zip(replay(envs[i], labels[i], resets[i]), labels[i], strict=True):
                steps += 1
                if obs["action_mask"].sum() > 1:
                    observations.append(obs)
                    targets.append(action)
        losses, accuracies = self._fit(observations, np.array(targets, dtype=np.int64))
        self.step += steps
        self.iteration += 1
        finite = scores[np.isfinite(scores)]
        return {
            "label_objective": float(sign * best.mean()),
            "sample_objective": float(sign * finite.mean()) if len(finite) else float("nan"),
            "loss": float(np.mean(losses)) if losses else 0.0,
            "accuracy": float(np.mean(accuracies)) if accuracies else 0.0,
        }

    def _fit(self, observations: list[Any], targets: np.ndarray) -> tuple[list[float], list[float]]:
        settings = self.config.self_label
        self.policy.set_training_mode(True)
        losses: list[float] = []
        accuracies: list[float] = []
        for _ in range(settings.epochs):
            order = self.rng.permutation(len(observations))
            for start in range(0, len(order), settings.batch_size):
                chunk = order[start : start + settings.batch_size]
                batch = stack_observations([observations[i] for i in chunk])
                loss, acc = cross_entropy_step(
                    self.policy, batch, targets[chunk], settings.max_grad_norm
                )
                losses.append(loss)
                accuracies.append(acc)
        self.policy.set_training_mode(False)
        return losses, accuracies

    def run(self, progress: bool) -> None:
        """Train until ``total_steps``, validating and checkpointing on schedule."""
        cfg = self.config
        writer = SummaryWriter(str(self.files.tensorboard / "self_label"), purge_step=self.step)
        bar = ProgressDisplay(cfg.total_steps, self.step, progress, "self-label")
        if self.step > 0:
            print(f"resuming from step {self.step} (iteration {self.iteration})", flush=True)
        next_val = (self.step // cfg.validation.every + 1) * cfg.validation.every
        next_ckpt = (self.step // cfg.checkpoint_every + 1) * cfg.checkpoint_every
        if self.step == 0:
            self.validate(writer)
        try:
            while self.step < cfg.total_steps:
                stats = self.iterate()
                for key, value in stats.items():
                    writer.add_scalar(f"train/{key}", value, self.step)
                text = format_metrics({"loss": stats["loss"]})
                if self.step >= next_val or self.step >= cfg.total_steps:
                    metrics = self.validate(writer)
                    text += f" val={metrics['val_score']:.3f}"
                    next_val = (self.step // cfg.validation.every + 1) * cfg.validation.every
                if self.step >= next_ckpt or self.step >= cfg.total_steps:
                    self.save_state()
                    next_ckpt = (self.step // cfg.checkpoint_every + 1) * cfg.checkpoint_every
                bar.update(self.step, text)
        finally:
            bar.close()
            writer.close()
