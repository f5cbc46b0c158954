"""Fixtures for the leaderboard tests: the test-solver distribution, databases, helpers.

The deliberately broken solver reaches schedgym the way a third-party one does, through an
entry point: :func:`plugin_site` lays out a tiny installed distribution (a ``.dist-info``
folder with ``entry_points.txt`` beside the module) in a temporary folder, which tests put on
``sys.path`` (in process) or ``PYTHONPATH`` (subprocesses). Nothing is pip-installed.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

PLUGIN = Path(__file__).resolve().parent / "plugin"
ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINTS = """\
[schedgym.solvers]
jobshop.test-broken = schedgym_lb_testplugin:BrokenSolver
jobshop.test-slow = schedgym_lb_testplugin:SlowSolver
jobshop.test-env = schedgym_lb_testplugin:EnvSolver
"""


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the ``schedgym-lb-testplugin`` distribution."""
    site = tmp_path_factory.mktemp("site")
    shutil.copy(PLUGIN / "schedgym_lb_testplugin.py", site)
    info = site / "schedgym_lb_testplugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: schedgym-lb-testplugin\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    (info / "top_level.txt").write_text("schedgym_lb_testplugin\n")
    return site


@pytest.fixture
def plugin(plugin_site: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The test solvers, visible to ``load_solver`` in this process."""
    monkeypatch.syspath_prepend(str(plugin_site))
    yield plugin_site
    sys.modules.pop("schedgym_lb_testplugin", None)


def _subprocess_env(plugin_site: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(plugin_site), str(ROOT), env.get("PYTHONPATH", "")])
    )
    env["OMP_NUM_THREADS"] = "1"
    env["COLUMNS"] = "140"
    env.pop("SCHEDGYM_DB", None)
    env.update(extra)
    return env


@pytest.fixture
def subprocess_env(plugin_site: Path) -> Callable[..., dict[str, str]]:
    """``subprocess_env(**extra)``: environment for a ``schedgym`` subprocess that sees the
    test solvers (one OpenMP thread, no ``SCHEDGYM_DB``)."""
    return lambda **extra: _subprocess_env(plugin_site, **extra)


@pytest.fixture
def schedgym_cmd() -> Callable[..., list[str]]:
    """``schedgym_cmd(*args)``: ``python -m schedgym.cli ARGS`` with this interpreter."""
    return lambda *args: [sys.executable, "-m", "schedgym.cli", *args]
