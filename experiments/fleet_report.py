"""Fleet report: mean profit as a fraction of the clairvoyant bound, and decision time per day.

For each of ``--scenarios`` days of a scenario (the shipped default: ``dfw-8v40a``, days
``--first-day``...), the ``clairvoyant`` solver bounds the day's profit from above (LP relaxation
of the time-expanded model with perfect information; also reported: the profit of the plan it
suggests), then every solver of ``--solvers`` plays the day. Every record is validated and
replayed before it counts. Any registered fleet solver name works (``schedgym solvers -p fleet``),
e.g. the trained ``agent``. Decision time is the solver's wall time for the whole day, measured
by the harness around ``solve`` (the same clock for every solver), after a warm-up run of every
solver on the toy scenario (compiled kernels and checkpoints loaded); the last column divides the
GA's mean time by each solver's. ``--set SOLVER.KEY=VALUE`` passes an option to one solver,
``--set KEY=VALUE`` to every one (values are YAML, as for ``schedgym leaderboard -O``). With
``--csv`` every finished run is appended at once and ``--resume`` skips the runs already there::

    python -m schedgym.experiments.fleet_report --scenarios 20      # random, greedy, ga and agent
    python -m schedgym.experiments.fleet_report --scenarios 20 --solvers greedy,agent --csv r.csv
    python -m schedgym.experiments.fleet_report --scenarios 5 --set ga.generations=300

``--generated`` plays generated scenarios instead of days of one scenario: scenario ``i`` is
:class:`~schedgym.fleet.generator.FleetGenerator` with ``--vertiports`` and ``--aircraft``
(inclusive ranges, default 4-20 and 10-100) sampled with seed ``--first-day + i``, played on its
day of the same seed (``--sizes 4x10,20x100``: scenario ``i`` has the ``i``-th listed size,
cycling, instead of drawn ones); a second table then gives every scenario's size, profit and
s/day per solver. ``--no-bound`` skips the clairvoyant LP (it takes minutes on 20 vertiports and 100
aircraft); profits are then reported without the ratio to the bound::

    python -m schedgym.experiments.fleet_report --generated --scenarios 10 --no-bound \\
        --solvers greedy,agent,ppo-gnn --csv fleet_generated.csv
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from schedgym.core.errors import SchedGymError
from schedgym.core.run import RunRecord, run_one
from schedgym.core.runlog import CsvLog, read_csv
from schedgym.core.solver import Budget, Solver, load_solvers
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.kernels import F_PAX
from schedgym.fleet.problem import load_instance
from schedgym.fleet.schedule import FleetSchedule
from schedgym.leaderboard.options import add_set_option, set_options, size_range
from schedgym.problems import get_problem

BOUND = "clairvoyant"
FLEET = get_problem("fleet")


def day_names(scenario: str, count: int, first: int) -> list[str]:
    """``count`` day names of ``scenario`` (a shipped name or a JSON path: ``path@N``)."""
    return [
        f"{scenario}-d{i}"
        if "/" not in scenario and not scenario.endswith(".json")
        else f"{scenario}@{i}"
        for i in range(first, first + count)
    ]


def sizes_list(text: str) -> list[tuple[int, int]]:
    """``"4x10,20x100"`` -> ``[(4, 10), (20, 100)]`` (vertiports x aircraft)."""
    sizes = []
    for item in text.split(","):
        ports, _, planes = item.strip().partition("x")
        try:
            sizes.append((int(ports), int(planes)))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected VxA[,VxA...], got {text!r}") from None
    return sizes


def generated_days(
    count: int,
    first: int,
    vertiports: tuple[int, int],
    aircraft: tuple[int, int],
    sizes: Sequence[tuple[int, int]] = (),
) -> dict[str, FleetScenario]:
    """``count`` generated scenarios by name (``fleet-<V>v<A>a-<digest>-d<seed>``), each on its
    day: sizes drawn in the inclusive ranges (or scenario ``i`` of ``sizes[i % len(sizes)]``),
    scenario and day seeded by ``first + i``."""
    from schedgym.core.seeding import make_rng
    from schedgym.fleet.generator import FleetGenerator

    days = {}
    for i in range(count):
        ports, planes = sizes[i % len(sizes)] if sizes else (vertiports, aircraft)
        seed = first + i
        day = FleetGenerator(ports, planes).sample(make_rng(seed)).with_day(seed)
        days[day.name] = day
    return days


def load_day(name: str) -> FleetScenario:
    """A day by name: shipped ``base-dN`` or ``path.json@N``."""
    if "@" in name:
        path, _, day = name.rpartition("@")
        return load_instance(path).with_day(int(day))
    return load_instance(name)


def warm_up(solvers: dict[str, Solver[Any]]) -> None:
    """Run every solver once on the toy scenario, so that no timed day includes loading the
    compiled kernels (the simulator's, the agent's) or a checkpoint."""
    from schedgym.fleet.generator import toy_scenario

    for solver in solvers.values():
        solver.solve(toy_scenario(), Budget(seed=0, time_limit_s=1.0))


def mean_time(records: Sequence[RunRecord]) -> float:
    """Mean wall time of ``records`` (seconds; never zero, for ratios)."""
    return max(statistics.fmean(r.wall_time_s for r in records), 1e-9)


def summary(records: Sequence[RunRecord], solvers: Sequence[str]) -> list[list[str]]:
    """Rows: solver, days, mean profit, mean profit/bound (std), min ratio, mean s/day, and the
    GA's mean s/day over the solver's (how many times faster it decides than ``ga``)."""
    bounds = {r.instance: r.reference for r in records if r.solver == BOUND and r.reference}
    times = [r.wall_time_s for r in records if r.solver == "ga"]
    ga_time = statistics.fmean(times) if times else None
    rows = []
    for solver in [BOUND, *solvers] if bounds else solvers:
        mine = [r for r in records if r.solver == solver]
        played = [r for r in mine if r.objective is not None]
        profits = [float(r.objective) for r in played if r.objective is not None]
        ratios = [
            float(r.objective) / float(bounds[r.instance] or 1.0)
            for r in played
            if r.objective is not None and bounds.get(r.instance)
        ]
        rows.append(
            [
                f"{solver} (its plan)" if solver == BOUND else solver,
                f"{len(played)}/{len(mine)}",
                f"{statistics.fmean(profits):,.0f}" if profits else "-",
                f"{statistics.fmean(ratios):.3f}" if ratios else "-",
                f"{statistics.pstdev(ratios):.3f}" if len(ratios) > 1 else "-",
                f"{min(ratios):.3f}" if ratios else "-",
                f"{mean_time(mine):.4f}" if mine else "-",
                f"{ga_time / mean_time(mine):,.1f}x" if mine and ga_time else "-",
            ]
        )
    values = list(bounds.values())
    if not values:
        return rows
    rows.append(
        [
            "bound (LP)",
            str(len(values)),
            f"{statistics.fmean(values):,.0f}" if values else "-",
            "1.000",
            "-",
            "-",
            "-",
            "-",
        ]
    )
    return rows


OPERATIONS = [
    "solver",
    "flights",
    "passengers / flight",
    "empty share",
    "passengers carried",
    "passengers lost",
    "charges",
]


def operations(record: FleetSchedule) -> list[float]:
    """What a day's record did: flights, passengers per flight, share of empty flights,
    passengers carried and lost, charging epochs."""
    pax = record.flights[:, F_PAX]
    flights = max(len(pax), 1)
    return [
        float(len(pax)),
        float(pax.sum()) / flights,
        float((pax == 0).sum()) / flights,
        float(record.passengers),
        float(record.lost.sum()),
        float(len(record.charges)),
    ]


def per_scenario(
    records: Sequence[RunRecord], solvers: Sequence[str], days: dict[str, FleetScenario]
) -> list[list[str]]:
    """Rows: scenario, vertiports, aircraft, then each solver's profit and s/day ("-" when it
    did not play or failed), and a last row of means over the scenarios every solver played."""
    found = {(r.instance, r.solver): r for r in records}
    rows = []
    complete = []
    for name, day in days.items():
        row = [name, str(day.num_vertiports), str(day.num_aircraft)]
        played = True
        for solver in solvers:
            record = found.get((name, solver))
            if record is None or record.objective is None:
                row += ["-", "-"]
                played = False
            else:
                row += [f"{record.objective:,.0f}", f"{record.wall_time_s:.2f}"]
        rows.append(row)
        if played:
            complete.append(name)
    if complete:
        mean = [f"mean ({len(complete)} scenarios)", "", ""]
        for solver in solvers:
            mine = [found[(name, solver)] for name in complete]
            mean.append(f"{statistics.fmean(float(r.objective or 0.0) for r in mine):,.0f}")
            mean.append(f"{mean_time(mine):.2f}")
        rows.append(mean)
    return rows


def print_table(
    rows: list[list[str]], out: TextIO | None = None, header: list[str] | None = None
) -> None:
    """A plain Markdown table (on stdout by default; the report's columns unless ``header``)."""
    header = header or [
        "solver",
        "days",
        "mean profit",
        "profit / bound",
        "std",
        "min",
        "s / day",
        "ga s / own s",
    ]
    lines = [header, ["---"] * len(header), *rows]
    for line in lines:
        print("| " + " | ".join(line) + " |", file=out or sys.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the report (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", type=int, default=20, help="number of days (default 20)")
    parser.add_argument("--scenario", default="dfw-8v40a", help="shipped name or JSON file")
    parser.add_argument("--first-day", type=int, default=0, help="seed of the first day")
    parser.add_argument("--solvers", default="random,greedy,ga,agent", help="comma-separated names")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per solve")
    parser.add_argument("--seed", type=int, default=0, help="seed of randomised solvers")
    add_set_option(parser, "ga.generations=200")
    parser.add_argument(
        "--generated", action="store_true", help="play generated scenarios (see the docstring)"
    )
    parser.add_argument("--vertiports", type=size_range, default=(4, 20), help="e.g. 4-20")
    parser.add_argument("--aircraft", type=size_range, default=(10, 100), help="e.g. 10-100")
    parser.add_argument("--sizes", type=sizes_list, default=[], help="e.g. 4x10,20x100")
    parser.add_argument("--no-bound", action="store_true", help="skip the clairvoyant bound")
    parser.add_argument("--csv", type=Path, default=None, help="append finished runs here")
    parser.add_argument("--resume", action="store_true", help="skip runs already in --csv")
    args = parser.parse_args(argv)

    solvers = [s.strip() for s in args.solvers.split(",") if s.strip() and s.strip() != BOUND]
    played = solvers if args.no_bound else [BOUND, *solvers]
    options = set_options(parser, args.set, played)  # a malformed one: exit 2
    try:  # an unknown solver or an option it does not take: exit 2
        loaded = {name: load_solvers("fleet", [name], options[name])[name] for name in played}
    except SchedGymError as exc:
        parser.error(str(exc))
    days: dict[str, FleetScenario] = {}
    if args.generated:
        days = generated_days(
            args.scenarios, args.first_day, args.vertiports, args.aircraft, args.sizes
        )
        names = list(days)
    else:
        names = day_names(args.scenario, args.scenarios, args.first_day)
    budget = Budget(time_limit_s=args.time_limit, seed=args.seed)
    kept: list[RunRecord] = []
    if args.resume and args.csv is not None and args.csv.exists():
        kept = [r for r in read_csv(args.csv) if r.instance in set(names)]
    done = {(r.instance, r.solver) for r in kept}
    log = CsvLog(args.csv, kept) if args.csv is not None else None
    records = list(kept)
    warm_up(loaded)
    ops: dict[str, list[list[float]]] = {}
    try:
        for i, name in enumerate(names):
            day = days[name] if name in days else load_day(name)
            bound = next(
                (r.reference for r in records if r.instance == name and r.solver == BOUND), None
            )
            for solver in played:
                if (name, solver) in done:
                    continue
                record = run_one(FLEET, name, day, solver, loaded[solver], budget)
                if record.schedule is not None and solver != BOUND:
                    ops.setdefault(solver, []).append(operations(record.schedule))
                if solver == BOUND:
                    bound = record.schedule.bound if record.schedule is not None else None
                gap = (
                    None
                    if bound is None or record.objective is None
                    else 100 * FLEET.gap(record.objective, bound)
                )
                record = RunRecord(
                    record.instance,
                    record.size_group,
                    solver,
                    record.status,
                    record.objective,
                    bound,
                    gap,
                    record.wall_time_s,
                    record.message,
                )
                records.append(record)
                if log is not None:
                    log.write(record)
                shown = "-" if record.objective is None else f"{record.objective:,.0f}"
                bounded = "" if args.no_bound else f", bound {bound or math.nan:,.0f}"
                print(
                    f"[{i + 1}/{len(names)}] {name} {solver}: profit {shown} "
                    f"({record.status}){bounded}, {record.wall_time_s:.3f} s",
                    file=sys.stderr,
                    flush=True,
                )
    except KeyboardInterrupt:
        print("interrupted: finished runs are kept in --csv (rerun with --resume)", file=sys.stderr)
        return 130
    finally:
        if log is not None:
            log.close()
    print_table(summary(records, solvers))
    if days:
        print("\nPer scenario (profit and decision s / day):\n")
        header = ["scenario", "vertiports", "aircraft"]
        for solver in solvers:
            header += [f"{solver} profit", f"{solver} s"]
        print_table(per_scenario(records, solvers, days), header=header)
    if ops:
        print("\nOperations per day (the days played by this invocation):\n")
        print_table(
            [[name, *(f"{v:,.2f}" for v in np.mean(rows, axis=0))] for name, rows in ops.items()],
            header=OPERATIONS,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
