"""The tutorials under ``docs/tutorials/`` run top to bottom.

Each tutorial is a jupytext percent-format Python file that ends by asserting what it showed.
Each runs here as a script (``python FILE``, the venv's interpreter) in its own process, so that
its solver registrations and global state do not leak into other tests, with
``SCHEDGYM_TUTORIAL_FAST=1`` (the tutorials shrink their budgets) and a temporary working
directory, so that nothing it writes lands in the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS_DIR = ROOT / "docs" / "tutorials"
TUTORIALS = sorted(TUTORIALS_DIR.glob("*.py"))
EXPECTED = {"quickstart", "train_and_submit", "solver_plugin", "soc_stream", "memory_packing"}


def test_the_five_tutorials_are_there_and_indexed() -> None:
    names = {p.stem for p in TUTORIALS}
    assert not EXPECTED - names, f"missing tutorials: {sorted(EXPECTED - names)}"
    index = (TUTORIALS_DIR / "README.md").read_text()
    unlisted = [p.name for p in TUTORIALS if f"({p.name})" not in index]
    assert not unlisted, f"tutorials not linked from docs/tutorials/README.md: {unlisted}"


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_is_a_percent_notebook(path: Path) -> None:
    text = path.read_text()
    assert "# %% [markdown]" in text, "no markdown cell"
    code_cells = [line for line in text.splitlines() if line.strip() == "# %%"]
    assert len(code_cells) >= 3, "fewer than three code cells"
    assert "SCHEDGYM_TUTORIAL_FAST" in text, "does not read the fast-mode switch"
    last_cell = text.rsplit("# %%", 1)[-1]
    assert "assert " in last_cell, "the last cell checks nothing"


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs(path: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SCHEDGYM_TUTORIAL_FAST": "1",
        "OMP_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }
    result = subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, (
        f"{path.name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    )
    written = tmp_path / "out" / "tutorials" / path.stem
    assert written.is_dir() and any(written.iterdir()), f"{path.name} wrote nothing"
