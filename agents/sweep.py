"""Sweeps of seeds x hyperparameters: each grid point is one training run.

With Ray installed (``pip install "schedgym[ray]"``) the grid runs through Ray Tune, one CPU and
one torch thread per trial (``OMP_NUM_THREADS=1`` in every worker), on the local machine or on an
existing cluster given by address; without Ray, the runs go one after another in this process.
Either way the results come back as one table: a row per run with its overrides and the
validation metrics of its best checkpoint.
"""

from __future__ import annotations

import copy
import itertools
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from schedgym.agents.checkpoint import load_checkpoint
from schedgym.agents.config import TrainConfig
from schedgym.agents.train import set_dotted, train


def best_metrics(checkpoint: Path) -> dict[str, float]:
    """Numeric validation metrics stored with a checkpoint (empty when it has none)."""
    meta = load_checkpoint(checkpoint).get("meta", {})
    metrics = meta.get("metrics", {}) if isinstance(meta, Mapping) else {}
    return {k: float(v) for k, v in metrics.items() if isinstance(v, int | float)}


def _run_one(config: dict[str, Any], resume: bool) -> tuple[Path, dict[str, float]]:
    torch.set_num_threads(1)
    best = train(TrainConfig.from_dict(config, "sweep"), resume=resume, progress=False)
    return best, best_metrics(best)


def run_sweep(
    configs: Sequence[TrainConfig],
    *,
    ray_address: str | None = None,
    resume: bool = True,
    use_ray: bool | None = None,
) -> list[tuple[str, Path, dict[str, float]]]:
    """Train every config; returns ``(name, best checkpoint, metrics)`` per run, in order.

    ``use_ray=None`` uses Ray Tune when it is installed; ``ray_address`` connects to an existing
    cluster (``"auto"`` or ``"ray://host:port"``) instead of starting a local one.
    """
    if use_ray is None:
        try:
            import ray  # noqa: F401
        except ImportError:
            use_ray = ray_address is not None
        else:
            use_ray = True
    if not use_ray:
        return [(c.name, *_run_one(c.to_dict(), resume)) for c in configs]
    return _run_with_tune(configs, ray_address, resume)


def _run_with_tune(
    configs: Sequence[TrainConfig], ray_address: str | None, resume: bool
) -> list[tuple[str, Path, dict[str, float]]]:
    import ray
    from ray import tune

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    ray.init(
        address=ray_address,
        runtime_env={"env_vars": {"OMP_NUM_THREADS": "1"}},
        include_dashboard=False,
        ignore_reinit_error=True,
        log_to_driver=False,
    )
    by_name = {c.name: c.to_dict() for c in configs}
    for data in by_name.values():  # trials run in Ray's own folders: keep run folders absolute
        data["run_dir"] = str(Path(str(data["run_dir"]).format(name=data["name"])).resolve())

    def trainable(params: dict[str, Any]) -> dict[str, Any]:
        best, metrics = _run_one(by_name[params["name"]], resume)
        return {"checkpoint": str(best), **metrics}

    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": 1}),
        param_space={"name": tune.grid_search(list(by_name))},
        run_config=tune.RunConfig(
            name="schedgym-sweep",
            storage_path=str((configs[0].run_path.parent / "ray").resolve()),
            verbose=0,
        ),
    )
    grid = tuner.fit()
    rows = {}
    for index in range(len(grid)):
        result = grid[index]
        if result.error is not None:
            raise RuntimeError(f"sweep trial failed: {result.error}")
        data = dict(result.metrics or {})
        name = data.get("config", {}).get("name") or (result.config or {})["name"]
        checkpoint = Path(str(data.pop("checkpoint")))
        metrics = {k: float(v) for k, v in data.items() if k.startswith("val_score")}
        rows[name] = (name, checkpoint, metrics)
    return [rows[c.name] for c in configs]


def sweep_table(rows: Sequence[tuple[str, Path, dict[str, float]]]) -> str:
    """A Markdown table of a sweep's results (one row per run)."""
    keys = sorted({k for _, _, m in rows for k in m})
    lines = [
        "| run | " + " | ".join(keys) + " | checkpoint |",
        "|---|" + "---:|" * len(keys) + "---|",
    ]
    for name, path, metrics in rows:
        cells = [f"{metrics[k]:.4f}" if k in metrics else "" for k in keys]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {path} |")
    return "\n".join(lines)


def sweep_configs(base: TrainConfig, sweep: Mapping[str, Sequence[Any]]) -> list[TrainConfig]:
    """One config per combination of the ``sweep`` values (dotted keys), named after them."""
    keys = list(sweep)
    out = []
    for values in itertools.product(*(sweep[k] for k in keys)):
        data = copy.deepcopy(base.to_dict())
        for key, value in zip(keys, values, strict=True):
            set_dotted(data, key, value)
        suffix = ",".join(f"{k.split('.')[-1]}={v}" for k, v in zip(keys, values, strict=True))
        data["name"] = f"{base.name}[{suffix}]" if suffix else base.name
        out.append(TrainConfig.from_dict(data, f"sweep {suffix}"))
    return out
