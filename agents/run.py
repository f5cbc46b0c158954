"""What both training methods share: the run folder, validation, envs, progress display.

Run folder layout (``TrainConfig.run_path``)::

    config.yaml   the config of the run (written at the start)
    state.pt      latest resumable state (policy + optimizer + step + RNG states), atomic
    best.pt       best policy on the validation set so far (shippable checkpoint)
    tb/           TensorBoard logs
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

import schedgym  # noqa: F401  (registers the envs, also in subprocess workers)
from agents.checkpoint import atomic_save, load_checkpoint
from agents.config import TrainConfig, ValidationConfig
from agents.policy import GraphPointerPolicy
from agents.rollout import policy_chooser, run_episodes
from schedgym.jobshop.generator import taillard_instance
from schedgym.jobshop.instance import JobShopInstance


def make_env(
    config: TrainConfig, max_jobs: int, max_machines: int, **overrides: Any
) -> gym.Env[Any, Any]:
    """An env of ``config.env_id`` padded to ``max_jobs`` x ``max_machines``."""
    kwargs = {**config.env_kwargs, "max_jobs": max_jobs, "max_machines": max_machines, **overrides}
    return gym.make(config.env_id, **kwargs)


class EnvPool:
    """Reusable envs keyed by padded size, so that an iteration does not rebuild them."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self._envs: dict[tuple[int, int], list[gym.Env[Any, Any]]] = {}

    def get(self, jobs: int, machines: int, count: int) -> list[gym.Env[Any, Any]]:
        """``count`` envs padded exactly to ``jobs`` x ``machines``."""
        envs = self._envs.setdefault((jobs, machines), [])
        while len(envs) < count:
            envs.append(make_env(self.config, jobs, machines))
        return envs[:count]


def seeded_instances(
    sizes: Sequence[tuple[int, int]], per_size: int, seed: int
) -> list[JobShopInstance]:
    """``per_size`` Taillard-style instances of each size, seeded from ``seed`` (held-out)."""
    out = []
    for s, (jobs, machines) in enumerate(sizes):
        for i in range(per_size):
            out.append(taillard_instance(jobs, machines, seed=seed + 1000 * s + i))
    return out


def greedy_makespans(
    policy: GraphPointerPolicy, instances: Sequence[JobShopInstance], pool: EnvPool
) -> np.ndarray:
    """Greedy makespan of each instance (envs of one size are batched together)."""
    result = np.full(len(instances), np.inf)
    by_size: dict[tuple[int, int], list[int]] = {}
    for i, inst in enumerate(instances):
        by_size.setdefault((inst.num_jobs, inst.num_ops), []).append(i)
    policy.set_training_mode(False)
    for (jobs, ops), idx in by_size.items():
        envs = pool.get(jobs, ops, len(idx))
        resets = [{"seed": 0, "options": {"instance": instances[i]}} for i in idx]
        episodes = run_episodes(envs, policy_chooser(policy), resets)
        result[idx] = episodes.makespans
    return result


class Validator:
    """Greedy evaluation on a fixed held-out set; tracks the best mean ratio to lower bound."""

    def __init__(self, config: TrainConfig, settings: ValidationConfig) -> None:
        self.instances = seeded_instances(settings.sizes, settings.num_instances, settings.seed)
        self.lower_bounds = np.array([inst.lower_bound() for inst in self.instances], float)
        self.sizes = [f"{i.num_jobs}x{i.num_ops}" for i in self.instances]
        self.pool = EnvPool(config)

    def evaluate(self, policy: GraphPointerPolicy) -> dict[str, float]:
        """``ratio`` (mean makespan / lower bound), ``makespan`` and ``ratio_JxM`` per size."""
        makespans = greedy_makespans(policy, self.instances, self.pool)
        ratios = makespans / self.lower_bounds
        metrics = {"ratio": float(ratios.mean()), "makespan": float(makespans.mean())}
        for size in dict.fromkeys(self.sizes):
            mask = np.array([s == size for s in self.sizes])
            metrics[f"ratio_{size}"] = float(ratios[mask].mean())
        return metrics


@dataclass
class RunFiles:
    """Paths of a run folder."""

    root: Path

    @property
    def state(self) -> Path:
        """Latest resumable state."""
        return self.root / "state.pt"

    @property
    def best(self) -> Path:
        """Best validated policy."""
        return self.root / "best.pt"

    @property
    def tensorboard(self) -> Path:
        """TensorBoard folder."""
        return self.root / "tb"

    def prepare(self, config: TrainConfig, resume: bool) -> dict[str, Any] | None:
        """Create the folder; return the saved state to resume from, or ``None``.

        With ``resume=False`` an existing state and best checkpoint are removed first.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        if not resume:
            for path in (self.state, self.best):
                path.unlink(missing_ok=True)
            shutil.rmtree(self.tensorboard, ignore_errors=True)
        config.write_yaml(self.root / "config.yaml")
        return load_checkpoint(self.state) if resume and self.state.is_file() else None

    def save_state(self, payload: dict[str, Any]) -> None:
        """Atomically replace the resumable state."""
        atomic_save(payload, self.state)

    def save_best(self, payload: dict[str, Any], export: str | None) -> None:
        """Atomically replace the best checkpoint (and its exported copy, if configured)."""
        atomic_save(payload, self.best)
        if export:
            atomic_save(payload, export)


class ProgressDisplay:
    """A rich progress bar over training steps (no-op when disabled)."""

    def __init__(self, total: int, start: int, enabled: bool, label: str) -> None:
        self._progress: Progress | None = None
        if enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
            self._task = self._progress.add_task(label, total=total, completed=start, info="")
            self._progress.start()

    def update(self, step: int, info: str = "") -> None:
        """Show ``step`` and a short status text."""
        if self._progress is not None:
            self._progress.update(self._task, completed=step, info=info)

    def close(self) -> None:
        """Stop the display."""
        if self._progress is not None:
            self._progress.stop()


def format_metrics(metrics: dict[str, float]) -> str:
    """Short text for the progress bar."""
    return " ".join(
        f"{k}={v:.3f}" for k, v in metrics.items() if isinstance(v, float) and math.isfinite(v)
    )
