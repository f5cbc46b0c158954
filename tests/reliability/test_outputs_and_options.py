"""Outputs are checked before any solving and written all-or-nothing; option mistakes are one
``error:`` line with exit code 2 in every command and problem (issue 16: outputs, options)."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from schedgym.cli import app
from schedgym.core import files
from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import check_outputs, commit_outputs
from schedgym.leaderboard.options import MAX_SEED, parse_seeds

runner = CliRunner(env={"COLUMNS": "140"})
ROOT = Path(__file__).resolve().parents[2]

#: (problem, instance, a solver) for each problem; the solvers that forward options to their
#: env (mwkr, socdag random) are the ones that used to fail only when solving.
PROBLEMS = [
    ("jobshop", "ft06", "mwkr"),
    ("socdag", "topcuoglu", "random"),
    ("socdag", "topcuoglu", "heft"),
    ("memory", "pack-01", "first-fit"),
    ("fleet", "default", "greedy"),
]


def cli(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def one_error_line(result: Any, code: int = 2) -> str:
    """The single ``error:`` line of a failed command (asserting there is exactly one)."""
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output and "╭" not in result.stderr
    return str(lines[0])


def writing(text: str) -> Callable[[Path], None]:
    """A writer for :func:`commit_outputs` that writes ``text``."""

    def write(path: Path) -> None:
        path.write_text(text)

    return write


def solve(*extra: str | Path) -> Any:
    return cli("solve", "-i", "ft06", "-s", "mwkr", *extra)


# ------------------------------------------------------------------------------ solve outputs


def test_out_naming_a_directory_leaves_no_temporary(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    line = one_error_line(solve("-o", tmp_path / "dir"))
    assert "--out: is a directory" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir"]  # no .*.tmp left
    assert list((tmp_path / "dir").iterdir()) == []


def test_gantt_naming_a_directory_writes_no_json(tmp_path: Path) -> None:
    (tmp_path / "g.png").mkdir()
    line = one_error_line(solve("-o", tmp_path / "s.json", "--gantt", tmp_path / "g.png"))
    assert "--gantt: is a directory" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.png"]


@pytest.mark.parametrize("how", ["same", "dot-path", "symlink", "hardlink"])
def test_two_outputs_on_one_file_are_refused(tmp_path: Path, how: str) -> None:
    out = tmp_path / "x.png"
    other: Path = out
    if how == "dot-path":
        (tmp_path / "sub").mkdir()
        other = tmp_path / "sub" / ".." / "x.png"
    elif how == "symlink":
        other = tmp_path / "link.png"
        other.symlink_to(out)
    elif how == "hardlink":
        out.write_text("old")
        other = tmp_path / "hard.png"
        os.link(out, other)
    before = sorted(p.name for p in tmp_path.iterdir())
    line = one_error_line(solve("-o", out, "--gantt", other))
    assert "name the same file" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if how == "hardlink":
        assert out.read_text() == "old"


def test_out_naming_a_fifo_or_a_device_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    line = one_error_line(solve("-o", fifo))
    assert "not a regular file" in line
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo"]
    if Path("/dev/full").exists():  # as root this used to replace the device node
        line = one_error_line(solve("-o", "/dev/full"))
        assert "/dev/full" in line and "not a regular file" in line
        assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_out_in_a_missing_folder(tmp_path: Path) -> None:
    line = one_error_line(solve("-o", tmp_path / "nope" / "deeper" / "s.json"))
    assert "no such directory" in line and "--out" in line
    assert list(tmp_path.iterdir()) == []
    result = solve("-o", tmp_path / "made" / "s.json")  # one missing folder is created
    assert result.exit_code == 0, result.output
    assert (tmp_path / "made" / "s.json").is_file()


def test_out_may_not_overwrite_the_instance(tmp_path: Path) -> None:
    instance = tmp_path / "toy.txt"
    instance.write_text("2 2\n0 3 1 4\n1 2 0 2\n")
    result = cli("solve", "-i", instance, "-s", "mwkr", "-o", instance)
    assert "--instance (an input)" in one_error_line(result)
    assert instance.read_text() == "2 2\n0 3 1 4\n1 2 0 2\n"


def test_unwritable_folder_is_refused_before_solving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    real_mkstemp = files.tempfile.mkstemp

    def refuse(*args: Any, **kwargs: Any) -> Any:  # root ignores chmod: refuse like EROFS
        if Path(kwargs.get("dir", "")).resolve() == locked.resolve():
            raise OSError(errno.EROFS, "Read-only file system")
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    solved: list[str] = []
    monkeypatch.setattr("schedgym.core.run.run_one", lambda *a, **k: solved.append("x"))
    line = one_error_line(solve("-o", locked / "s.json"))
    assert "cannot write in the folder" in line and "Read-only file system" in line
    assert solved == [] and list(locked.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_for_a_normal_user(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        line = one_error_line(solve("-o", locked / "s.json"))
        assert "cannot write in the folder" in line
    finally:
        locked.chmod(0o755)


def test_solve_through_a_symlink_updates_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    result = solve("-o", link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and json.loads(target.read_text())["makespan"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]


# --------------------------------------------------------------------- commit_outputs itself


def test_failed_writer_leaves_nothing_and_touches_no_target(tmp_path: Path) -> None:
    kept = tmp_path / "kept.txt"
    kept.write_text("old")

    def broken(path: Path) -> None:
        path.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    writers: dict[Path, Callable[[Path], None]] = {
        kept: writing("new"),
        tmp_path / "new" / "b.txt": broken,
    }
    with pytest.raises(InstanceFormatError, match=r"b\.txt: cannot write the output: No space"):
        commit_outputs(writers, folders=[tmp_path / "new"])
    assert kept.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt"]  # folder removed too


def test_interrupt_while_writing_leaves_nothing(tmp_path: Path) -> None:
    def interrupted(path: Path) -> None:
        path.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        commit_outputs({tmp_path / "a.txt": writing("a"), tmp_path / "b": interrupted})
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rename_restores_the_targets_already_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("old a")
    real_replace = os.replace
    calls: list[str] = []

    def flaky(src: Any, dst: Any) -> None:
        calls.append(str(dst))
        if Path(dst) == second:
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", flaky)
    writers = {first: writing("new a"), second: writing("new b")}
    with pytest.raises(InstanceFormatError, match=r"b\.txt: cannot replace"):
        commit_outputs(writers)
    monkeypatch.undo()
    assert first.read_text() == "old a" and not second.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]  # no temporary, no backup


def test_commit_keeps_the_usual_file_mode(tmp_path: Path) -> None:
    commit_outputs({tmp_path / "a.txt": writing("a")})
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "a.txt").st_mode) == 0o666 & ~umask


def test_check_outputs_folders(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    check_outputs([tmp_path / "plots" / "a.png"], [tmp_path / "plots"])  # created later: fine
    with pytest.raises(InstanceFormatError, match="not a directory"):
        check_outputs([], {"--plots": tmp_path / "file"})
    with pytest.raises(InstanceFormatError, match="no such directory"):
        check_outputs([], {"--plots": tmp_path / "a" / "b"})
    with pytest.raises(InstanceFormatError, match="name the same"):
        check_outputs({"--csv": tmp_path / "plots"}, {"--plots": tmp_path / "plots"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # checking writes nothing


# ------------------------------------------------------------------ evaluate and leaderboard


def test_evaluate_resume_with_a_directory_or_non_utf8_csv(tmp_path: Path) -> None:
    (tmp_path / "dir.csv").mkdir()
    args = ("evaluate", "--suite", "ft", "--solvers", "mwkr", "--resume", "--csv")
    assert "is a directory" in one_error_line(cli(*args, tmp_path / "dir.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"problem,suite\n\xff\xfe\x00 not utf-8\n")
    line = one_error_line(cli(*args, bad))
    assert str(bad) in line and "not UTF-8" in line
    assert bad.read_bytes() == b"problem,suite\n\xff\xfe\x00 not utf-8\n"


def test_evaluate_csv_and_db_on_one_file(tmp_path: Path) -> None:
    same = tmp_path / "r.out"
    result = cli("evaluate", "--suite", "ft", "--solvers", "mwkr", "--csv", same, "--db", same)
    assert "name the same file" in one_error_line(result)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--json", "--json: is a directory"),
        ("--csv", "--csv: is a directory"),
        ("--markdown", "--markdown: is a directory"),
        ("--plots", None),
    ],
)
def test_leaderboard_run_outputs_checked_first(
    tmp_path: Path, option: str, message: str | None
) -> None:
    target = tmp_path / "dir"
    target.mkdir()
    if option == "--plots":  # a plot's own name taken by a folder
        (target / "jobshop_ft_budget.png").mkdir()
        message = "is a directory"
    assert message is not None
    db = tmp_path / "r.sqlite"
    args = ("leaderboard", "run", "--suite", "ft", "--solvers", "mwkr", "--quiet", "--db", db)
    assert message in one_error_line(cli(*args, option, target))
    assert not db.exists()


def test_leaderboard_csv_and_plots_folders_are_created(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    args = ("leaderboard", "run", "--suite", "ft", "--solvers", "mwkr", "--quiet", "--db", db)
    line = one_error_line(cli(*args, "--csv", tmp_path / "lb" / "deeper" / "x.csv"))
    assert "no such directory" in line and "--csv" in line
    assert not db.exists() and not (tmp_path / "lb").exists()
    result = cli(*args, "--csv", tmp_path / "lb" / "x.csv")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "lb" / "x.csv").is_file()
    result = cli(*args, "--plots", tmp_path / "plots", "--csv", tmp_path / "x.csv")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "jobshop_ft_budget.png",
        "jobshop_ft_groups.png",
    ]
    shown = cli("leaderboard", "show", "--suite", "ft", "--db", db, "--export", db)
    assert "--export and --db (an input) name the same file" in one_error_line(shown)
    help_text = cli("leaderboard", "run", "--help").output
    assert "created if missing" in help_text and "its folder must exist" in help_text


# ----------------------------------------------------------------------------------- options


@pytest.mark.parametrize(("problem", "instance", "solver"), PROBLEMS)
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("-O", "k=[unclosed"), "not valid YAML"),
        (("-O", "foo=bar"), "does not take"),
        (("--seed", "-5"), "--seed: expected an integer in [0, 2147483647], got '-5'"),
        (("--seed", "18446744073709551616"), "--seed: expected an integer in [0, 2147483647]"),
        (("--time-limit", "-1"), "--time-limit: '-1' must be a finite number > 0"),
        (("--time-limit", "nan"), "--time-limit: 'nan' must be a finite number > 0"),
        (("--time-limit", "soon"), "is not a number of seconds"),
        (("--workers", "0"), "--workers: expected an integer >= 1"),
    ],
)
def test_solve_option_mistakes_are_one_line_exit_2_in_every_problem(
    tmp_path: Path,
    problem: str,
    instance: str,
    solver: str,
    extra: tuple[str, ...],
    message: str,
) -> None:
    out = tmp_path / "s.json"
    result = cli("solve", "-p", problem, "-i", instance, "-s", solver, "-o", out, *extra)
    assert message in one_error_line(result)
    assert list(tmp_path.iterdir()) == []


def test_capacity_zero_is_one_line(tmp_path: Path) -> None:
    result = cli("solve", "-p", "memory", "-i", "pack-01", "-s", "first-fit",
                 "-o", tmp_path / "x.json", "--capacity", "0")  # fmt: skip
    assert "--capacity: expected an integer >= 1, got '0'" in one_error_line(result)
    assert list(tmp_path.iterdir()) == []


def test_the_largest_seed_is_valid_for_cpsat(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    result = cli(
        "solve", "-i", "ft06", "-s", "cpsat", "--seed", str(MAX_SEED), "-o", out, "-t", "5"
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--seed", "-5"), "--seed: expected an integer"),
        (("-t", "nan"), "must be a finite number > 0"),
        (("-O", "foo=bar"), "does not take the option 'foo'"),
        (("-O", "k=[unclosed"), "not valid YAML"),
    ],
)
def test_evaluate_option_mistakes(tmp_path: Path, extra: tuple[str, ...], message: str) -> None:
    result = cli("evaluate", "--suite", "ft", "--solvers", "mwkr", "--csv", tmp_path / "r.csv",
                 *extra)  # fmt: skip
    assert message in one_error_line(result)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--seeds", "-5"), "seeds are in [0, 2147483647]"),
        (("--seeds", "5-3"), "empty range"),
        (("--seeds", "2147483648"), "seed 2147483648 is not in [0, 2147483647]"),
        (("--seeds", "0-99,0-9999,20000"), "more than 10,000 seeds"),
        (("--seeds", "0-999", "--repeats", "1000"), "at most 1,000,000"),
        (("--repeats", "0"), "--repeats: expected an integer in [1, 1000]"),
        (("--threads", "0"), "--threads: expected an integer >= 1"),
        (("--workers", "-2"), "--workers: expected an integer >= 1"),
        (("-t", "inf"), "must be a finite number > 0"),
        (("-O", "foo=bar"), "does not take the option 'foo'"),
        (("-O", "a=[[["), "not valid YAML"),
    ],
)
def test_leaderboard_option_mistakes(tmp_path: Path, extra: tuple[str, ...], message: str) -> None:
    db = tmp_path / "r.sqlite"
    result = cli("leaderboard", "run", "--suite", "ft", "--solvers", "mwkr", "--quiet",
                 "--db", db, "--csv", tmp_path / "r.csv", *extra)  # fmt: skip
    assert message in one_error_line(result)
    assert list(tmp_path.iterdir()) == []


def test_huge_seed_and_repeat_ranges_are_refused_without_allocating() -> None:
    """Run in a child process capped at 3 GB of address space: before the limits, these
    allocated until killed (MemoryError, or 24 GB for the repeats)."""
    script = """
