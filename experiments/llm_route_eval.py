"""Compare routers of ``schedgym/LLMServing-v0`` on held-out generated traffic at several loads.

Each load level draws ``--instances`` workloads of ``--num-requests`` requests on
``--num-replicas`` Llama-2-7B A100 replicas at ``--rate`` requests/s per replica (one level per
rate) from seeds ``--seed + k`` (kept apart from training and validation, which draw from
numpy's ``default_rng`` streams of the training seed and ``[10000, s, k]``). Every solver's
schedule is re-validated here (:func:`~schedgym.llm.validate.validate_schedule`), and the CSV
gets one row per (level, instance, solver): SLO attainment, TTFT and TBT p99 (s), goodput
(req/s), wall time. A summary per level and solver is printed (mean attainment, mean ratio
least-loaded / solver, wins and losses against least-loaded).

    python experiments/llm_route_eval.py --rates 8 10 --csv experiments/results/llm_route_eval.csv
    python experiments/llm_route_eval.py --rates 8 9 --duration 3600 --instances 1 --window 1024

The second one is an hour of traffic per level: ``--window`` keeps the agents' graph to the
requests in the system (the env's option), so that each decision costs what the busiest moment
costs, not the hour's length.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from schedgym.core.solver import Budget, load_solver
from schedgym.llm.generator import ServingGenerator
from schedgym.llm.hardware import ReplicaType, gpu_type
from schedgym.llm.instance import Cluster, ServingInstance
from schedgym.llm.validate import validate_schedule

DEFAULT_SOLVERS = ("least-loaded", "shortest-queue", "round-robin", "ppo-gnn")
FIELDS = (
    "rate_per_replica",
    "instance",
    "solver",
    "slo_attainment",
    "ttft_p99",
    "tbt_p99",
    "goodput_rps",
    "wall_s",
)


def instances(
    rate: float,
    count: int,
    num_requests: int,
    num_replicas: int,
    seed: int,
    gpus: Sequence[str] | None = None,
) -> list[ServingInstance]:
    """The held-out workloads of one load level; ``gpus`` (one GPU type per replica) replaces
    the all-A100 pool by that one, with the same traffic (the same seed, the same requests)."""
    if gpus is not None:
        num_replicas = len(gpus)
    generator = ServingGenerator(
        num_requests=num_requests, num_replicas=num_replicas, rate_per_replica=rate
    )
    drawn = [generator.sample(np.random.default_rng(seed + k)) for k in range(count)]
    result = []
    for k, inst in enumerate(drawn):
        cluster, name = inst.cluster, inst.name
        if gpus is not None:
            model = inst.cluster.replicas[0].model
            cluster = Cluster(tuple(ReplicaType(model, gpu_type(g), 1) for g in gpus))
            name = name.replace("@a100", "@" + "+".join(gpus))
        # names made unique: the generator's name holds only the size and the rate
        result.append(ServingInstance(inst.workload, cluster, name=f"{name}-seed{seed + k}"))
    return result


def evaluate(
    solvers: list[str],
    levels: dict[float, list[ServingInstance]],
    checkpoint: str | None,
    samples: int | None = None,
    window: int | None = None,
) -> list[dict[str, Any]]:
    """One validated row per (level, instance, solver); ``samples`` caps ``ppo-gnn-sample``'s
    sampled rollouts (default: its own, 64 without a time limit); ``window`` is the agents'
    env option (only the requests in the system in the graph: long workloads)."""
    rows: list[dict[str, Any]] = []
    for name in solvers:
        options: dict[str, Any] = {}
        if checkpoint and name.startswith("ppo-gnn"):
            options["checkpoint"] = checkpoint
        if samples is not None and name == "ppo-gnn-sample":
            options["samples"] = samples
        if window is not None and name.startswith("ppo-gnn"):
            options["window"] = window
        solver = load_solver("llm", name, **options)
        for rate, group in levels.items():
            for instance in group:
                started = time.perf_counter()
                result = solver.solve(instance, Budget(seed=0))
                wall = time.perf_counter() - started
                if result.schedule is None:
                    raise RuntimeError(f"{name} found no schedule for {instance.name}")
                m = validate_schedule(instance, result.schedule)
                rows.append(
                    {
                        "rate_per_replica": rate,
                        "instance": instance.name,
                        "solver": name,
                        "slo_attainment": m.slo_attainment,
                        "ttft_p99": m.ttft[2],
                        "tbt_p99": m.tbt[2],
                        "goodput_rps": m.goodput_rps,
                        "wall_s": wall,
                    }
                )
    return rows


def summary(rows: list[dict[str, Any]]) -> str:
    """A Markdown table: per level and solver, means and the comparison with least-loaded."""
    lines = [
        "| rate/replica | solver | SLO attainment | LL/solver | wins | losses | TTFT p99 | "
        "TBT p99 | goodput |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    reference = {
        (r["rate_per_replica"], r["instance"]): r["slo_attainment"]
        for r in rows
        if r["solver"] == "least-loaded"
    }
    keys = list(dict.fromkeys((r["rate_per_replica"], r["solver"]) for r in rows))
    keys.sort(key=lambda k: k[0])  # stable: solvers in the order given
    for rate, name in keys:
        group = [r for r in rows if r["rate_per_replica"] == rate and r["solver"] == name]
        slo = np.array([r["slo_attainment"] for r in group])
        ref = np.array([reference.get((rate, r["instance"]), np.nan) for r in group])
        ratio = float(np.mean(ref / np.maximum(slo, 1e-9)))
        wins, losses = int((slo > ref + 1e-12).sum()), int((slo < ref - 1e-12).sum())
        lines.append(
            f"| {rate:g} | {name} | {slo.mean():.4f} | {ratio:.4f} | {wins} | {losses} | "
            f"{np.mean([r['ttft_p99'] for r in group]):.2f} | "
            f"{np.mean([r['tbt_p99'] for r in group]):.3f} | "
            f"{np.mean([r['goodput_rps'] for r in group]):.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, evaluate, write the CSV and print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[8.0, 10.0])
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--num-requests", type=int, default=400)
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help="seconds of traffic per workload (requests = duration x rate x replicas); "
        "overrides --num-requests, e.g. 3600 for an hour",
    )
    parser.add_argument("--num-replicas", type=int, default=4)
    parser.add_argument(
        "--gpus",
        default=None,
        help="the pool, one GPU type per replica (e.g. h100,h100,a100,a100); overrides "
        "--num-replicas (default: that many A100s)",
    )
    parser.add_argument("--seed", type=int, default=777_000)
    parser.add_argument("--solvers", default=",".join(DEFAULT_SOLVERS))
    parser.add_argument("--checkpoint", default=None, help="ppo-gnn checkpoint (default: shipped)")
    parser.add_argument("--samples", type=int, default=None, help="ppo-gnn-sample's samples")
    parser.add_argument(
        "--window", type=int, default=None, help="the agents' env option window (long workloads)"
    )
    parser.add_argument("--csv", type=Path, default=Path("experiments/results/llm_route_eval.csv"))
    args = parser.parse_args(argv)

    gpus = args.gpus.split(",") if args.gpus else None
    replicas = len(gpus) if gpus else args.num_replicas

    def size(rate: float) -> int:
        if args.duration is None:
            return int(args.num_requests)
        return max(1, round(args.duration * rate * replicas))

    levels = {
        rate: instances(rate, args.instances, size(rate), replicas, args.seed, gpus)
        for rate in args.rates
    }
    rows = evaluate(args.solvers.split(","), levels, args.checkpoint, args.samples, args.window)
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    with args.csv.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    print(summary(rows))


if __name__ == "__main__":
    main()
