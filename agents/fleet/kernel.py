"""Compiled inference of the fleet agent: candidate features, the scoring network, a whole day.

The agent decides for the aircraft whose turn it is (the env's order, see
:mod:`schedgym.fleet.kernels`). Every legal action -- fly to ``d``, stay, charge -- is a
*candidate*; each gets a feature vector built from what an online dispatcher knows at that
moment (queues, the demand forecast of the scenario, parking and chargers, the aircraft's
battery; never the realised future), and the network scores it::

    score(x) = w_out . relu(x W_in + b_in) + w_skip . x

The legal candidate with the highest score is taken (ties: the lowest action code). Features
(``FEATURES``; ``S`` = the aircraft's seats, ``H`` = ``horizon`` epochs, money / ``money_scale``):

==================  ============================================================================
``is_fly``          1 for a flight to another vertiport
``is_stay``         1 for staying one epoch
``is_charge``       1 for charging one epoch
``board``           passengers who would board (fly) / S
``value``           boarding x margin - flight cost - energy cost (fly); - charge cost (charge)
``flight_cost``     flight cost + energy cost (fly)
``travel``          flight epochs / 6 (fly)
``soc_after``       battery after the action / full
``dest_queue``      passengers waiting at the destination (the origin for stay/charge) / S
``dest_forecast``   expected new passengers leaving the destination in the H epochs after arrival
``dest_aircraft``   other aircraft at or heading to the destination / 4
``dest_chargers``   free chargers at the destination / chargers (0 without chargers)
``dest_parking``    free parking at the destination after the action / parking
``time``            epoch / T
``soc``             battery now / full
``origin_left``     passengers still waiting at the origin after boarding / S
``origin_forecast`` expected new passengers leaving the origin in the next H epochs / S
``dest_excess``     dest_queue + dest_forecast - seats of the other aircraft there / S
==================  ============================================================================
"""

from __future__ import annotations

import numba
import numpy as np

from schedgym.fleet import kernels
from schedgym.fleet.kernels import CURSOR, EPOCH, State
from schedgym.fleet.network import Network

FEATURES = (
    "is_fly",
    "is_stay",
    "is_charge",
    "board",
    "value",
    "flight_cost",
    "travel",
    "soc_after",
    "dest_queue",
    "dest_forecast",
    "dest_aircraft",
    "dest_chargers",
    "dest_parking",
    "time",
    "soc",
    "origin_left",
    "origin_forecast",
    "dest_excess",
)
NUM_FEATURES = len(FEATURES)


