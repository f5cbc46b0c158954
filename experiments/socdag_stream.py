"""Stream mode on the DS3 profile: average job latency per scheduler at several injection rates.

    OMP_NUM_THREADS=1 .venv/bin/python experiments/socdag_stream.py \\
        --rates 5,20,40 --jobs 500 --seeds 5 --csv socdag_stream.csv

For every injection rate (jobs per millisecond; the mean inter-arrival time is ``1000 / rate``
microseconds), every scheduler and every seed, one stream episode of ``--jobs`` jobs drawn from
the DS3 application mix (WiFi TX/RX, range detection, single-carrier TX/RX, temporal mitigation,
uniform weights) runs on the ``ds3-soc`` platform with at most ``--max-in-flight`` jobs in the
system. All schedulers see the same jobs, arrivals and noise for a given seed. Every trace is
validated (:func:`schedgym.socdag.validate.stream_metrics`) before it counts.

Printed per (rate, scheduler): mean and standard deviation over seeds of the average job
latency (us; completion of the job's tail task minus its injection), the mean wait before
injection (us; jobs that arrived while the cap was reached), energy per job (uJ) and the
energy-delay product (energy per job x average latency, printed in nJ x s = 1000 uJ x us).
``--csv`` appends one row per episode as it finishes; rerun with ``--resume`` to skip finished
episodes after an interruption.

Schedulers are socdag solver names: ``met``, ``etf``, ``heft-rt``, ``random`` (built in),
``ppo-gnn`` (the shipped stream-trained graph agent, ``agents/checkpoints/socdag_stream_gnn.pt``,
or ``--checkpoint`` (e.g. the static agent ``socdag_gnn.pt``), acting greedily in the env's
``mode="stream"``: see :data:`AGENTS`), or any name registered
in the ``schedgym.solvers`` entry-point group that accepts a stream config. When ``heft-rt`` is
among them a second table gives each scheduler's latency, energy and EDP over HEFT-RT's (ratio of
the means over seeds).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

COLUMNS = (
    "rate",
    "scheduler",
    "seed",
    "avg_latency",
    "avg_wait",
    "energy_per_job",
    "edp",
    "wall_s",
)


REFERENCE = "heft-rt"
AGENTS = ("ppo-gnn",)
"""Scheduler names that take ``--checkpoint``: the registered ``socdag.ppo-gnn`` solver plays a
``StreamConfig`` as one greedy episode of the env's ``mode="stream"``, with the shipped stream
agent ``socdag_stream_gnn.pt`` unless a checkpoint is named (e.g. the static agent
``socdag_gnn.pt``), and returns the validated stream metrics in ``info["metrics"]``."""


def make_solver(name: str, checkpoint: str | Path | None = None) -> Any:
    """A stream scheduler by name: built-in runtime ones, then the registry (the agent with
    ``checkpoint`` when given)."""
    from schedgym.baselines.socdag.runtime import RUNTIME
    from schedgym.core.solver import load_solver

    if name in RUNTIME:
        return RUNTIME[name]()
    if name in AGENTS and checkpoint is not None:
        return load_solver("socdag", name, checkpoint=checkpoint)
    return load_solver("socdag", name)


def _floats(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description="Average job latency per scheduler on the DS3 stream, at several rates."
    )
    parser.add_argument("--rates", type=_floats, default=[5.0, 20.0, 40.0],
                        help="injection rates in jobs per ms (default 5,20,40)")  # fmt: skip
    parser.add_argument("--schedulers", "--solvers", default="met,etf,heft-rt,random",
                        help="comma-separated socdag solver names (ppo-gnn: agent)")  # fmt: skip
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="ppo-gnn checkpoint (default: the shipped stream agent)")  # fmt: skip
    parser.add_argument("--jobs", type=int, default=500, help="jobs per episode")
    parser.add_argument("--seeds", type=int, default=5, help="episodes per (rate, scheduler)")
    parser.add_argument("--max-in-flight", type=int, default=8, help="cap on jobs in the system")
    parser.add_argument("--noise", type=float, default=0.0,
                        help="execution-time noise: standard deviation / mean")  # fmt: skip
    parser.add_argument("--platform", default="ds3-soc", help="shipped platform name")
    parser.add_argument("--apps", default=None,
                        help="comma-separated application names (default: DS3 mix)")  # fmt: skip
    parser.add_argument("--csv", type=Path, default=None, help="append one row per episode")
    parser.add_argument("--resume", action="store_true", help="skip episodes already in --csv")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.seeds < 1 or not args.rates or min(args.rates) <= 0:
        parser.error("--jobs and --seeds must be >= 1 and every rate > 0")
    if args.resume and args.csv is None:
        parser.error("--resume needs --csv")
    return args


def _done(path: Path | None) -> dict[tuple[float, str, int], dict[str, str]]:
    if path is None or not path.exists():
        return {}
    with path.open(newline="") as fh:
        return {(float(r["rate"]), r["scheduler"], int(r["seed"])): r for r in csv.DictReader(fh)}


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run every episode (skipping finished ones on resume); returns all rows."""
    from schedgym.core.solver import Budget
    from schedgym.socdag.env import stream_config

    names = [s.strip() for s in args.schedulers.split(",") if s.strip()]
    # unknown names and bad checkpoints fail before any work
    solvers = {name: make_solver(name, args.checkpoint) for name in names}
    apps = args.apps.split(",") if args.apps else None
    previous = _done(args.csv) if args.resume else {}
    rows: list[dict[str, Any]] = list(previous.values())
    fh = None
    writer = None
    if args.csv is not None:
        fresh = not (args.resume and args.csv.exists())
        fh = args.csv.open("w" if fresh else "a", newline="")
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        if fresh:
            writer.writeheader()
    try:
        for rate in args.rates:
            config = stream_config(
                args.platform, apps, arrival_mean=1000.0 / rate, max_in_flight=args.max_in_flight,
                num_jobs=args.jobs, exec_noise=args.noise,
            )  # fmt: skip
            for name, solver in solvers.items():
                for seed in range(args.seeds):
                    if (rate, name, seed) in previous:
                        continue
                    result = solver.solve(config, Budget(seed=seed))
                    m = result.info["metrics"]
                    row = {
                        "rate": rate, "scheduler": name, "seed": seed,
                        "avg_latency": m.avg_latency, "avg_wait": m.avg_wait,
                        "energy_per_job": m.energy / m.jobs, "edp": m.edp,
                        "wall_s": round(result.wall_time_s, 4),
                    }  # fmt: skip
                    rows.append(row)
                    if writer is not None and fh is not None:
                        writer.writerow(row)
                        fh.flush()
                    print(f"rate {rate:g}/ms {name} seed {seed}: avg latency "
                          f"{m.avg_latency:.1f} us", file=sys.stderr)  # fmt: skip
    finally:
        if fh is not None:
            fh.close()
    return rows


