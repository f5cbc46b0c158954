"""Memory ``assign``: the shipped graph agent on generated instances larger than its training.

The shipped ``memory_gnn.pt`` was behaviour-cloned on generated ``assign`` instances of 40-120
buffers (``experiments/configs/memory_bc.yaml``, ``agents/checkpoints/memory_gnn.md``). This
script draws ``--instances`` instances with the problem's own generator
(:class:`schedgym.memory.generator.AssignGenerator`, ``--buffers`` buffers, default 60-120;
``120-360`` is about 3x the training sizes; fast memory 0.2-0.5x the peak live load as in
training), instance
``i`` from seed ``--seed + i``, and runs every solver of ``--solvers`` on each. Every mapping is
validated (:func:`schedgym.core.run.run_one`) before it counts; the objective is the validator's
modelled time. The table gives, per solver, the mean and range of the per-instance ratio of its
modelled time to ``--reference``'s (default ``xla-greedy``), how many instances it is at most
the reference on, and the mean wall time::

    OMP_NUM_THREADS=1 .venv/bin/python -m schedgym.experiments.memory_generalization \\
        --instances 40 --buffers 120-360 --time-limit 1 --csv memory_generalization.csv

``--time-limit`` is the budget of every solve (the sampling agent ``ppo-gnn-sample`` samples
until it is spent; the greedy ones ignore it; ``0``: no limit). ``--set SOLVER.KEY=VALUE`` passes
a solver option (``--set KEY=VALUE``: to every solver; values are YAML, as for ``schedgym
leaderboard -O``), e.g. a fixed number of samples, which does not depend on the machine's speed::

    ... --solvers ppo-gnn-sample --set ppo-gnn-sample.samples=16 --time-limit 0

``--csv`` appends one row per finished run at once; ``--resume`` skips the runs already there.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from schedgym.core.errors import SchedGymError
from schedgym.core.run import RunRecord, run_one
from schedgym.core.runlog import CsvLog, read_csv
from schedgym.core.seeding import make_rng
from schedgym.core.solver import Budget, load_solvers
from schedgym.leaderboard.options import add_set_option, set_options, size_range
from schedgym.memory.generator import AssignGenerator
from schedgym.memory.instance import MemoryInstance
from schedgym.problems import get_problem

MEMORY = get_problem("memory")
TRAINING_BUFFERS = (40, 120)
"""Buffer counts the shipped agent was trained on (``experiments/configs/memory_bc.yaml``)."""


WARM_UP_SEED = 1_000_000
"""Seed of the small instance every solver solves once, untimed, before the runs."""


def instances(count: int, first_seed: int, buffers: tuple[int, int]) -> list[MemoryInstance]:
    """``count`` generated ``assign`` instances, instance ``i`` drawn with seed
    ``first_seed + i`` (names carry a content hash, so they are unique and stable)."""
    generator = AssignGenerator(num_buffers=buffers)
    return [generator.sample(make_rng(first_seed + i)) for i in range(count)]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=40, help="instances (default 40)")
    parser.add_argument("--buffers", type=size_range, default=(120, 360),
                        help="buffers per instance, N or LOW-HIGH (default 120-360)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed of the first instance")
    parser.add_argument("--solvers", default="xla-greedy,ppo-gnn,ppo-gnn-sample",
                        help="comma-separated memory solver names")  # fmt: skip
    parser.add_argument("--reference", default="xla-greedy", help="solver the ratios divide by")
    parser.add_argument("--time-limit", type=float, default=1.0,
                        help="seconds per solve (default 1; 0: no limit)")  # fmt: skip
    add_set_option(parser, "cpsat.workers=2")
    parser.add_argument("--csv", type=Path, default=None, help="append finished runs here")
    parser.add_argument("--resume", action="store_true", help="skip runs already in --csv")
    args = parser.parse_args(argv)
    if args.instances < 1 or args.time_limit < 0:
        parser.error("--instances must be >= 1 and --time-limit >= 0")
    args.solver_names = [s.strip() for s in args.solvers.split(",") if s.strip()]
    if args.reference not in args.solver_names:
        args.solver_names.insert(0, args.reference)
    args.options = set_options(parser, args.set, args.solver_names)  # each solver's, by name
    if args.resume and args.csv is None:
        parser.error("--resume needs --csv")
    return args


def run(args: argparse.Namespace) -> tuple[list[RunRecord], dict[str, int]]:
    """Every (instance, solver) run not already in the CSV; returns all records and the
    buffer count of every instance, by name."""
    solvers: list[str] = args.solver_names
    loaded = {  # unknown names and options a solver does not take fail before any work
        name: load_solvers("memory", [name], args.options[name])[name] for name in solvers
    }
    limit = args.time_limit or None
    warm = AssignGenerator(num_buffers=10).sample(make_rng(WARM_UP_SEED))
    for solver in loaded.values():  # checkpoints and compiled kernels loaded before timing
        solver.solve(warm, Budget(time_limit_s=0.2 if limit else None, seed=0))
    drawn = instances(args.instances, args.seed, args.buffers)
    names = {inst.name for inst in drawn}
    kept: list[RunRecord] = []
    if args.resume and args.csv.exists():
        kept = [r for r in read_csv(args.csv) if r.instance in names]
    done = {(r.instance, r.solver) for r in kept}
    records = list(kept)
    log = CsvLog(args.csv, kept) if args.csv is not None else None
    try:
        for i, inst in enumerate(drawn):
            budget = Budget(time_limit_s=limit, seed=args.seed + i)
            for name in solvers:
                if (inst.name, name) in done:
                    continue
                record = run_one(MEMORY, inst.name, inst, name, loaded[name], budget)
                records.append(record)
                if log is not None:
                    log.write(record)
                shown = "-" if record.objective is None else f"{record.objective:.6g}"
                samples = record.info.get("samples")
                extra = "" if samples is None else f", {samples} samples"
                print(
                    f"[{i + 1}/{len(drawn)}] {inst.name} ({inst.num_buffers} buffers) {name}: "
                    f"{shown} ({record.status}), {record.wall_time_s:.3f} s{extra}",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        if log is not None:
            log.close()
    return records, {inst.name: inst.num_buffers for inst in drawn}


def summary(records: Sequence[RunRecord], reference: str) -> list[list[str]]:
    """Rows: solver, instances scored / run, mean ratio to ``reference`` (std), min, max,
    instances at most and strictly below the reference, mean s. Only instances where both have
    a validated objective count."""
    ref = {r.instance: r.objective for r in records if r.solver == reference and r.objective}
    rows = []
    for solver in dict.fromkeys(r.solver for r in records):
        mine = [r for r in records if r.solver == solver]
        ratios = [
            float(r.objective) / float(ref[r.instance])
            for r in mine
            if r.objective is not None and ref.get(r.instance)
        ]
        wins = sum(x <= 1.0 + 1e-12 for x in ratios)
        strict = sum(x < 1.0 - 1e-12 for x in ratios)
        rows.append(
            [
                solver,
                f"{len(ratios)}/{len(mine)}",
                f"{statistics.fmean(ratios):.4f}" if ratios else "-",
                f"{statistics.stdev(ratios):.4f}" if len(ratios) > 1 else "-",
                f"{min(ratios):.4f}" if ratios else "-",
                f"{max(ratios):.4f}" if ratios else "-",
                f"{wins}/{len(ratios)}",
                f"{strict}/{len(ratios)}",
                f"{statistics.fmean(r.wall_time_s for r in mine):.3f}",
            ]
        )
    return rows


def markdown(rows: list[list[str]], header: list[str]) -> str:
    """A plain Markdown table."""
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    try:
        records, sizes = run(args)
    except SchedGymError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished runs are kept in --csv (rerun with --resume)", file=sys.stderr)
        return 130
    played = [r for r in records if r.instance in sizes]
    counts = list(sizes.values())
    ref = args.reference
    given = {name: options for name, options in args.options.items() if options}
    print(
        f"{len(sizes)} generated assign instances of {min(counts)}-{max(counts)} buffers "
        f"(mean {statistics.fmean(counts):.1f}; training: {TRAINING_BUFFERS[0]}-"
        f"{TRAINING_BUFFERS[1]}), "
        + (f"{args.time_limit:g} s per solve" if args.time_limit else "no time limit")
        + (f", options {given}" if given else "")
        + "\n"
    )
    header = ["solver", "instances", f"time / {ref}", "std", "min", "max"]
    header += [f"<= {ref}", f"< {ref}", "mean s"]
    print(markdown(summary(played, ref), header))
    failed = [r for r in played if r.objective is None or not math.isfinite(r.objective)]
    for r in failed:
        print(f"not scored: {r.instance} {r.solver}: {r.status} {r.message}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
