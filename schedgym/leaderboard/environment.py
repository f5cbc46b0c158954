"""What a leaderboard number was measured on: machine, library versions, the git commit.

Recorded in the database with each session and in every summary JSON. Library versions come
from installed distribution metadata (nothing is imported); the commit is read with read-only
git commands (``--no-optional-locks``), ``None`` outside a git checkout.
"""

from __future__ import annotations

import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

LIBRARIES = (
    "schedgym",
    "numpy",
    "numba",
    "gymnasium",
    "ortools",
    "torch",
    "torch-geometric",
    "stable-baselines3",
    "sb3-contrib",
    "ray",
)

_ROOT = Path(__file__).resolve().parents[2]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return round(pages * size / 2**30, 1)


def library_versions() -> dict[str, str | None]:
    """Installed versions of the libraries that numbers depend on (``None``: not installed)."""
    found: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(_ROOT), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_commit() -> dict[str, Any]:
    """``{"commit": SHA or None, "dirty": bool or None}`` of the source tree schedgym runs from."""
    sha = _git("rev-parse", "HEAD")
    if sha is None:
        return {"commit": None, "dirty": None}
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {"commit": sha, "dirty": None if status is None else bool(status)}


def environment() -> dict[str, Any]:
    """Machine, Python, library versions, thread settings and git commit, as plain data."""
    return {
        "machine": {
            "cpu": _cpu_model(),
            "logical_cores": os.cpu_count(),
            "memory_gib": _memory_gib(),
            "os": platform.platform(),
            "arch": platform.machine(),
        },
        "python": platform.python_version(),
        "libraries": library_versions(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "git": git_commit(),
    }
