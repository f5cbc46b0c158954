"""Job-shop solvers on generated instances of shapes the benchmarks lack (few machines).

Taillard and DMU start at 15 x 15; this draws seeded Taillard-style instances
(:func:`schedgym.jobshop.generator.taillard_instance`, durations 1-99) of small shapes such as
6 x 5 ... 15 x 6, solves each with CP-SAT for a reference (proven optimal on most at these
sizes), runs any registered job-shop solvers under any construction, validates every schedule and
prints the mean gap (%) to the reference per shape::

    python -m schedgym.experiments.jobshop_shapes --solvers mwkr,fdd-mwkr,ppo-gnn
    python -m schedgym.experiments.jobshop_shapes --sizes 6x5,15x6 --count 20 --csv shapes.csv
    python -m schedgym.experiments.jobshop_shapes --solvers fdd-mwkr --construction active
    python -m schedgym.experiments.jobshop_shapes --set ppo-gnn.checkpoint=runs/x/best.pt

Instance ``i`` of shape ``J x M`` uses seed ``1000 * J + 10 * M + i`` (plus ``--seed``), so rows
are reproducible; the reference is CP-SAT with ``--reference-s`` seconds and one worker.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from schedgym.core.solver import Budget, load_solver
from schedgym.jobshop.generator import taillard_instance
from schedgym.jobshop.schedule import Conditions
from schedgym.jobshop.validate import validate_schedule
from schedgym.leaderboard.options import add_set_option, set_options

DEFAULT_SIZES = "6x5,8x5,10x5,12x6,15x6"


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """``"6x5,15x6"`` -> ``[(6, 5), (15, 6)]``."""
    sizes = []
    for part in text.split(","):
        jobs, _, machines = part.strip().partition("x")
        if not jobs.isdigit() or not machines.isdigit():
            raise SystemExit(f"--sizes: {part!r} is not JOBSxMACHINES")
        sizes.append((int(jobs), int(machines)))
    return sizes


def construction_of(solver: Any) -> str:
    """The construction a solver builds its schedules with: its env options' (rules, agents:
    an agent plays under the one its checkpoint was trained with), its own option (tabu), else
    the env's default, non-delay."""
    options = getattr(solver, "env_options", None)
    if isinstance(options, dict) and "construction" in options:
        return str(options["construction"])
    return str(getattr(solver, "construction", "non-delay"))


def run(
    sizes: Sequence[tuple[int, int]],
    count: int,
    solvers: Sequence[str],
    construction: str,
    reference_s: float,
    seed: int = 0,
    options: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, object]]:
    """One row per (instance, solver): makespan, CP-SAT reference and its status, gap (%);
    ``options`` per solver (e.g. ``{"ppo-gnn": {"checkpoint": ...}}``)."""
    cpsat = load_solver("jobshop", "cpsat")
    built = {} if construction == "non-delay" else {"construction": construction}
    loaded = {  # a solver's own option wins over --construction
        name: load_solver(
            "jobshop",
            name,
            **{**({} if name.startswith("cpsat") else built), **(options or {}).get(name, {})},
        )
        for name in solvers
    }
    rows: list[dict[str, object]] = []
    for jobs, machines in sizes:
        for i in range(count):
            instance = taillard_instance(
                jobs, machines, seed=seed + 1000 * jobs + 10 * machines + i
            )
            ref = cpsat.solve(instance, Budget(time_limit_s=reference_s, seed=0))
            assert ref.schedule is not None and ref.objective is not None
            reference = validate_schedule(instance, ref.schedule, Conditions())
            for name, solver in loaded.items():
                result = solver.solve(instance, Budget(seed=0))
                if result.schedule is None:
                    raise SystemExit(f"{name} found no schedule for {instance.name}")
                makespan = validate_schedule(instance, result.schedule, Conditions())
                rows.append(
                    {
                        "shape": f"{jobs}x{machines}",
                        "instance": i,
                        "solver": name,
                        "construction": construction_of(solver),
                        "makespan": makespan,
                        "reference": reference,
                        "reference_status": ref.status,
                        "gap_pct": round(100.0 * (makespan - reference) / reference, 3),
                    }
                )
    return rows


def table(rows: Sequence[dict[str, object]]) -> str:
    """Markdown: mean gap (%) per shape (columns) and solver (rows), and the overall mean."""
    shapes = list(dict.fromkeys(str(r["shape"]) for r in rows))
    solvers = list(dict.fromkeys(str(r["solver"]) for r in rows))
    lines = ["| solver | " + " | ".join(shapes) + " | all |", "|---|" + "---:|" * (len(shapes) + 1)]
    for solver in solvers:
        mine = [r for r in rows if r["solver"] == solver]
        cells = [
            np.mean([float(str(r["gap_pct"])) for r in mine if r["shape"] == shape])
            for shape in shapes
        ]
        overall = np.mean([float(str(r["gap_pct"])) for r in mine])
        lines.append(
            f"| `{solver}` | " + " | ".join(f"{c:.2f}" for c in cells) + f" | {overall:.2f} |"
        )
    optimal = sum(
        1 for r in rows if r["solver"] == solvers[0] and r["reference_status"] == "optimal"
    )
    count = sum(1 for r in rows if r["solver"] == solvers[0])
    lines.append(f"\nReference: CP-SAT, proven optimal on {optimal} of {count} instances.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="JOBSxMACHINES list")
    parser.add_argument("--count", type=int, default=20, help="instances per shape")
    parser.add_argument("--solvers", default="mwkr,fdd-mwkr,ppo-gnn")
    parser.add_argument("--construction", default="non-delay", choices=("non-delay", "active"))
    parser.add_argument("--reference-s", type=float, default=10.0, help="CP-SAT seconds")
    parser.add_argument("--seed", type=int, default=0, help="added to every instance seed")
    parser.add_argument("--csv", type=Path, help="also write the rows here")
    add_set_option(parser, "ppo-gnn.checkpoint=runs/x/best.pt")
    args = parser.parse_args(argv)
    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    options = set_options(parser, args.set, solvers)
    rows = run(
        parse_sizes(args.sizes),
        args.count,
        solvers,
        args.construction,
        args.reference_s,
        args.seed,
        options,
    )
    if args.csv is not None:
        with args.csv.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
