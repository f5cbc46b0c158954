"""The clairvoyant time-expanded model of a fleet day (OR-Tools linear solver).

Given the whole realised day in advance (arrivals, holds, closures, downtime), the model moves
*counts* of aircraft of each type through a network whose nodes are (vertiport, epoch, battery
level) and whose arcs are the simulator's actions: wait one epoch, charge one epoch, fly
``o -> d`` (landing at the epoch the realised hold gives), and one "down" arc per downtime event
and position. Side constraints: chargers per (vertiport, epoch); parking per (vertiport, epoch)
counting aircraft on the ground and those heading there (the simulator's slot rule); each downtime
event removes one aircraft of its type, at a vertiport and epoch inside its window (wherever it
first lands), until the window ends; no departures on closed routes; passengers
``p[o, d, t_arrive, t_depart]`` with ``t_depart - t_arrive <= W``, at most the arrivals, and per
departure at most the usable seats flown. Objective: passenger margins minus flight and energy
costs, the simulator's profit.

Battery (``energy``):

* ``"fleet"`` (default): a fleet-wide energy balance per aircraft type and epoch: the charge of
  the whole fleet falls by the energy of the flights that depart and rises by what is charged (at
  most ``rate`` per charging aircraft); after the departures every aircraft keeps its reserve and
  none holds more than a full battery.
* ``"levels"``: the battery is coarsened to levels of ``q`` energy units, *optimistically*: an
  aircraft is at level ``b`` if its charge is at most ``b q``; a flight of ``E`` units from level
  ``b`` is allowed if ``b q - E >= reserve`` and lands at level ``b - floor(E / q)``; a charge adds
  ``ceil(rate / q)`` levels (capped at full) and costs the least the simulator could pay for it,
  ``min(rate, full - b q)`` units. Each aircraft keeps its own level (so charging takes the time of
  the aircraft that needs it), but the model grows with the number of levels.
* ``"none"``: no battery beyond the range of each route.

**Why it is an upper bound.** Every day the simulator can play maps to a feasible point with the
same or a larger objective: count each aircraft on the arcs it took (in ``"levels"`` mode at a
level ``>= ceil(soc / q)``, which the transitions above preserve), add up the fleet's charge, and
count the passengers. So the optimum of the model, of its LP relaxation, and any proven bound of a
MIP solver on it are at least the profit of every policy on that day
(:mod:`schedgym.baselines.fleet.certify` checks this on played days). The relaxation comes from
pooling
or rounding the battery, from aircraft being interchangeable within a node, from decision order
being free within an epoch, and from passengers being assigned freely (the simulator's
longest-waiting-first boarding already carries the most).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.linear_solver import pywraplp

from schedgym.fleet.network import Network

WAIT, CHARGE, FLY, DOWN = range(4)
ENERGY_MODES = ("levels", "fleet", "none")


@dataclass
class Arc:
    """``n`` aircraft of type ``k`` from ``(o, t, b)`` to ``(d, end, b_end)``, costing ``cost``
    each; ``h`` is the energy charged (fleet mode, ``CHARGE`` arcs); ``event`` is the aircraft
    of a ``DOWN`` arc (-1 otherwise)."""

    k: int
    kind: int
    o: int
    d: int
    t: int
    end: int
    b: int = 0
    b_end: int = 0
    cost: float = 0.0
    event: int = -1
    n: Any = None
    h: Any = None


@dataclass
class DayModel:
    """The built model: solver, arcs and sizes."""

    solver: pywraplp.Solver
    arcs: list[Arc]
    integer: bool
    stats: dict[str, int] = field(default_factory=dict)


class _Types:
    """Per-type constants (taken from the type's first aircraft)."""

    def __init__(self, net: Network) -> None:
        first = {int(k): int(np.flatnonzero(net.kind == k)[0]) for k in np.unique(net.kind)}
        self.ids = sorted(first)
        self.full = {k: int(net.full[a]) for k, a in first.items()}
        self.reserve = {k: int(net.reserve[a]) for k, a in first.items()}
        self.rate = {k: int(net.rate[a]) for k, a in first.items()}
        self.seats = {k: float(net.seats[a]) for k, a in first.items()}
        self.unit = {k: float(net.unit_cost[a]) for k, a in first.items()}


def _arcs(net: Network, types: _Types, energy: str, q: int) -> tuple[list[Arc], list[list[Arc]]]:
    epochs, ports = net.num_epochs, net.parking.shape[0]
    arcs: list[Arc] = []
    for k in types.ids:
        full, reserve, rate = types.full[k], types.reserve[k], types.rate[k]
        top = full // q if energy == "levels" else 0
        levels = range(math.ceil(reserve / q), top + 1) if energy == "levels" else range(1)
        step = math.ceil(rate / q) if energy == "levels" else 0
        for t in range(epochs):
            for v in range(ports):
                for b in levels:
                    arcs.append(Arc(k, WAIT, v, v, t, t + 1, b, b))
                    if net.chargers[v] > 0 and rate > 0 and (energy != "levels" or b < top):
                        added = min(rate, full - b * q) if energy == "levels" else 0
                        cost = types.unit[k] * max(0, added)
                        arcs.append(Arc(k, CHARGE, v, v, t, t + 1, b, min(top, b + step), cost))
                    for d in range(ports):
                        used = int(net.energy[k, v, d])
                        left = (b * q if energy == "levels" else full) - used
                        if d == v or net.closed[t, v, d] or left < reserve:
                            continue
                        if t + net.nominal[k, v, d] > epochs:
                            continue
                        hold = int(net.delay[t, v])
                        steps = -(-(int(net.minutes[k, v, d]) + hold) // net.epoch_min)
                        lands = b - used // q if energy == "levels" else 0
                        cost = float(net.flight_cost[k, v, d])
                        arcs.append(Arc(k, FLY, v, d, t, min(epochs, t + steps), b, lands, cost))
    events: list[list[Arc]] = []
    for a in np.flatnonzero(net.down_start >= 0):
        start, end, k = int(net.down_start[a]), int(net.down_end[a]), int(net.kind[a])
        top = types.full[k] // q if energy == "levels" else 0
        low = math.ceil(types.reserve[k] / q) if energy == "levels" else 0
        event = [
            Arc(k, DOWN, v, v, t, end, b, b, event=int(a))
            for v in range(ports)
            for t in range(start, end)
            for b in range(low, top + 1)
        ]
        arcs.extend(event)
        events.append(event)
    return arcs, events


def build_model(
    net: Network,
    backend: str = "GLOP",
    integer: bool = False,
    energy: str = "fleet",
    level_units: int = 50,
) -> DayModel:
    """Build the model of the module docstring on ``backend`` (``GLOP`` for the LP relaxation;
    ``SCIP``, ``HIGHS`` or ``CBC`` with ``integer=True``). ``level_units`` is ``q``."""
    if energy not in ENERGY_MODES:
        raise ValueError(f"energy must be one of {ENERGY_MODES}")
    solver = pywraplp.Solver.CreateSolver(backend)
    if solver is None:
        raise RuntimeError(f"OR-Tools backend {backend!r} is not available")
    inf = solver.infinity()
    epochs, _ports = net.num_epochs, net.parking.shape[0]
    types = _Types(net)
    q = max(1, int(level_units))
    arcs, events = _arcs(net, types, energy, q)
    for i, arc in enumerate(arcs):
        make = solver.IntVar if integer else solver.NumVar
        arc.n = make(0.0, 1.0 if arc.kind == DOWN else inf, f"n{i}")
        if energy == "fleet" and arc.kind == CHARGE:
            arc.h = solver.NumVar(0.0, inf, f"h{i}")
            solver.Add(arc.h <= types.rate[arc.k] * arc.n)

    supply: dict[tuple[int, int, int], float] = defaultdict(float)
    for a in range(net.kind.shape[0]):
        level = math.ceil(int(net.soc0[a]) / q) if energy == "levels" else 0
        supply[(int(net.kind[a]), int(net.base[a]), level)] += 1.0
    out_arcs: dict[tuple[int, int, int, int], list[Any]] = defaultdict(list)
    in_arcs: dict[tuple[int, int, int, int], list[Any]] = defaultdict(list)
    for arc in arcs:
        out_arcs[(arc.k, arc.o, arc.t, arc.b)].append(arc.n)
        if arc.end < epochs:
            in_arcs[(arc.k, arc.d, arc.end, arc.b_end)].append(arc.n)
    for key, out in out_arcs.items():
        k, v, t, b = key
        solver.Add(sum(out) - sum(in_arcs.get(key, [])) == (supply[(k, v, b)] if t == 0 else 0.0))
    if energy == "fleet":
        _fleet_energy(solver, net, arcs, types)

    chargers: dict[tuple[int, int], list[Any]] = defaultdict(list)
    held: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for arc in arcs:
        if arc.kind == CHARGE:
            chargers[(arc.o, arc.t)].append(arc.n)
        if arc.kind in (WAIT, CHARGE):
            held[(arc.o, arc.t)].append(arc.n)
        else:
            for t in range(arc.t, min(arc.end, epochs)):
                held[(arc.d, t)].append(arc.n)
    for (v, _), terms in chargers.items():
        solver.Add(sum(terms) <= float(net.chargers[v]))
    for (v, _), terms in held.items():
        solver.Add(sum(terms) <= float(net.parking[v]))
    for event in events:
        total = sum(a.n for a in event)
        if event[0].end >= epochs:  # flying when the day ends, it may never be on the ground
            solver.Add(total <= 1.0)
        else:
            solver.Add(total == 1.0)

    revenue = _passengers(solver, net, arcs, types)
    costs = [arc.cost * arc.n for arc in arcs if arc.cost]
    costs += [types.unit[arc.k] * arc.h for arc in arcs if arc.h is not None]
    solver.Maximize(sum(revenue) - sum(costs))
    stats = {"arcs": len(arcs), "variables": solver.NumVariables(), "rows": solver.NumConstraints()}
    return DayModel(solver, arcs, integer, stats)


def _passengers(solver: pywraplp.Solver, net: Network, arcs: list[Arc], types: _Types) -> list[Any]:
    """Passenger variables and constraints; returns the revenue terms.

    A departure's usable seats are at most the passengers that can be waiting for it (those who
    arrived in the last ``W + 1`` epochs): a valid cut that makes a thin route pay for a whole
    flight in the LP relaxation too.
    """
    epochs, wait = net.num_epochs, net.max_wait
    window = np.cumsum(net.arrivals, axis=0)
    shifted = np.zeros_like(window)
    if epochs > wait + 1:
        shifted[wait + 1 :] = window[: epochs - wait - 1]
    avail = window - shifted
    seats: dict[tuple[int, int, int], list[Any]] = defaultdict(list)
    for arc in arcs:
        if arc.kind == FLY:
            usable = min(types.seats[arc.k], float(avail[arc.t, arc.o, arc.d]))
            if usable > 0:
                seats[(arc.o, arc.d, arc.t)].append(usable * arc.n)
    boarding: dict[tuple[int, int, int], list[Any]] = defaultdict(list)
    revenue: list[Any] = []
    inf = solver.infinity()
    for ta, o, d in zip(*np.nonzero(net.arrivals), strict=True):
        options = []
        for j in range(wait + 1):
            key = (int(o), int(d), int(ta) + j)
            if key in seats:
                p = solver.NumVar(0.0, inf, f"p{o}_{d}_{ta}_{j}")
                options.append(p)
                boarding[key].append(p)
                revenue.append(float(net.margin[o, d]) * p)
        if options:
            solver.Add(sum(options) <= float(net.arrivals[ta, o, d]))
    for key, ps in boarding.items():
        solver.Add(sum(ps) <= sum(seats[key]))
    return revenue


def _fleet_energy(solver: pywraplp.Solver, net: Network, arcs: list[Arc], types: _Types) -> None:
    """Fleet-wide energy balance per type: ``S[t+1] = S[t] - flights + charges``, every aircraft
    at or above its reserve after the departures and at most full."""
    used: dict[tuple[int, int], list[Any]] = defaultdict(list)
    added: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for arc in arcs:
        if arc.kind == FLY:
            used[(arc.k, arc.t)].append(float(net.energy[arc.k, arc.o, arc.d]) * arc.n)
        elif arc.kind == CHARGE:
            added[(arc.k, arc.t)].append(arc.h)
    for k in types.ids:
        members = net.kind == k
        size = float(members.sum())
        level: Any = float(net.soc0[members].sum())
        for t in range(net.num_epochs):
            after = level - sum(used[(k, t)])
            solver.Add(after >= size * types.reserve[k])
            following = solver.NumVar(0.0, size * types.full[k], f"S{k}_{t + 1}")
            solver.Add(following == after + sum(added[(k, t)]))
            level = following
