"""Melange (Griggs et al., 2024): the cheapest heterogeneous GPU mix that meets an SLO for a
workload, as an integer program over simulator-measured per-GPU capacities.

1. Requests fall into size buckets (prompt tokens x output tokens, :data:`PROMPT_EDGES`,
   :data:`OUTPUT_EDGES`), as in the paper.
2. :func:`capacity`: for each replica type and bucket, the highest arrival rate (requests/s) one
   replica sustains with SLO attainment >= ``target``, measured with the simulator (vLLM
   batching; Poisson arrivals, seed 0; requests of that bucket from the shipped conversation
   trace; every run validated), by doubling then bisecting the rate.
3. :func:`provision`: OR-Tools (SCIP) integer program: ``n_g`` replicas of type ``g`` (integer)
   and the share ``x_bg`` of bucket ``b``'s rate ``rate_b`` each type serves (continuous: the
   paper's slices, made fine), minimising ``sum_g price_g n_g`` subject to ``sum_g x_bg = 1``
   and ``sum_b x_bg rate_b / cap_bg <= n_g`` (a replica's buckets share its capacity linearly).
4. :class:`MelangeRouter`: a request of bucket ``b`` goes to the type ``g`` that is furthest
   behind its share ``x_bg`` (smooth weighted round robin), then to that type's least loaded
   replica. :func:`allocate` is step 3 for a fixed pool (minimise the highest utilisation): the
   ``melange`` solver routes an instance's own pool with it.

``python -m schedgym.baselines.llm.directions melange [RATE_FACTOR] [SECONDS]`` provisions the
conversation trace's first ``SECONDS`` seconds (arrivals ``RATE_FACTOR`` times faster), checks
the mix by simulating it (it must meet the SLO; if not, the capacities are scaled by 0.9 and the
program solved again), and compares it with the cheapest single-type pool that meets the SLO.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
from ortools.linear_solver import pywraplp

from schedgym.baselines.llm.policies import VLLM
from schedgym.datasets import llm as shipped
from schedgym.llm.formats import read_trace
from schedgym.llm.hardware import ReplicaType
from schedgym.llm.instance import Cluster, ServingInstance, Workload
from schedgym.llm.simulator import Simulator, simulate
from schedgym.llm.validate import validate_schedule

PROMPT_EDGES = (512, 1536)  # buckets: < 512, 512-1535, >= 1536 prompt tokens
OUTPUT_EDGES = (200,)  # buckets: < 200, >= 200 output tokens
NUM_BUCKETS = (len(PROMPT_EDGES) + 1) * (len(OUTPUT_EDGES) + 1)
PROFILE_REQUESTS = 400


def buckets(workload: Workload) -> np.ndarray:
    """Each request's size bucket (prompt bucket x output bucket, row major)."""
    p = np.searchsorted(PROMPT_EDGES, workload.prompt_tokens, side="right")
    o = np.searchsorted(OUTPUT_EDGES, workload.output_tokens, side="right")
    return np.asarray(p * (len(OUTPUT_EDGES) + 1) + o, dtype=np.int64)


@functools.lru_cache(maxsize=1)
def _trace() -> tuple[Workload, np.ndarray]:
    trace = read_trace(shipped.trace_path("azure2023_conv"))
    return trace, buckets(trace)


def _profile_workload(bucket: int, rate: float) -> Workload:
    trace, of = _trace()
    idx = np.flatnonzero(of == bucket)[:PROFILE_REQUESTS]
    gaps = np.random.default_rng(0).exponential(1.0, len(idx)) / rate
    return Workload(
        f"melange-b{bucket}", np.cumsum(gaps), trace.prompt_tokens[idx], trace.output_tokens[idx]
    )


def _attainment(replica: ReplicaType, bucket: int, rate: float) -> float:
    inst = ServingInstance(_profile_workload(bucket, rate), Cluster((replica,)))
    _, schedule = simulate(inst, VLLM(), _Only())
    return validate_schedule(inst, schedule).slo_attainment


