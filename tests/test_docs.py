"""The documentation site: it builds with ``mkdocs build --strict`` (warnings are errors), its API
pages resolve ``schedgym.agents`` / ``schedgym.baselines`` / ``schedgym.experiments`` (the
package-dir mapping), every env page documents every constructor option of its env, the solvers
page every registered solver, and every ``python`` example of docs/ runs.

The build needs the ``docs`` extra (``make docs`` installs it into ``.venv``); where it is not
installed, the build test is skipped, saying so.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gymnasium as gym
import pytest

import schedgym
from schedgym.problems import all_problems

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_mkdocs_build_is_strict_clean(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (make docs installs it)")
    pytest.importorskip("mkdocstrings_handlers.python", reason="the docs extra is not installed")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    # the API pages found the top-level folders under their installed names
    agents = (site / "api" / "agents" / "index.html").read_text()
    assert "schedgym.agents.solver" in agents and "PPOGNNSolver" in agents
    baselines = (site / "api" / "baselines" / "index.html").read_text()
    assert "schedgym.baselines.jobshop.rules" in baselines and "MWKR" in baselines
    for page in ("envs/jobshop", "envs/llm", "results", "glossary", "training"):
        assert (site / page / "index.html").is_file(), page


def _env_class(env_id: str) -> type:
    entry = gym.spec(env_id).entry_point
    assert isinstance(entry, str)
    module, name = entry.split(":")
    return getattr(__import__(module, fromlist=[name]), name)


@pytest.mark.parametrize("problem", [p.name for p in all_problems()])
def test_env_page_documents_every_constructor_option(problem: str) -> None:
    assert schedgym  # the import registers the envs
    spec = next(p for p in all_problems() if p.name == problem)
    page = DOCS / "envs" / f"{problem}.md"
    assert page.is_file(), f"no env page {page.relative_to(ROOT)}"
    text = page.read_text()
    assert spec.env_id in text
    options = [
        n for n in inspect.signature(_env_class(spec.env_id).__init__).parameters if n != "self"
    ]
    missing = [n for n in options if f"| `{n}` |" not in text]
    assert not missing, f"{page.relative_to(ROOT)}: options not in its table: {missing}"


def test_every_doc_page_is_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = [p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "_hooks" not in p.parts]
    missing = [p for p in pages if p not in nav]
    assert not missing, f"pages missing from mkdocs.yml's nav: {missing}"


SOLVER_SECTIONS = {
    "jobshop": "## Job shop",
    "socdag": "## SoC DAG",
    "memory": "## Memory mapping",
    "fleet": "## Fleet (UAM)",
    "llm": "## LLM serving",
}


@pytest.mark.parametrize("problem", [p.name for p in all_problems()])
def test_solvers_page_describes_every_registered_solver(problem: str) -> None:
    from importlib.metadata import entry_points

    # entry points only: other tests register process-local solvers (register_solver)
    names = [
        ep.name.split(".", 1)[1]
        for ep in entry_points(group="schedgym.solvers")
        if ep.name.startswith(f"{problem}.")
    ]
    assert names
    text = (DOCS / "solvers.md").read_text()
    heading = SOLVER_SECTIONS[problem]
    assert heading in text, f"docs/solvers.md has no section {heading!r}"
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    missing = [s for s in names if f"`{s}`" not in section]
    assert not missing, f"docs/solvers.md, {heading}: registered solvers not described: {missing}"


def _python_examples() -> list[tuple[str, str]]:
    fence = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
    out: dict[str, str] = {}  # code -> where it first appears (a repeated example runs once)
    for page in sorted(DOCS.rglob("*.md")):
        for i, match in enumerate(fence.finditer(page.read_text())):
            if match.group(1) == "python":
                out.setdefault(match.group(2), f"{page.relative_to(DOCS)}#{i}")
    return [(name, code) for code, name in out.items()]


def test_docs_python_examples_run(tmp_path: Path) -> None:
    """Every ``python`` block of docs/ runs as a script, from a scratch folder."""
    examples = _python_examples()
    assert len(examples) >= 6
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    def run(item: tuple[str, str]) -> tuple[str, subprocess.CompletedProcess[str]]:
        name, code = item
        script = tmp_path / (re.sub(r"\W", "_", name) + ".py")
        script.write_text(code)
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return name, done

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(run, examples))
    failed = [f"{n}: exit {r.returncode}\n{r.stderr[-2000:]}" for n, r in results if r.returncode]
    assert not failed, "\n\n".join(failed)
