"""Packaging: pyproject's explicit package list names every package folder, and the wheel's
top-level name is ``schedgym`` alone (agents/, baselines/ and experiments/ ship as
``schedgym.agents``, ``schedgym.baselines`` and ``schedgym.experiments``)."""

from __future__ import annotations

from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_folder_is_listed_under_the_schedgym_namespace() -> None:
    config = _setuptools()
    folders = {Path(folder): name for name, folder in config["package-dir"].items()}
    expected = set()
    for folder, name in folders.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            expected.add(".".join([name, *rel.parts]))
    assert set(config["packages"]) == expected
    assert {name.split(".")[0] for name in config["packages"]} == {"schedgym"}


def test_namespaced_folders_import_under_schedgym() -> None:
    import schedgym.agents.checkpoint as checkpoint
    import schedgym.baselines.jobshop.rules as rules
    import schedgym.experiments.demo as demo

    assert Path(checkpoint.__file__).parent == ROOT / "agents"
    assert Path(rules.__file__).parent == ROOT / "baselines" / "jobshop"
    assert Path(demo.__file__).parent == ROOT / "experiments"
