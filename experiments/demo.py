"""The demo behind ``make demo``: the leaderboard on the small default suite of every problem,
with the shipped checkpoints and the baselines.

For each problem of the registry (:mod:`schedgym.problems`) it runs the problem's demo solvers
on its demo suite (job shop: the seven dispatching rules,
the trained agents when their checkpoint exists, and CP-SAT, on ft06, la01-la05 and ta01-ta02)
under each demo time budget, every schedule validated, and prints the leaderboard tables. Into
``--out`` (default ``demo_out/``) it writes the results database, per problem a per-instance
CSV, a summary JSON (machine, library versions, git commit), the plots (score versus time
budget, per-size-group bars) and the Gantt chart of the best schedule of the suite's first
instance::

    python -m schedgym.experiments.demo [--out demo_out] [--workers 1] [--problems jobshop,...]
        [--solvers spt,cpsat,...] [--time-limits 0.5,2] [--resume]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any


def _loadable(problem: str, names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The demo solvers that load, and one note per solver that does not (e.g. no checkpoint)."""
    from schedgym.leaderboard.worker import get_solver

    ok, notes = [], []
    for name in names:
        try:
            get_solver(problem, name, {}, 1)
        except Exception as exc:  # an optional solver (agent without checkpoint) is skipped
            notes.append(f"{name} skipped: {' '.join(str(exc).split())[:160]}")
        else:
            ok.append(name)
    return ok, notes


def _gantt(problem: str, rows: list[Any], out: Path) -> tuple[Path, str] | None:
    """Draw the best validated schedule of the suite's first instance (re-solved with the same
    solver, seed and budget; when a time-limited re-solve finds nothing this time, e.g. CP-SAT
    at 0.05 s on a busy machine, the next best row's solver); returns the file and a
    description."""
    from schedgym.core.run import run_one
    from schedgym.core.solver import Budget
    from schedgym.leaderboard.worker import get_solver
    from schedgym.problems import get_problem

    if not rows:
        return None
    first = rows[0].instance
    spec = get_problem(problem)
    sign = 1.0 if spec.direction == "min" else -1.0
    scored = [r for r in rows if r.instance == first and r.objective is not None]
    if not scored:
        return None
    instance = spec.load(first)
    for best in sorted(scored, key=lambda r: sign * r.objective):
        solver = get_solver(problem, best.solver, {}, 1)
        budget = Budget(time_limit_s=best.time_limit, seed=best.seed)
        record = run_one(spec, first, instance, best.solver, solver, budget)
        if record.schedule is not None:
            path = out / f"gantt_{problem}_{first}.png"
            spec.render(instance, record.schedule, path, "png")
            return path, f"{best.solver}, {spec.objective_name} {record.objective:g}"
    return None


def _run_problem(problem: str, args: argparse.Namespace, db: Path) -> tuple[int, int]:
    from schedgym.leaderboard import cli, report
    from schedgym.leaderboard.environment import environment
    from schedgym.leaderboard.harness import make_plan, run_leaderboard
    from schedgym.leaderboard.store import Store
    from schedgym.problems import get_problem

    spec = get_problem(problem)
    wanted = set(args.solvers.split(",")) if args.solvers else None
    chosen = tuple(s for s in spec.demo.solvers if wanted is None or s in wanted)
    solvers, notes = _loadable(problem, chosen)
    limits = args.time_limits or list(spec.demo.time_limits)
    print(
        f"\n## {problem}: {', '.join(solvers)} on suite {spec.demo.suite}, "
        f"time budgets {', '.join(map(report.fmt_limit, limits))}",
        flush=True,
    )
    for note in notes:
        print(f"  ({note})")
    plan = make_plan(problem, spec.demo.suite, solvers, time_limits=limits)
    bar = cli.ProgressBar()
    try:
        outcome = run_leaderboard(
            plan,
            db,
            workers=args.workers,
            progress=bar,
            environment=environment(),
            command=" ".join(sys.argv),
        )
    finally:
        bar.stop()
    header = {
        "problem": problem,
        "suite": spec.demo.suite,
        "suite_sha256": plan.suite.sha256,
        "solvers": solvers,
        "configs": dict(plan.configs),
        "time_limits": limits,
    }
    with Store(db) as store:
        sessions = store.sessions(r.session for r in outcome.rows)
    stem = args.out / f"{problem}_{spec.demo.suite}"
    cli.emit(
        spec,
        spec.demo.suite,
        outcome.rows,
        header,
        sessions,
        stem.with_suffix(".csv"),
        stem.with_suffix(".json"),
        stem.with_suffix(".md"),
        args.out,
    )
    gantt = _gantt(problem, outcome.rows, args.out)
    if gantt is not None:
        print(f"best schedule of {outcome.rows[0].instance} ({gantt[1]}) -> {gantt[0]}")
    broken = sum(r.status in ("invalid", "error") for r in outcome.rows)
    return broken, len(outcome.rows)


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns 1 if a schedule failed validation or a solver crashed (a solver
    that finds nothing within its budget is a failed run in the tables, not an error)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo_out"), help="output folder")
    parser.add_argument("--workers", type=int, default=1, help="parallel processes")
    parser.add_argument("--problems", default=None, help="comma-separated (default: all)")
    parser.add_argument("--time-limits", default=None, help="budgets, e.g. 0.5,2 (s)")
    parser.add_argument("--solvers", default=None, help="only these of the demo solvers")
    parser.add_argument("--resume", action="store_true", help="keep the previous demo's rows")
    args = parser.parse_args(argv)

    from schedgym.leaderboard.cli import parse_limits
    from schedgym.problems import problem_names

    args.time_limits = parse_limits(args.time_limits) if args.time_limits else None
    args.out.mkdir(parents=True, exist_ok=True)
    db = args.out / "leaderboard.sqlite"
    if not args.resume:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    problems = args.problems.split(",") if args.problems else problem_names()
    start = time.perf_counter()
    print(f"schedgym demo: the leaderboard on {', '.join(problems)}; every schedule validated")
    broken = total = 0
    for problem in problems:
        b, n = _run_problem(problem, args, db)
        broken, total = broken + b, total + n
    print(
        f"\n{total} runs, {broken} invalid or crashed, {time.perf_counter() - start:.1f} s; "
        f"outputs in {args.out}/"
    )
    return 1 if broken or total == 0 else 0


if __name__ == "__main__":
    raise SystemExit(main())
