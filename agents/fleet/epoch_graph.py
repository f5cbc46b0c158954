"""The epoch-level graph agent for FleetScheduling-v0 (``fleet.ppo-gnn``): numpy/numba side.

A day has 96 decision epochs. Per epoch (the first aircraft of the epoch is about to decide):

1. **Once per epoch** -- :func:`graph_inputs` (numba) reads the simulator state into a graph of
   vertiport nodes (queues, oldest passengers, forecast demand, parking, chargers, aircraft on
   the ground / inbound, holds, closures), aircraft nodes (battery, free / busy-until / down,
   status, seats) and dense route features (waiting ``o -> d`` passengers, margin, flight time,
   energy, closure); :meth:`EpochGraphPolicy.encode` (numpy) runs the message-passing encoder
   ONCE (2 rounds, hidden 32: vertiport <-> vertiport over routes, aircraft -> vertiport,
   vertiport -> aircraft) and projects the aircraft and vertiport embeddings for the head.
2. **Per free aircraft, in the env's order** -- :func:`play_epoch` (numba, one call for the whole
   epoch) recomputes the ES kernel's 18 candidate features
   (:func:`schedgym.agents.fleet.kernel.candidate_features`; they see the passengers, parking and
   chargers taken by the earlier aircraft of the epoch) and scores each legal candidate::

       logit(c) = prior(x_c) / tau + w2 . relu(x_c Wx + P_a[a] + P_d[dest(c)] + b1) + b2

   ``prior`` is the shipped ES agent's scoring network (fixed), ``P_a``, ``P_d`` the projected
   embeddings of the aircraft and of the candidate's destination (its own vertiport for stay and
   charge). ``w2`` and ``b2`` start at zero, so the untrained policy's argmax is the ES agent's.
   The encoder is not re-run within the epoch.

Greedy play takes the argmax (ties: the lowest action code, as the ES agent); training samples
from the softmax with uniforms drawn by the caller (deterministic for a seed). The trainer
(:mod:`schedgym.agents.fleet.epoch_ppo`) holds the same network in torch; this module only reads
its weights (``torch.load(..., weights_only=True)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numba
import numpy as np

from schedgym.agents.fleet.kernel import NUM_FEATURES, candidate_features
from schedgym.agents.fleet.policy import FleetPolicy, forecast_table, money_scale
from schedgym.fleet import kernels
from schedgym.fleet.kernels import CURSOR, EPOCH, State
from schedgym.fleet.network import Network
from schedgym.fleet.simulator import FleetSimulator

DEFAULT_EPOCH_CHECKPOINT = (
    Path(__file__).resolve().parent.parent / "checkpoints" / "fleet_epoch_gnn.pt"
)
VERTIPORT_FEATURES = 13
AIRCRAFT_FEATURES = 9
ROUTE_FEATURES = 5
PRIOR_KEYS = ("w_in", "b_in", "w_out", "w_skip")


@numba.njit(cache=True)
def graph_inputs(
    net: Network,
    st: State,
    out_cum: np.ndarray,
    horizon: int,
    vf: np.ndarray,
    af: np.ndarray,
    loc: np.ndarray,
    ef: np.ndarray,
) -> None:
    """Fill the epoch graph: ``vf`` ``(V, 13)``, ``af`` ``(A, 9)``, ``loc`` ``(A,)`` (ground
    vertiport, or destination in flight), ``ef`` ``(V, V, 5)`` route features."""
    t = st.clock[EPOCH]
    ports, fleet, epochs = net.parking.shape[0], net.kind.shape[0], net.num_epochs
    seats = 0.0
    for a in range(fleet):
        seats += net.seats[a]
    seats = max(seats / max(fleet, 1), 1.0)
    ms = max(np.max(net.margin) * np.max(net.seats), 1.0)
    top = st.waiting.shape[2] - 1
    vf[:] = 0.0
    af[:] = 0.0
    ef[:] = 0.0
    end = min(epochs, t + horizon)
    tt = min(t, epochs - 1)
    for v in range(ports):
        row = vf[v]
        closed = 0.0
        for d in range(ports):
            q = st.waiting[v, d].sum()
            row[0] += q / seats
            row[1] += st.waiting[v, d, top] / seats
            if d != v:
                if net.closed[tt, v, d]:
                    closed += 1.0
                e = ef[v, d]
                e[0] = q / seats
                e[1] = net.margin[v, d] * np.max(net.seats) / ms
                e[2] = net.nominal[0, v, d] / 6.0
                e[3] = 1.0 if net.closed[tt, v, d] else 0.0
                e[4] = net.energy[0, v, d] / net.full[0]
        row[2] = (out_cum[end, v] - out_cum[min(t, epochs), v]) / seats
        row[3] = (net.parking[v] - st.occ[v]) / net.parking[v]
        row[4] = st.occ[v] / net.parking[v]
        if net.chargers[v] > 0:
            row[5] = (net.chargers[v] - st.charging[v]) / net.chargers[v]
        row[8] = net.delay[tt, v] / 30.0
        row[9] = t / epochs
        row[10] = closed / max(ports - 1, 1)
        row[11] = net.parking[v] / 10.0
        row[12] = net.chargers[v] / 5.0
    for a in range(fleet):
        v = st.loc[a]
        loc[a] = v
        row = af[a]
        down = net.down_start[a] <= t < net.down_end[a]
        free = st.free_at[a] <= t and not down
        row[0] = st.soc[a] / net.full[a]
        row[1] = (st.soc[a] - net.reserve[a]) / net.full[a]
        row[2] = 1.0 if free else 0.0
        row[3] = min(max(st.free_at[a] - t, 0), 12) / 6.0
        row[4] = 1.0 if down else 0.0
        row[5] = 1.0 if st.status[a] == kernels.FLYING else 0.0
        row[6] = 1.0 if st.status[a] == kernels.CHARGING else 0.0
        row[7] = net.seats[a] / 4.0
        row[8] = t / epochs
        if st.status[a] == kernels.FLYING and st.free_at[a] > t:
            vf[v, 7] += 0.25
        elif free:
            vf[v, 6] += 0.25


@numba.njit(cache=True)
def play_epoch(
    net: Network,
    st: State,
    out_cum: np.ndarray,
    horizon: int,
    scale: float,
    prior: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    head: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float],
    sample: bool,
    uniforms: np.ndarray,
    rec_x: np.ndarray,
    rec_prior: np.ndarray,
    rec_mask: np.ndarray,
    rec_int: np.ndarray,
    rec_logp: np.ndarray,
    count: np.ndarray,
    step: int,
) -> float:
    """Decide for every free aircraft of the current epoch, in index order; return the rewards.

    ``head`` = ``(Wx, P_a, P_d, b1, w2, b2, 1 / tau)``. When ``rec_x`` has rows, every decision is
    recorded at row ``count[0]`` (features, prior scores, mask, ``(step, aircraft, origin,
    action)``, log-probability) and ``count[0]`` is incremented."""
    w_in, b_in, w_out, w_skip = prior
    wx, pa, pd, b1, w2, b2, inv_tau = head
    ports = net.parking.shape[0]
    hidden, width = b_in.shape[0], b1.shape[0]
    mask = np.zeros(ports + 1, dtype=np.bool_)
    x = np.zeros((ports + 1, NUM_FEATURES))
    pri = np.zeros(ports + 1)
    logit = np.full(ports + 1, -np.inf)
    hp, hq = np.zeros(hidden), np.zeros(width)
    t = st.clock[EPOCH]
    total = 0.0
    while True:
        a = kernels.advance(net, st)
        if a < 0 or st.clock[EPOCH] != t:
            break
        kernels.legal_actions(net, st, a, mask)
        candidate_features(net, st, out_cum, a, mask, horizon, scale, x)
        o = st.loc[a]
        best, top = -1, -np.inf
        for c in range(ports + 1):
            logit[c] = -np.inf
            pri[c] = 0.0
            if not mask[c]:
                continue
            score = 0.0  # the ES kernel's score, same summation order per unit (kernel.choose)
            for f in range(NUM_FEATURES):
                score += x[c, f] * w_skip[f]
            hp[:] = b_in
            d = c if c < ports else o
            for h in range(width):
                hq[h] = b1[h] + pa[a, h] + pd[d, h]
            for f in range(NUM_FEATURES):
                xf = x[c, f]
                if xf != 0.0:
                    for h in range(hidden):
                        hp[h] += xf * w_in[f, h]
                    for h in range(width):
                        hq[h] += xf * wx[f, h]
            for h in range(hidden):
                if hp[h] > 0.0:
                    score += w_out[h] * hp[h]
            pri[c] = score
            corr = b2
            for h in range(width):
                if hq[h] > 0.0:
                    corr += w2[h] * hq[h]
            logit[c] = score * inv_tau + corr
            if logit[c] > top:
                best, top = c, logit[c]
        norm = 0.0
        for c in range(ports + 1):
            if mask[c]:
                norm += np.exp(logit[c] - top)
        log_norm = top + np.log(norm)
        action = best
        if sample:
            u, acc = uniforms[a], 0.0
            for c in range(ports + 1):
                if mask[c]:
                    acc += np.exp(logit[c] - log_norm)
                    action = c
                    if acc >= u:
                        break
        row = count[0]
        if row < rec_x.shape[0]:
            rec_x[row, : ports + 1] = x
            rec_prior[row, : ports + 1] = pri
            rec_mask[row, : ports + 1] = mask
            rec_int[row, 0], rec_int[row, 1] = step, a
            rec_int[row, 2], rec_int[row, 3] = o, action
            rec_logp[row] = logit[action] - log_norm
            count[0] = row + 1
        total += kernels.apply_action(net, st, a, action)
        st.clock[CURSOR] = a + 1
    return total


@numba.njit(cache=True)
def _dense(x: np.ndarray, w: np.ndarray, out: np.ndarray, accumulate: bool) -> None:
    """``out (+)= x @ w`` for 2-D ``x`` ``(n, i)`` and ``w`` ``(i, o)``."""
    if not accumulate:
        out[:] = 0.0
    for n in range(x.shape[0]):
        for i in range(x.shape[1]):
            v = x[n, i]
            if v != 0.0:
                for o in range(w.shape[1]):
                    out[n, o] += v * w[i, o]


@numba.njit(cache=True)
def encode_graph(
    vf: np.ndarray,
    af: np.ndarray,
    loc: np.ndarray,
    ef: np.ndarray,
    inputs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    rounds: tuple[np.ndarray, ...],
    head_a: np.ndarray,
    head_d: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The message-passing encoder (compiled), once per epoch: ``(P_a, P_d, hv, ha)``.

    ``inputs`` = ``(Wv, bv, Wa, ba)``; ``rounds`` = per-round stacks ``(msg_node, msg_edge_w,
    msg_edge_b, v_self_w, v_self_b, v_air, v_route, a_self_w, a_self_b, a_port)``. Per round:
    ``agg_v`` = mean of the embeddings of the aircraft at (or heading to) ``v``; ``m_v`` = mean
    over ``u != v`` of ``relu(hv_u Wn + [e_vu, e_uv] We + be)``; ``hv' = relu(hv Ws + bs +
    agg Wair + m Wroute) + hv``; ``ha' = relu(ha Wsa + bsa + hv[loc] Wport) + ha``."""
    wv, bv, wa, ba = inputs
    mn, mew, meb, vsw, vsb, vair, vroute, asw, asb, aport = rounds
    ports, fleet, h = vf.shape[0], af.shape[0], bv.shape[0]
    fe = ef.shape[2]
    hv = np.zeros((ports, h))
    ha = np.zeros((fleet, h))
    _dense(vf, wv, hv, False)
    _dense(af, wa, ha, False)
    hv = np.maximum(hv + bv, 0.0)
    ha = np.maximum(ha + ba, 0.0)
    count = np.zeros(ports)
    for a in range(fleet):
        count[loc[a]] += 1.0
    for v in range(ports):
        count[v] = max(count[v], 1.0)
    agg = np.zeros((ports, h))
    node = np.zeros((ports, h))
    m = np.zeros((ports, h))
    msg = np.zeros(h)
    hv_new = np.zeros((ports, h))
    ha_new = np.zeros((fleet, h))
    at = np.zeros((fleet, h))
    for r in range(mn.shape[0]):
        agg[:] = 0.0
        for a in range(fleet):
            for k in range(h):
                agg[loc[a], k] += ha[a, k]
        for v in range(ports):
            agg[v] /= count[v]
        _dense(hv, mn[r], node, False)
        m[:] = 0.0
        for v in range(ports):
            for u in range(ports):
                if u == v:
                    continue
                for k in range(h):
                    msg[k] = node[u, k] + meb[r, k]
                for f in range(fe):
                    e1, e2 = ef[v, u, f], ef[u, v, f]
                    if e1 != 0.0:
                        for k in range(h):
                            msg[k] += e1 * mew[r, f, k]
                    if e2 != 0.0:
                        for k in range(h):
                            msg[k] += e2 * mew[r, fe + f, k]
                for k in range(h):
                    if msg[k] > 0.0:
                        m[v, k] += msg[k]
        m /= max(ports - 1, 1)
        _dense(hv, vsw[r], hv_new, False)
        _dense(agg, vair[r], hv_new, True)
        _dense(m, vroute[r], hv_new, True)
        for a in range(fleet):
            for k in range(h):
                at[a, k] = hv[loc[a], k]
        _dense(ha, asw[r], ha_new, False)
        _dense(at, aport[r], ha_new, True)
        hv = np.maximum(hv_new + vsb[r], 0.0) + hv
        ha = np.maximum(ha_new + asb[r], 0.0) + ha
    pa = np.zeros((fleet, head_a.shape[1]))
    pd = np.zeros((ports, head_d.shape[1]))
    _dense(ha, head_a, pa, False)
    _dense(hv, head_d, pd, False)
    return pa, pd, hv, ha


