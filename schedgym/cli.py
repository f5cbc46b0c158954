"""The ``schedgym`` command: solve one instance, evaluate solvers on a suite, list what exists.

Problems come from the one registry, :mod:`schedgym.problems`; their descriptors are imported only
when used (``schedgym --help`` stays fast). ``evaluate`` runs through the leaderboard harness (a
temporary results store unless ``--db`` is given), so it prints the same rows, tables and CSV
layout as ``schedgym leaderboard run``. A new command is one more ``@app.command()`` function
below; the ``leaderboard`` group's commands live in :mod:`schedgym.leaderboard.cli`.

Exit codes: 0 success; 1 a solver found no valid schedule; 2 bad input (missing or malformed file,
unknown problem, solver, suite or instance, an option value out of range, an output path that
cannot be written), reported as one ``error: ...`` line on stderr naming the file and line or the
name, with no output file written; 130 interrupted. Option values are checked as in
:mod:`schedgym.leaderboard.options` (seeds in ``[0, 2**31 - 1]``, time limits finite and > 0...);
every output path is checked before any solving (:func:`schedgym.core.files.check_outputs`:
its folder must exist) and all outputs are written together or not at all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer

from schedgym.core.errors import (
    BadOptionError,
    InstanceFormatError,
    SchedGymError,
    UnknownNameError,
)
from schedgym.leaderboard.cli import COMMANDS as LEADERBOARD_COMMANDS
from schedgym.leaderboard.cli import SolverOptionsOpt, SuiteArg, parse_options
from schedgym.leaderboard.options import (
    capacity_value,
    check_env_options,
    check_solvers,
    int_option,
    options_per_solver,
    seed_value,
    time_limit_value,
    workers_value,
)
from schedgym.llm.cli import llm_app
from schedgym.problems import PROBLEMS

if TYPE_CHECKING:
    from schedgym.core.problem import Problem

IMAGE_FORMATS = ("png", "svg", "pdf", "jpg", "jpeg")

app = typer.Typer(
    name="schedgym",
    help="schedgym: a research gym for learned schedulers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

P = ParamSpec("P")
R = TypeVar("R")

ProblemOpt = Annotated[
    str, typer.Option("--problem", "-p", help=f"Problem: {', '.join(PROBLEMS)}.")
]
TimeLimitOpt = Annotated[
    float | None,
    typer.Option(
        "--time-limit",
        "-t",
        parser=time_limit_value,
        metavar="SECONDS",
        help="Seconds per instance, > 0 (default: solver's).",
    ),
]
SeedOpt = Annotated[
    int,
    typer.Option(
        "--seed",
        parser=seed_value,
        metavar="INT",
        help="Seed of randomised solvers, in [0, 2**31 - 1].",
    ),
]
WorkersOpt = Annotated[
    int,
    typer.Option(
        "--workers",
        parser=workers_value,
        metavar="INT",
        help="Parallel threads a solver may use (CP-SAT).",
    ),
]
CapacityOpt = Annotated[
    int | None,
    typer.Option(
        "--capacity",
        parser=capacity_value,
        metavar="BYTES",
        help="memory: fast-memory capacity in bytes.",
    ),
]
VariantOpt = Annotated[str | None, typer.Option("--variant", help="memory: 'assign' or 'pack'.")]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``error: message`` as one line on stderr and exit with ``code``."""
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(code)


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn schedgym's own errors into one stderr line: exit 2 for bad input, else 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (InstanceFormatError, UnknownNameError, BadOptionError) as exc:
            fail(str(exc), 2)
        except SchedGymError as exc:
            fail(str(exc), 1)

    return wrapper


def get_problem(problem: str, **settings: Any) -> Problem:
    """The descriptor of ``problem`` under the instance ``settings`` that are not ``None`` (the
    memory problem's ``capacity`` and ``variant``); raises ``UnknownNameError`` for an unknown
    problem, or settings the problem does not take."""
    from schedgym.problems import get_problem as registered

    return registered(problem).configured(**settings)


