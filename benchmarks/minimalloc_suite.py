#!/usr/bin/env python
"""``memory.minimalloc`` on MiniMalloc's eleven "challenging" benchmarks (A..K).

Reads ``schedgym/datasets/memory/minimalloc/X.1048576.csv``, solves each with one thread and
the given time limit, validates the layout, and prints per instance: buffers, whether it fits
within the capacity, the peak, the seconds and the search nodes. With ``--perfect N`` it also
solves ``N`` generated perfect packings (optimum = capacity) of ``--buffers`` buffers, with
``--tight N`` ``N`` generated tight traces (optimum = capacity, ``--steps`` tight steps, 150-400
buffers, seed 7), and with ``--shipped pack,pack-hard`` the shipped memory suites.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/minimalloc_suite.py --time-limit 10
    .venv/bin/python benchmarks/minimalloc_suite.py --only A,B --perfect 10 --buffers 200
    .venv/bin/python benchmarks/minimalloc_suite.py --only "" --shipped pack,pack-hard --tight 10
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from schedgym.baselines.memory.minimalloc import MiniMallocSolver, compile_kernels, perfect_packing
from schedgym.core.solver import Budget
from schedgym.datasets import memory as shipped
from schedgym.memory.formats import read_csv
from schedgym.memory.generator import tight_pack_instance
from schedgym.memory.instance import MemoryInstance
from schedgym.memory.validate import validate_mapping

DATA = Path(__file__).resolve().parents[1] / "schedgym" / "datasets" / "memory" / "minimalloc"


def run(solver: MiniMallocSolver, instance: MemoryInstance, limit: float) -> tuple[bool, float]:
    """Solve, validate and print one line; return (fits, seconds)."""
    start = time.perf_counter()
    result = solver.solve(instance, Budget(time_limit_s=limit))
    seconds = time.perf_counter() - start
    assert result.schedule is not None
    report = validate_mapping(instance, result.schedule)
    print(
        f"{instance.name:>16} {instance.num_buffers:>7} {report.fits!s:>5} {report.peak:>9} "
        f"{seconds:>8.2f} {result.info['nodes']:>10} {result.status}",
        flush=True,
    )
    return report.fits, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--only", default="ABCDEFGHIJK", help="instances, e.g. A,B or ABC")
    parser.add_argument("--perfect", type=int, default=0, help="generated perfect packings")
    parser.add_argument("--buffers", type=int, default=200)
    parser.add_argument("--tight", type=int, default=0, help="generated tight traces")
    parser.add_argument("--steps", default="1-4", help="tight steps of --tight, e.g. 8-12")
    parser.add_argument("--shipped", default="", help="shipped suites, e.g. pack,pack-hard")
    args = parser.parse_args()
    solver = MiniMallocSolver()
    compile_kernels()  # outside the clock
    print(f"{'instance':>16} {'buffers':>7} {'fits':>5} {'peak':>9} {'seconds':>8} {'nodes':>10}")
    fitted = 0
    names = [c for c in args.only if c.isalpha()]
    for name in names:
        fits, _ = run(solver, read_csv(DATA / f"{name}.1048576.csv"), args.time_limit)
        fitted += fits
    print(f"challenging: {fitted}/{len(names)} fit")
    if args.perfect:
        fitted = 0
        for seed in range(args.perfect):
            fits, _ = run(solver, perfect_packing(args.buffers, seed), args.time_limit)
            fitted += fits
        print(f"perfect packings: {fitted}/{args.perfect} fit")
    if args.tight:
        low, high = (int(x) for x in args.steps.split("-"))
        rng, fitted = np.random.default_rng(7), 0
        for _ in range(args.tight):
            n, steps = int(rng.integers(150, 400)), int(rng.integers(low, high + 1))
            fits, _ = run(
                solver, tight_pack_instance(rng, n, tight_steps=steps)[0], args.time_limit
            )
            fitted += fits
        print(f"tight traces ({args.steps} steps): {fitted}/{args.tight} fit")
    for suite in filter(None, args.shipped.split(",")):
        names = shipped.suite(suite)
        fitted = sum(run(solver, shipped.load(n), args.time_limit)[0] for n in names)
        print(f"{suite}: {fitted}/{len(names)} fit")


if __name__ == "__main__":
    main()
