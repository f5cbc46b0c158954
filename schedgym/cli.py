"""The ``schedgym`` command: solve one instance, evaluate solvers on a suite, list what exists.

Problems plug in through :data:`PROBLEMS`, a map from problem name to the import path of its
:class:`schedgym.core.report.ProblemAdapter`, imported only when used (``schedgym --help`` stays
fast). A new command is one more ``@app.command()`` function below (``train``); the ``leaderboard``
group's commands live in :mod:`schedgym.leaderboard.cli`.

Exit codes: 0 success; 1 a solver found no valid schedule; 2 bad input (missing or malformed file,
unknown problem, solver, suite or instance), reported as one ``error: ...`` line on stderr naming
the file and line or the name, with no output file written; 130 interrupted.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer

from schedgym.core.errors import InstanceFormatError, SchedGymError, UnknownNameError
from schedgym.leaderboard.cli import COMMANDS as LEADERBOARD_COMMANDS

if TYPE_CHECKING:
    from rich.console import Console

    from schedgym.core.report import ProblemAdapter, RunRecord
    from schedgym.core.runlog import CsvLog
    from schedgym.core.solver import Budget

IMAGE_FORMATS = ("png", "svg", "pdf", "jpg", "jpeg")

PROBLEMS: dict[str, str] = {
    "jobshop": "schedgym.jobshop.evaluation:ADAPTER",
    "socdag": "schedgym.socdag.evaluation:ADAPTER",
    "memory": "schedgym.memory.evaluation:ADAPTER",
    "fleet": "schedgym.fleet.evaluation:ADAPTER",
}

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
    typer.Option("--time-limit", "-t", min=0.0, help="Seconds per instance (default: solver's)."),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of randomised solvers.")]
WorkersOpt = Annotated[
    int, typer.Option("--workers", min=1, help="Parallel threads a solver may use (CP-SAT).")
]
SolverOptionsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--option",
        "-O",
        help="Solver option KEY=VALUE (YAML value), repeatable: e.g. -O mtbf=200 -O blocking=true "
        "runs the job-shop rules under breakdowns and blocking; -O hint=mwkr for cpsat.",
    ),
]
CapacityOpt = Annotated[
    int | None, typer.Option("--capacity", min=1, help="memory: fast-memory capacity in bytes.")
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
        except (InstanceFormatError, UnknownNameError) as exc:
            fail(str(exc), 2)
        except SchedGymError as exc:
            fail(str(exc), 1)

    return wrapper


def get_adapter(problem: str, **settings: Any) -> ProblemAdapter:
    """The adapter object of ``problem``; raises ``UnknownNameError`` for an unknown name.

    ``settings`` that are not ``None`` (e.g. the memory problem's ``capacity`` and ``variant``)
    go to the adapter's ``configured(...)``; a problem without such settings refuses them.
    """
    if problem not in PROBLEMS:
        raise UnknownNameError(f"unknown problem {problem!r} (known: {', '.join(PROBLEMS)})")
    module, _, attr = PROBLEMS[problem].partition(":")
    adapter: ProblemAdapter = getattr(importlib.import_module(module), attr)
    given = {k: v for k, v in settings.items() if v is not None}
    if given:
        if not hasattr(adapter, "configured"):
            names = ", ".join(f"--{k}" for k in given)
            raise UnknownNameError(f"{names} does not apply to problem {problem!r}")
        adapter = adapter.configured(**given)
    return adapter


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """``["mtbf=200", "blocking=true"]`` -> ``{"mtbf": 200, "blocking": True}`` (YAML values)."""
    import yaml

    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UnknownNameError(f"--option {pair!r}: expected KEY=VALUE")
        options[key.strip()] = yaml.safe_load(value)
    return options


def _check_parent(path: Path) -> None:
    if not path.parent.is_dir():
        raise InstanceFormatError(path, f"no such directory {str(path.parent)!r} for the output")


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
    """schedgym: a research gym for learned schedulers (job shop; more problems to come)."""


@app.command()
@handles_errors
def solve(
    instance: Annotated[str, typer.Option("--instance", "-i", help="Shipped name or file path.")],
    solver: Annotated[str, typer.Option("--solver", "-s", help="Solver name (see `solvers`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Schedule JSON to write.")],
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
    """
    from schedgym.core import report
    from schedgym.core.files import commit_outputs
    from schedgym.core.report import run_one
    from schedgym.core.solver import Budget

    adapter = get_adapter(problem, capacity=capacity, variant=variant)
    options = parse_options(option)
    for path in (out, gantt):
        if path is not None:
            _check_parent(path)
    fmt = "png" if gantt is None else (gantt.suffix.lstrip(".").lower() or "png")
    if fmt not in IMAGE_FORMATS:
        raise InstanceFormatError(
            str(gantt), f"unsupported image format (use {', '.join(IMAGE_FORMATS)})"
        )
    loaded = adapter.load_instance(instance)
    solver_obj = report.load_solvers(problem, [solver], options)[solver]
    budget = Budget(time_limit_s=time_limit, seed=seed, workers=workers)
    name = adapter.instance_name(loaded)
    record = run_one(adapter, instance, loaded, solver, solver_obj, budget)
    if record.objective is None:
        fail(f"solver {solver!r} on {name}: {record.status}: {record.message}", 1)
    objective = record.objective
    writers: dict[Path, Callable[[Path], None]] = {
        out: lambda p: adapter.write_schedule(record.schedule, objective, p)
    }
    if gantt is not None:
        writers[gantt] = lambda p: adapter.render(loaded, record.schedule, p, fmt)
    commit_outputs(writers)
    gap = (
        ""
        if record.gap_pct is None
        else f" (reference {record.reference:g}, gap {record.gap_pct:.2f}%)"
    )
    extra = f", gantt {gantt}" if gantt is not None else ""
    typer.echo(
        f"{name} {solver}: {adapter.objective_name} {objective:g}{gap}, {record.status}, "
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
        Path | None, typer.Option("--csv", help="Write one row per run (appended as runs finish).")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Keep the rows already in --csv; skip their runs.")
    ] = False,
    option: SolverOptionsOpt = None,
    capacity: CapacityOpt = None,
    variant: VariantOpt = None,
) -> None:
    """Run solvers on every instance of a suite; print per-instance and per-size-group tables.

    Every schedule is validated before it counts: an invalid one is shown as failed, never scored.
    Interrupted with Ctrl-C, the finished runs are kept in --csv; rerun with --resume to go on.
    """
    from rich.console import Console

    from schedgym.core import report
    from schedgym.core.runlog import CsvLog, read_csv
    from schedgym.core.solver import Budget

    adapter = get_adapter(problem, capacity=capacity, variant=variant)
    options = parse_options(option)
    names = adapter.suite(suite)
    solver_names = [s.strip() for s in solvers.split(",") if s.strip()]
    if not solver_names:
        fail("--solvers names no solver")
    if resume and csv_path is None:
        fail("--resume needs --csv FILE")
    loaded = report.load_solvers(problem, solver_names, options)
    if csv_path is not None:
        _check_parent(csv_path)
    previous: list[RunRecord] = []
    if resume and csv_path is not None and csv_path.exists():
        previous = read_csv(csv_path)
    wanted = set(names)
    kept = [r for r in previous if r.instance in wanted and r.solver in loaded]
    budget = Budget(time_limit_s=time_limit, seed=seed, workers=workers)
    finished: list[RunRecord] = []
    log = CsvLog(csv_path, previous) if csv_path is not None else None
    interrupted = False
    try:
        _run_with_progress(adapter, names, loaded, budget, kept, log, finished)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if log is not None:
            log.close()
    _print_tables(Console(), adapter, kept + finished)
    if interrupted:
        hint = (
            f"rerun with --resume to go on from {csv_path}"
            if csv_path
            else "use --csv to keep runs"
        )
        fail(f"interrupted after {len(finished)} new runs; {hint}", 130)


