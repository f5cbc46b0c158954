"""The README works as written: its commands run, its links resolve, it stays a short front door.

Every fenced ``bash``/``sh``/``python`` block of README.md is extracted. Python blocks run as
scripts; shell commands run one by one with the virtualenv's ``schedgym`` first on ``PATH``. All
of it runs in a temporary folder, not the repository root, so that a command relying on the
checkout's paths fails here. Each shell command is either cheap (it starts with a prefix of
``CHEAP``: it is run and must exit 0) or listed in ``EXPENSIVE`` with the reason it is not run
here; a command that is neither fails the test, so a new README command has to be classified.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
MAX_LINES = 250

#: Commands run by this test (prefixes): each takes a few seconds at most.
CHEAP = (
    "schedgym solvers",
    "schedgym suites",
    "schedgym solve ",
    "schedgym evaluate --problem jobshop --suite ft ",
)

#: Commands of the README not run here, each with the reason (shown in the skip message).
EXPENSIVE = {
    "make demo": "the whole demo (minutes); test_submissions_and_demo.py runs a short one",
    "make test": "the whole test suite, this test included",
    "schedgym leaderboard run --problem socdag --suite rand-50x8 --solvers heft,heft-oct,ppo-gnn,"
    "ppo-gnn-sample -t 10": "samples for 10 s on each of 5 instances",
    "schedgym train --env jobshop --method ppo --run-dir runs/jobshop_ppo": "trains for minutes",
}

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def blocks(text: str) -> list[tuple[str, str]]:
    """``(language, body)`` of every fenced code block."""
    return [(m.group(1).lower(), m.group(2)) for m in FENCE.finditer(text)]


def shell_commands(body: str) -> list[str]:
    """The commands of a shell block: continuation lines joined, comments and blanks dropped."""
    joined = re.sub(r"\\\n\s*", " ", body)
    out = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            out.append(shlex.join(words))
    return out


def readme_commands() -> list[str]:
    shell = [body for lang, body in blocks(README.read_text()) if lang in ("bash", "sh")]
    return [command for body in shell for command in shell_commands(body)]


def readme_python() -> list[str]:
    return [body for lang, body in blocks(README.read_text()) if lang == "python"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["OMP_NUM_THREADS"] = "1"
    env.pop("SCHEDGYM_DB", None)
    return env


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300, check=False
    )


def test_every_readme_command_is_classified() -> None:
    commands = readme_commands()
    assert commands, "no shell commands found in README.md"
    unknown = [c for c in commands if not c.startswith(CHEAP) and c not in EXPENSIVE]
    assert not unknown, (
        "README commands neither run by this test (CHEAP) nor listed in EXPENSIVE: "
        f"{unknown}; classify them in tests/test_readme.py"
    )
    stale = [c for c in EXPENSIVE if c not in commands]
    assert not stale, f"EXPENSIVE lists commands the README no longer has: {stale}"


def test_readme_expensive_commands_are_skipped_visibly() -> None:
    listed = [c for c in readme_commands() if c in EXPENSIVE]
    if listed:
        pytest.skip("not run here: " + "; ".join(f"`{c}` ({EXPENSIVE[c]})" for c in listed))


def test_readme_runs(tmp_path: Path) -> None:
    """The Python quick starts and the cheap shell commands, from a scratch folder."""
    jobs: list[tuple[str, list[str], Path]] = []
    for i, code in enumerate(readme_python()):
        script = tmp_path / f"readme_block_{i}.py"
        script.write_text(code)
        jobs.append((f"python block {i}", [sys.executable, str(script)], tmp_path))
    for i, command in enumerate(c for c in readme_commands() if c.startswith(CHEAP)):
        folder = tmp_path / f"cmd{i}"  # each command in its own folder: outputs never collide
        folder.mkdir()
        jobs.append((command, ["bash", "-c", command], folder))
    assert len(jobs) >= 6
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda job: (job, _run(job[1], job[2])), jobs))
    failed = [
        f"{name}: exit {res.returncode}\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}"
        for (name, _, _), res in results
        if res.returncode != 0
    ]
    assert not failed, "\n\n".join(failed)
    for (name, _, folder), _res in results:
        words = shlex.split(name) if name.startswith("schedgym") else []
        for flag in ("--out", "--gantt", "--csv"):
            if flag in words:
                written = folder / words[words.index(flag) + 1]
                assert written.is_file() and written.stat().st_size > 0, f"{name}: no {written}"


def test_readme_is_a_short_front_door() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) < MAX_LINES, f"README.md has {len(lines)} lines (limit {MAX_LINES - 1})"


def _links(path: Path) -> list[str]:
    text = FENCE.sub("", path.read_text())
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code is not a link
    return [m.group(1) for m in LINK.finditer(text)]


def markdown_files() -> list[Path]:
    return [README, *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_existing_files(path: Path) -> None:
    broken = []
    for target in _links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL (http:, mailto:) or an anchor on the same page
        file = target.split("#", 1)[0]
        if not (path.parent / file).exists():
            broken.append(target)
    assert not broken, f"{path.relative_to(ROOT)}: links to missing files: {broken}"
