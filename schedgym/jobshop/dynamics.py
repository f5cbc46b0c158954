"""Random conditions of a dynamic job-shop episode: processing-time noise, job arrivals and
machine breakdowns, sampled from seeded streams so that the same seed gives the same episode.

* **Noise**: realised duration ``max(1, round(d * (1 + cv * N(0, 1))))`` per operation, revealed
  to the agent only when the operation finishes (the agent sees nominal durations).
* **Arrivals**: job 0 is released at 0, later jobs after exponential inter-arrival times of mean
  ``arrival_mean`` (in job order), rounded to integers.
* **Breakdowns** (as in the interrupting swap-allowed blocking job shop, ISBJSSP): each machine
  alternates up times ~ Exp(``mtbf``) and repairs ~ Exp(``mttr``) (at least 1), from its own
  random stream, so breakdowns do not depend on the order they are looked up in. A breakdown
  interrupts the running operation, which resumes after the repair (preempt-resume).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from schedgym.core.seeding import spawn_rngs


@dataclass(frozen=True)
class DynamicsConfig:
    """Switches and parameters of the dynamic variants (all off by default)."""

    duration_noise: float = 0.0  # coefficient of variation of processing times; 0 = exact
    arrival_mean: float = 0.0  # mean inter-arrival time of jobs; 0 = all released at 0
    mtbf: float | None = None  # mean time between failures per machine; None = no breakdowns
    mttr: float = 20.0  # mean time to repair
    blocking: bool = False  # no buffers: a job holds its machine until its next one takes it
    swaps: bool = True  # with blocking: a cycle of blocked jobs may move at once

    def __post_init__(self) -> None:
        if self.duration_noise < 0:
            raise ValueError("duration_noise must be >= 0")
        if self.arrival_mean < 0:
            raise ValueError("arrival_mean must be >= 0")
        if self.mtbf is not None and (self.mtbf <= 0 or self.mttr <= 0):
            raise ValueError("mtbf and mttr must be positive")

    @property
    def is_static(self) -> bool:
        """True when the episode is the deterministic, non-blocking job shop."""
        return (
            self.duration_noise == 0
            and self.arrival_mean == 0
            and self.mtbf is None
            and not self.blocking
        )


def realised_durations(nominal: np.ndarray, cv: float, rng: np.random.Generator) -> np.ndarray:
    """Noisy integer durations (>= 1) around ``nominal``; ``nominal`` itself when ``cv == 0``."""
    if cv == 0:
        return nominal
    noisy = np.rint(nominal * (1.0 + cv * rng.standard_normal(nominal.shape)))
    return np.maximum(noisy, 1).astype(np.int64)


def release_times(num_jobs: int, mean: float, rng: np.random.Generator) -> np.ndarray:
    """Integer release times: 0 for job 0, then cumulative exponential gaps of mean ``mean``."""
    if mean == 0:
        return np.zeros(num_jobs, dtype=np.int64)
    gaps = rng.exponential(mean, size=num_jobs)
    gaps[0] = 0.0
    return np.rint(np.cumsum(gaps)).astype(np.int64)


@dataclass
class Breakdowns:
    """Lazily extended per-machine breakdown intervals ``[start, end)``, sorted per machine."""

    mtbf: float
    mttr: float
    seed: int
    num_machines: int
    starts: list[list[int]] = field(default_factory=list)
    ends: list[list[int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rngs = spawn_rngs(self.seed, self.num_machines)
        self.starts = [[] for _ in range(self.num_machines)]
        self.ends = [[] for _ in range(self.num_machines)]
        self._cursor = [0] * self.num_machines

    def _extend(self, machine: int, until: int) -> None:
        rng, cursor = self._rngs[machine], self._cursor[machine]
        while cursor <= until:
            up = max(1, round(rng.exponential(self.mtbf)))
            down = max(1, round(rng.exponential(self.mttr)))
            self.starts[machine].append(cursor + up)
            self.ends[machine].append(cursor + up + down)
            cursor += up + down
        self._cursor[machine] = cursor

    def is_up(self, machine: int, time: int) -> bool:
        """Whether ``machine`` is working at ``time``."""
        self._extend(machine, time)
        starts, ends = self.starts[machine], self.ends[machine]
        i = int(np.searchsorted(ends, time, side="right"))
        return not (i < len(starts) and starts[i] <= time)

    def repair_time(self, machine: int, time: int) -> int:
        """End of the breakdown in progress at ``time`` (``time`` itself when up)."""
        self._extend(machine, time)
        starts, ends = self.starts[machine], self.ends[machine]
        i = int(np.searchsorted(ends, time, side="right"))
        return ends[i] if i < len(starts) and starts[i] <= time else time

    def finish_time(self, machine: int, start: int, work: int) -> int:
        """When ``work`` units of processing started at ``start`` end, pausing in breakdowns."""
        current, remaining = start, work
        i = int(np.searchsorted(self.ends[machine], start, side="right"))
        while True:
            self._extend(machine, current + remaining)
            starts, ends = self.starts[machine], self.ends[machine]
            if i >= len(starts) or starts[i] >= current + remaining:
                return current + remaining
            if starts[i] > current:
                remaining -= starts[i] - current
            current = ends[i]
            i += 1

    def next_repair_after(self, time: int) -> int | None:
        """Earliest repair end strictly after ``time`` among machines down at ``time``."""
        best: int | None = None
        for m in range(self.num_machines):
            end = self.repair_time(m, time)
            if end > time and (best is None or end < best):
                best = end
        return best

    def intervals_before(self, horizon: int) -> tuple[tuple[int, int, int], ...]:
        """All breakdowns starting before ``horizon`` as ``(machine, start, end)``."""
        out: list[tuple[int, int, int]] = []
        for m in range(self.num_machines):
            self._extend(m, horizon)
            out.extend(
                (m, s, e) for s, e in zip(self.starts[m], self.ends[m], strict=True) if s < horizon
            )
        return tuple(out)