def _run_with_progress(
    adapter: ProblemAdapter,
    names: list[str],
    solvers: dict[str, Any],
    budget: Budget,
    kept: list[RunRecord],
    log: CsvLog | None,
    finished: list[RunRecord],
) -> None:
    """Run the suite under a rich progress bar (on stderr), appending records to ``finished``."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from schedgym.core.report import run_suite

    done = {(r.instance, r.solver) for r in kept}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True)) as progress:
        task = progress.add_task("evaluating", total=len(names) * len(solvers) - len(done))

        def before(name: str, solver: str) -> None:
            progress.update(task, description=f"{name} / {solver}")

        def after(record: RunRecord) -> None:
            finished.append(record)
            if log is not None:
                log.write(record)
            progress.advance(task)

        run_suite(adapter, names, solvers, budget, skip=done, before=before, after=after)


def _print_tables(console: Console, adapter: ProblemAdapter, records: list[RunRecord]) -> None:
    from schedgym.core.report import records_table, summarise, summary_tables

    console.print(records_table(records, adapter.objective_name))
    for table in summary_tables(summarise(records)):
        console.print(table)


@app.command()
@handles_errors
def suites(problem: ProblemOpt = "jobshop") -> None:
    """List the shipped suites of a problem with their instance counts."""
    adapter = get_adapter(problem)
    for name in adapter.suite_names():
        typer.echo(f"{name}\t{len(adapter.suite(name))}")


@app.command()
@handles_errors
def solvers(problem: ProblemOpt = "jobshop") -> None:
    """List the solvers registered for a problem (entry-point group schedgym.solvers)."""
    from schedgym.core.solver import available_solvers

    get_adapter(problem)
    for name in available_solvers(problem):
        typer.echo(name)


@app.command()
@handles_errors
def train(
    config: Annotated[Path, typer.Option("--config", "-c", help="Training config (YAML).")],
    env: Annotated[
        str | None, typer.Option("--env", help="Env id (or problem name); default: the config's.")
    ] = None,
    sweep: Annotated[
        Path | None,
        typer.Option("--sweep", help="YAML grid of dotted config keys to lists of values."),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="With --sweep: run trials on this Ray cluster."),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start over instead of resuming the run folder.")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Train a learned scheduler; rerun the same command after an interrupt to resume.

    The trainer comes from the ``schedgym.trainers`` entry point ``default`` (schedgym's own
    ``agents.train``), so that the library never imports ``agents/`` directly.
    """
    from importlib.metadata import entry_points

    if not config.is_file():
        raise InstanceFormatError(config, "no such config file")
    if sweep is not None and not sweep.is_file():
        raise InstanceFormatError(sweep, "no such sweep file")
    found = {ep.name: ep for ep in entry_points(group="schedgym.trainers")}
    if "default" not in found:
        raise SchedGymError("no trainer installed (entry point group schedgym.trainers)")
    trainer = found["default"].load()
    options: dict[str, Any] = {"resume": not fresh, "progress": progress}
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


def main() -> None:
    """Entry point of the ``schedgym`` script."""
    app()


if __name__ == "__main__":
    main()
