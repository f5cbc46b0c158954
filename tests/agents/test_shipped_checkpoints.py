"""Every shipped checkpoint: small, with its card (.md) and config (.yaml), safe to load."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINTS = sorted((ROOT / "agents" / "checkpoints").glob("*.pt"))


def test_there_are_checkpoints() -> None:
    names = {p.stem for p in CHECKPOINTS}
    assert {"jobshop_gnn", "socdag_gnn", "socdag_stream_gnn", "memory_gnn"} <= names


@pytest.mark.parametrize("path", CHECKPOINTS, ids=lambda p: p.stem)
def test_checkpoint_is_small_documented_and_loads_weights_only(path: Path) -> None:
    assert path.stat().st_size < 5 * 1024 * 1024
    assert path.with_suffix(".md").is_file() and path.with_suffix(".yaml").is_file()
    payload = torch.load(path, weights_only=True)
    assert isinstance(payload, dict) and payload
