"""Active (Giffler-Thompson) schedule construction for JobShop-v0.

Non-delay construction (:class:`~schedgym.jobshop.simulator.JobShopSimulator`) only starts
operations at the current clock, so the optimum may be out of reach. Active construction
(Giffler & Thompson 1960) reaches every active schedule, and some optimal schedule is always
active:

* every job's next operation has an **earliest feasible start**: the start of the earliest idle
  interval of its machine that begins at or after the job is ready (previous operation ended,
  job released) and is long enough for it (**left-shift insertion**: it may go into a gap before
  operations already on the machine);
* ``C*`` is the smallest earliest completion (earliest start + processing time) over those
  operations, the lowest job index breaking ties, and ``M*`` its machine;
* the legal actions (the conflict set) are the jobs whose next operation is on ``M*`` and can
  start before ``C*``; the chosen one starts at its earliest feasible start.

Each machine's timeline is kept as sorted numpy interval arrays (start, end, node id) that are
updated by insertion, one interval per dispatch; after a dispatch only the jobs whose next
operation is on the changed machine (and the dispatched job) get their earliest start
recomputed (:func:`~schedgym.jobshop.kernels.active_candidates`).

``now`` is the earliest feasible start over all undispatched next operations: nothing is ever
placed before it, it never decreases, and the observation treats operations ending at or before
it as finished.

Active construction plans ahead on known data, so it supports the static job shop and release
times (arrivals, known from the start, as in the job shop with release dates). Processing-time
noise, breakdowns and blocking are revealed online (or tie a machine's occupation to the next
start of the job) and are rejected with :class:`ConstructionError` (a ``ValueError``, and a
``SchedGymError`` so the CLI prints it as one line; :func:`check_supported`).
"""

from __future__ import annotations

import numpy as np

from schedgym.core.errors import UnsupportedVariantError
from schedgym.jobshop.dynamics import DynamicsConfig
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.kernels import active_candidates, insert_interval
from schedgym.jobshop.simulator import NOT_SET, JobShopSimulator

#: the values of JobShop-v0's ``construction`` option
CONSTRUCTIONS = ("non-delay", "active")


class ConstructionError(UnsupportedVariantError, ValueError):
    """An unknown ``construction``, or one the episode's dynamics do not support."""


def check_supported(construction: str, dynamics: DynamicsConfig) -> None:
    """Raise :class:`ConstructionError` for an unknown construction or an unsupported
    combination of construction and dynamics."""
    if construction not in CONSTRUCTIONS:
        raise ConstructionError(
            f"construction must be one of {CONSTRUCTIONS}, not {construction!r}"
        )
    if construction == "non-delay":
        return
    unsupported = [
        name
        for name, on in (
            ("duration_noise", dynamics.duration_noise > 0),
            ("mtbf (breakdowns)", dynamics.mtbf is not None),
            ("blocking", dynamics.blocking),
        )
        if on
    ]
    if unsupported:
        raise ConstructionError(
            f"construction='active' does not support {', '.join(unsupported)}: it inserts "
            "operations into earlier idle gaps, which needs processing times and machine "
            "availability known in advance (use construction='non-delay'; release times via "
            "arrival_mean are supported)"
        )


class ActiveSimulator(JobShopSimulator):
    """Episode state under active construction (see the module docstring).

    Extra state: per machine the sorted intervals ``slot_start[m, :n]``, ``slot_end[m, :n]``
    and their node ids ``slot_node[m, :n]`` with ``n = slot_count[m]``; per job the earliest
    feasible start ``est`` of its next operation and its insertion position ``est_pos``;
    ``inserted`` is ``(machine, position)`` of the last dispatch.
    """

    def __init__(
        self, instance: JobShopInstance, dynamics: DynamicsConfig, rng: np.random.Generator
    ) -> None:
        check_supported("active", dynamics)
        machines = instance.num_machines
        capacity = int(np.bincount(instance.machines.ravel(), minlength=machines).max())
        self.slot_start = np.zeros((machines, capacity), dtype=np.int64)
        self.slot_end = np.zeros((machines, capacity), dtype=np.int64)
        self.slot_node = np.full((machines, capacity), NOT_SET, dtype=np.int64)
        self.slot_count = np.zeros(machines, dtype=np.int64)
        self.est = np.zeros(instance.num_jobs, dtype=np.int64)
        self.est_pos = np.zeros(instance.num_jobs, dtype=np.int64)
        self.inserted = (NOT_SET, NOT_SET)
        self._dirty = (NOT_SET, NOT_SET)  # (machine, job) changed by the last dispatch
        super().__init__(instance, dynamics, rng)

    def dispatch(self, job: int) -> list[tuple[int, int]]:
        """Start ``job``'s next operation at its earliest feasible start (left-shifted into the
        earliest idle gap that fits). Returns ``[(job, index)]``; the caller checks legality."""
        k = int(self.next_op[job])
        m = int(self.machines[job, k])
        start = int(self.est[job])
        end = start + int(self.actual[job, k])
        pos = int(self.est_pos[job])
        count = int(self.slot_count[m])
        insert_interval(
            self.slot_start[m],
            self.slot_end[m],
            self.slot_node[m],
            count,
            pos,
            start,
            end,
            job * self.num_ops + k,
        )
        self.slot_count[m] = count + 1
        self.start[job, k], self.end[job, k] = start, end
        self.job_free[job] = end
        self.machine_free[m] = max(int(self.machine_free[m]), end)
        self.next_op[job] = k + 1
        self.dispatched += 1
        self.inserted = (m, pos)
        self._dirty = (m, job)
        return [(job, k)]

    def advance(self) -> None:
        """Recompute the conflict set and ``now`` (the earliest feasible start left)."""
        count, earliest = active_candidates(
            self.next_op,
            self._machines_ext,
            self.actual,
            self.job_free,
            self.slot_start,
            self.slot_end,
            self.slot_count,
            self._dirty[0],
            self._dirty[1],
            self.est,
            self.est_pos,
            self.mask,
        )
        if count:
            self.now = max(self.now, int(earliest))

    def neighbours(self) -> tuple[int, int]:
        """Node ids before and after the last inserted operation on its machine (-1: none)."""
        m, pos = self.inserted
        before = int(self.slot_node[m, pos - 1]) if pos > 0 else NOT_SET
        after = int(self.slot_node[m, pos + 1]) if pos + 1 < self.slot_count[m] else NOT_SET
        return before, after
