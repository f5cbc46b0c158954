"""What both training methods share: the run folder and its files, and the progress display.

Run folder (``TrainConfig.run_path``; training writes nothing anywhere else unless asked to
export)::

    config.yaml   the config of the run (written at the start)
    metrics.csv   one row per validation: step, wall_s, env_steps_per_s, val_score
    last.pt       latest resumable state (policy + optimizer + step + RNG states), atomic
    best.pt       best policy on the validation set so far (shippable checkpoint)
    tb/           TensorBoard logs
"""

from __future__ import annotations

import csv
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from schedgym.agents.checkpoint import atomic_save, load_checkpoint
from schedgym.agents.config import TrainConfig

METRICS_COLUMNS = ("step", "wall_s", "env_steps_per_s", "val_score")


@dataclass
class RunFiles:
    """Paths of a run folder."""

    root: Path

    @property
    def state(self) -> Path:
        """Latest resumable state."""
        return self.root / "last.pt"

    @property
    def best(self) -> Path:
        """Best validated policy."""
        return self.root / "best.pt"

    @property
    def tensorboard(self) -> Path:
        """TensorBoard folder."""
        return self.root / "tb"

    @property
    def metrics(self) -> Path:
        """The validation log."""
        return self.root / "metrics.csv"

    def prepare(self, config: TrainConfig, resume: bool) -> dict[str, Any] | None:
        """Create the folder; return the saved state to resume from, or ``None``.

        With ``resume=False`` an existing state, best checkpoint, metrics and logs are removed.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        if not resume:
            for path in (self.state, self.best, self.metrics):
                path.unlink(missing_ok=True)
            shutil.rmtree(self.tensorboard, ignore_errors=True)
        config.write_yaml(self.root / "config.yaml")
        state = load_checkpoint(self.state) if resume and self.state.is_file() else None
        self._trim_metrics(int(state["trainer"]["step"]) if state else 0)
        return state

    def _trim_metrics(self, step: int) -> None:
        """Keep the metric rows up to ``step`` (a resumed run rewrites what came after)."""
        if not self.metrics.is_file():
            with self.metrics.open("w", newline="") as f:
                csv.writer(f).writerow(METRICS_COLUMNS)
            return
        with self.metrics.open(newline="") as f:
            rows = [r for r in csv.DictReader(f) if int(float(r["step"])) <= step]
        with self.metrics.open("w", newline="") as f:
            writer = csv.DictWriter(f, METRICS_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)

    def log_metrics(self, step: int, wall_s: float, steps_per_s: float, val_score: float) -> None:
        """Append one validation row (flushed at once)."""
        with self.metrics.open("a", newline="") as f:
            csv.writer(f).writerow(
                [step, f"{wall_s:.2f}", f"{steps_per_s:.1f}", f"{val_score:.6f}"]
            )

    def save_state(self, payload: dict[str, Any]) -> None:
        """Atomically replace the resumable state."""
        atomic_save(payload, self.state)

    def save_best(self, payload: dict[str, Any]) -> None:
        """Atomically replace the best checkpoint."""
        atomic_save(payload, self.best)


class Clock:
    """Training wall time and throughput across resumes: ``wall_s`` continues from the saved
    value; ``rate(step)`` is env steps per second since the previous call."""

    def __init__(self, wall_s: float = 0.0, step: int = 0) -> None:
        self._time = time.perf_counter
        self._start = self._time() - wall_s
        self._last = (self._time(), step)

    @property
    def wall_s(self) -> float:
        """Seconds of training so far."""
        return self._time() - self._start

    def rate(self, step: int) -> float:
        """Env steps per second since the last call."""
        now = self._time()
        then, last_step = self._last
        self._last = (now, step)
        return (step - last_step) / max(now - then, 1e-9)


class ProgressDisplay:
    """A rich progress bar over training steps (no-op when disabled). Trainers stop after the
    iteration that passes ``total``, so the bar's total grows to the last step instead of
    showing more steps done than planned."""

    def __init__(self, total: int, start: int, enabled: bool, label: str) -> None:
        self._progress: Progress | None = None
        self.total = max(total, start)
        if enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
            self._task = self._progress.add_task(label, total=self.total, completed=start, info="")
            self._progress.start()

    def update(self, step: int, info: str = "") -> None:
        """Show ``step`` and a short status text."""
        self.total = max(self.total, step)
        if self._progress is not None:
            self._progress.update(self._task, completed=step, total=self.total, info=info)

    def close(self) -> None:
        """Stop the display."""
        if self._progress is not None:
            self._progress.stop()


def format_metrics(metrics: dict[str, float]) -> str:
    """Short text for the progress bar."""
    return " ".join(
        f"{k}={v:.3f}" for k, v in metrics.items() if isinstance(v, float) and math.isfinite(v)
    )