def _version(value: bool) -> None:
    if value:
        from schedgym import __version__

        typer.echo(f"schedgym {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """schedgym: a research gym for learned schedulers."""


@app.command()
@handles_errors
def solve(
    instance: Annotated[str, typer.Option("--instance", "-i", help="Shipped name or file path.")],
    solver: Annotated[str, typer.Option("--solver", "-s", help="Solver name (see `solvers`).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Schedule JSON to write (its folder must exist).")
    ],
    problem: ProblemOpt = "jobshop",
    time_limit: TimeLimitOpt = None,
    seed: SeedOpt = 0,
    workers: WorkersOpt = 1,
    gantt: Annotated[
        Path | None, typer.Option("--gantt", help="Also draw a Gantt chart (PNG, SVG, PDF).")
    ] = None,
    option: SolverOptionsOpt = None,
    capacity: CapacityOpt = None,
    variant: VariantOpt = None,
) -> None:
    """Solve one instance, validate the schedule, write it as JSON (and optionally a Gantt chart).

    Nothing is written unless the schedule validates; the makespan in the file is the validator's.
    The outputs are checked before solving and written together (both or neither).
    """
    from schedgym.core.files import check_outputs, commit_outputs
    from schedgym.core.run import run_one
    from schedgym.core.solver import Budget, load_solvers

    described = get_problem(problem, capacity=capacity, variant=variant)
    options = parse_options(option)
    inputs = {"--instance": Path(instance)}
    check_outputs({"--out": out, "--gantt": gantt}, inputs=inputs)
    fmt = "png" if gantt is None else (gantt.suffix.lstrip(".").lower() or "png")
    if fmt not in IMAGE_FORMATS:
        raise InstanceFormatError(
            str(gantt), f"unsupported image format (use {', '.join(IMAGE_FORMATS)})"
        )
    loaded = described.load(instance)
    solver_obj = load_solvers(problem, [solver], options)[solver]
    check_env_options(described, solver, solver_obj)
    budget = Budget(time_limit_s=time_limit, seed=seed, workers=workers)
    name = str(loaded.name)
    record = run_one(described, instance, loaded, solver, solver_obj, budget)
    if record.objective is None:
        fail(f"solver {solver!r} on {name}: {record.status}: {record.message}", 1)
    objective = record.objective
    writers: dict[Path, Callable[[Path], None]] = {
        out: lambda p: described.write_schedule(record.schedule, objective, p)
    }
    if gantt is not None:
        writers[gantt] = lambda p: described.render(loaded, record.schedule, p, fmt)
    commit_outputs(writers, inputs=inputs.values())
    gap = (
        ""
        if record.gap_pct is None
        else f" (reference {record.reference:g}, gap {record.gap_pct:.2f}%)"
    )
    extra = f", gantt {gantt}" if gantt is not None else ""
    typer.echo(
        f"{name} {solver}: {described.objective_name} {objective:g}{gap}, {record.status}, "
        f"{record.wall_time_s:.3f} s -> {out}{extra}"
    )


@app.command()
@handles_errors
def evaluate(
    suite: Annotated[str, typer.Option("--suite", help="Suite name (see `suites`).")],
    solvers: Annotated[str, typer.Option("--solvers", help="Comma-separated solver names.")],
    problem: ProblemOpt = "jobshop",
    time_limit: TimeLimitOpt = None,
    seed: SeedOpt = 0,
    workers: WorkersOpt = 1,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Write one row per run (the leaderboard layout).")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Keep the rows already in --csv; skip their runs.")
    ] = False,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="Results database to keep rows in (default: a temporary one)."),
    ] = None,
    option: SolverOptionsOpt = None,
    capacity: CapacityOpt = None,
    variant: VariantOpt = None,
) -> None:
    """Run solvers on every instance of a suite through the leaderboard harness; print the tables.

    Every schedule is validated before it counts: an invalid one is shown as failed, never scored.
    Interrupted with Ctrl-C, the finished runs are written to --csv; rerun with --resume to go on
    (or give --db FILE: rows stored there are reused by every rerun).
    """
    import sys
    import tempfile

    from schedgym.core.files import check_outputs
    from schedgym.leaderboard.cli import ProgressBar, emit, names_of
    from schedgym.leaderboard.environment import environment
    from schedgym.leaderboard.harness import make_plan, run_leaderboard
    from schedgym.leaderboard.report import read_rows_csv
    from schedgym.leaderboard.store import Store

    described = get_problem(problem, capacity=capacity, variant=variant)
    solver_names = names_of(solvers, "--solvers")
    per_solver = options_per_solver(parse_options(option), solver_names)
    if resume and csv_path is None:
        fail("--resume needs --csv FILE")
    check_outputs({"--csv": csv_path, "--db": db})
    if db is not None:
        Store.check(db)
    previous = read_rows_csv(csv_path) if resume and csv_path and csv_path.exists() else None
    plan = make_plan(
        problem,
        suite,
        solver_names,
        time_limits=(time_limit,),
        seeds=(seed,),
        options=per_solver,
        threads=workers,
        settings={"capacity": capacity, "variant": variant},
        frozen_only=False,
    )
    check_solvers(described, plan.solvers, per_solver, workers)
    with tempfile.TemporaryDirectory(prefix="schedgym-evaluate-") as scratch:
        store_path = db if db is not None else Path(scratch) / "evaluate.sqlite"
        if previous is not None:
            wanted = {plan.key(run) for run in plan.runs()}
            kept = [r for r in previous if r.key in wanted]
            with Store(store_path) as store:
                store.insert(kept)
        bar = ProgressBar()
        try:
            outcome = run_leaderboard(
                plan, store_path, "local", 1, None, bar, environment(), " ".join(sys.argv)
            )
        finally:
            bar.stop()
        with Store(store_path) as store:
            sessions = store.sessions(r.session for r in outcome.rows)
    header = {"problem": problem, "suite": plan.suite.name, "suite_sha256": plan.suite.sha256}
    emit(described, plan.suite.name, outcome.rows, header, sessions, csv_path, None, None, None)
    if outcome.interrupted:
        hint = f"rerun with --resume to go on from {csv_path}" if csv_path else "use --csv or --db"
        fail(f"interrupted after {outcome.new} new runs; {hint}", 130)


@app.command()
@handles_errors
def suites(
    problem: ProblemOpt = "jobshop",
    suite: SuiteArg = None,
) -> None:
    """List the suites of a problem: name, instance count, frozen digest (``-``: not frozen);
    with a SUITE, its instance names, one per line."""
    from schedgym.leaderboard.cli import suites as listing

    listing(problem, suite)


@app.command()
@handles_errors
def solvers(problem: ProblemOpt = "jobshop") -> None:
    """List the solvers registered for a problem (entry-point group schedgym.solvers): name,
    tab, the first line of its docstring."""
    from schedgym.core.solver import available_solvers, solver_summary

    get_problem(problem)
    for name in available_solvers(problem):
        typer.echo(f"{name}\t{solver_summary(problem, name)}")


@app.command()
@handles_errors
def train(
    env: Annotated[
        str | None,
        typer.Option("--env", help="Problem name or env id (default: the config's)."),
    ] = None,
    method: Annotated[
        str | None, typer.Option("--method", help="ppo or self_label (fleet also: es).")
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps", parser=int_option("--steps", 1), metavar="INT", help="Env steps to train."
        ),
    ] = None,
    run_dir: Annotated[
        str | None, typer.Option("--run-dir", help="Run folder (default: runs/<name>).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Training config (YAML); default: experiments/configs/<problem>_<method>.yaml.",
        ),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Config field KEY=VALUE (dotted key, YAML value), repeatable."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", parser=seed_value, metavar="INT", help="Seed of the run."),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start over instead of resuming the run folder.")
    ] = False,
    export: Annotated[
        str | None, typer.Option("--export", help="Also copy the best checkpoint to this file.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Allow --export onto a shipped checkpoint.")
    ] = False,
    sweep: Annotated[
        Path | None,
        typer.Option("--sweep", help="YAML grid of dotted config keys to lists of values."),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="With --sweep: run trials on this Ray cluster."),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Train a graph-neural agent on any problem; rerun the same command to resume.

    Everything goes into the run folder (config.yaml, metrics.csv, last.pt, best.pt, tb/);
    nothing else is written unless --export is given. The trainer comes from the
    ``schedgym.trainers`` entry point ``default`` (schedgym's own ``agents``), so that the
    library never imports ``agents/`` directly.
    """
    from importlib.metadata import entry_points

    if config is not None and not config.is_file():
        raise InstanceFormatError(config, "no such config file")
    if config is None and env is None:
        fail("give --env PROBLEM or --config FILE")
    if sweep is not None and not sweep.is_file():
        raise InstanceFormatError(sweep, "no such sweep file")
    found = {ep.name: ep for ep in entry_points(group="schedgym.trainers")}
    if "default" not in found:
        raise SchedGymError("no trainer installed (entry point group schedgym.trainers)")
    trainer = found["default"].load()
    options: dict[str, Any] = {
        "resume": not fresh,
        "progress": progress,
        "method": method,
        "steps": steps,
        "seed": seed,
        "run_dir": run_dir,
        "overrides": list(overrides or []),
        "export": export,
        "force": force,
    }
    if ray_address is not None:
        options["ray_address"] = ray_address
    try:
        paths = trainer(env, config, sweep, **options)
    except ValueError as exc:  # a config the trainer refuses (its message names the field)
        fail(str(exc), 2)
    for path in paths:
        typer.echo(f"best checkpoint: {path}")


leaderboard_app = typer.Typer(
    help="The leaderboard: frozen suites, one harness, stored results (run, show, suites...).",
    no_args_is_help=True,
)
for _name, _command in LEADERBOARD_COMMANDS.items():
    leaderboard_app.command(_name)(handles_errors(_command))
app.add_typer(leaderboard_app, name="leaderboard")
app.add_typer(llm_app, name="llm")


def main() -> None:
    """Entry point of the ``schedgym`` script."""
    app()


if __name__ == "__main__":
    main()