@functools.cache
def capacity(replica: ReplicaType, bucket: int, target: float = 0.95, steps: int = 6) -> float:
    """Requests/s of ``bucket`` one ``replica`` serves with SLO attainment >= ``target`` (0 if
    not even at 0.05/s); see the module docstring."""
    if not (_trace()[1] == bucket).any():
        return 0.0
    lo, hi = 0.0, 0.25
    while _attainment(replica, bucket, hi) >= target:
        lo, hi = hi, 2 * hi
        if hi > 512:
            return lo
    if lo == 0.0 and _attainment(replica, bucket, 0.05) < target:
        return 0.0
    lo = max(lo, 0.05)
    for _ in range(steps):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if _attainment(replica, bucket, mid) >= target else (lo, mid)
    return lo


@dataclass
class Mix:
    """A pool (replicas per type) and the share of each bucket each type serves."""

    counts: dict[ReplicaType, int]
    shares: dict[ReplicaType, np.ndarray]  # (NUM_BUCKETS,) per type
    price_per_hour: float = 0.0
    status: str = ""

    def cluster(self) -> Cluster:
        """The pool, types in the order given."""
        return Cluster(tuple(r for r, c in self.counts.items() for _ in range(c)))


def _rates(workload: Workload) -> np.ndarray:
    return np.bincount(buckets(workload), minlength=NUM_BUCKETS) / max(workload.duration_s, 1e-9)


def _program(
    rates: np.ndarray, caps: dict[ReplicaType, np.ndarray], fixed: dict[ReplicaType, int] | None
) -> Mix:
    solver = pywraplp.Solver.CreateSolver("SCIP")
    types = list(caps)
    x = {
        (b, r): solver.NumVar(0.0, 1.0 if caps[r][b] > 0 else 0.0, f"x{b}_{k}")
        for b in range(NUM_BUCKETS)
        for k, r in enumerate(types)
    }
    n = {r: solver.IntVar(0, 512, f"n{k}") for k, r in enumerate(types)}
    z = solver.NumVar(0.0, solver.infinity(), "z")
    for b in range(NUM_BUCKETS):
        if rates[b] > 0:
            solver.Add(sum(x[b, r] for r in types) == 1)
    for r in types:
        load = sum(x[b, r] * (rates[b] / caps[r][b]) for b in range(NUM_BUCKETS) if caps[r][b] > 0)
        if fixed is None:
            solver.Add(load <= n[r])
        else:
            solver.Add(n[r] == fixed[r])
            solver.Add(load <= z * fixed[r])
    if fixed is None:
        solver.Minimize(sum(r.price_per_hour * n[r] for r in types))
    else:
        solver.Minimize(z)
    status = solver.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        raise RuntimeError("the Melange program has no solution (a bucket no type can serve?)")
    counts = {r: round(n[r].solution_value()) for r in types}
    shares = {r: np.array([x[b, r].solution_value() for b in range(NUM_BUCKETS)]) for r in types}
    price = sum(r.price_per_hour * c for r, c in counts.items())
    return Mix(
        counts, shares, price, "optimal" if status == pywraplp.Solver.OPTIMAL else "feasible"
    )


def provision(
    workload: Workload, types: list[ReplicaType], target: float = 0.95, scale: float = 1.0
) -> Mix:
    """The cheapest mix of ``types`` for ``workload`` (capacities times ``scale``)."""
    caps = {
        r: scale * np.array([capacity(r, b, target) for b in range(NUM_BUCKETS)]) for r in types
    }
    mix = _program(_rates(workload), caps, None)
    mix.counts = {r: c for r, c in mix.counts.items() if c > 0}
    return mix


def allocate(instance: ServingInstance, target: float = 0.95) -> Mix:
    """Bucket shares for the instance's own pool, minimising the highest utilisation."""
    counts: dict[ReplicaType, int] = {}
    for r in instance.cluster.replicas:
        counts[r] = counts.get(r, 0) + 1
    caps = {r: np.array([capacity(r, b, target) for b in range(NUM_BUCKETS)]) for r in counts}
    return _program(_rates(instance.workload), caps, counts)


@dataclass
class _Only:
    name: str = "only"

    def route(self, sim: Simulator, request: int) -> int:
        return 0