@numba.njit(cache=True)
def play_day(
    net: Network,
    st: State,
    out_cum: np.ndarray,
    horizon: int,
    scale: float,
    prior: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    inputs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    rounds: tuple[np.ndarray, ...],
    head: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float],
    sample: bool,
    uniforms: np.ndarray,
) -> tuple[float, int]:
    """The whole day compiled (inference): per epoch :func:`graph_inputs` and
    :func:`encode_graph` once, then :func:`play_epoch`. ``head`` = ``(head_a, head_d, Wx, b1,
    w2, b2, 1 / tau)``; ``uniforms`` ``(T, A)``. Returns the profit and the encoder calls."""
    ports, fleet = net.parking.shape[0], net.kind.shape[0]
    head_a, head_d, wx, b1, w2, b2, inv_tau = head
    vf = np.zeros((ports, VERTIPORT_FEATURES))
    af = np.zeros((fleet, AIRCRAFT_FEATURES))
    loc = np.zeros(fleet, dtype=np.int64)
    ef = np.zeros((ports, ports, ROUTE_FEATURES))
    rec_x = np.zeros((0, ports + 1, NUM_FEATURES))
    rec_p = np.zeros((0, ports + 1))
    rec_m = np.zeros((0, ports + 1), dtype=np.bool_)
    rec_i = np.zeros((0, 4), dtype=np.int64)
    rec_l = np.zeros(0)
    count = np.zeros(1, dtype=np.int64)
    kernels.reset_state(net, st)
    total, calls = 0.0, 0
    while kernels.advance(net, st) >= 0:
        t = st.clock[EPOCH]
        graph_inputs(net, st, out_cum, horizon, vf, af, loc, ef)
        pa, pd, _, _ = encode_graph(vf, af, loc, ef, inputs, rounds, head_a, head_d)
        total += play_epoch(
            net, st, out_cum, horizon, scale, prior, (wx, pa, pd, b1, w2, b2, inv_tau),
            sample, uniforms[t], rec_x, rec_p, rec_m, rec_i, rec_l, count, calls,
        )  # fmt: skip
        calls += 1
    return total, calls


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


