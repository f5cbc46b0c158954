"""Compiled (numba) rules of the fleet day: epochs, the action mask, actions, the greedy rule.

These functions are the one implementation of the dynamics; the env
(:mod:`schedgym.fleet.env`), the simulator wrapper (:mod:`schedgym.fleet.simulator`) and the GA's
fast rollouts all call them. The rules (also the validator's, :mod:`schedgym.fleet.validate`):

* **Epoch start** (``begin_epoch``): passengers who arrived ``W + 1`` epochs ago leave (lost);
  the others age by one epoch; this epoch's arrivals join the queues; chargers are freed.
* **Decision round**: every aircraft that is free (``free_at <= t``) and not down decides once,
  in index order. Actions (kernel encoding): ``d < V``, ``d != loc``: fly to ``d``; ``d == loc``:
  stay one epoch; ``V``: charge one epoch.
* **Fly** ``o -> d`` is legal if the route is open in epoch ``t``, the state of charge after the
  flight is at least the reserve, ``d`` has a free parking slot (a slot is held from departure:
  aircraft on the ground at ``d`` plus aircraft heading there stay within ``parking``), and the
  flight lands by the end of the day without hold. Up to ``seats`` waiting ``o -> d`` passengers
  board, those waiting longest first. The aircraft lands at
  ``t + ceil((minutes + hold(t, o)) / epoch_min)`` and decides again then.
* **Charge** is legal if the battery is not full and a charger at ``loc`` is free this epoch; it
  adds ``min(rate, full - soc)`` units. **Stay** is always legal.
* **Money**: a flight earns ``passengers * margin[o, d] - flight_cost``; a charge costs
  ``added * unit_cost``. The day's profit is their sum.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from schedgym.fleet.network import Network

EPOCH, CURSOR, DONE, N_DECISIONS, N_FLIGHTS, N_CHARGES = range(6)
# columns of State.flights
F_AIRCRAFT, F_ORIGIN, F_DEST, F_DEPART, F_ARRIVE, F_PAX, F_SOC_BEFORE, F_SOC_AFTER = range(8)
# columns of State.charges
C_AIRCRAFT, C_PORT, C_EPOCH, C_ADDED, C_SOC_BEFORE = range(5)
CHARGE = -1  # action code of "charge" in the decision log
GROUND, FLYING, CHARGING = range(3)  # State.status


class State(NamedTuple):
    """Mutable state of one day, with the logs of what happened (``A`` aircraft, ``V`` ports)."""

    clock: np.ndarray  # (6,) int64: epoch, cursor, done, counts of decisions/flights/charges
    loc: np.ndarray  # (A,) int64 vertiport on the ground, destination in flight
    soc: np.ndarray  # (A,) int64 energy units
    free_at: np.ndarray  # (A,) int64 epoch of the next decision
    status: np.ndarray  # (A,) int64 last action: GROUND (stay), FLYING or CHARGING
    occ: np.ndarray  # (V,) int64 parking slots held (on the ground or inbound)
    charging: np.ndarray  # (V,) int64 chargers in use this epoch
    waiting: np.ndarray  # (V, V, W + 1) int64 passengers waiting by age in epochs
    lost: np.ndarray  # (T + 1,) int64 passengers leaving unserved per epoch (T: at day end)
    money: np.ndarray  # (3,) float64 running passenger margin, flight costs, charge costs
    decisions: np.ndarray  # (A * T, 3) int64 epoch, aircraft, destination (or -1: charge)
    flights: np.ndarray  # (A * T, 8) int64, columns F_*
    boarded: np.ndarray  # (A * T, W + 1) int64 passengers boarded by age
    charges: np.ndarray  # (A * T, 5) int64, columns C_*


def new_state(net: Network) -> State:
    """Allocate a state for ``net`` (call :func:`reset_state` before use)."""
    fleet, ports = net.kind.shape[0], net.parking.shape[0]
    rows = max(1, fleet * net.num_epochs)
    ages = net.max_wait + 1
    return State(
        clock=np.zeros(6, dtype=np.int64),
        loc=np.zeros(fleet, dtype=np.int64),
        soc=np.zeros(fleet, dtype=np.int64),
        free_at=np.zeros(fleet, dtype=np.int64),
        status=np.zeros(fleet, dtype=np.int64),
        occ=np.zeros(ports, dtype=np.int64),
        charging=np.zeros(ports, dtype=np.int64),
        waiting=np.zeros((ports, ports, ages), dtype=np.int64),
        lost=np.zeros(net.num_epochs + 1, dtype=np.int64),
        money=np.zeros(3, dtype=np.float64),
        decisions=np.zeros((rows, 3), dtype=np.int64),
        flights=np.zeros((rows, 8), dtype=np.int64),
        boarded=np.zeros((rows, ages), dtype=np.int64),
        charges=np.zeros((rows, 5), dtype=np.int64),
    )


@numba.njit(cache=True)
def begin_epoch(net: Network, st: State, t: int) -> None:
    """Age and expire waiting passengers, add epoch ``t``'s arrivals, free the chargers."""
    ports, top = st.waiting.shape[0], st.waiting.shape[2] - 1
    for o in range(ports):
        for d in range(ports):
            st.lost[t] += st.waiting[o, d, top]
            for age in range(top, 0, -1):
                st.waiting[o, d, age] = st.waiting[o, d, age - 1]
            st.waiting[o, d, 0] = net.arrivals[t, o, d]
        st.charging[o] = 0


