"""The demo behind ``make demo``: classical job-shop baselines on small classic instances.

Runs the seven dispatching rules and CP-SAT (2 s per instance) on the ``ft`` suite and on
``la-10x5`` (la01-la05), validates every schedule, prints the per-instance and per-size-group
tables of ``schedgym evaluate``, and writes ``demo_out/gantt_ft06.png``: the Gantt chart of the best
validated schedule found for ft06 (also drawn in the terminal)::

    python -m experiments.demo [--out demo_out] [--time-limit 2]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

SUITES = ("ft", "la-10x5")
SOLVERS = ("spt", "lpt", "mwkr", "mopnr", "fifo", "fdd-mwkr", "random", "cpsat")


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns the exit code (1 if a run failed validation or found nothing)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo_out"), help="output folder")
    parser.add_argument("--time-limit", type=float, default=2.0, help="CP-SAT seconds per instance")
    args = parser.parse_args(argv)

    from rich.console import Console
    from rich.text import Text

    from schedgym.core.report import records_table, summarise, summary_tables
    from schedgym.core.solver import Budget
    from schedgym.jobshop.evaluation import ADAPTER, best_schedule, evaluate_suite
    from schedgym.jobshop.gantt import gantt_ansi, save_gantt

    console = Console()
    names = [name for suite in SUITES for name in ADAPTER.suite(suite)]
    budget = Budget(time_limit_s=args.time_limit, seed=0, workers=1)
    console.print(
        f"[bold]schedgym demo[/bold]: {len(SOLVERS)} solvers on {len(names)} instances "
        f"({', '.join(SUITES)}), CP-SAT limit {args.time_limit:g} s; every schedule validated"
    )
    with console.status("solving...") as status:
        records = evaluate_suite(
            names,
            SOLVERS,
            budget,
            before=lambda name, solver: status.update(f"solving {name} with {solver}..."),
        )
    console.print(records_table(records, ADAPTER.objective_name))
    for table in summary_tables(summarise(records)):
        console.print(table)

    best = best_schedule(records, "ft06")
    if best is not None:
        instance = ADAPTER.load_instance("ft06")
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "gantt_ft06.png"
        save_gantt(instance, best.schedule, path)
        width = max(40, min(90, console.width - 12))
        chart = Text.from_ansi(gantt_ansi(instance, best.schedule, width=width, color=True))
        console.print(chart, soft_wrap=True)
        console.print(f"best ft06 schedule ({best.solver}, makespan {best.objective:g}) -> {path}")
    failed = [r for r in records if not r.scored]
    for record in failed:
        console.print(f"[red]failed[/red] {record.instance} {record.solver}: {record.message}")
    return 1 if failed or best is None else 0


if __name__ == "__main__":
    raise SystemExit(main())
