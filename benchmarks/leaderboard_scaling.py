"""Leaderboard scaling: wall time of one sweep with 1 and 2 local workers (and Ray if installed).

Each configuration runs the same plan into a fresh database (pool or Ray start-up included) and
the script prints the speed-up over one local worker. Default: four dispatching rules on all of
Taillard (80 instances up to 100x20, 320 runs), CPU-bound work, so the ideal speed-up is the
number of free cores. Budget-bound work (CP-SAT with ``--time-limit``) scales the same way::

    OMP_NUM_THREADS=1 python benchmarks/leaderboard_scaling.py [--suite ta]
        [--solvers mwkr,fdd-mwkr,mopnr,spt] [--time-limit S] [--workers 1,2] [--no-ray]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Run the sweeps and print a table."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--problem", default="jobshop")
    parser.add_argument("--suite", default="ta")
    parser.add_argument("--solvers", default="mwkr,fdd-mwkr,mopnr,spt")
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--workers", default="1,2", help="local worker counts")
    parser.add_argument("--no-ray", action="store_true", help="skip Ray even when installed")
    args = parser.parse_args(argv)

    from schedgym.leaderboard.harness import Backend, make_plan, run_leaderboard

    plan = make_plan(
        args.problem, args.suite, args.solvers.split(","), time_limits=[args.time_limit]
    )
    budget = "no" if args.time_limit is None else f"{args.time_limit:g} s"
    counts = [int(w) for w in args.workers.split(",")]
    configs: list[tuple[Backend, int]] = [("local", w) for w in counts]
    if not args.no_ray and importlib.util.find_spec("ray") is not None:
        configs += [("ray", w) for w in counts]
    print(
        f"{args.problem}/{args.suite}: {len(plan.runs())} runs ({args.solvers}, "
        f"{budget} budget), {os.cpu_count()} logical cores"
    )
    print(
        "| backend | workers | runs | wall s | runs/s | speed-up |\n|---|---:|---:|---:|---:|---:|"
    )
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        for k, (backend, workers) in enumerate(configs):
            db = Path(tmp) / f"run{k}.sqlite"
            start = time.perf_counter()
            outcome = run_leaderboard(plan, db, backend=backend, workers=workers)
            wall = time.perf_counter() - start
            base = wall if base is None else base
            print(
                f"| {backend} | {workers} | {outcome.new} | {wall:.2f} | "
                f"{outcome.new / wall:.2f} | {base / wall:.2f}x |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
