"""Rebuild ``schedgym/datasets/socdag/references.csv``: CP-SAT optima (or bounds) of every
shipped SoC-DAG instance, with HEFT's makespan beside them.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/socdag_references.py --time-limit 60

Columns: ``name,tasks,pes,optimum,lower_bound,upper_bound,heft``. ``optimum`` is filled when
CP-SAT proved it; otherwise ``lower_bound`` is CP-SAT's bound and ``upper_bound`` its best
makespan. Every schedule is checked by the validator before its makespan is written.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from schedgym.baselines.socdag.cpsat import SoCDAGCPSAT
from schedgym.baselines.socdag.listsched import HEFT
from schedgym.core.solver import Budget
from schedgym.datasets import socdag as shipped
from schedgym.socdag.validate import validate_schedule

TARGET = Path(shipped.__file__).resolve().parent / "references.csv"
COLUMNS = ("name", "tasks", "pes", "optimum", "lower_bound", "upper_bound", "heft")


def _cell(value: float | None) -> str:
    return "" if value is None else f"{round(value, 6):g}"


def main(argv: list[str] | None = None) -> int:
    """Solve every shipped instance and write the CSV (to ``--out``, default the dataset)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--workers", type=int, default=1, help="CP-SAT workers")
    parser.add_argument("--out", type=Path, default=TARGET, help="CSV to write")
    args = parser.parse_args(argv)
    rows = []
    for name in shipped.instance_names():
        instance = shipped.load(name)
        result = SoCDAGCPSAT(workers=args.workers).solve(
            instance, Budget(time_limit_s=args.time_limit, workers=args.workers)
        )
        if result.schedule is None:
            print(f"{name}: no schedule ({result.status})", file=sys.stderr)
            return 1
        makespan = validate_schedule(instance, result.schedule)
        heft = validate_schedule(instance, HEFT().schedule(instance))
        optimal = result.status == "optimal"
        rows.append(
            {
                "name": name,
                "tasks": instance.num_tasks,
                "pes": instance.num_pes,
                "optimum": _cell(makespan if optimal else None),
                "lower_bound": _cell(None if optimal else result.bound),
                "upper_bound": _cell(None if optimal else makespan),
                "heft": _cell(heft),
            }
        )
        print(f"{name}: {result.status} {makespan:g} (bound {result.bound}), HEFT {heft:g}, "
              f"{result.wall_time_s:.2f} s")  # fmt: skip
    with args.out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
