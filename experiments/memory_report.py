"""Memory-mapping report: which solvers fit tight ``pack`` instances, and how fast ``assign`` runs.

Runs memory solvers on the shipped suites (or on freshly generated tight instances), validates
every mapping with the independent validator, and prints markdown tables:

* ``pack`` / ``pack-hard`` (100-400 buffers, total live load peaking exactly at the capacity,
  so the optimum peak is the capacity): per solver, how many mappings fit within the capacity,
  the mean and worst peak / capacity, and the mean wall time;
* ``assign``: per solver, the mean modelled time relative to everything in slow memory and
  relative to the XLA-like greedy (``xla-greedy`` runs whenever ``assign`` is reported), and on
  how many instances it beats the XLA-like greedy.

::

    python -m schedgym.experiments.memory_report  # shipped pack, pack-hard, assign
    python -m schedgym.experiments.memory_report --suites pack --time-limit 5 --csv runs.csv
    python -m schedgym.experiments.memory_report --generate 30 --seed 7
    python -m schedgym.experiments.memory_report --generate 10 --steps 8-12 --solvers minimalloc

Any solver registered under ``schedgym.solvers`` as ``memory.NAME`` can be named in
``--solvers`` (a trained agent too); the built-in baselines are found even before their entry
points are installed. With ``--csv``, every finished run is appended as it ends, and
``--resume`` skips the runs already in the file.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_SOLVERS = ("first-fit", "best-fit", "size-desc", "xla-greedy", "canonical-search", "cpsat")


def _solver(name: str) -> Any:
    from schedgym.core.solver import load_solver

    return load_solver("memory", name)


def tight_set(count: int, seed: int, steps: tuple[int, int] = (1, 4)) -> list[Any]:
    """``count`` fresh tight ``pack`` instances (``--generate``): traces of 90-330 buffers with
    ``steps`` tight steps (drawn in the inclusive range), kept when they have 100-400 buffers in
    all; each one's peak live load is its capacity and a packing of that peak exists (the
    generator's witness), so the optimum is the capacity."""
    import numpy as np

    from schedgym.memory.generator import tight_pack_instance

    rng = np.random.default_rng(seed)
    made: list[Any] = []
    while len(made) < count:
        tight = int(rng.integers(steps[0], steps[1] + 1))
        inst = tight_pack_instance(rng, int(rng.integers(90, 331)), tight_steps=tight)[0]
        if 100 <= inst.num_buffers <= 400:
            made.append(inst)
    return made


def _instances(args: argparse.Namespace) -> dict[str, list[Any]]:
    """Instances by suite label."""
    from schedgym.datasets import memory as shipped

    if args.generate:
        low, _, high = args.steps.partition("-")
        steps = (int(low), int(high or low))
        label = f"generated (seed {args.seed}, {args.steps} tight steps)"
        return {label: tight_set(args.generate, args.seed, steps)}
    return {suite: [shipped.load(n) for n in shipped.suite(suite)] for suite in args.suites}


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else float("nan")


