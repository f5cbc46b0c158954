"""Seeded random job-shop instances, and toys whose optimum is known.

* :func:`taillard_instance` and :class:`JobShopGenerator`: Taillard (1993) style instances, every
  job visits every machine once in a random order, integer durations uniform in ``[low, high]``.
  These follow Taillard's distribution, not his random-number generator: the published ta01-ta80
  are shipped as data (``schedgym.datasets.jobshop``), not regenerated.
  ``routing="two-set"`` draws Demirkol et al.'s (1998) second class instead (dmu41-dmu80): every
  job first visits machines ``0 .. M//2 - 1`` in a random order, then the others in a random
  order (their durations are uniform in ``[1, 200]``: pass ``high=200``).
* :func:`known_optimum_instance` / :class:`KnownOptimumGenerator`: random instances built around a
  schedule whose makespan equals a trivial lower bound, so their optimum is proven by
  construction (see :func:`known_optimum_instance` for the proof).
* :func:`toy_instance`: ft06 (6 jobs x 6 machines, optimum 55), the smallest classic benchmark.

Same seed, same instance: all randomness comes from :func:`schedgym.core.seeding.make_rng` or a
caller's numpy ``Generator``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from schedgym.core.seeding import make_rng
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import JobShopSchedule, Operation

SizeRange = int | tuple[int, int]


def _check_args(num_jobs: int, num_machines: int, low: int, high: int) -> None:
    if num_jobs < 1 or num_machines < 1:
        raise ValueError(f"need at least one job and one machine, got {num_jobs}x{num_machines}")
    if not 1 <= low <= high:
        raise ValueError(f"durations need 1 <= low <= high, got low={low}, high={high}")


def _content_name(prefix: str, machines: np.ndarray, durations: np.ndarray) -> str:
    """A stable name from the instance's content: same instance, same name."""
    digest = hashlib.blake2b(machines.tobytes() + durations.tobytes(), digest_size=4).hexdigest()
    jobs, ops = machines.shape
    return f"{prefix}-{jobs}x{ops}-{digest}"


ROUTINGS = ("random", "two-set")


def _random_instance(
    rng: np.random.Generator,
    num_jobs: int,
    num_machines: int,
    low: int,
    high: int,
    name: str | None,
    routing: str = "random",
) -> JobShopInstance:
    _check_args(num_jobs, num_machines, low, high)  # routing: JobShopGenerator checks it
    durations = rng.integers(low, high + 1, size=(num_jobs, num_machines), dtype=np.int64)
    routes = np.tile(np.arange(num_machines, dtype=np.int64), (num_jobs, 1))
    if routing == "random":
        machines = rng.permuted(routes, axis=1)  # each row an independent random permutation
        prefix = "taillard"
    else:  # each half of the machines permuted on its own, the first half first
        half = num_machines // 2
        machines = np.concatenate(
            [rng.permuted(routes[:, :half], axis=1), rng.permuted(routes[:, half:], axis=1)],
            axis=1,
        )
        prefix = "two-set"
    return JobShopInstance(name or _content_name(prefix, machines, durations), machines, durations)


def taillard_instance(
    num_jobs: int,
    num_machines: int,
    seed: int,
    low: int = 1,
    high: int = 99,
    name: str | None = None,
) -> JobShopInstance:
    """A Taillard-style instance: each job a random permutation of the machines, durations
    uniform integers in ``[low, high]``. The name defaults to ``taillard-JxM-HASH``."""
    return _random_instance(make_rng(seed), num_jobs, num_machines, low, high, name)


def _draw_size(rng: np.random.Generator, size: SizeRange, what: str) -> int:
    if isinstance(size, int):
        return size
    lo, hi = size
    if not 1 <= lo <= hi:
        raise ValueError(f"{what} range must satisfy 1 <= low <= high, got {size}")
    return int(rng.integers(lo, hi + 1))