@numba.njit(cache=True)
def candidate_features(
    net: Network,
    st: State,
    out_cum: np.ndarray,
    a: int,
    mask: np.ndarray,
    horizon: int,
    money_scale: float,
    x: np.ndarray,
) -> None:
    """Fill ``x`` (``(V + 1, NUM_FEATURES)``) for aircraft ``a``; rows of illegal actions are 0.

    ``out_cum[t, v]``: expected passengers leaving ``v`` in epochs ``0..t-1`` (forecast).
    """
    t, o, k = st.clock[EPOCH], st.loc[a], net.kind[a]
    ports, epochs = net.parking.shape[0], net.num_epochs
    seats = float(net.seats[a])
    full = float(net.full[a])
    soc = float(st.soc[a])
    unit = net.unit_cost[a]
    x[:] = 0.0
    queue_o = 0.0
    for d in range(ports):
        queue_o += st.waiting[o, d].sum()
    end = min(epochs, t + horizon)
    origin_forecast = (out_cum[end, o] - out_cum[t, o]) / seats
    for c in range(ports + 1):
        if not mask[c]:
            continue
        row = x[c]
        row[13] = t / epochs
        row[14] = soc / full
        row[16] = origin_forecast
        if c >= ports or c == o:  # charge (c == ports) or stay
            d = o
            arrive = t + 1
            others = st.occ[o] - 1
            if c == ports:
                added = min(net.rate[a], net.full[a] - st.soc[a])
                row[2] = 1.0
                row[4] = -added * unit / money_scale
                row[7] = (soc + added) / full
            else:
                row[1] = 1.0
                row[7] = soc / full
            row[12] = (net.parking[o] - st.occ[o]) / net.parking[o]
            row[15] = queue_o / seats
        else:
            d = c
            arrive = t + net.nominal[k, o, d]
            others = st.occ[d]
            board = min(seats, float(st.waiting[o, d].sum()))
            cost = net.flight_cost[k, o, d] + net.energy[k, o, d] * unit
            row[0] = 1.0
            row[3] = board / seats
            row[4] = (board * net.margin[o, d] - cost) / money_scale
            row[5] = cost / money_scale
            row[6] = net.nominal[k, o, d] / 6.0
            row[7] = (soc - net.energy[k, o, d]) / full
            row[12] = (net.parking[d] - st.occ[d] - 1) / net.parking[d]
            row[15] = (queue_o - board) / seats
        queue_d = 0.0
        for e in range(ports):
            queue_d += st.waiting[d, e].sum()
        start = min(epochs, arrive)
        stop = min(epochs, start + horizon)
        forecast_d = (out_cum[stop, d] - out_cum[start, d]) / seats
        row[8] = queue_d / seats
        row[9] = forecast_d
        row[10] = others / 4.0
        if net.chargers[d] > 0:
            row[11] = (net.chargers[d] - st.charging[d]) / net.chargers[d]
        row[17] = row[8] + forecast_d - others
        # others x seats / S = others when the fleet is one type; good enough as a feature


@numba.njit(cache=True)
def choose(
    x: np.ndarray,
    mask: np.ndarray,
    w_in: np.ndarray,
    b_in: np.ndarray,
    w_out: np.ndarray,
    w_skip: np.ndarray,
) -> int:
    """The legal candidate (row of ``x``) with the highest score."""
    best, best_score = -1, -np.inf
    hidden = b_in.shape[0]
    features = x.shape[1]
    for c in range(x.shape[0]):
        if not mask[c]:
            continue
        score = 0.0
        for f in range(features):
            score += x[c, f] * w_skip[f]
        for h in range(hidden):
            z = b_in[h]
            for f in range(features):
                z += x[c, f] * w_in[f, h]
            if z > 0.0:
                score += w_out[h] * z
        if score > best_score:
            best, best_score = c, score
    return best


@numba.njit(cache=True)
def agent_action(
    net: Network,
    st: State,
    out_cum: np.ndarray,
    a: int,
    mask: np.ndarray,
    x: np.ndarray,
    horizon: int,
    money_scale: float,
    w_in: np.ndarray,
    b_in: np.ndarray,
    w_out: np.ndarray,
    w_skip: np.ndarray,
) -> int:
    """The agent's action (kernel encoding) for aircraft ``a`` (``mask`` filled)."""
    candidate_features(net, st, out_cum, a, mask, horizon, money_scale, x)
    return choose(x, mask, w_in, b_in, w_out, w_skip)


@numba.njit(cache=True)
def agent_rollout(
    net: Network,
    st: State,
    out_cum: np.ndarray,
    horizon: int,
    money_scale: float,
    w_in: np.ndarray,
    b_in: np.ndarray,
    w_out: np.ndarray,
    w_skip: np.ndarray,
) -> float:
    """Play the whole day from the reset state with the agent; return the running profit."""
    ports = net.parking.shape[0]
    mask = np.zeros(ports + 1, dtype=np.bool_)
    x = np.zeros((ports + 1, w_skip.shape[0]), dtype=np.float64)
    total = 0.0
    while True:
        a = kernels.advance(net, st)
        if a < 0:
            break
        kernels.legal_actions(net, st, a, mask)
        action = agent_action(
            net, st, out_cum, a, mask, x, horizon, money_scale, w_in, b_in, w_out, w_skip
        )
        total += kernels.apply_action(net, st, a, action)
        st.clock[CURSOR] = a + 1
    return total
