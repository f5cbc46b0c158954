"""The job-shop instance type (files are read and written by :mod:`schedgym.jobshop.formats`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class JobShopInstance:
    """A deterministic job shop: every job visits machines in a fixed route.

    ``machines[j, k]`` is the machine of the k-th operation of job j and ``durations[j, k]`` its
    processing time (a non-negative integer: orb07 really has a zero-length operation).
    Arrays are read-only.
    """

    name: str
    machines: np.ndarray  # (num_jobs, num_ops) int64
    durations: np.ndarray  # (num_jobs, num_ops) int64

    def __post_init__(self) -> None:
        machines = np.array(self.machines, dtype=np.int64)
        durations = np.array(self.durations, dtype=np.int64)
        if machines.ndim != 2 or machines.shape != durations.shape or machines.size == 0:
            raise ValueError(f"{self.name}: machines and durations must be equal non-empty 2-D")
        if (durations < 0).any():
            raise ValueError(f"{self.name}: durations must be >= 0")
        if (machines < 0).any():
            raise ValueError(f"{self.name}: machine ids must be >= 0")
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
