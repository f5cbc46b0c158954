"""The job-shop instance type (files are read and written by :mod:`schedgym.jobshop.formats`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Largest processing time of one operation. With at most :data:`MAX_OPERATIONS` operations,
#: every sum of durations (a job, a machine's load, a makespan) stays below 10**16, far inside
#: int64 (about 9.2e18).
MAX_DURATION = 10**9
#: Largest number of operations (jobs x operations per job) of one instance.
MAX_OPERATIONS = 10**7
#: Machine ids are below this (one machine-indexed array is allocated per instance).
MAX_MACHINES = 10**5


@dataclass(frozen=True, eq=False)
class JobShopInstance:
    """A deterministic job shop: every job visits machines in a fixed route.

    ``machines[j, k]`` is the machine of the k-th operation of job j and ``durations[j, k]`` its
    processing time: an integer in ``[0, MAX_DURATION]`` (orb07 really has a zero-length
    operation), not all zero; machine ids in ``[0, MAX_MACHINES)``; at most ``MAX_OPERATIONS``
    operations. A violation raises ``ValueError``. Arrays are read-only.
    """

    name: str
    machines: np.ndarray  # (num_jobs, num_ops) int64
    durations: np.ndarray  # (num_jobs, num_ops) int64

    def __post_init__(self) -> None:
        machines = _int_array(self.name, "machine ids", self.machines)
        durations = _int_array(self.name, "durations", self.durations)
        if machines.ndim != 2 or machines.shape != durations.shape or machines.size == 0:
            raise ValueError(f"{self.name}: machines and durations must be equal non-empty 2-D")
        if machines.size > MAX_OPERATIONS:
            raise ValueError(f"{self.name}: more than {MAX_OPERATIONS} operations")
        if (durations < 0).any() or (durations > MAX_DURATION).any():
            raise ValueError(f"{self.name}: durations must be in [0, {MAX_DURATION}]")
        if not durations.any():
            raise ValueError(f"{self.name}: every duration is 0 (nothing to schedule)")
        if (machines < 0).any() or (machines >= MAX_MACHINES).any():
            raise ValueError(f"{self.name}: machine ids must be in [0, {MAX_MACHINES})")
        machines.setflags(write=False)
        durations.setflags(write=False)
        object.__setattr__(self, "machines", machines)
        object.__setattr__(self, "durations", durations)

    @property
    def num_jobs(self) -> int:
        """Number of jobs."""
        return int(self.machines.shape[0])

    @property
    def num_ops(self) -> int:
        """Operations per job."""
        return int(self.machines.shape[1])

    @property
    def num_machines(self) -> int:
        """Number of machines (highest id + 1)."""
        return int(self.machines.max()) + 1

    @property
    def shape_name(self) -> str:
        """``"JxM"``, the size-group label used by suites (e.g. ``15x15``)."""
        return f"{self.num_jobs}x{self.num_machines}"

    def lower_bound(self) -> int:
        """Trivial lower bound on the makespan: max of the longest job and the busiest machine."""
        job_lb = int(self.durations.sum(axis=1).max())
        load = np.bincount(self.machines.ravel(), weights=self.durations.ravel())
        return max(job_lb, int(load.max()))


def _int_array(name: str, what: str, values: object) -> np.ndarray:
    """``values`` as an int64 array; values that are not whole numbers or overflow int64 raise
    ``ValueError`` (NumPy would raise ``OverflowError`` or truncate a float)."""
    try:
        raw = np.asarray(values)
        if raw.dtype.kind == "f":
            whole = np.isfinite(raw) & (raw == np.round(raw)) & (np.abs(raw) < 2.0**63)
            if not whole.all():
                raise ValueError
        elif raw.dtype.kind not in "iuO":
            raise ValueError
        return np.array(raw, dtype=np.int64)
    except (OverflowError, TypeError, ValueError):
        raise ValueError(f"{name}: {what} must be integers within int64") from None
