"""What ``schedgym train`` calls (the ``schedgym.trainers`` entry point ``default``).

:func:`train_command` trains one config, a sweep of it (:mod:`agents.sweep`), or a fleet
evolution-strategies config (:mod:`agents.fleet.es`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from agents.config import ENV_ALIASES, ConfigError, check_env_id
from agents.sweep import run_sweep, sweep_configs, sweep_table
from agents.train import FLEET_ENV, evolution_config, load_config, train


def train_command(
    env: str | None,
    config: str | Path,
    sweep: str | Path | Mapping[str, Sequence[Any]] | None = None,
    *,
    resume: bool = True,
    progress: bool = True,
    ray_address: str | None = None,
) -> list[Path]:
    """What ``schedgym train`` calls: train ``config`` (a YAML path) on ``env``.

    ``env`` (``"jobshop"`` or a full id, ``None`` keeps the config's) overrides ``env_id``;
    ``sweep`` is a mapping (or a YAML file of one) from dotted config keys to lists of values:
    its grid runs through Ray Tune when Ray is installed (one CPU and one torch thread per trial,
    on a local Ray or the cluster at ``ray_address``), else one run after another, and the
    results are printed as one table. Returns the best checkpoint of each run.
    """
    if evolution_config(config):
        if env not in (None, "fleet", FLEET_ENV) or sweep is not None:
            raise ConfigError(f"{config}: method 'es' trains {FLEET_ENV} only, without sweeps")
        from agents.fleet.es import train_fleet

        return [train_fleet(config, resume=resume, progress=progress)]
    cfg = load_config(config)
    if env is not None:
        cfg.env_id = ENV_ALIASES.get(env, env)
        check_env_id(cfg.env_id, f"--env {env}")
    grid: Mapping[str, Sequence[Any]] = {}
    if isinstance(sweep, str | Path):
        loaded = yaml.safe_load(Path(sweep).read_text()) or {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{sweep}: a sweep file maps dotted keys to lists of values")
        grid = loaded
    elif sweep is not None:
        grid = sweep
    if not grid:
        return [train(cfg, resume=resume, progress=progress)]
    rows = run_sweep(sweep_configs(cfg, grid), ray_address=ray_address, resume=resume)
    print(sweep_table(rows))
    return [path for _, path, _ in rows]
