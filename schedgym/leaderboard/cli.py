"""The ``schedgym leaderboard`` commands (registered by :mod:`schedgym.cli`).

``run`` runs solvers on a frozen suite through the harness and stores every row; ``show``
renders stored rows without re-running (``--export`` writes them as CSV); ``suites`` lists the
suites (the same list as ``schedgym suites``, frozen ones with their digest); ``verify``
recomputes the checksums; ``freeze`` adds suites to a manifest; ``problems`` lists the problems.
Inputs are all checked before any work or output: bad input is one ``error:`` line, exit 2, and
no file written. Option values follow :mod:`schedgym.leaderboard.options` (its stated limits);
output paths are checked by :func:`schedgym.core.files.check_outputs` (every output's folder
must exist, except the ``--plots`` folder, which is created when missing); the database's
integrity and schema are checked on open (:class:`schedgym.leaderboard.store.Store`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from schedgym.core.errors import InstanceFormatError, UnknownNameError
from schedgym.core.files import check_outputs
from schedgym.leaderboard.options import (
    check_run_count,
    check_solvers,
    options_per_solver,
    output_files,
    repeats_value,
    threads_value,
    workers_value,
)
from schedgym.leaderboard.options import names_of as names_of
from schedgym.leaderboard.options import parse_limits as parse_limits
from schedgym.leaderboard.options import parse_options as parse_options
from schedgym.leaderboard.options import parse_seeds as parse_seeds

if TYPE_CHECKING:
    from schedgym.core.problem import Problem
    from schedgym.leaderboard.harness import Backend
    from schedgym.leaderboard.store import Row

ProblemOpt = Annotated[str, typer.Option("--problem", "-p", help="Problem (see `problems`).")]
SuiteOpt = Annotated[str, typer.Option("--suite", help="Frozen suite (see `suites`).")]
DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db", help="Results database (default: $SCHEDGYM_DB, else in the user data dir)."
    ),
]
CsvOpt = Annotated[
    Path | None,
    typer.Option("--csv", "--export", help="Per-instance CSV (its folder must exist)."),
]
JsonOpt = Annotated[
    Path | None,
    typer.Option("--json", help="Summary JSON: machine, versions, commit (its folder must exist)."),
]
MdOpt = Annotated[
    Path | None, typer.Option("--markdown", help="Markdown tables (its folder must exist).")
]
PlotsOpt = Annotated[
    Path | None,
    typer.Option(
        "--plots", help="Folder for the PNG plots (created if missing; its parent must exist)."
    ),
]
#: The optional SUITE argument of ``suites`` (here and in ``schedgym suites``).
SuiteArg = Annotated[str | None, typer.Argument(help="List this suite's instance names instead.")]
SolverOptionsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--option",
        "-O",
        help="Solver option KEY=VALUE (YAML value) for every solver, or SOLVER.KEY=VALUE for "
        "one, repeatable: e.g. -O mtbf=200 -O blocking=true runs the job-shop rules under "
        "breakdowns and blocking; -O cpsat.hint=mwkr; -O ppo-gnn.checkpoint=PATH beside "
        "baselines.",
    ),
]


def _db_path(db: Path | None, create: bool) -> Path:
    from schedgym.leaderboard.store import default_db

    path = db if db is not None else default_db()
    if create and db is None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if not path.parent.is_dir():
        raise InstanceFormatError(path, f"no such directory {str(path.parent)!r}")
    if not create and not path.is_file():
        raise InstanceFormatError(path, "no results database here (run `leaderboard run` first)")
    return path


def emit(
    spec: Problem,
    suite: str,
    rows: Sequence[Row],
    header: dict[str, Any],
    sessions: Sequence[dict[str, Any]],
    csv_path: Path | None,
    json_path: Path | None,
    md_path: Path | None,
    plots: Path | None,
    inputs: Sequence[Path | None] = (),
) -> None:
    """Print the Markdown tables of ``rows`` and write the requested outputs (all or none; none
    may be one of ``inputs``, such as the database)."""
    from schedgym.core.files import commit_outputs
    from schedgym.leaderboard import report
    from schedgym.leaderboard.environment import environment
    from schedgym.leaderboard.plots import plot_writers

    cells = report.summarise(rows, spec)
    title = f"{spec.name} / {suite} ({len({r.instance for r in rows})} instances)"
    text = report.markdown(cells, spec, title)
    if any(report.capacity_of(spec, name) is not None for name in {r.instance for r in rows}):
        text += "\n" + report.per_instance(rows, spec)  # memory ``pack``: fits, peak, seconds
    failed = report.failures(rows)
    typer.echo(text + ("\n" + failed + "\n" if failed else ""))
    writers: dict[Path, Callable[[Path], None]] = {}
    if csv_path is not None:
        writers[csv_path] = lambda p: report.write_rows_csv(rows, p)
    if json_path is not None:
        doc = report.summary_json(cells, spec, header, environment(), sessions)
        writers[json_path] = lambda p: report.write_json(doc, p)
    if md_path is not None:
        writers[md_path] = lambda p: _write_text(p, text)
    folders = []
    if plots is not None and cells:
        folders.append(plots)  # created by commit_outputs, with the plots, only if all succeed
        writers.update(plot_writers(cells, spec, spec.name, suite, plots))
    if writers:
        commit_outputs(writers, folders, inputs)
        typer.echo("wrote " + ", ".join(str(p) for p in writers), err=True)


def _write_text(path: Path, text: str) -> None:
    path.write_text(text)


class ProgressBar:
    """A rich progress bar on stderr (a :class:`schedgym.leaderboard.harness.Progress`)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self.task = self.bar.add_task("leaderboard", total=0)

    def start(self, total: int) -> None:
        """Show the bar for ``total`` runs."""
        self.bar.update(self.task, total=total)
        self.bar.start()

    def advance(self, count: int, description: str) -> None:
        """``count`` more runs done, the last one described by ``description``."""
        self.bar.update(self.task, advance=count, description=description)

    def stop(self) -> None:
        """Remove the bar from the screen's live area."""
        self.bar.stop()


