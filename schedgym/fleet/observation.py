"""Padded-graph observation of FleetScheduling-v0 (``schedgym.core.graph_obs`` convention).

Nodes: the ``V`` vertiports first (node ``v`` = vertiport ``v``), then the ``A`` aircraft (node
``V + a``), then padding. Edges: every route ``o -> d`` (``V (V - 1)``, fixed per scenario), then
one edge per aircraft ``aircraft -> vertiport`` where it stands or is heading (updated in place
when it departs). Features are relative to the *deciding* aircraft where marked (``o`` its
vertiport); passengers are counted in seats of the deciding aircraft, times in epochs / 6:

===  ===================  =======================================================================
0    ``is_vertiport``     1 on vertiport nodes
1    ``is_aircraft``      1 on aircraft nodes
2    ``x``                position / the largest coordinate span
3    ``y``                position / the largest coordinate span
4    ``parking_free``     free parking slots / parking
5    ``chargers_free``    free chargers / chargers (0 without chargers)
6    ``queue``            passengers waiting at the vertiport, all destinations
7    ``queue_from_o``     passengers waiting for ``o -> v`` (deciding aircraft)
8    ``forecast_from_o``  expected new ``o -> v`` passengers in the next hour (deciding aircraft)
9    ``forecast_out``     expected new passengers leaving the vertiport in the next hour
10   ``value_from_o``     profit of flying ``o -> v`` now / (seats x largest margin)
11   ``energy_from_o``    energy of ``o -> v`` / full battery (deciding aircraft)
12   ``time_from_o``      flight epochs of ``o -> v`` without hold (deciding aircraft)
13   ``legal``            vertiports: flying (staying at ``o``) is legal; aircraft: charging is
14   ``is_current``       the deciding aircraft, and its vertiport
15   ``inbound``          aircraft heading to the vertiport / parking
16   ``closed_from_o``    route ``o -> v`` closed now
17   ``soc``              aircraft state of charge / full
18   ``flying``           1 while in flight
19   ``busy_for``         epochs until the aircraft decides again
20   ``down``             1 while down
21   ``seats``            seats / 4
===  ===================  =======================================================================

Global features: time of day (fraction of the day, sine and cosine of the clock), the deciding
aircraft's state of charge, passengers waiting and expected in the next hour (per fleet seat),
share of the fleet free now. ``action_node``: action ``v < V`` -> node ``v``; the charge action
(index ``max_vertiports``) -> the deciding aircraft's node.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from schedgym.core.graph_obs import PaddedGraphBuffer, graph_observation_space
from schedgym.fleet.dynamics import demand_rates
from schedgym.fleet.kernels import FLYING
from schedgym.fleet.simulator import FleetSimulator

NODE_FEATURES = (
    "is_vertiport",
    "is_aircraft",
    "x",
    "y",
    "parking_free",
    "chargers_free",
    "queue",
    "queue_from_o",
    "forecast_from_o",
    "forecast_out",
    "value_from_o",
    "energy_from_o",
    "time_from_o",
    "legal",
    "is_current",
    "inbound",
    "closed_from_o",
    "soc",
    "flying",
    "busy_for",
    "down",
    "seats",
)
GLOBAL_FEATURES = ("day", "clock_sin", "clock_cos", "soc", "waiting", "expected", "free_share")
F = {name: i for i, name in enumerate(NODE_FEATURES)}


def sizes(max_vertiports: int, max_aircraft: int) -> tuple[int, int, int]:
    """``(max_nodes, max_edges, num_actions)``."""
    nodes = max_vertiports + max_aircraft
    edges = max_vertiports * (max_vertiports - 1) + max_aircraft
    return nodes, edges, max_vertiports + 1


def observation_space(max_vertiports: int, max_aircraft: int) -> spaces.Dict:
    """The ``spaces.Dict`` for scenarios of at most the given sizes."""
    nodes, edges, actions = sizes(max_vertiports, max_aircraft)
    return graph_observation_space(nodes, len(NODE_FEATURES), edges, actions, len(GLOBAL_FEATURES))


class FleetObserver:
    """Keeps one episode's padded graph up to date, step by step."""

    def __init__(self, max_vertiports: int, max_aircraft: int) -> None:
        self.max_ports, self.max_aircraft = max_vertiports, max_aircraft
        nodes, edges, actions = sizes(max_vertiports, max_aircraft)
        self.buffer = PaddedGraphBuffer(
            nodes, len(NODE_FEATURES), edges, actions, len(GLOBAL_FEATURES)
        )

    def reset(self, sim: FleetSimulator) -> None:
        """Static parts for a new episode: sizes, route edges, positions, demand forecast."""
        scenario = sim.scenario
        ports, fleet = scenario.num_vertiports, scenario.num_aircraft
        if ports > self.max_ports or fleet > self.max_aircraft:
            raise ValueError(
                f"scenario {scenario.name} ({ports} vertiports, {fleet} aircraft) exceeds the "
                f"env's padding ({self.max_ports} vertiports, {self.max_aircraft} aircraft)"
            )
        self.sim, self.ports, self.fleet = sim, ports, fleet
        buf = self.buffer
        buf.reset(ports + fleet)
        src, dst = np.nonzero(~np.eye(ports, dtype=bool))
        buf.set_edges(src, dst)
        self.first_aircraft_edge = buf.num_edges
        for a in range(fleet):
            buf.add_edge(ports + a, int(sim.state.loc[a]))
        net = sim.net
        xy = np.array([[v.x_km, v.y_km] for v in scenario.vertiports], dtype=np.float64)
        span = max(float(np.ptp(xy, axis=0).max()), 1.0)
        f = buf.node_features
        f[:ports, F["is_vertiport"]] = 1.0
        f[ports : ports + fleet, F["is_aircraft"]] = 1.0
        f[:ports, F["x"]] = (xy[:, 0] - xy[:, 0].min()) / span
        f[:ports, F["y"]] = (xy[:, 1] - xy[:, 1].min()) / span
        f[ports : ports + fleet, F["seats"]] = net.seats / 4.0
        rates = demand_rates(scenario)
        self.cum = np.concatenate([np.zeros((1, ports, ports)), np.cumsum(rates, axis=0)])
        self.hour = max(1, 60 // scenario.epoch_min)
        self.margin_scale = max(float(net.margin.max()) * float(net.seats.max()), 1.0)
        self.fleet_seats = float(net.seats.sum())
        buf.action_node[:ports] = np.arange(ports)

    def on_departure(self, aircraft: int) -> None:
        """Point the aircraft's edge at its new destination."""
        self.buffer.edge_index[1, self.first_aircraft_edge + aircraft] = self.sim.state.loc[
            aircraft
        ]

    def refresh(self) -> None:
        """Recompute the time-dependent features for the simulator's current decision."""
        sim, buf, net, st = self.sim, self.buffer, self.sim.net, self.sim.state
        ports, fleet = self.ports, self.fleet
        f = buf.node_features
        vp = f[:ports]
        ac = f[ports : ports + fleet]
        t = min(sim.epoch, net.num_epochs - 1)
        ahead = min(net.num_epochs, t + self.hour)
        forecast = self.cum[ahead] - self.cum[t]  # (V, V)
        waiting = st.waiting.sum(axis=2)  # (V, V)
        vp[:, F["parking_free"]] = (net.parking - st.occ) / net.parking
        vp[:, F["chargers_free"]] = np.where(
            net.chargers > 0, (net.chargers - st.charging) / np.maximum(net.chargers, 1), 0.0
        )
        vp[:, F["forecast_out"]] = forecast.sum(axis=1) / 4.0
        vp[:, F["queue"]] = waiting.sum(axis=1) / 4.0
        flying = (st.status == FLYING) & (st.free_at > sim.epoch)
        down = (net.down_start <= t) & (t < net.down_end)
        inbound = np.bincount(st.loc[flying], minlength=ports)
        vp[:, F["inbound"]] = inbound / net.parking
        ac[:, F["soc"]] = st.soc / net.full
        ac[:, F["flying"]] = flying
        ac[:, F["busy_for"]] = np.maximum(st.free_at - sim.epoch, 0) / 6.0
        ac[:, F["down"]] = down
        f[: ports + fleet, F["is_current"]] = 0.0
        f[: ports + fleet, F["legal"]] = 0.0
        mask = buf.action_mask
        mask.fill(0)
        a = sim.aircraft
        g = buf.global_features
        g[0] = sim.epoch / net.num_epochs
        hours = (sim.scenario.start_min + sim.epoch * net.epoch_min) / 60.0
        g[1], g[2] = np.sin(2 * np.pi * hours / 24.0), np.cos(2 * np.pi * hours / 24.0)
        g[4] = waiting.sum() / self.fleet_seats
        g[5] = forecast.sum() / self.fleet_seats
        g[6] = np.count_nonzero((st.free_at <= sim.epoch) & ~down) / fleet
        if a < 0:
            g[3] = 0.0
            buf.action_node[self.max_ports] = -1
            return
        o, k, seats = int(st.loc[a]), int(net.kind[a]), float(net.seats[a])
        vp[:, F["queue_from_o"]] = waiting[o] / seats
        vp[:, F["forecast_from_o"]] = forecast[o] / seats
        board = np.minimum(waiting[o], seats)
        value = board * net.margin[o] - net.flight_cost[k, o] - net.energy[k, o] * net.unit_cost[a]
        value[o] = 0.0
        vp[:, F["value_from_o"]] = value / self.margin_scale
        vp[:, F["energy_from_o"]] = net.energy[k, o] / net.full[a]
        vp[:, F["time_from_o"]] = net.nominal[k, o] / 6.0
        vp[:, F["closed_from_o"]] = net.closed[t, o]
        vp[:, F["legal"]] = sim.mask[:ports]
        vp[o, F["is_current"]] = 1.0
        ac[a, F["is_current"]] = 1.0
        ac[a, F["legal"]] = sim.mask[ports]
        mask[:ports] = sim.mask[:ports]
        mask[self.max_ports] = sim.mask[ports]
        buf.action_node[self.max_ports] = ports + a
        g[3] = st.soc[a] / net.full[a]
