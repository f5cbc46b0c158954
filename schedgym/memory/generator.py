"""Seeded memory-mapping instances that look like ML-compiler traces, and small toys.

* :func:`compiler_trace`: one operation per program step. Each step writes an activation, read
  by the next step and, sometimes, again much later (a skip connection); some steps also use a
  one-step scratch buffer; a few long-lived weights (read-only, some live for the whole program)
  are read now and then. Activation sizes follow a slowly drifting scale (encoder/decoder-like)
  with log-normal noise, spanning orders of magnitude, and now and then one is huge. Sizes are
  multiples of ``alignment``. Each step's compute time is its bytes divided by a random
  "arithmetic intensity" bandwidth, so some steps are compute-bound and others memory-bound.
* :class:`AssignGenerator`: traces for ``assign``, the fast memory a fraction of the peak live
  load, so that only some buffers fit.
* :class:`PackGenerator` / :func:`tight_pack_instance`: traces for ``pack`` whose total live load
  peaks *exactly* at the capacity and that provably fit it: a witness packing (best fit by
  roughly decreasing size) sets the capacity to its peak ``C``; then, at the step ``t*`` of the
  highest load, every free address gap of the witness below ``C`` gets a filler buffer live
  around ``t*`` (inside the time window where that gap stays free). The load at ``t*`` is then
  ``C``, a lower bound on any peak, and the witness (plus fillers) reaches it: the optimum is
  ``C``. A solver fits such an instance only by finding a perfect packing at ``t*``.
* :class:`UniformGenerator`: small uniform random intervals and sizes (tests, brute force).

Same seed, same instance: all randomness comes from the caller's numpy ``Generator`` or
:func:`schedgym.core.seeding.make_rng`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from schedgym.core.seeding import make_rng
from schedgym.hardware.memory import FAST_BANDWIDTH, SLOW_BANDWIDTH, two_tier
from schedgym.memory.instance import Buffer, MemoryInstance, Variant, default_uses
from schedgym.memory.simulator import PlacementState

SizeRange = int | tuple[int, int]
RatioRange = float | tuple[float, float]


@dataclass(frozen=True)
class TraceConfig:
    """Shape of a compiler trace (see the module docstring)."""

    weight_fraction: float = 0.08  # share of buffers that are long-lived weights
    skip_probability: float = 0.15  # an activation is read again much later
    scratch_probability: float = 0.15  # a step also uses a one-step scratch buffer
    huge_probability: float = 0.02  # an activation is 8-32x its usual size
    min_size: int = 1 << 10
    max_size: int = 1 << 20
    alignment: int = 256


def _draw(rng: np.random.Generator, value: SizeRange) -> int:
    if isinstance(value, int):
        return value
    lo, hi = value
    if not 1 <= lo <= hi:
        raise ValueError(f"range must satisfy 1 <= low <= high, got {value}")
    return int(rng.integers(lo, hi + 1))


def _draw_ratio(rng: np.random.Generator, value: RatioRange) -> float:
    if isinstance(value, int | float):
        return float(value)
    return float(rng.uniform(value[0], value[1]))


def _align(size: float, alignment: int) -> int:
    return max(alignment, int(-(-int(size) // alignment) * alignment))


def _content_name(prefix: str, buffers: list[Buffer], capacity: int) -> str:
    text = repr([(b.start, b.end, b.size, b.uses, b.writes) for b in buffers]) + str(capacity)
    return f"{prefix}-{len(buffers)}-{hashlib.blake2b(text.encode(), digest_size=4).hexdigest()}"


def compute_times(buffers: list[Buffer], intensity: np.ndarray) -> np.ndarray:
    """Compute time of each step: the bytes its uses touch divided by ``intensity[t]``
    (rounded to 3 decimals, so that files round-trip exactly)."""
    touched = np.zeros(len(intensity))
    for b in buffers:
        np.add.at(touched, np.array(b.uses), b.size)
    return np.round(touched / intensity, 3)


def compiler_trace(
    rng: np.random.Generator, num_buffers: int, config: TraceConfig = TraceConfig()
) -> tuple[list[Buffer], np.ndarray]:
    """``num_buffers`` buffers of a compiler-like trace (ids in start order) and the
    "arithmetic intensity" of each step (``(horizon,)`` float64, bytes per time unit): see
    :func:`compute_times`. Intensities lie between 0.6x the default slow bandwidth and the fast
    one, so some steps stay compute-bound even in slow memory and others stay memory-bound."""
    if num_buffers < 2:
        raise ValueError(f"need at least 2 buffers, got {num_buffers}")
    c = config
    weights = max(1, round(num_buffers * c.weight_fraction))
    lo, hi = np.log2(c.min_size), np.log2(c.max_size)
    raw: list[tuple[int, int, int, tuple[int, ...], tuple[int, ...]]] = []
    drift = rng.uniform(lo + 1, hi - 2)
    step = 0
    activations: list[tuple[int, int]] = []  # (step, size)
    while len(activations) + len(raw) < num_buffers - weights:
        drift = float(np.clip(drift + rng.normal(0.0, 0.35), lo + 1, hi - 1.5))
        size = 2.0 ** (drift + rng.normal(0.0, 0.7))
        if rng.random() < c.huge_probability:
            size *= rng.uniform(8, 32)
        activations.append((step, _align(np.clip(size, c.min_size, 32 * c.max_size), c.alignment)))
        if (
            rng.random() < c.scratch_probability
            and len(activations) + len(raw) < num_buffers - weights
        ):
            scratch = _align(2.0 ** rng.uniform(lo, drift), c.alignment)
            raw.append((step, step + 1, scratch, (step,), (step,)))
        step += 1
    horizon = step
    for t, size in activations:
        reads = {t + 1} if t + 1 < horizon else set()
        if rng.random() < c.skip_probability and t + 2 < horizon:
            reads.add(int(min(horizon - 1, t + 2 + rng.geometric(1 / 8))))
        uses = (t, *sorted(reads))
        raw.append((t, uses[-1] + 1, size, uses, (t,)))
    for _ in range(weights):
        size = _align(2.0 ** rng.uniform(lo + 2, hi), c.alignment)
        count = int(rng.integers(1, 4))
        uses = tuple(sorted({int(u) for u in rng.integers(0, horizon, size=count)}))
        if rng.random() < 0.5:  # a parameter live for the whole program
            raw.append((0, horizon, size, uses, ()))
        else:  # fetched for its first use, freed after its last
            raw.append((uses[0], uses[-1] + 1, size, uses, ()))
    raw.sort(key=lambda r: (r[0], r[1], r[2]))
    buffers = [Buffer(i, s, e, z, u, w) for i, (s, e, z, u, w) in enumerate(raw)]
    low, high = np.log10(SLOW_BANDWIDTH) - 0.2, np.log10(FAST_BANDWIDTH)
    return buffers, 10.0 ** rng.uniform(low, high, horizon)


@dataclass(frozen=True)
class AssignGenerator:
    """Compiler traces for ``assign``: fast memory of ``capacity_ratio`` x the peak live load
    (rounded up to the alignment)."""

    num_buffers: SizeRange = (20, 40)
    capacity_ratio: RatioRange = (0.2, 0.5)
    config: TraceConfig = TraceConfig()

    @property
    def max_num_buffers(self) -> int:
        """Largest number of buffers it produces (for padding observations)."""
        return self.num_buffers if isinstance(self.num_buffers, int) else self.num_buffers[1]

    def sample(self, rng: np.random.Generator) -> MemoryInstance:
        """Draw one instance, named ``assign-N-HASH`` after its content."""
        buffers, intensity = compiler_trace(rng, _draw(rng, self.num_buffers), self.config)
        compute = compute_times(buffers, intensity)
        probe = MemoryInstance.from_buffers("probe", buffers, 1)
        ratio = _draw_ratio(rng, self.capacity_ratio)
        capacity = _align(ratio * probe.max_load(), self.config.alignment)
        name = _content_name("assign", buffers, capacity)
        return MemoryInstance.from_buffers(name, buffers, two_tier(capacity), compute, "assign")


def _witness(instance: MemoryInstance, rng: np.random.Generator) -> np.ndarray:
    """Best fit in a random order: a packing no baseline's own order produced."""
    state = PlacementState(instance)
    for i in rng.permutation(instance.num_buffers):
        offset = state.best_fit(int(i))
        assert offset is not None  # no limit: the top gap always fits
        state.place(int(i), offset)
    return state.result()


