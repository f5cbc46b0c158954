"""Validation of a policy during training, for any registered problem: ``val_score``.

The validation instances are drawn once from the problem's sampler (``num_instances`` per
validation size, instance ``k`` of size ``s`` from ``rng([seed, s, k])``), so every run of the
same config sees the same set. The problem's reference heuristic (its descriptor's
``training.reference_solver``: the best dispatching rule for the job shop, HEFT for SoC DAG
(HEFT-RT in its stream mode), XLA's greedy for memory, the greedy dispatcher for the fleet)
solves each once, through
:func:`schedgym.core.run.run_one` (so its objective is the validator's). ``val_score`` is the
mean over the instances of agent / reference when the problem minimises, reference / agent when
it maximises: lower is better and 1.0 ties the heuristic.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from schedgym.agents.checkpoint import load_checkpoint, make_payload
from schedgym.agents.config import TrainConfig
from schedgym.agents.envs import EnvPool
from schedgym.agents.policy import GraphPointerPolicy
from schedgym.agents.rollout import policy_chooser, run_episodes
from schedgym.agents.run import Clock, RunFiles
from schedgym.core.run import run_one
from schedgym.core.solver import Budget, load_solver

#: A ratio for an episode without an objective, or a non-positive profit (clearly worse).
WORST_RATIO = 10.0


def validation_instances(config: TrainConfig) -> tuple[list[Any], list[str]]:
    """The fixed validation instances of ``config`` and the size label of each."""
    sampler = config.problem.sampler
    assert sampler is not None
    settings = config.validation
    instances, labels = [], []
    for s, size in enumerate(config.validation_sizes()):
        generator = sampler.level_generator(size=size)
        label = "-".join(f"{k}={v}" for k, v in size.items())
        for k in range(settings.num_instances):
            instances.append(generator.sample(np.random.default_rng([settings.seed, s, k])))
            labels.append(label)
    return instances, labels


def reference_objectives(config: TrainConfig, instances: list[Any]) -> np.ndarray:
    """The validated objective of the reference heuristic on each instance (the config's
    ``validation.reference``, else the problem's)."""
    problem = config.problem
    assert problem.training is not None
    name = config.reference_solver()
    solver = load_solver(problem.name, name)
    values = []
    for instance in instances:
        record = run_one(problem, instance.name, instance, name, solver, Budget(seed=0))
        if record.objective is None:
            raise RuntimeError(f"reference {name} failed on {instance.name}: {record.message}")
        values.append(record.objective)
    return np.array(values, dtype=float)


def score_ratios(objectives: np.ndarray, reference: np.ndarray, direction: str) -> np.ndarray:
    """Per-instance ratios, lower is better: agent/reference (min), reference/agent (max)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if direction == "min":
            ratios = objectives / reference
        else:
            ratios = np.where(objectives > 0, reference / objectives, WORST_RATIO)
    return np.where(np.isfinite(ratios), np.minimum(ratios, WORST_RATIO), WORST_RATIO)


class Validator:
    """Greedy evaluation of a policy on the run's fixed validation set."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.instances, self.labels = validation_instances(config)
        self.reference = reference_objectives(config, self.instances)
        self.pool = EnvPool(config)

    def evaluate(self, policy: GraphPointerPolicy) -> dict[str, float]:
        """``val_score`` (see the module docstring), the mean objective, and ``val_score`` per
        validation size when there are several."""
        problem = self.config.problem
        assert problem.training is not None
        policy.set_training_mode(False)
        envs = self.pool.get(len(self.instances))
        resets = [{"seed": 0, "options": {"instance": inst}} for inst in self.instances]
        episodes = run_episodes(
            envs, policy_chooser(policy), resets, key=self.config.episode_objective_key()
        )
        ratios = score_ratios(episodes.objectives, self.reference, problem.direction)
        found = episodes.objectives[~np.isnan(episodes.objectives)]
        metrics = {
            "val_score": float(ratios.mean()),
            "objective": float(found.mean()) if len(found) else float("nan"),
            "reference": float(self.reference.mean()),
        }
        labels = list(dict.fromkeys(self.labels))
        if len(labels) > 1:
            for label in labels:
                mask = np.array([x == label for x in self.labels])
                metrics[f"val_score[{label}]"] = float(ratios[mask].mean())
        return metrics


class Tracker:
    """Validation on schedule: logs each validation to ``metrics.csv`` (and the given
    TensorBoard writer), and keeps the best policy as ``best.pt``."""

    def __init__(
        self,
        config: TrainConfig,
        files: RunFiles,
        method: str,
        best: float = float("inf"),
        wall_s: float = 0.0,
        step: int = 0,
    ) -> None:
        self.config = config
        self.files = files
        self.method = method
        self.best = best
        self.validator = Validator(config)
        self.clock = Clock(wall_s, step)
        if files.best.is_file():  # best.pt may be newer than the resumable state
            kept = load_checkpoint(files.best)["meta"].get("metrics", {})
            self.best = min(self.best, float(kept.get("val_score", self.best)))

    def validate(
        self, policy: GraphPointerPolicy, step: int, writer: Any = None
    ) -> dict[str, float]:
        """Validate ``policy`` at env step ``step``; keep it if it is the best so far."""
        rate = self.clock.rate(step)
        metrics = self.validator.evaluate(policy)
        self.files.log_metrics(step, self.clock.wall_s, rate, metrics["val_score"])
        if writer is not None:
            for key, value in metrics.items():
                writer.add_scalar(f"val/{key}", value, step)
            writer.add_scalar("time/env_steps_per_s", rate, step)
        if metrics["val_score"] < self.best:
            self.best = metrics["val_score"]
            meta = {
                "method": self.method,
                "step": step,
                "metrics": metrics,
                "env_id": self.config.env_id,
                "env_options": self.config.decision_options(),
            }
            self.files.save_best(make_payload(policy, meta))
        return metrics
