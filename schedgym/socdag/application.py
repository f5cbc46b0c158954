"""Applications: task graphs whose tasks name kernels, placed on a platform to make instances.

An :class:`Application` is a DAG of tasks (each one runs a named *kernel*, e.g. ``fft_1``) with
data volumes on its edges. :meth:`Application.on` turns it into a :class:`SoCDAGInstance` by
looking each kernel up in the platform's kernel table (``Platform.kernels``: time per PE type),
which is how a DS3 job description meets a DS3 SoC. The stream mode draws jobs as copies of
applications.

JSON layout (schedgym's own, used for the shipped DS3 applications)::

    {"name": STR, "tasks": [{"id": I, "name": STR, "kernel": STR}],
     "edges": [{"src": I, "dst": I, "data": FLOAT}]}

``kernel`` defaults to the task's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import compact_json, read_json
from schedgym.hardware.platform import Platform
from schedgym.socdag.instance import SoCDAGInstance, _num


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
        """The JSON layout of the module docstring."""
        return {
            "name": self.name,
            "tasks": [
                {"id": i, "name": n, "kernel": k}
                for i, (n, k) in enumerate(zip(self.task_names, self.kernels, strict=True))
            ],
            "edges": [
                {"src": int(s), "dst": int(d), "data": _num(x)}
                for s, d, x in zip(self.src, self.dst, self.data, strict=True)
            ],
        }

    def write(self, path: str | Path) -> None:
        """Write the application JSON file."""
        Path(path).write_text(compact_json(self.to_json()) + "\n")


def application_from_json(data: Any, source: str | Path = "<json>") -> Application:
    """Parse the application JSON layout; errors name ``source`` and the field."""
    if not isinstance(data, Mapping):
        raise InstanceFormatError(source, "expected a JSON object")
    tasks = data.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise InstanceFormatError(source, "field 'tasks': expected a non-empty list")
    names, kernels = [], []
    for i, task in enumerate(tasks):
        if not isinstance(task, Mapping) or task.get("id", i) != i:
            raise InstanceFormatError(source, f"field 'tasks'[{i}]: id must be {i}")
        names.append(str(task.get("name", f"t{i}")))
        kernels.append(str(task.get("kernel", names[-1])))
    edges = data.get("edges", [])
    if not isinstance(edges, list):
        raise InstanceFormatError(source, "field 'edges': expected a list")
    src, dst, vol = [], [], []
    for i, edge in enumerate(edges):
        try:
            s, d, x = int(edge["src"]), int(edge["dst"]), float(edge.get("data", 0.0))
        except (KeyError, TypeError, ValueError):
            raise InstanceFormatError(source, f"field 'edges'[{i}]: needs src, dst, data") from None
        if not (0 <= s < len(names) and 0 <= d < len(names)):
            raise InstanceFormatError(source, f"field 'edges'[{i}]: task id out of range")
        src.append(s)
        dst.append(d)
        vol.append(x)
    try:
        return Application(
            str(data.get("name", Path(str(source)).stem)),
            tuple(names),
            tuple(kernels),
            np.array(src, dtype=np.int64),
            np.array(dst, dtype=np.int64),
            np.array(vol),
        )
    except ValueError as exc:
        raise InstanceFormatError(source, str(exc)) from None


def read_application(path: str | Path) -> Application:
    """Read an application JSON file."""
    return application_from_json(read_json(path), path)
