"""Griffe extension for the docs: graft ``agents/``, ``baselines/`` and ``experiments/`` under
``schedgym``, as ``pyproject.toml``'s ``[tool.setuptools.package-dir]`` does at install time.

The repository keeps those three folders at the top level but ships them as
``schedgym.agents``, ``schedgym.baselines`` and ``schedgym.experiments``. Griffe reads sources
statically and does not follow setuptools' editable-install finder, so without this
``::: schedgym.agents.solver`` would not resolve. Configured in ``mkdocs.yml`` under the
mkdocstrings handler's ``extensions``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import griffe

ROOT = Path(__file__).resolve().parents[2]
#: subpackage name -> folder, as in pyproject.toml's [tool.setuptools.package-dir]
PACKAGE_DIR = {"agents": "agents", "baselines": "baselines", "experiments": "experiments"}


class PackageDir(griffe.Extension):
    """Load each mapped folder as a package and attach it to ``schedgym``."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if pkg.name != "schedgym":
            return
        for name, folder in PACKAGE_DIR.items():
            if name in pkg.members:
                continue
            sub = loader.load(ROOT / folder, submodules=True, try_relative_path=True)
            assert isinstance(sub, griffe.Module)
            sub.name = name
            pkg.set_member(name, sub)