def pack_table(label: str, instances: list[Any], records: list[Any], solvers: list[str]) -> str:
    """Markdown: fits within the capacity and peak / capacity per solver."""
    caps = {inst.name: inst.capacity for inst in instances}
    sizes = [inst.num_buffers for inst in instances]
    lines = [
        f"**{label}**: {len(instances)} instances, {min(sizes)}-{max(sizes)} buffers, "
        "peak live load = capacity (the optimum)",
        "",
        "| solver | fits | mean peak/capacity | worst peak/capacity | failed | mean wall s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for solver in solvers:
        rows = [r for r in records if r.solver == solver and r.instance in caps]
        scored = [r for r in rows if r.objective is not None]
        ratios = [r.objective / caps[r.instance] for r in scored]
        fits = sum(ratio <= 1.0 for ratio in ratios)
        lines.append(
            f"| {solver} | {fits}/{len(instances)} | {_mean(ratios):.4f} | "
            f"{max(ratios, default=float('nan')):.4f} | {len(rows) - len(scored)} | "
            f"{_mean([r.wall_time_s for r in rows]):.3f} |"
        )
    return "\n".join(lines)


def assign_table(label: str, instances: list[Any], records: list[Any], solvers: list[str]) -> str:
    """Markdown: modelled time relative to all-slow and to the XLA-like greedy per solver."""
    from schedgym.memory.cost import CostModel

    slow = {inst.name: CostModel(inst).all_slow_time() for inst in instances}
    xla = {r.instance: r.objective for r in records if r.solver == "xla-greedy"}
    sizes = [inst.num_buffers for inst in instances]
    lines = [
        f"**{label}**: {len(instances)} instances, {min(sizes)}-{max(sizes)} buffers",
        "",
        "| solver | runs | time / all-slow | time / xla-greedy | beats xla-greedy | mean wall s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for solver in solvers:
        rows = [r for r in records if r.solver == solver and r.instance in slow]
        scored = [r for r in rows if r.objective is not None]
        if not scored:
            status = rows[0].status if rows else "not run"
            lines.append(f"| {solver} | 0 ({status}) | - | - | - | - |")
            continue
        vs_slow = [r.objective / slow[r.instance] for r in scored]
        vs_xla = [r.objective / xla[r.instance] for r in scored if xla.get(r.instance)]
        wins = sum(
            r.objective < xla[r.instance] * (1 - 1e-9) for r in scored if xla.get(r.instance)
        )
        lines.append(
            f"| {solver} | {len(scored)} | {_mean(vs_slow):.4f} | {_mean(vs_xla):.4f} | "
            f"{wins}/{len(scored)} | {_mean([r.wall_time_s for r in rows]):.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the report; returns the exit code (1 if some run failed validation)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", nargs="+", default=["pack", "pack-hard", "assign"])
    parser.add_argument("--solvers", default=",".join(DEFAULT_SOLVERS), help="comma-separated")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--workers", type=int, default=1, help="CP-SAT workers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generate", type=int, default=0, help="fresh tight pack instances")
    parser.add_argument("--steps", default="1-4", help="tight steps of --generate, e.g. 8-12")
    parser.add_argument("--csv", type=Path, default=None, help="append one row per run")
    parser.add_argument("--resume", action="store_true", help="skip runs already in --csv")
    args = parser.parse_args(argv)

    from schedgym.core.run import run_one
    from schedgym.core.runlog import CsvLog, read_csv
    from schedgym.core.solver import Budget
    from schedgym.problems import get_problem

    memory = get_problem("memory")

    names = [s.strip() for s in args.solvers.split(",") if s.strip()]
    solvers = {name: _solver(name) for name in dict.fromkeys(names)}
    groups = _instances(args)
    if any(inst.variant == "assign" for insts in groups.values() for inst in insts):
        solvers.setdefault("xla-greedy", _solver("xla-greedy"))
    kept = read_csv(args.csv) if args.resume and args.csv and args.csv.exists() else []
    done = {(r.instance, r.solver) for r in kept}
    log = CsvLog(args.csv, keep=kept) if args.csv else None
    records = list(kept)
    budget = Budget(time_limit_s=args.time_limit, seed=args.seed, workers=args.workers)
    try:
        for insts in groups.values():
            for inst in insts:
                for name, solver in solvers.items():
                    if (inst.name, name) in done:
                        continue
                    record = run_one(memory, inst.name, inst, name, solver, budget)
                    records.append(record)
                    if log is not None:
                        log.write(record)
                    shown = "-" if record.objective is None else f"{record.objective:.6g}"
                    print(
                        f"{inst.name:>14} {name:>16} {record.status:>11} {shown:>12} "
                        f"{record.wall_time_s:7.2f}s",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        if log is not None:
            log.close()
    order = list(solvers)
    for label, insts in groups.items():
        table = assign_table if insts[0].variant == "assign" else pack_table
        print(table(label, insts, records, order) + "\n")
    failed = [r for r in records if r.status == "invalid"]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
