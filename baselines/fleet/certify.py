"""Check that the clairvoyant model really relaxes the simulator: embed a played day in it.

:func:`embed` maps a day's record to arc counts of :mod:`schedgym.baselines.fleet.model` (each
aircraft
follows its own arcs, its battery level evolving by the model's optimistic transitions, a downtime
starting where the aircraft first stands on the ground inside its window); :func:`certify` fixes
the model's arc counts to them and solves for the rest (passengers, fleet energy). If the model is
a relaxation, that point is feasible and its objective is at least the day's profit. The tests run
this on days played by every solver; it is also a debugging aid for model changes.
"""

from __future__ import annotations

import math
from collections import Counter

from ortools.linear_solver import pywraplp

from schedgym.baselines.fleet.model import CHARGE, DOWN, FLY, WAIT, DayModel, build_model
from schedgym.fleet.kernels import CHARGE as CHARGE_ACTION
from schedgym.fleet.kernels import F_AIRCRAFT, F_ARRIVE, F_DEPART
from schedgym.fleet.network import Network
from schedgym.fleet.schedule import FleetSchedule

Key = tuple[int, int, int, int, int, int, int, int, int]  # k, kind, o, d, t, end, b, b_end, event


def embed(net: Network, schedule: FleetSchedule, energy: str, level_units: int) -> Counter[Key]:
    """Arc counts of the played day (keys as :class:`~schedgym.baselines.fleet.model.Arc`
    fields)."""
    levels = energy == "levels"
    q = level_units
    epochs = net.num_epochs
    arrive = {(int(f[F_AIRCRAFT]), int(f[F_DEPART])): int(f[F_ARRIVE]) for f in schedule.flights}
    by_aircraft: dict[int, list[tuple[int, int]]] = {}
    for t, a, action in schedule.decisions.tolist():
        by_aircraft.setdefault(a, []).append((t, action))
    counts: Counter[Key] = Counter()
    for a in range(net.kind.shape[0]):
        k = int(net.kind[a])
        rate = int(net.rate[a])
        top = int(net.full[a]) // q if levels else 0
        b = math.ceil(int(net.soc0[a]) / q) if levels else 0
        loc, t = int(net.base[a]), 0
        plan = iter(by_aircraft.get(a, []))
        step = next(plan, None)
        while t < epochs:
            if net.down_start[a] <= t < net.down_end[a]:
                end = int(net.down_end[a])
                counts[(k, DOWN, loc, loc, t, end, b, b, a)] += 1
                t = end
                continue
            if step is None or step[0] != t:
                raise ValueError(f"aircraft {a} has no decision at epoch {t}")
            action = step[1]
            step = next(plan, None)
            if action == loc or (action == CHARGE_ACTION and levels and b == top):
                counts[(k, WAIT, loc, loc, t, t + 1, b, b, -1)] += 1
                t += 1
            elif action == CHARGE_ACTION:
                after = min(top, b + math.ceil(rate / q)) if levels else 0
                counts[(k, CHARGE, loc, loc, t, t + 1, b, after, -1)] += 1
                b, t = after, t + 1
            else:
                end = min(epochs, arrive[(a, t)])
                after = b - int(net.energy[k, loc, action]) // q if levels else 0
                counts[(k, FLY, loc, action, t, end, b, after, -1)] += 1
                b, loc, t = after, action, arrive[(a, t)]
    return counts


def certify(
    net: Network, schedule: FleetSchedule, energy: str = "levels", level_units: int = 50
) -> tuple[bool, float | None]:
    """Fix the model's arcs to the played day; return (feasible, objective of that point)."""
    model: DayModel = build_model(net, "GLOP", False, energy, level_units)
    counts = embed(net, schedule, energy, level_units)
    known = set()
    for arc in model.arcs:
        key = (arc.k, arc.kind, arc.o, arc.d, arc.t, arc.end, arc.b, arc.b_end, arc.event)
        value = float(counts.get(key, 0))
        known.add(key)
        arc.n.SetBounds(value, value)
    missing = [key for key in counts if key not in known]
    if missing:
        raise ValueError(f"the model has no arc for {missing[0]} (and {len(missing) - 1} more)")
    status = model.solver.Solve()
    if status != pywraplp.Solver.OPTIMAL:
        return False, None
    return True, model.solver.Objective().Value()
