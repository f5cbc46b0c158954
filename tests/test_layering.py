"""Import layering (docs/design.md): the import graph of schedgym/, agents/ and baselines/ has no
cycle; schedgym never imports agents/, baselines/ or experiments/; problem folders import neither
each other nor the leaderboard or the CLI; every problem folder has the same module names apart
from its documented extras; and the list of problems is written in one place only."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

from schedgym.problems import problem_names

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("schedgym", "agents", "baselines")
#: Folders shipped inside the schedgym namespace (pyproject's package-dir) that the library proper
#: (the modules in schedgym/) must never import.
OUTSIDE = ("agents", "baselines", "experiments")
PROBLEMS = tuple(problem_names())
#: The per-problem extra modules, as documented in docs/design.md.
EXTRAS = {
    "jobshop": {"dynamics", "kernels", "active"},
    "socdag": {"workload", "application", "ranks", "timeline", "ds3"},
    "memory": {"cost", "minimalloc_csv"},
    "fleet": {"dynamics", "kernels", "network"},
    "llm": {
        "hardware",
        "cost",
        "calibration",
        "cli",
        "policies",
        "disaggregation",
        "validate_kernel",
        "replay_cost",
        "replay_steps",
        "replay_reference",
    },
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[0] in OUTSIDE:
        parts.insert(0, "schedgym")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _imports(path: Path, module: str) -> set[str]:
    """Every module ``path`` imports, at any level (function-level imports count)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def import_graph() -> nx.DiGraph:
    """Module -> module it imports (at any level), inside the three packages. A module that
    imports a name from its own package's ``__init__`` depends on that ``__init__``; the parent
    package that Python runs first anyway is not counted (a package re-exporting its modules is
    fine)."""
    modules = _modules()
    graph = nx.DiGraph()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    for module, path in modules.items():
        graph.add_node(module)
        for target in _imports(path, module):
            resolved = resolve(target)
            if resolved and resolved != module and not module.startswith(resolved + "."):
                graph.add_edge(module, resolved)
    return graph


def test_import_graph_has_no_cycle() -> None:
    cycles = [" -> ".join([*c, c[0]]) for c in nx.simple_cycles(import_graph())]
    assert not cycles, "import cycles:\n" + "\n".join(sorted(cycles, key=len)[:20])


def _library_files() -> list[Path]:
    return sorted((ROOT / "schedgym").rglob("*.py"))


@pytest.mark.parametrize("path", _library_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_library_does_not_import_upwards(path: Path) -> None:
    bad = {
        m
        for m in _imports(path, _module_name(path))
        if m.split(".")[0] in OUTSIDE or (m.startswith("schedgym.") and m.split(".")[1] in OUTSIDE)
    }
    assert not bad, f"{path} imports {bad}"


@pytest.mark.parametrize("path", _library_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_problem_folders_import_no_other_problem_nor_the_tools(path: Path) -> None:
    parts = path.relative_to(ROOT / "schedgym").parts
    own = parts[1] if parts[0] == "datasets" and len(parts) > 2 else parts[0]
    if own not in PROBLEMS:
        return
    for module in _imports(path, _module_name(path)):
        pieces = module.split(".")
        if pieces[0] != "schedgym" or len(pieces) < 2:
            continue
        assert pieces[1] not in ("leaderboard", "cli", "problems"), f"{path} imports {module}"
        if pieces[1] in PROBLEMS:
            assert pieces[1] == own, f"{path} imports {module}"
        if pieces[1] == "datasets" and len(pieces) > 2:
            assert pieces[2] == own, f"{path} imports {module}"


def test_instance_and_formats_never_import_shipped_data() -> None:
    for problem in PROBLEMS:
        for name in ("instance", "formats"):
            path = ROOT / "schedgym" / problem / f"{name}.py"
            imported = _imports(path, f"schedgym.{problem}.{name}")
            assert not any(m.startswith("schedgym.datasets") for m in imported), path


def test_core_and_hardware_do_not_import_problems() -> None:
    for folder in ("core", "hardware"):
        for path in (ROOT / "schedgym" / folder).rglob("*.py"):
            for module in _imports(path, _module_name(path)):
                pieces = module.split(".")
                assert not (
                    pieces[0] == "schedgym" and len(pieces) > 1 and pieces[1] in PROBLEMS
                ), f"{path} imports {module}"


def test_problem_folders_have_the_same_modules() -> None:
    names = {
        p: {f.stem for f in (ROOT / "schedgym" / p).glob("*.py")} - EXTRAS.get(p, set())
        for p in PROBLEMS
    }
    first = names[PROBLEMS[0]]
    for problem, modules in names.items():
        assert modules == first, f"{problem}: {sorted(modules ^ first)}"
    design = (ROOT / "docs" / "design.md").read_text()
    for problem, extras in EXTRAS.items():
        for extra in extras:
            assert f"`{extra}.py`" in design, f"{problem}/{extra}.py is not documented"


def _literal_problem_lists(path: Path) -> list[int]:
    """Line numbers of list/tuple/set/dict literals naming three or more registered problems."""
    tree = ast.parse(path.read_text(), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        items: list[ast.expr | None] = []
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = list(node.elts)
        elif isinstance(node, ast.Dict):
            items = list(node.keys)
        named = {i.value for i in items if isinstance(i, ast.Constant) and i.value in PROBLEMS}
        if len(named) >= 3:
            lines.append(node.lineno)
    return lines


def test_the_problem_list_is_written_once() -> None:
    registry = ROOT / "schedgym" / "problems.py"
    assert _literal_problem_lists(registry)
    for folder in ("schedgym", "agents", "baselines", "experiments"):
        for path in (ROOT / folder).rglob("*.py"):
            if path != registry:
                assert not _literal_problem_lists(path), f"{path} lists the problems"