def run(
    suite: SuiteOpt,
    solvers: Annotated[str, typer.Option("--solvers", help="Comma-separated solver names.")],
    problem: ProblemOpt = "jobshop",
    time_limit: Annotated[
        str | None,
        typer.Option("--time-limit", "-t", help="Seconds per instance; a list gives budgets."),
    ] = None,
    seeds: Annotated[
        str,
        typer.Option(
            "--seeds", help="Seeds, e.g. 0,1,5-7: at most 10,000, each in [0, 2**31 - 1]."
        ),
    ] = "0",
    repeats: Annotated[
        int,
        typer.Option(
            "--repeats", parser=repeats_value, metavar="INT", help="Runs per seed (1 to 1,000)."
        ),
    ] = 1,
    backend: Annotated[str, typer.Option("--backend", help="local or ray.")] = "local",
    workers: Annotated[
        int,
        typer.Option("--workers", parser=workers_value, metavar="INT", help="Parallel processes."),
    ] = 1,
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="Existing Ray cluster (else local Ray).")
    ] = None,
    threads: Annotated[
        int,
        typer.Option(
            "--threads",
            parser=threads_value,
            metavar="INT",
            help="Threads per solver (CP-SAT workers).",
        ),
    ] = 1,
    db: DbOpt = None,
    csv_path: CsvOpt = None,
    json_path: JsonOpt = None,
    md_path: MdOpt = None,
    plots: PlotsOpt = None,
    option: SolverOptionsOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Run solvers on a frozen suite, store every row, print the tables; rerun to resume.

    Every schedule is validated before it counts (an invalid one is a failed row, never
    scored). Rows already in the database are reused, so an interrupted run picks up where it
    stopped, and concurrent runs into one database lose and duplicate nothing. At most
    1,000,000 runs (instances x time limits x solvers x seeds x repeats) per invocation.
    """
    from schedgym.leaderboard.environment import environment
    from schedgym.leaderboard.harness import make_plan, run_leaderboard
    from schedgym.leaderboard.store import Store
    from schedgym.problems import get_problem

    if backend not in ("local", "ray"):
        raise UnknownNameError(f"unknown backend {backend!r} (local, ray)")
    chosen: Backend = "ray" if backend == "ray" else "local"
    spec = get_problem(problem)
    limits, seed_list = parse_limits(time_limit), parse_seeds(seeds)
    chosen_solvers = names_of(solvers, "--solvers")
    per_solver = options_per_solver(parse_options(option), chosen_solvers)
    check_run_count(len(limits) * len(chosen_solvers) * len(seed_list) * repeats)
    path = _db_path(db, create=True)
    files = output_files(problem, suite, ("--csv", csv_path), json_path, md_path, plots)
    check_outputs({**files, "--db": path}, {"--plots": plots})
    Store.check(path)
    plan = make_plan(
        problem,
        suite,
        chosen_solvers,
        seed_list,
        repeats,
        limits,
        options=per_solver,
        threads=threads,
    )
    check_solvers(spec, plan.solvers, per_solver, threads)
    check_run_count(
        len(plan.suite.names) * len(limits) * len(plan.solvers) * len(seed_list) * repeats
    )
    env = environment()
    bar = None if quiet else ProgressBar()
    try:
        outcome = run_leaderboard(
            plan, path, chosen, workers, ray_address, bar, env, " ".join(sys.argv)
        )
    finally:
        if bar is not None:
            bar.stop()
    header = {
        "problem": problem,
        "suite": suite,
        "suite_sha256": plan.suite.sha256,
        "solvers": list(plan.solvers),
        "configs": dict(plan.configs),
        "time_limits": list(limits),
        "seeds": seed_list,
        "repeats": repeats,
        "backend": backend,
        "workers": workers,
        "database": str(path),
    }
    with Store(path) as store:
        sessions = store.sessions(r.session for r in outcome.rows)
    emit(spec, suite, outcome.rows, header, sessions, csv_path, json_path, md_path, plots, [path])
    reused = len(outcome.rows) - outcome.new
    typer.echo(
        f"{outcome.planned} runs planned: {outcome.new} new, {reused} reused from {path}", err=True
    )
    if outcome.interrupted:
        typer.echo(
            f"error: interrupted with {outcome.planned - len(outcome.rows)} runs to go; "
            "rerun the same command to resume",
            err=True,
        )
        raise typer.Exit(130)


def show(
    suite: SuiteOpt,
    problem: ProblemOpt = "jobshop",
    solvers: Annotated[
        str | None, typer.Option("--solvers", help="Only these solvers (comma-separated).")
    ] = None,
    time_limit: Annotated[
        str | None, typer.Option("--time-limit", "-t", help="Only these budgets.")
    ] = None,
    seeds: Annotated[str | None, typer.Option("--seeds", help="Only these seeds.")] = None,
    db: DbOpt = None,
    csv_path: CsvOpt = None,
    json_path: JsonOpt = None,
    md_path: MdOpt = None,
    plots: PlotsOpt = None,
) -> None:
    """Render stored results without re-running anything (--export writes them as CSV).

    Each solver shows its most recent configuration (solver version, options) only.
    """
    from schedgym.leaderboard.report import order_rows, select_latest
    from schedgym.leaderboard.store import Store
    from schedgym.leaderboard.suites import read_manifest
    from schedgym.problems import get_problem

    spec = get_problem(problem)
    wanted = names_of(solvers, "--solvers") if solvers is not None else None
    limits = None if time_limit is None else set(parse_limits(time_limit))
    seed_set = None if seeds is None else set(parse_seeds(seeds))
    path = _db_path(db, create=False)
    files = output_files(problem, suite, ("--export", csv_path), json_path, md_path, plots)
    check_outputs(files, {"--plots": plots}, {"--db": path})
    with Store(path) as store:
        rows = select_latest(store.rows(problem, suite, wanted), wanted)
        if limits is not None:
            rows = [r for r in rows if r.time_limit in limits]
        if seed_set is not None:
            rows = [r for r in rows if r.seed in seed_set]
        if not rows:
            raise UnknownNameError(f"no stored results for {problem}/{suite} in {path}")
        sessions = store.sessions(r.session for r in rows)
    frozen = read_manifest(spec).get(suite)
    rows = order_rows(rows, frozen.names if frozen is not None else [])
    header = {
        "problem": problem,
        "suite": suite,
        "suite_sha256": None if frozen is None else frozen.sha256,
        "solvers": list(dict.fromkeys(r.solver for r in rows)),
        "configs": {r.solver: r.config for r in rows},
        "time_limits": list(dict.fromkeys(r.time_limit for r in rows)),
        "seeds": sorted({r.seed for r in rows}),
        "database": str(path),
    }
    emit(spec, suite, rows, header, sessions, csv_path, json_path, md_path, plots, [path])


def suites(
    problem: ProblemOpt = "jobshop",
    suite: SuiteArg = None,
) -> None:
    """List the suites of a problem: name, instance count, frozen digest (``-``: not frozen);
    with a SUITE, its instance names, one per line (frozen suites in their frozen order)."""
    from schedgym.leaderboard.suites import read_manifest, suite_listing
    from schedgym.problems import get_problem

    spec = get_problem(problem)
    if suite is not None:
        frozen = read_manifest(spec)
        names = [e.name for e in frozen[suite].instances] if suite in frozen else spec.suite(suite)
        for name in names:
            typer.echo(name)
        return
    for name, count, digest in suite_listing(spec):
        typer.echo(f"{name}\t{count}\t{digest[:16] if digest else '-'}")


def verify(
    problem: ProblemOpt = "jobshop",
    suite: Annotated[str | None, typer.Option("--suite", help="One suite (default: all).")] = None,
) -> None:
    """Recompute the checksums of the frozen suites; exit 1 if any instance changed."""
    from schedgym.leaderboard.suites import frozen_suite, read_manifest
    from schedgym.leaderboard.suites import verify as verify_suite
    from schedgym.problems import get_problem

    spec = get_problem(problem)
    chosen = [frozen_suite(spec, suite)] if suite else list(read_manifest(spec).values())
    problems = [p for s in chosen for p in verify_suite(spec, s)]
    for line in problems:
        typer.echo(f"changed: {line}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{len(chosen)} frozen suites of {problem} verified")


def freeze(
    suite: Annotated[str, typer.Option("--suite", help="Comma-separated suites to freeze.")],
    problem: ProblemOpt = "jobshop",
) -> None:
    """Add suites to the problem's manifest (never changes a suite already frozen)."""
    from schedgym.leaderboard.suites import freeze as freeze_suites
    from schedgym.leaderboard.suites import manifest_path
    from schedgym.problems import get_problem

    spec = get_problem(problem)
    added = freeze_suites(spec, names_of(suite, "--suite"))
    typer.echo(f"froze {', '.join(added) or 'nothing new'} -> {manifest_path(spec)}")


def problems() -> None:
    """List the problems with their metric, headline score and demo suite."""
    from schedgym.problems import get_problem, problem_names

    for name in problem_names():
        spec = get_problem(name)
        typer.echo(
            f"{name}\t{spec.objective_name} ({spec.direction})\t{spec.headline.name}\t"
            f"demo suite {spec.demo.suite}"
        )


COMMANDS: dict[str, Callable[..., None]] = {
    "run": run,
    "show": show,
    "suites": suites,
    "verify": verify,
    "freeze": freeze,
    "problems": problems,
}
