"""Applications: task graphs whose tasks name kernels, placed on a platform to make instances.

An :class:`Application` is a DAG of tasks (each one runs a named *kernel*, e.g. ``fft_1``) with
data volumes on its edges. :meth:`Application.on` turns it into a :class:`SoCDAGInstance` by
looking each kernel up in the platform's kernel table (``Platform.kernels``: time per PE type),
which is how a DS3 job description meets a DS3 SoC. The stream mode draws jobs as copies of
applications. :meth:`Application.to_json` builds schedgym's application JSON; its files are read
and written by :mod:`schedgym.socdag.formats` (layout there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from schedgym.core.files import json_number
from schedgym.hardware.platform import Platform
from schedgym.socdag.instance import MAX_DATA, SoCDAGInstance, find_cycle


@dataclass(frozen=True, eq=False)
class Application:
    """A task graph of kernels (see the module docstring). Arrays are read-only."""

    name: str
    task_names: tuple[str, ...]
    kernels: tuple[str, ...]
    src: np.ndarray  # (E,) int64
    dst: np.ndarray  # (E,) int64
    data: np.ndarray  # (E,) float64

    def __post_init__(self) -> None:
        if len(self.task_names) != len(self.kernels) or not self.task_names:
            raise ValueError(f"application {self.name}: one kernel per task, at least one task")
        for key, dtype in (("src", np.int64), ("dst", np.int64), ("data", np.float64)):
            array = np.array(getattr(self, key), dtype=dtype).reshape(-1)
            array.setflags(write=False)
            object.__setattr__(self, key, array)
        object.__setattr__(self, "task_names", tuple(self.task_names))
        object.__setattr__(self, "kernels", tuple(self.kernels))
        self._check_graph()

    def _check_graph(self) -> None:
        """Edges name known tasks, no self-loop, no duplicate, data in ``[0, MAX_DATA]``, no
        cycle (the rules of :class:`SoCDAGInstance`, checked before any platform is chosen)."""
        src, dst, data, tasks = self.src, self.dst, self.data, self.num_tasks
        where = f"application {self.name}"
        if not len(src) == len(dst) == len(data):
            raise ValueError(f"{where}: src, dst and data must have equal lengths")
        if len(src) == 0:
            return
        if min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= tasks:
            raise ValueError(f"{where}: edge endpoints must be task ids 0..{tasks - 1}")
        if (src == dst).any():
            raise ValueError(f"{where}: self-loop on task {int(src[src == dst][0])}")
        if len(np.unique(src * tasks + dst)) != len(src):
            raise ValueError(f"{where}: duplicate edge")
        if not ((data >= 0) & (data <= MAX_DATA)).all():
            raise ValueError(f"{where}: edge data must be finite, in [0, {MAX_DATA:g}]")
        cycle = find_cycle(tasks, src, dst)
        if cycle is not None:
            raise ValueError(
                f"{where}: the task graph has a cycle ({' -> '.join(map(str, cycle))})"
            )

    @property
    def num_tasks(self) -> int:
        """Number of tasks."""
        return len(self.task_names)

    @property
    def num_edges(self) -> int:
        """Number of edges."""
        return len(self.src)

    def on(self, platform: Platform, name: str | None = None) -> SoCDAGInstance:
        """The instance of this application on ``platform`` (execution times from its kernels).

        Raises ``ValueError`` naming the first kernel the platform does not know.
        """
        missing = [k for k in self.kernels if k not in platform.kernels]
        if missing:
            raise ValueError(
                f"application {self.name}: platform {platform.name} has no kernel {missing[0]!r}"
            )
        table = np.stack([platform.kernel_row(k) for k in self.kernels])
        return SoCDAGInstance(
            name or self.name, self.task_names, self.src, self.dst, self.data, table, platform
        )

    def to_json(self) -> dict[str, Any]:
        """The application JSON layout (:mod:`schedgym.socdag.formats`)."""
        return {
            "name": self.name,
            "tasks": [
                {"id": i, "name": n, "kernel": k}
                for i, (n, k) in enumerate(zip(self.task_names, self.kernels, strict=True))
            ],
            "edges": [
                {"src": int(s), "dst": int(d), "data": json_number(x)}
                for s, d, x in zip(self.src, self.dst, self.data, strict=True)
            ],
        }