Row = tuple[int, int, int, int]  # (start, end, size, offset) of a buffer in the witness


def _fill_step(rows: list[Row], capacity: int, step: int, rng: np.random.Generator) -> list[Row]:
    """Buffers filling every free address gap of the witness ``rows`` below ``capacity`` at
    ``step``, each live on a short random range around ``step`` where its gap stays free."""
    s, e, z, o = (np.array(col, dtype=np.int64) for col in zip(*rows, strict=True))
    horizon = int(e.max())
    live = np.flatnonzero((s <= step) & (e > step))
    blocks = sorted(zip(o[live].tolist(), (o[live] + z[live]).tolist(), strict=True))
    gaps, cursor = [], 0
    for low, top in blocks:
        if low > cursor:
            gaps.append((cursor, low))
        cursor = max(cursor, top)
    if cursor < capacity:
        gaps.append((cursor, capacity))
    out = []
    for a, b in gaps:
        near = (o < b) & (o + z > a)  # buffers sharing some address of the gap
        left = int(e[near & (e <= step)].max(initial=0))
        right = int(s[near & (s > step)].min(initial=horizon))
        start = max(left, step - int(rng.geometric(0.4)) + 1)
        end = min(right, step + int(rng.geometric(0.4)))
        out.append((start, end, b - a, a))
    return out