@numba.njit(cache=True)
def reset_state(net: Network, st: State) -> None:
    """Start of the day: aircraft at their bases with their initial charge, empty queues."""
    st.clock[:] = 0
    st.occ[:] = 0
    for a in range(net.kind.shape[0]):
        st.loc[a] = net.base[a]
        st.soc[a] = net.soc0[a]
        st.free_at[a] = 0
        st.status[a] = GROUND
        st.occ[net.base[a]] += 1
    st.waiting[:] = 0
    st.lost[:] = 0
    st.money[:] = 0.0
    begin_epoch(net, st, 0)


@numba.njit(cache=True)
def is_down(net: Network, a: int, t: int) -> bool:
    """Whether aircraft ``a`` is down in epoch ``t``."""
    return net.down_start[a] <= t < net.down_end[a]


@numba.njit(cache=True)
def advance(net: Network, st: State) -> int:
    """Move to the next aircraft that must decide (from the cursor on); -1 once the day is over."""
    fleet = net.kind.shape[0]
    t, a = st.clock[EPOCH], st.clock[CURSOR]
    while t < net.num_epochs:
        while a < fleet:
            if st.free_at[a] <= t and not is_down(net, a, t):
                st.clock[CURSOR] = a
                return a
            a += 1
        t += 1
        a = 0
        st.clock[EPOCH] = t
        st.clock[CURSOR] = 0
        if t < net.num_epochs:
            begin_epoch(net, st, t)
    if st.clock[DONE] == 0:  # passengers still waiting at the end of the day are lost
        st.clock[DONE] = 1
        st.lost[net.num_epochs] += st.waiting.sum()
    return -1


@numba.njit(cache=True)
def legal_actions(net: Network, st: State, a: int, mask: np.ndarray) -> int:
    """Fill ``mask`` (``V + 1`` bools, kernel encoding) for aircraft ``a`` now; count legal."""
    t, o, k = st.clock[EPOCH], st.loc[a], net.kind[a]
    ports = net.parking.shape[0]
    count = 0
    for d in range(ports):
        if d == o:
            ok = True
        else:
            ok = (
                not net.closed[t, o, d]
                and st.soc[a] - net.energy[k, o, d] >= net.reserve[a]
                and st.occ[d] < net.parking[d]
                and t + net.nominal[k, o, d] <= net.num_epochs
            )
        mask[d] = ok
        count += ok
    charge = st.soc[a] < net.full[a] and st.charging[o] < net.chargers[o] and net.rate[a] > 0
    mask[ports] = charge
    return count + charge


