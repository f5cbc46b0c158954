"""Seconds to solve and to validate an LLM-serving trace replay (LLMServing-v0's target: the
conversation trace, 19,366 requests on 4 replicas, in under 10 s on this CPU).

Solves the instance once with ``--solver`` (which simulates and validates, as ``schedgym
solve`` does), then times :func:`~schedgym.llm.validate.validate_schedule` (the compiled replay)
``--repeats`` times and, with ``--reference``, the reference numpy replay as well, checking that
both give the same metrics. The first compiled call loads (or compiles) the numba kernels and
is not timed::

    OMP_NUM_THREADS=1 python benchmarks/llm_replay.py --repeats 3 --reference
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from schedgym.core.solver import Budget, load_solver
from schedgym.llm.instance import INTERCONNECT_BYTES_PER_S
from schedgym.llm.problem import load_instance
from schedgym.llm.validate import _replay, summarize, validate_schedule


def main() -> None:
    """Print the solve time and the validation times (compiled, and reference if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", default="azure2023_conv", help="llm instance or trace")
    parser.add_argument("--solver", default="least-loaded")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reference", action="store_true", help="also time the numpy replay")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args()

    instance = load_instance(args.instance)
    started = time.perf_counter()
    result = load_solver("llm", args.solver).solve(instance, Budget())
    solve_s = time.perf_counter() - started
    schedule = result.schedule
    print(
        f"{instance.name} ({instance.num_requests} requests, {instance.num_replicas} replicas) "
        f"{args.solver}: {schedule.num_steps} steps, solve {solve_s:.2f} s (incl. one validation)"
    )
    metrics = validate_schedule(instance, schedule)  # load the kernels; fill the lower bounds
    results: dict[str, object] = {"instance": instance.name, "solver": args.solver}
    results["solve_s"] = solve_s
    for name, compiled in (("compiled", True), ("reference", False)):
        if not compiled and not args.reference:
            continue
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            token_times = _replay(instance, schedule, INTERCONNECT_BYTES_PER_S, compiled)
            again = summarize(instance, token_times)
            times.append(time.perf_counter() - started)
        assert again == metrics, f"the {name} replay's metrics differ"
        print(
            f"validate ({name}): best {min(times):.3f} s of {', '.join(f'{t:.3f}' for t in times)}"
        )
        results[f"validate_{name}_s"] = times
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
