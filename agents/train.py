"""Train a graph-neural agent on any registered problem with one command, resumably.

Python::

    from schedgym.agents.train import train
    best = train("experiments/configs/socdag_ppo.yaml")      # -> runs/<name>/best.pt

Shell (rerun the same command after an interrupt, even ``kill -9``, to continue)::

    schedgym train --env socdag --method ppo --steps 50000 --run-dir runs/soc
    python -m schedgym.agents.train experiments/configs/socdag_ppo.yaml [--fresh] [--set k=v]

``method: ppo`` (:mod:`schedgym.agents.ppo`) or ``method: self_label``
(:mod:`schedgym.agents.self_label`); both
write the run folder described in :mod:`schedgym.agents.run` and nothing else, unless ``export``
names a
file to copy the best checkpoint to (onto a shipped checkpoint only with ``force``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import yaml

from schedgym.agents.config import ConfigError, TrainConfig, read_config_mapping
from schedgym.agents.run import RunFiles

SHIPPED_CHECKPOINTS = Path(__file__).resolve().parent / "checkpoints"


def limit_threads() -> None:
    """One torch/OpenMP thread (the machines are small and shared; see docs/design.md)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    torch.set_num_threads(1)


def load_config(config: TrainConfig | str | Path | Mapping[str, Any]) -> TrainConfig:
    """A :class:`TrainConfig` from itself, a YAML path or a plain mapping."""
    if isinstance(config, TrainConfig):
        return config
    if isinstance(config, Mapping):
        return TrainConfig.from_dict(dict(config))
    return TrainConfig.from_yaml(config)


def check_export(export: str | Path | None, force: bool) -> Path | None:
    """The export path, refused when it would overwrite a shipped checkpoint without ``force``."""
    if export is None:
        return None
    path = Path(export).resolve()
    if path.is_dir():
        raise ConfigError(f"--export {export}: is a directory (name the checkpoint file)")
    if SHIPPED_CHECKPOINTS in path.parents and path.exists() and not force:
        raise ConfigError(
            f"--export {export}: would replace a shipped checkpoint; add --force to do so"
        )
    if not path.parent.is_dir():
        raise ConfigError(f"--export {export}: no such directory {str(path.parent)!r}")
    return path


def train(
    config: TrainConfig | str | Path,
    *,
    resume: bool = True,
    progress: bool = True,
    export: str | Path | None = None,
    force: bool = False,
) -> Path:
    """Run (or continue) the training run described by ``config``; return the best checkpoint.

    With ``resume=True`` an existing ``last.pt`` in the run folder is continued from its saved
    step; ``resume=False`` starts over. The best validated policy is ``<run>/best.pt``, copied to
    ``export`` at the end when given.
    """
    limit_threads()
    cfg = load_config(config)
    target = check_export(export, force)
    files = RunFiles(cfg.run_path)
    state = files.prepare(cfg, resume)
    if state is not None and state["trainer"]["method"] != cfg.method:
        raise ConfigError(
            f"{files.state}: saved by method {state['trainer']['method']!r}, config says "
            f"{cfg.method!r} (use another run folder or --fresh)"
        )
    if cfg.method == "self_label":
        from schedgym.agents.self_label import SelfLabelTrainer

        SelfLabelTrainer(cfg, files, state).run(progress)
    else:
        from schedgym.agents.ppo import PPOTrainer

        PPOTrainer(cfg, files, state).run(progress)
    if target is not None and files.best.is_file():
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(files.best, tmp)
        os.replace(tmp, target)
    return files.best


FLEET_ENV = "schedgym/FleetScheduling-v0"


def evolution_config(config: str | Path) -> bool:
    """Whether the YAML file ``config`` is a fleet agent run (``method: es``,
    :mod:`schedgym.agents.fleet.es`) rather than a graph-neural job-shop run."""
    path = Path(config)
    if not path.is_file():
        return False  # TrainConfig reports the missing file
    try:
        loaded = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError:
        return False  # and the YAML error
    return isinstance(loaded, dict) and loaded.get("method") == "es"


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """``data["a"]["b"] = value`` for ``key == "a.b"`` (creating mappings as needed)."""
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override {key}: {part} is not a mapping")
    node[parts[-1]] = value


def apply_overrides(data: dict[str, Any], items: Sequence[str]) -> dict[str, Any]:
    """Apply ``--set`` items (``dotted.key=YAML value``) to ``data`` in place; return it."""
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item}: expected KEY=VALUE")
        set_dotted(data, key, yaml.safe_load(raw))
    return data


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m schedgym.agents.train CONFIG [--fresh] [--no-progress] [--set k=v ...]``."""
    parser = argparse.ArgumentParser(prog="python -m schedgym.agents.train", description=__doc__)
    parser.add_argument("config", help="YAML config file")
    parser.add_argument("--fresh", action="store_true", help="start over instead of resuming")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--export", default=None, help="copy the best checkpoint here")
    parser.add_argument("--force", action="store_true", help="allow --export onto a shipped file")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field (dotted key, YAML value)",
    )
    args = parser.parse_args(argv)
    if evolution_config(args.config):
        return fleet_main(args.config, args.set, args.fresh, not args.no_progress)
    try:
        data = apply_overrides(TrainConfig.from_yaml(args.config).to_dict(), args.set)
        cfg = TrainConfig.from_dict(data, args.config)
        best = train(
            cfg,
            resume=not args.fresh,
            progress=not args.no_progress,
            export=args.export,
            force=args.force,
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"best checkpoint: {best}")
    return 0


def fleet_main(config: str, overrides: Sequence[str], fresh: bool, progress: bool) -> int:
    """``main`` for a ``method: es`` config (:mod:`schedgym.agents.fleet.es`)."""
    from schedgym.agents.fleet.es import FleetTrainConfig, train_fleet

    try:
        data = apply_overrides(read_config_mapping(config), overrides)
        best = train_fleet(
            FleetTrainConfig.from_dict(data, config), resume=not fresh, progress=progress
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"best checkpoint: {best}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