@dataclass
class Recorder:
    """Buffers of one played day, for the trainer: per decision and per epoch step."""

    x: np.ndarray
    prior: np.ndarray
    mask: np.ndarray
    ints: np.ndarray  # step, aircraft, origin, action
    logp: np.ndarray
    count: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    graphs: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=list
    )
    rewards: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    @classmethod
    def for_sim(cls, sim: FleetSimulator) -> Recorder:
        """Buffers large enough for one day of ``sim``."""
        rows = sim.net.kind.shape[0] * sim.net.num_epochs
        width = sim.num_ports + 1
        return cls(
            x=np.zeros((rows, width, NUM_FEATURES)),
            prior=np.zeros((rows, width)),
            mask=np.zeros((rows, width), dtype=np.bool_),
            ints=np.zeros((rows, 4), dtype=np.int64),
            logp=np.zeros(rows),
        )


@dataclass
class EpochGraphPolicy:
    """The epoch graph policy in numpy: encoder/head weights (float64), the fixed ES prior."""

    weights: dict[str, np.ndarray]
    prior: FleetPolicy
    tau: float = 0.1
    meta: dict[str, Any] = field(default_factory=dict)
    encoder_calls: int = 0

    @property
    def rounds(self) -> int:
        """Message-passing rounds of the encoder."""
        return sum(1 for k in self.weights if k.startswith("rounds.") and k.endswith(".v_self.w"))

    def __post_init__(self) -> None:
        w, r = self.weights, range(self.rounds)
        names = (
            "msg_node.w",
            "msg_edge.w",
            "msg_edge.b",
            "v_self.w",
            "v_self.b",
            "v_air.w",
            "v_route.w",
            "a_self.w",
            "a_self.b",
            "a_port.w",
        )
        self._inputs = (w["v_in.w"], w["v_in.b"], w["a_in.w"], w["a_in.b"])
        self._rounds = tuple(
            np.ascontiguousarray(np.stack([w[f"rounds.{i}.{n}"] for i in r])) for n in names
        )

    def encode(
        self, vf: np.ndarray, af: np.ndarray, loc: np.ndarray, ef: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The encoder, once per epoch (compiled, :func:`encode_graph`): ``(P_a, P_d, hv, ha)``,
        the projected aircraft and vertiport embeddings for the head and the embeddings."""
        self.encoder_calls += 1
        w = self.weights
        return encode_graph(
            vf, af, loc, ef, self._inputs, self._rounds, w["head_a.w"], w["head_d.w"]
        )

    def value(self, hv: np.ndarray, ha: np.ndarray) -> float:
        """The critic's value of an epoch (training only)."""
        pooled = np.concatenate([hv.mean(axis=0), ha.mean(axis=0)])
        hid = _relu(pooled @ self.weights["value_hid.w"] + self.weights["value_hid.b"])
        return float((hid @ self.weights["value_out.w"] + self.weights["value_out.b"])[0])

    def play(
        self,
        sim: FleetSimulator,
        forecast: np.ndarray | None = None,
        rng: np.random.Generator | None = None,
        recorder: Recorder | None = None,
    ) -> float:
        """Play ``sim``'s whole day from the start; greedy unless ``rng`` is given (then sample).
        Without ``recorder`` the day is one compiled call (:func:`play_day`); with it, a Python
        loop over epochs records every decision and epoch graph for training (same decisions
        when greedy). Returns the profit."""
        net, st = sim.net, sim.state
        table = forecast_table(sim.scenario) if forecast is None else forecast
        scale, horizon = money_scale(net), self.prior.horizon
        ports, fleet = sim.num_ports, net.kind.shape[0]
        prior = (self.prior.w_in, self.prior.b_in, self.prior.w_out, self.prior.w_skip)
        w = self.weights
        if recorder is None:  # inference: the whole day in one compiled call
            uniforms = (
                rng.random((net.num_epochs, fleet))
                if rng is not None
                else np.zeros((net.num_epochs, fleet))
            )
            head = (
                w["head_a.w"],
                w["head_d.w"],
                w["head_x.w"],
                w["head_x.b"],
                w["head_out.w"][:, 0].copy(),
                float(w["head_out.b"][0]),
                1.0 / self.tau,
            )
            total, calls = play_day(
                net, st, table, horizon, scale, prior, self._inputs, self._rounds, head,
                rng is not None, uniforms,
            )  # fmt: skip
            self.encoder_calls += int(calls)
            sim.aircraft = -1
            sim.mask.fill(False)
            return float(total)
        vf = np.zeros((ports, VERTIPORT_FEATURES))
        af = np.zeros((fleet, AIRCRAFT_FEATURES))
        loc = np.zeros(fleet, dtype=np.int64)
        ef = np.zeros((ports, ports, ROUTE_FEATURES))
        rec = recorder
        uniforms = np.zeros(fleet)
        kernels.reset_state(net, st)
        total, step = 0.0, 0
        while kernels.advance(net, st) >= 0:
            graph_inputs(net, st, table, horizon, vf, af, loc, ef)
            pa, pd, hv, ha = self.encode(vf, af, loc, ef)
            head = (
                w["head_x.w"],
                pa,
                pd,
                w["head_x.b"],
                w["head_out.w"][:, 0],
                float(w["head_out.b"][0]),
                1.0 / self.tau,
            )
            if rng is not None:
                uniforms = np.asarray(rng.random(fleet), dtype=np.float64)
            reward = play_epoch(
                net,
                st,
                table,
                horizon,
                scale,
                prior,
                head,
                rng is not None,
                uniforms,
                rec.x,
                rec.prior,
                rec.mask,
                rec.ints,
                rec.logp,
                rec.count,
                step,
            )
            if recorder is not None:
                recorder.graphs.append((vf.copy(), af.copy(), loc.copy(), ef.copy()))
                recorder.rewards.append(reward)
                recorder.values.append(self.value(hv, ha))
            total += reward
            step += 1
        sim.aircraft = -1
        sim.mask.fill(False)
        return total

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> EpochGraphPolicy:
        """From a checkpoint dictionary (see :func:`load_epoch_policy`)."""
        tensors = state["model"]
        weights = {
            k: np.ascontiguousarray(v.detach().cpu().double().numpy())
            for k, v in tensors.items()
            if not k.startswith("prior.")
        }
        prior_arrays = {
            k: np.ascontiguousarray(tensors[f"prior.{k}"].detach().cpu().double().numpy())
            for k in PRIOR_KEYS
        }
        config = state.get("config", {})
        horizon = int(config.get("horizon", 6))
        prior = FleetPolicy(horizon=horizon, **prior_arrays)
        return cls(weights, prior, float(config.get("tau", 0.1)), dict(state.get("meta", {})))


def load_epoch_policy(path: str | Path | None = None) -> EpochGraphPolicy:
    """Read a ``.pt`` checkpoint with ``torch.load(path, weights_only=True)``: a dictionary with
    ``model`` (tensors, including the fixed ES prior as ``prior.*``), ``config`` and ``meta``."""
    import torch

    state = torch.load(
        Path(path or DEFAULT_EPOCH_CHECKPOINT), map_location="cpu", weights_only=True
    )
    if not isinstance(state, dict) or "model" not in state:
        raise ValueError(f"{path}: not a fleet epoch-graph checkpoint (no 'model')")
    return EpochGraphPolicy.from_state(state)