import json, sys
from typer.testing import CliRunner
from schedgym.cli import app
cases = [["--seeds", "0-100000000000"], ["--seeds", "18446744073709551616"],
         ["--repeats", "100000000000"], ["--seeds", "0-9999", "--repeats", "1000"]]
out = []
for extra in cases:
    r = CliRunner().invoke(app, ["leaderboard", "run", "--suite", "ft", "--solvers", "mwkr",
                                 "--db", sys.argv[1], "--quiet", *extra])
    out.append([r.exit_code, r.stderr])
print(json.dumps(out))
"""
    import resource
    import tempfile

    limit = 3 * 2**30
    with tempfile.TemporaryDirectory() as scratch:
        proc = subprocess.run(
            [sys.executable, "-c", script, str(Path(scratch) / "r.sqlite")],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)},
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)),
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert os.listdir(scratch) == []
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    messages = ["is not in [0, 2147483647]", "is not in [0, 2147483647]", "[1, 1000]", "1,000,000"]
    for (code, stderr), message in zip(results, messages, strict=True):
        lines = stderr.strip().splitlines()
        assert code == 2 and len(lines) == 1 and message in lines[0], stderr


def test_parse_seeds_limits() -> None:
    assert parse_seeds("0,1,5-7") == [0, 1, 5, 6, 7]
    assert parse_seeds(f"{MAX_SEED}") == [MAX_SEED]
    assert len(parse_seeds("0-9999")) == 10_000
    assert parse_seeds("3,1-3") == [3, 1, 2]


def test_typer_usage_errors_still_exit_2() -> None:
    assert cli("solve", "-i", "ft06", "-s", "mwkr").exit_code == 2  # --out missing
    assert cli("solve", "--no-such-option").exit_code == 2
    assert cli("leaderboard", "run", "--suite", "ft").exit_code == 2  # --solvers missing


def test_an_option_without_a_value_is_refused() -> None:
    """``-O checkpoint=`` must not silently fall back to the shipped checkpoint."""
    from schedgym.core.errors import UnknownNameError
    from schedgym.leaderboard.options import parse_options

    with pytest.raises(UnknownNameError, match="no value"):
        parse_options(["checkpoint="])
    assert parse_options(["samples=8"]) == {"samples": 8}
    with pytest.raises(UnknownNameError, match=r"^--set 'checkpoint=': no value"):
        parse_options(["checkpoint="], "--set")  # the experiment scripts name their own flag


def test_size_range() -> None:
    """The inclusive size ranges of the experiment scripts (``--buffers 60-120``)."""
    import argparse

    from schedgym.leaderboard.options import size_range

    assert size_range("60-120") == (60, 120)
    assert size_range("90") == (90, 90)
    for bad in ("x", "9-3", "0-4", "-4", "1.5", "4-x"):
        with pytest.raises(argparse.ArgumentTypeError, match="expected"):
            size_range(bad)


@pytest.mark.parametrize(
    ("solver", "option", "message"),
    [
        (
            "ppo-gnn-sample",
            "refresh_every=0",
            "solver 'ppo-gnn-sample': refresh_every must be >= 1",
        ),
        ("ppo-gnn-sample", "batch=0", "solver 'ppo-gnn-sample': samples and batch must be >= 1"),
        ("tabu", "kick=-1", "solver 'tabu': kick must be >= 0"),
    ],
)
def test_an_option_value_a_solver_refuses_is_one_line(
    tmp_path: Path, solver: str, option: str, message: str
) -> None:
    result = cli("solve", "-i", "ft06", "-s", solver, "-O", option, "-o", tmp_path / "s.json")
    assert message in one_error_line(result)
    assert list(tmp_path.iterdir()) == []
