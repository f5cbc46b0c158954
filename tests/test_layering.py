"""Import layering (DESIGN.md): schedgym never imports agents/, baselines/ or experiments/, and
problem folders never import each other. Checked by scanning import statements."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = ("jobshop", "socdag", "memory", "fleet")
OUTSIDE = ("agents", "baselines", "experiments")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _library_files() -> list[Path]:
    return sorted((ROOT / "schedgym").rglob("*.py"))


@pytest.mark.parametrize("path", _library_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_library_does_not_import_upwards(path: Path) -> None:
    bad = {m for m in _imports(path) if m.split(".")[0] in OUTSIDE}
    assert not bad, f"{path} imports {bad}"


@pytest.mark.parametrize("path", _library_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_problem_folders_do_not_import_each_other(path: Path) -> None:
    parts = path.relative_to(ROOT / "schedgym").parts
    if len(parts) < 2 or parts[0] not in PROBLEMS:
        return
    own = parts[0]
    for module in _imports(path):
        pieces = module.split(".")
        if pieces[0] == "schedgym" and len(pieces) > 1 and pieces[1] in PROBLEMS:
            assert pieces[1] == own, f"{path} imports {module}"


def test_core_and_hardware_do_not_import_problems() -> None:
    for folder in ("core", "hardware"):
        for path in (ROOT / "schedgym" / folder).rglob("*.py"):
            for module in _imports(path):
                pieces = module.split(".")
                assert not (
                    pieces[0] == "schedgym" and len(pieces) > 1 and pieces[1] in PROBLEMS
                ), f"{path} imports {module}"
