"""The leaderboard's config hash of an agent solver follows its checkpoint's weights."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from schedgym.agents.checkpoint import atomic_save, default_checkpoint, load_checkpoint
from schedgym.leaderboard.worker import solver_config


def test_new_weights_at_the_same_path_give_a_new_config(tmp_path: Path) -> None:
    path = tmp_path / "agent.pt"
    shutil.copy(default_checkpoint("jobshop"), path)
    before, description = solver_config("jobshop", "ppo-gnn", {"checkpoint": str(path)})
    assert len(description["fingerprint"]) == 16
    payload = load_checkpoint(path)
    name = next(iter(payload["policy"]))
    payload["policy"][name] = payload["policy"][name] + torch.ones_like(payload["policy"][name])
    atomic_save(payload, path)
    after, _ = solver_config("jobshop", "ppo-gnn", {"checkpoint": str(path)})
    assert after != before
    same, _ = solver_config("jobshop", "ppo-gnn", {"checkpoint": str(path)})
    assert same == after