@numba.njit(cache=True)
def apply_action(net: Network, st: State, a: int, action: int) -> float:
    """Apply a legal ``action`` (kernel encoding) of aircraft ``a``; return its reward."""
    t, o, k = st.clock[EPOCH], st.loc[a], net.kind[a]
    ports = net.parking.shape[0]
    row = st.clock[N_DECISIONS]
    st.decisions[row, 0] = t
    st.decisions[row, 1] = a
    st.decisions[row, 2] = CHARGE if action == ports else action
    st.clock[N_DECISIONS] = row + 1
    st.free_at[a] = t + 1
    st.status[a] = GROUND
    if action == o:
        return 0.0
    if action == ports:
        st.status[a] = CHARGING
        added = min(net.rate[a], net.full[a] - st.soc[a])
        row = st.clock[N_CHARGES]
        st.charges[row, C_AIRCRAFT] = a
        st.charges[row, C_PORT] = o
        st.charges[row, C_EPOCH] = t
        st.charges[row, C_ADDED] = added
        st.charges[row, C_SOC_BEFORE] = st.soc[a]
        st.clock[N_CHARGES] = row + 1
        st.soc[a] += added
        st.charging[o] += 1
        cost = added * net.unit_cost[a]
        st.money[2] += cost
        return -cost
    d = action
    row = st.clock[N_FLIGHTS]
    seats = net.seats[a]
    pax = 0
    for age in range(st.waiting.shape[2] - 1, -1, -1):
        take = min(seats - pax, st.waiting[o, d, age])
        st.boarded[row, age] = take
        st.waiting[o, d, age] -= take
        pax += take
    hold = net.delay[t, o]
    arrive = t + (net.minutes[k, o, d] + hold + net.epoch_min - 1) // net.epoch_min
    f = st.flights[row]
    f[F_AIRCRAFT], f[F_ORIGIN], f[F_DEST], f[F_DEPART] = a, o, d, t
    f[F_ARRIVE], f[F_PAX], f[F_SOC_BEFORE] = arrive, pax, st.soc[a]
    st.soc[a] -= net.energy[k, o, d]
    f[F_SOC_AFTER] = st.soc[a]
    st.clock[N_FLIGHTS] = row + 1
    st.occ[o] -= 1
    st.occ[d] += 1
    st.loc[a] = d
    st.free_at[a] = arrive
    st.status[a] = FLYING
    gain = pax * net.margin[o, d]
    cost = net.flight_cost[k, o, d]
    st.money[0] += gain
    st.money[1] += cost
    return gain - cost


@numba.njit(cache=True)
def greedy_action(
    net: Network, st: State, a: int, mask: np.ndarray, charge_below: float, reposition_min: int
) -> int:
    """The greedy demand-following dispatcher's action for aircraft ``a`` (``mask`` filled).

    1. the legal flight with the largest profit ``boarding * margin - flight cost - energy cost``
       among those that carry passengers and make a profit;
    2. else charge if the battery is below ``charge_below`` (fraction of full);
    3. else fly empty to the vertiport whose waiting passengers exceed the seats of the aircraft
       parked at or heading to it by the most, if that excess is at least ``reposition_min``;
    4. else charge if the battery is not full (top up while idle); else stay.
    """
    _t, o, k = st.clock[EPOCH], st.loc[a], net.kind[a]
    ports = net.parking.shape[0]
    seats = net.seats[a]
    best, best_value = -1, 0.0
    for d in range(ports):
        if d == o or not mask[d]:
            continue
        pax = min(seats, st.waiting[o, d].sum())
        value = pax * net.margin[o, d] - net.flight_cost[k, o, d]
        value -= net.energy[k, o, d] * net.unit_cost[a]
        if pax > 0 and value > best_value:
            best, best_value = d, value
    if best >= 0:
        return best
    if mask[ports] and st.soc[a] < charge_below * net.full[a]:
        return ports
    best, best_excess = -1, reposition_min - 1
    for d in range(ports):
        if d == o or not mask[d]:
            continue
        excess = st.waiting[d].sum() - seats * st.occ[d]
        if excess > best_excess:
            best, best_excess = d, excess
    if best >= 0:
        return best
    if mask[ports]:
        return ports
    return o


@numba.njit(cache=True)
def rollout(
    net: Network,
    st: State,
    genome: np.ndarray,
    charge_below: float,
    reposition_min: int,
) -> float:
    """Play a whole day from the reset state: aircraft ``a`` deciding in epoch ``t`` takes
    ``genome[a, t]`` (kernel encoding) when it is legal, else the greedy action. Returns the
    running profit (the official one is :meth:`FleetSchedule.profit`)."""
    ports = net.parking.shape[0]
    mask = np.zeros(ports + 1, dtype=np.bool_)
    total = 0.0
    while True:
        a = advance(net, st)
        if a < 0:
            break
        legal_actions(net, st, a, mask)
        gene = genome[a, st.clock[EPOCH]]
        if gene < 0 or gene > ports or not mask[gene]:
            gene = greedy_action(net, st, a, mask, charge_below, reposition_min)
        total += apply_action(net, st, a, gene)
        st.clock[CURSOR] = a + 1
    return total
