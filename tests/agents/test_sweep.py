"""Sweeps: a grid of configs trains one run per point and gathers one table (Ray when present)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from schedgym.agents.command import train_command
from schedgym.agents.sweep import run_sweep, sweep_configs, sweep_table
from tests.agents.test_train import small_config

GRID = {"seed": [0, 1]}


def _tiny(tmp_path: Path) -> dict:
    return small_config(
        tmp_path,
        total_steps=2_000,
        checkpoint_every=1_000,
        validation={"num_instances": 4, "every": 1_000},
    )


def test_sequential_sweep_gathers_one_row_per_run(tmp_path: Path) -> None:
    from schedgym.agents.train import load_config

    configs = sweep_configs(load_config(_tiny(tmp_path)), GRID)
    rows = run_sweep(configs, use_ray=False)
    assert [name for name, _, _ in rows] == ["t[seed=0]", "t[seed=1]"]
    assert all(path.is_file() and metrics for _, path, metrics in rows)
    table = sweep_table(rows)
    assert table.count("\n") == 3 and "val_score" in table


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray not installed")
def test_ray_tune_sweep_matches_rows(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(_tiny(tmp_path)))
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump(GRID))
    paths = train_command(None, config, sweep, progress=False)
    assert [p.parent.name for p in paths] == ["t[seed=0]", "t[seed=1]"]
    assert all(p.is_file() for p in paths)