@dataclass(frozen=True)
class JobShopGenerator:
    """Samples Taillard-style instances (``routing="two-set"``: Demirkol's second class); sizes
    are fixed or drawn uniformly from inclusive ranges.

    ``JobShopGenerator(num_jobs=(6, 10), num_machines=(4, 6)).sample(rng)`` draws the number of
    jobs, then the number of machines, then routes and durations, all from ``rng``.
    """

    num_jobs: SizeRange = 10
    num_machines: SizeRange = 10
    low: int = 1
    high: int = 99
    routing: str = "random"

    def __post_init__(self) -> None:
        if self.routing not in ROUTINGS:
            raise ValueError(f"routing must be one of {ROUTINGS}, got {self.routing!r}")

    @property
    def max_num_jobs(self) -> int:
        """Largest number of jobs this generator can produce (for padding observations)."""
        return self.num_jobs if isinstance(self.num_jobs, int) else self.num_jobs[1]

    @property
    def max_num_machines(self) -> int:
        """Largest number of machines (and of operations per job) it can produce."""
        return self.num_machines if isinstance(self.num_machines, int) else self.num_machines[1]

    def sample(self, rng: np.random.Generator) -> JobShopInstance:
        """Draw one instance, named ``taillard-JxM-HASH`` (``two-set-JxM-HASH``) after its
        content."""
        jobs = _draw_size(rng, self.num_jobs, "num_jobs")
        machines = _draw_size(rng, self.num_machines, "num_machines")
        return _random_instance(rng, jobs, machines, self.low, self.high, None, self.routing)