@dataclass
class MelangeRouter:
    """Bucket -> type by the mix's shares (smooth weighted round robin), then least loaded."""

    mix: Mix
    name: str = "melange"
    _sent: dict[tuple[int, int], float] = field(default_factory=dict, repr=False)
    _seen: dict[int, int] = field(default_factory=dict, repr=False)
    _bucket: np.ndarray | None = field(default=None, repr=False)

    def route(self, sim: Simulator, request: int) -> int:
        """The replica for ``request``."""
        if self._bucket is None:
            self._bucket = buckets(sim.instance.workload)
        b = int(self._bucket[request])
        types = [r for r in self.mix.shares if any(x == r for x in sim.instance.cluster.replicas)]
        seen = self._seen.get(b, 0) + 1
        self._seen[b] = seen

        def behind(k: int) -> float:
            return float(self.mix.shares[types[k]][b]) * seen - self._sent.get((b, k), 0.0)

        k = max(range(len(types)), key=behind)
        self._sent[(b, k)] = self._sent.get((b, k), 0.0) + 1.0
        pool = [i for i, r in enumerate(sim.instance.cluster.replicas) if r == types[k]]
        return min(pool, key=lambda i: sim.replicas[i].outstanding_tokens)


GPU_TYPES = ("a10", "l4", "a40", "l40s", "a100", "h100")


def _check(instance: ServingInstance, router: object) -> tuple[float, float, float]:
    """Validated (SLO attainment, TTFT p99, TBT p99) of serving ``instance``."""
    _, schedule = simulate(instance, VLLM(), router)  # type: ignore[arg-type]
    m = validate_schedule(instance, schedule)
    return m.slo_attainment, m.ttft[2], m.tbt[2]


def _row(pool: str, price: float, att: float, ttft: float, tbt: float) -> None:
    print(f"| {pool} | {price:.2f} | {100 * att:.1f} | {ttft:.2f} | {tbt:.3f} |")


def main(argv: list[str]) -> None:
    """Direction (b): Melange's mix against the cheapest single-type pool (module docstring)."""
    from schedgym.baselines.llm.routers import LeastLoaded
    from schedgym.llm.hardware import gpu_type, model_shape

    rate = float(argv[0]) if argv else 4.0
    seconds = float(argv[1]) if len(argv) > 1 else 600.0
    target = 0.95
    trace = _trace()[0]
    window = trace.head(int(np.searchsorted(trace.arrivals, seconds))).scaled(rate)
    types = [ReplicaType(model_shape("llama-2-7b"), gpu_type(g)) for g in GPU_TYPES]
    print(f"azure2023_conv first {seconds:g} s ({window.num_requests} requests) x{rate:g}")
    print(f"SLO: attainment >= {target} (TTFT <= 2 s, mean TPOT <= 0.1 s); llama-2-7b, 1 GPU each")
    rates = _rates(window)
    print("| type | $/h | " + " | ".join(f"b{b} ({rates[b]:.2f}/s)" for b in range(NUM_BUCKETS)))
    print("|---|---:|" + "---:|" * NUM_BUCKETS)
    for r in types:
        caps = " | ".join(f"{capacity(r, b, target):.2f}" for b in range(NUM_BUCKETS))
        print(f"| {r.gpu.name} | {r.price_per_hour:.3f} | {caps} |")
    print("| pool | $/h | SLO % | TTFT p99 | TBT p99 |")
    print("|---|---:|---:|---:|---:|")
    for r in types:
        n = max(1, sum(provision(window, [r], target).counts.values()))
        tried: dict[int, tuple[float, float, float]] = {}
        while True:
            tried[n] = _check(ServingInstance(window, Cluster((r,) * n)), LeastLoaded())
            if tried[n][0] >= target:
                if n - 1 < 1 or n - 1 in tried:
                    break
                n -= 1
            elif n + 1 in tried:
                n += 1
                break
            else:
                n += 1
        att, ttft, tbt = tried[n]
        _row(f"{n} x {r.gpu.name}", n * r.price_per_hour, att, ttft, tbt)
    scale = 1.0
    for _ in range(5):
        mix = provision(window, types, target, scale)
        inst = ServingInstance(window, mix.cluster())
        att, ttft, tbt = _check(inst, MelangeRouter(mix))
        names = " + ".join(f"{c} x {r.gpu.name}" for r, c in mix.counts.items())
        _row(f"melange (capacity x{scale:.2f}): {names}", mix.price_per_hour, att, ttft, tbt)
        if att >= target:
            break
        scale *= 0.9
