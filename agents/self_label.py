"""Self-labelling training (Corsini et al. 2024, "Self-Labeling the Job Shop Scheduling Problem").

Each iteration draws ``instances_per_iter`` random instances of one size (from the curriculum),
samples ``samples`` solutions of each with the current policy (all ``instances x samples`` envs
stepped in lockstep, one batched network call per step), optionally adds rule-built solutions
(``rule_candidates``), keeps the best solution of each instance as its pseudo-label, replays it
to collect the observations, and takes cross-entropy steps on the label's actions under the legal
masks. Decisions with a single legal action carry no signal and are skipped.

The trainer shares the policy class and the checkpoint format with PPO; its resumable state adds
the optimizer, the step and iteration counters and the numpy and torch RNG states, so a resumed
run draws exactly the instances and samples an uninterrupted run would have drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.tensorboard import SummaryWriter

from agents.checkpoint import (
    load_checkpoint,
    load_policy_state,
    make_payload,
    numpy_rng_state,
    restore_numpy_rng,
)
from agents.config import TrainConfig
from agents.graph_batch import obs_to_tensors, stack_observations
from agents.policy import GraphPointerPolicy, build_policy
from agents.rollout import policy_chooser, replay, run_episodes
from agents.run import EnvPool, ProgressDisplay, RunFiles, Validator, format_metrics, make_env
from baselines.jobshop.rules import RULES, DispatchingRule
from schedgym.core.solver import Budget
from schedgym.jobshop.generator import taillard_instance


def rule_solver(name: str) -> DispatchingRule:
    """A dispatching rule of ``baselines.jobshop.rules`` by name, as a label candidate."""
    if name not in RULES:
        raise ValueError(f"unknown rule candidate {name!r} (known: {sorted(RULES)})")
    return RULES[name]()


def cross_entropy_step(
    policy: GraphPointerPolicy,
    batch: dict[str, np.ndarray],
    actions: np.ndarray,
    max_grad_norm: float,
) -> tuple[float, float]:
    """One gradient step of masked cross-entropy towards ``actions``; (loss, accuracy)."""
    tensors = obs_to_tensors(batch)
    logits = policy.action_logits(tensors)
    legal = policy.legal_mask(tensors, logits)
    logits = logits.masked_fill(~legal, -1e9)
    target = torch.as_tensor(actions, dtype=torch.long)
    loss = F.cross_entropy(logits, target)
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
        jobs, machines = config.curriculum.max_sizes()
        probe = make_env(config, jobs, machines)
        torch.manual_seed(config.seed)  # the initial weights
        self.policy = build_policy(
            probe.observation_space,  # type: ignore[arg-type]
            probe.action_space,  # type: ignore[arg-type]
            config.arch,
            settings.learning_rate,
        )
        self.rules = [rule_solver(name) for name in settings.rule_candidates]
        self.pool = EnvPool(config)
        self.validator = Validator(config, config.validation)
        self.rng = np.random.default_rng(config.seed)
        self.torch_rng = torch.Generator().manual_seed(config.seed)
        self.step = 0
        self.iteration = 0
        self.best = float("inf")
        if state is not None:
            self._restore(state)
        elif config.init_from:
            load_policy_state(self.policy, load_checkpoint(config.init_from)["policy"])

    def _restore(self, state: dict[str, Any]) -> None:
        load_policy_state(self.policy, state["policy"])
        self.policy.optimizer.load_state_dict(state["optimizer"])
        trainer = state["trainer"]
        self.step = int(trainer["step"])
        self.iteration = int(trainer["iteration"])
        self.best = float(trainer["best"])
        self.rng = restore_numpy_rng(trainer["rng"])
        self.torch_rng.set_state(trainer["torch_rng"])
        if self.files.best.is_file():  # best.pt may be newer than the state
            kept = load_checkpoint(self.files.best)["meta"].get("metrics", {})
            self.best = min(self.best, float(kept.get("ratio", self.best)))

    def _payload(self, metrics: dict[str, float] | None = None) -> dict[str, Any]:
        meta = {"method": "self_label", "step": self.step, "metrics": metrics or {}}
        return make_payload(self.policy, meta)

    def save_state(self) -> None:
        """Atomically write the resumable state."""
        payload = self._payload()
        payload["optimizer"] = self.policy.optimizer.state_dict()
        payload["trainer"] = {
            "method": "self_label",
            "step": self.step,
            "iteration": self.iteration,
            "best": self.best,
            "rng": numpy_rng_state(self.rng),
            "torch_rng": self.torch_rng.get_state(),
            "config": self.config.to_dict(),
        }
        self.files.save_state(payload)

    def validate(self, writer: SummaryWriter) -> dict[str, float]:
        """Greedy validation; keeps the best checkpoint."""
        metrics = self.validator.evaluate(self.policy)
        for key, value in metrics.items():
            writer.add_scalar(f"val/{key}", value, self.step)
        if metrics["ratio"] < self.best:
            self.best = metrics["ratio"]
            self.files.save_best(self._payload(metrics), self.config.export)
        return metrics

    def iterate(self) -> dict[str, float]:
        """One self-labelling iteration; returns its statistics."""
        cfg, settings = self.config, self.config.self_label
        stage = cfg.curriculum.stage(self.step / max(cfg.total_steps, 1))
        job_range, machine_range = cfg.curriculum.ranges(stage)
        jobs = int(self.rng.integers(job_range[0], job_range[1] + 1))
        machines = int(self.rng.integers(machine_range[0], machine_range[1] + 1))
        count, samples = settings.instances_per_iter, settings.samples
        instances = [
            taillard_instance(jobs, machines, seed=int(self.rng.integers(2**31)))
            for _ in range(count)
        ]
        resets = [{"seed": 0, "options": {"instance": inst}} for inst in instances]
        self.policy.set_training_mode(False)
        envs = self.pool.get(jobs, machines, count * samples)
        sampled = run_episodes(
            envs,
            policy_chooser(self.policy, sample=True, generator=self.torch_rng),
            [r for r in resets for _ in range(samples)],
        )
        makespans = sampled.makespans.reshape(count, samples)
        labels = [sampled.actions[i * samples + int(np.argmin(makespans[i]))] for i in range(count)]
        best = makespans.min(axis=1)
        steps: int = sampled.steps
        for rule in self.rules:  # the rules' own schedules compete for the labels
            for i, instance in enumerate(instances):
                result = rule.solve(instance, Budget(seed=0))
                actions = list(result.info["actions"])
                steps += len(actions)
                if result.objective is not None and result.objective < best[i]:
                    labels[i], best[i] = actions, result.objective
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
        lower = np.array([inst.lower_bound() for inst in instances], float)
        return {
            "label_ratio": float((best / lower).mean()),
            "sample_ratio": float((makespans / lower[:, None]).mean()),
            "loss": float(np.mean(losses)) if losses else 0.0,
            "accuracy": float(np.mean(accuracies)) if accuracies else 0.0,
            "jobs": float(jobs),
            "machines": float(machines),
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
        if self.step == 0 and not self.files.best.is_file():
            self.validate(writer)
        try:
            while self.step < cfg.total_steps:
                stats = self.iterate()
                for key, value in stats.items():
                    writer.add_scalar(f"train/{key}", value, self.step)
                text = format_metrics({k: stats[k] for k in ("label_ratio", "loss")})
                if self.step >= next_val or self.step >= cfg.total_steps:
                    metrics = self.validate(writer)
                    text += f" val={metrics['ratio']:.3f}"
                    next_val = (self.step // cfg.validation.every + 1) * cfg.validation.every
                if self.step >= next_ckpt or self.step >= cfg.total_steps:
                    self.save_state()
                    next_ckpt = (self.step // cfg.checkpoint_every + 1) * cfg.checkpoint_every
                bar.update(self.step, text)
        finally:
            bar.close()
            writer.close()