def _known_optimum(
    rng: np.random.Generator, num_jobs: int, num_machines: int, low: int, high: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Machines, durations, start times (all ``(num_jobs, num_machines)``) and the optimum."""
    _check_args(num_jobs, num_machines, low, high)
    rounds = max(num_jobs, num_machines)
    # Round of operation (j, i) = pi[(a[j] + b[i]) mod R]: a Latin rectangle, since a and b are
    # injective and pi is a permutation, so rounds differ along every row and every column.
    a = rng.permutation(rounds)[:num_jobs]
    b = rng.permutation(rounds)[:num_machines]
    pi = rng.permutation(rounds)
    round_of = pi[(a[:, None] + b[None, :]) % rounds]  # (num_jobs, num_machines)
    length = rng.integers(low, high + 1, size=rounds, dtype=np.int64)  # (rounds,)
    offset = np.concatenate([[0], np.cumsum(length)[:-1]])  # (rounds,) start of each round
    # Other operations take between half their round and all of it.
    cap = length[round_of]
    floor = np.maximum(low, (cap + 1) // 2)
    durations = rng.integers(floor, cap + 1, dtype=np.int64)
    if num_jobs >= num_machines:  # every machine works in every round: fill one of them
        critical = int(rng.integers(num_machines))
        durations[:, critical] = cap[:, critical]
    if num_machines >= num_jobs:  # every job works in every round: fill one of them
        critical = int(rng.integers(num_jobs))
        durations[critical, :] = cap[critical, :]
    order = np.argsort(round_of, axis=1, kind="stable")  # each job's route: by round
    machines = np.broadcast_to(np.arange(num_machines), (num_jobs, num_machines))
    machines = np.take_along_axis(machines, order, axis=1)
    durations = np.take_along_axis(durations, order, axis=1)
    starts = np.take_along_axis(offset[round_of], order, axis=1)
    return machines.astype(np.int64), durations, starts, int(length.sum())


def known_optimum_instance(
    num_jobs: int,
    num_machines: int,
    seed: int,
    low: int = 1,
    high: int = 99,
    name: str | None = None,
) -> tuple[JobShopInstance, int]:
    """A random instance (each job visits every machine once) and its proven optimal makespan.

    Construction. Let ``R = max(num_jobs, num_machines)`` rounds with random lengths
    ``L_0..L_{R-1}`` in ``[low, high]``; round ``r`` is the window ``[T_r, T_r + L_r)`` with
    ``T_r = L_0 + ... + L_{r-1}``. Give operation ``(job j, machine i)`` the round
    ``rho(j, i) = pi((a_j + b_i) mod R)`` with injective ``a``, ``b`` and a permutation ``pi``:
    for a fixed job the rounds of its machines are distinct, and for a fixed machine the rounds
    of its jobs are distinct (a Latin rectangle). Each job's route visits its machines in
    increasing round order. Durations: ``d(j, i)`` is drawn in ``[max(low, ceil(L/2)), L]`` with
    ``L = L_{rho(j, i)}``, except for one critical resource whose operations take their whole
    round: when ``num_jobs >= num_machines`` every machine has an operation in every round (its
    column holds ``R`` distinct rounds) and one machine ``c`` is critical; otherwise every job
    works in every round and one job is critical (when both hold, one of each).

    Upper bound: starting each operation at ``T_{rho(j, i)}`` is feasible. Each operation lies
    inside its round's window (``d <= L``); a machine has at most one operation per round and
    windows are disjoint, so machines never overlap; a job's consecutive operations sit in
    increasing rounds, so each starts after the previous ends. The critical resource ends its
    last-round operation at ``T_{R-1} + L_{R-1} = L_0 + ... + L_{R-1} =: C``, and nothing ends
    later, so this schedule has makespan ``C``.

    Lower bound: the critical machine's load (or the critical job's total duration) is
    ``sum_r L_r = C``, and a machine processes one operation at a time (a job one operation at a
    time), so every schedule has makespan ``>= C``. Hence the optimum is exactly ``C``.

    The instances are structured (the critical machine or job is the busiest one, and routes
    come from one cyclic Latin rectangle): good for checking solvers and gaps, not as a training
    distribution. :func:`known_optimum_schedule` returns the witness schedule.
    """
    machines, durations, _, optimum = _known_optimum(
        make_rng(seed), num_jobs, num_machines, low, high
    )
    label = name or _content_name("known-optimum", machines, durations)
    return JobShopInstance(label, machines, durations), optimum


def known_optimum_schedule(
    num_jobs: int, num_machines: int, seed: int, low: int = 1, high: int = 99
) -> JobShopSchedule:
    """The witness schedule, of makespan equal to the optimum, for the same arguments as
    :func:`known_optimum_instance` (same seed, same instance)."""
    machines, durations, starts, _ = _known_optimum(
        make_rng(seed), num_jobs, num_machines, low, high
    )
    ops = tuple(
        Operation(j, k, int(machines[j, k]), int(starts[j, k]), int(starts[j, k] + durations[j, k]))
        for j in range(num_jobs)
        for k in range(num_machines)
    )
    name = _content_name("known-optimum", machines, durations)
    return JobShopSchedule(name, ops, solver="construction", status="optimal")


@dataclass(frozen=True)
class KnownOptimumGenerator:
    """Samples known-optimum instances (see :func:`known_optimum_instance`); the interface of
    :class:`JobShopGenerator` plus :meth:`sample_with_optimum`."""

    num_jobs: SizeRange = 6
    num_machines: SizeRange = 6
    low: int = 1
    high: int = 99

    def sample_with_optimum(self, rng: np.random.Generator) -> tuple[JobShopInstance, int]:
        """Draw one instance and its optimal makespan."""
        jobs = _draw_size(rng, self.num_jobs, "num_jobs")
        num_machines = _draw_size(rng, self.num_machines, "num_machines")
        machines, durations, _, optimum = _known_optimum(
            rng, jobs, num_machines, self.low, self.high
        )
        name = _content_name("known-optimum", machines, durations)
        return JobShopInstance(name, machines, durations), optimum

    def sample(self, rng: np.random.Generator) -> JobShopInstance:
        """Draw one instance (its optimum is lost; see :meth:`sample_with_optimum`)."""
        return self.sample_with_optimum(rng)[0]


def toy_instance() -> tuple[JobShopInstance, int]:
    """ft06 (Fisher and Thompson 1963, 6 jobs x 6 machines) and its optimum, 55."""
    from schedgym.datasets import jobshop as shipped

    bounds = shipped.bounds("ft06")
    assert bounds is not None and bounds.optimum is not None
    return shipped.load("ft06"), bounds.optimum