def tight_pack_instance(
    rng: np.random.Generator,
    num_buffers: int,
    config: TraceConfig = TraceConfig(),
    tight_steps: int = 3,
) -> tuple[MemoryInstance, np.ndarray]:
    """A ``pack`` instance whose peak live load equals its capacity, and a witness packing of
    peak exactly the capacity (offsets by buffer index).

    The witness is best fit in a random order over a :func:`compiler_trace`; its peak is the
    capacity ``C``. At the step of the highest live load, then at ``tight_steps - 1`` more
    random steps, every free gap of the witness below ``C`` gets a filler buffer, so the live load
    there is exactly ``C`` (the first such step makes ``C`` the peak live load, a lower bound on
    any peak, which the witness meets: the optimum is ``C``). More tight steps, harder instance.
    """
    if tight_steps < 1:
        raise ValueError(f"tight_steps must be >= 1, got {tight_steps}")
    trace, intensity = compiler_trace(rng, num_buffers, config)
    probe = MemoryInstance.from_buffers("probe", trace, 1)
    offsets = _witness(probe, rng)
    capacity = int((offsets + probe.sizes).max())
    rows: list[Row] = [
        (b.start, b.end, b.size, int(o)) for b, o in zip(trace, offsets, strict=True)
    ]
    uses = {k: (b.uses, b.writes) for k, b in enumerate(trace)}
    times, load = probe.load_profile()
    step = int(times[int(rng.choice(np.flatnonzero(load == load.max())))])
    for k in range(tight_steps):
        if k:
            step = int(rng.integers(0, probe.horizon))
        rows.extend(_fill_step(rows, capacity, step, rng))
    order = sorted(range(len(rows)), key=lambda k: (rows[k][0], rows[k][1], rows[k][2], rows[k][3]))
    final = []
    for i, k in enumerate(order):
        start, end, size, _ = rows[k]
        use, write = uses.get(k) or default_uses(start, end)
        final.append(Buffer(i, start, end, size, use, write))
    compute = compute_times(final, intensity)
    name = _content_name("pack", final, capacity)
    instance = MemoryInstance.from_buffers(name, final, two_tier(capacity), compute)
    return instance, np.array([rows[k][3] for k in order], dtype=np.int64)


@dataclass(frozen=True)
class PackGenerator:
    """Tight ``pack`` instances (see :func:`tight_pack_instance`); ``num_buffers`` counts the
    trace's buffers, to which the fillers (a few per tight step) are added."""

    num_buffers: SizeRange = (20, 40)
    tight_steps: SizeRange = (1, 3)
    config: TraceConfig = TraceConfig()

    @property
    def max_num_buffers(self) -> int:
        """An upper bound on the buffers it produces (trace plus fillers), for padding."""
        high = self.num_buffers if isinstance(self.num_buffers, int) else self.num_buffers[1]
        return 2 * high + 16

    def sample(self, rng: np.random.Generator) -> MemoryInstance:
        """Draw one instance, named ``pack-N-HASH`` after its content."""
        n = _draw(rng, self.num_buffers)
        steps = _draw(rng, self.tight_steps)
        return tight_pack_instance(rng, n, self.config, steps)[0]


@dataclass(frozen=True)
class UniformGenerator:
    """Uniform random live ranges in ``[0, horizon)`` and integer sizes in ``[1, max_size]``;
    the capacity is the peak live load (``pack``) or ``capacity_ratio`` of it (``assign``)."""

    num_buffers: SizeRange = 6
    horizon: int = 8
    max_size: int = 6
    variant: Variant = "pack"
    capacity_ratio: float = 0.5

    @property
    def max_num_buffers(self) -> int:
        """Largest number of buffers it produces."""
        return self.num_buffers if isinstance(self.num_buffers, int) else self.num_buffers[1]

    def sample(self, rng: np.random.Generator) -> MemoryInstance:
        """Draw one instance, named ``uniform-N-HASH``."""
        n = _draw(rng, self.num_buffers)
        a = rng.integers(0, self.horizon, size=n)
        b = rng.integers(0, self.horizon, size=n)
        starts, ends = np.minimum(a, b), np.maximum(a, b) + 1
        sizes = rng.integers(1, self.max_size + 1, size=n)
        buffers = [
            Buffer(i, int(s), int(e), int(z))
            for i, (s, e, z) in enumerate(zip(starts, ends, sizes, strict=True))
        ]
        load = MemoryInstance.from_buffers("probe", buffers, 1).max_load()
        capacity = load if self.variant == "pack" else max(1, int(self.capacity_ratio * load))
        compute = rng.uniform(0.0, 0.05, size=int(ends.max()))
        name = _content_name("uniform", buffers, capacity)
        return MemoryInstance.from_buffers(name, buffers, capacity, compute, self.variant)


def sample_instance(
    generator: AssignGenerator | PackGenerator | UniformGenerator, seed: int
) -> MemoryInstance:
    """One instance of ``generator`` from an integer seed."""
    return generator.sample(make_rng(seed))