def _mean_std(values: list[float]) -> str:
    mean = math.fsum(values) / len(values)
    if len(values) < 2:
        return f"{mean:.1f}"
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return f"{mean:.1f} ± {std:.1f}"


def table(rows: list[dict[str, Any]]) -> str:
    """A markdown table: one line per (rate, scheduler), means over seeds."""
    lines = [
        "| rate (jobs/ms) | scheduler | avg job latency (us) | wait before injection (us) "
        "| energy / job (uJ) | EDP (nJ x s) | episodes |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    groups: dict[tuple[float, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((float(row["rate"]), str(row["scheduler"])), []).append(row)
    for (rate, name), group in groups.items():

        def col(key: str, group: list[dict[str, Any]] = group) -> list[float]:
            return [float(r[key]) for r in group]

        lines.append(
            f"| {rate:g} | {name} | {_mean_std(col('avg_latency'))} | "
            f"{_mean_std(col('avg_wait'))} | {_mean_std(col('energy_per_job'))} | "
            f"{_mean_std([v / 1000 for v in col('edp')])} | {len(group)} |"
        )
    return "\n".join(lines)


def ratio_table(rows: list[dict[str, Any]], reference: str = REFERENCE) -> str:
    """A markdown table of each scheduler's means over ``reference``'s, per rate, on the seeds
    both ran ("" when ``reference`` has no rows): latency, energy per job, EDP, and the seeds on
    which the scheduler's latency is at most the reference's."""
    by_key = {(float(r["rate"]), str(r["scheduler"]), int(r["seed"])): r for r in rows}
    if not any(name == reference for _, name, _ in by_key):
        return ""
    lines = [
        f"| rate (jobs/ms) | scheduler | latency / {reference} | energy / {reference} "
        f"| EDP / {reference} | seeds with latency <= {reference} |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    seen = dict.fromkeys((rate, name) for rate, name, _ in by_key)  # first-appearance order
    pairs = sorted(seen, key=lambda k: k[0])  # stable: by rate, then as the rows came
    for rate, name in pairs:
        if name == reference:
            continue
        seeds = sorted(
            seed
            for r, n, seed in by_key
            if r == rate and n == name and (rate, reference, seed) in by_key
        )
        if not seeds:
            continue
        mine = [by_key[(rate, name, seed)] for seed in seeds]
        ref = [by_key[(rate, reference, seed)] for seed in seeds]

        def ratio(
            key: str, mine: list[dict[str, Any]] = mine, ref: list[dict[str, Any]] = ref
        ) -> str:
            ours = math.fsum(float(r[key]) for r in mine)
            theirs = math.fsum(float(r[key]) for r in ref)
            return f"{ours / theirs:.3f}" if theirs > 0 else "n/a"

        wins = sum(
            float(a["avg_latency"]) <= float(b["avg_latency"])
            for a, b in zip(mine, ref, strict=True)
        )
        lines.append(
            f"| {rate:g} | {name} | {ratio('avg_latency')} | {ratio('energy_per_job')} | "
            f"{ratio('edp')} | {wins}/{len(seeds)} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    from schedgym.core.errors import SchedGymError

    args = parse_args(argv)
    try:
        rows = run(args)
    except SchedGymError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; rerun with --csv FILE --resume to go on", file=sys.stderr)
        return 130
    print(table(rows))
    ratios = ratio_table(rows)
    if ratios:
        print()
        print(ratios)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
