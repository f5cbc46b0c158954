"""What ``schedgym train`` calls (the ``schedgym.trainers`` entry point ``default``).

:func:`train_command` trains one config, a sweep of it (:mod:`schedgym.agents.sweep`), or a fleet
evolution-strategies config (:mod:`schedgym.agents.fleet.es`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from schedgym.agents.config import (
    ConfigError,
    TrainConfig,
    problem_of,
    read_config_mapping,
    resolve_env_id,
)
from schedgym.agents.sweep import run_sweep, sweep_configs, sweep_table
from schedgym.agents.train import FLEET_ENV, apply_overrides, evolution_config, train

#: The shipped configs, one per problem and method: ``<problem>_<method>.yaml``.
CONFIG_DIR = Path(__file__).resolve().parents[1] / "experiments" / "configs"


def build_run_config(
    config: str | Path | None,
    env: str | None = None,
    method: str | None = None,
    steps: int | None = None,
    seed: int | None = None,
    run_dir: str | None = None,
    overrides: Sequence[str] = (),
) -> TrainConfig:
    """The config of a ``schedgym train`` call: the config file (default: the shipped
    ``<problem>_<method>.yaml`` when it exists, else the built-in defaults), then the flags,
    then ``--set`` overrides (dotted keys)."""
    data: dict[str, Any] = {}
    source = "defaults"
    if config is not None:
        data, source = read_config_mapping(config), str(config)
    elif env is not None:
        problem = problem_of(resolve_env_id(env, "--env"))
        shipped = CONFIG_DIR / f"{problem.name}_{method or 'ppo'}.yaml"
        if shipped.is_file():
            data, source = read_config_mapping(shipped), str(shipped)
    flags = {"env_id": env, "method": method, "total_steps": steps, "seed": seed}
    data.update({k: v for k, v in flags.items() if v is not None})
    if run_dir is not None:
        data["run_dir"] = run_dir
    data = apply_overrides(data, overrides)
    if "name" not in data:
        problem = problem_of(resolve_env_id(str(data.get("env_id", "jobshop")), source))
        data["name"] = f"{problem.name}_{data.get('method', 'ppo')}"
    return TrainConfig.from_dict(data, source)


def train_command(
    env: str | None,
    config: str | Path | None,
    sweep: str | Path | Mapping[str, Sequence[Any]] | None = None,
    *,
    resume: bool = True,
    progress: bool = True,
    ray_address: str | None = None,
    method: str | None = None,
    steps: int | None = None,
    seed: int | None = None,
    run_dir: str | None = None,
    overrides: Sequence[str] = (),
    export: str | None = None,
    force: bool = False,
) -> list[Path]:
    """What ``schedgym train`` calls (see :func:`build_run_config` for how the config is made).

    ``sweep`` is a mapping (or a YAML file of one) from dotted config keys to lists of values:
    its grid runs through Ray Tune when Ray is installed (one CPU and one torch thread per trial,
    on a local Ray or the cluster at ``ray_address``), else one run after another, and the
    results are printed as one table. A fleet ``method: es`` config trains the compiled fleet
    agent (:mod:`schedgym.agents.fleet.es`). Returns the best checkpoint of each run.
    """
    if method == "es" or (config is not None and evolution_config(config)):
        if env not in (None, "fleet", FLEET_ENV) or sweep is not None:
            raise ConfigError(f"{config}: method 'es' trains {FLEET_ENV} only, without sweeps")
        if config is None:
            raise ConfigError("method 'es' needs --config (e.g. experiments/configs/fleet_es.yaml)")
        from schedgym.agents.fleet.es import FleetTrainConfig, train_fleet

        data = apply_overrides(read_config_mapping(config), overrides)
        es = FleetTrainConfig.from_dict(data, str(config))
        return [train_fleet(es, resume=resume, progress=progress)]
    cfg = build_run_config(config, env, method, steps, seed, run_dir, overrides)
    grid: Mapping[str, Sequence[Any]] = {}
    if isinstance(sweep, str | Path):
        loaded = yaml.safe_load(Path(sweep).read_text()) or {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{sweep}: a sweep file maps dotted keys to lists of values")
        grid = loaded
    elif sweep is not None:
        grid = sweep
    if not grid:
        return [train(cfg, resume=resume, progress=progress, export=export, force=force)]
    rows = run_sweep(sweep_configs(cfg, grid), ray_address=ray_address, resume=resume)
    print(sweep_table(rows))
    return [path for _, path, _ in rows]
