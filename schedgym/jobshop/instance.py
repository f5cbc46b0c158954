"""Job-shop instances and their file formats.

Two text layouts are read (``read_instance`` detects which):

* **OR-Library**: first line ``jobs machines``, then one line per job with ``machine duration``
  pairs in route order, machines numbered from 0. Lines starting with ``#`` are comments.
* **Taillard**: first line ``jobs machines`` then a ``jobs x machines`` matrix of durations
  followed by a ``jobs x machines`` matrix of machines numbered from 1 (route order per row).
  Optional header lines such as ``Times`` / ``Machines`` are accepted.

``write_orlib`` writes the OR-Library layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import read_text


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


def _ints(source: str | Path, lineno: int, text: str) -> list[int]:
    try:
        return [int(tok) for tok in text.split()]
    except ValueError:
        raise InstanceFormatError(
            source, f"expected integers, got {text.strip()!r}", lineno
        ) from None


def parse_instance(text: str, name: str, source: str | Path = "<string>") -> JobShopInstance:
    """Parse OR-Library or Taillard text. Errors name ``source`` and the line."""
    rows: list[tuple[int, str]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.split("#", 1)[0].strip()
        if not stripped or stripped.rstrip(":").lower() in {"times", "machines"}:
            continue
        rows.append((lineno, stripped))
    if not rows:
        raise InstanceFormatError(source, "empty instance file")
    head_line, head = rows[0]
    header = _ints(source, head_line, head)
    if len(header) < 2 or header[0] <= 0 or header[1] <= 0:
        raise InstanceFormatError(
            source, "first line must be 'jobs machines' (positive)", head_line
        )
    jobs, machines = header[0], header[1]
    body = rows[1:]
    if len(body) == 2 * jobs and all(len(_ints(source, ln, t)) == machines for ln, t in body):
        return _taillard(source, name, jobs, machines, body)
    if len(body) < jobs:
        raise InstanceFormatError(
            source, f"expected {jobs} job lines, found {len(body)}", body[-1][0] if body else None
        )
    if len(body) > jobs:
        raise InstanceFormatError(
            source, f"unexpected extra line (only {jobs} jobs)", body[jobs][0]
        )
    mach = np.zeros((jobs, machines), dtype=np.int64)
    dur = np.zeros((jobs, machines), dtype=np.int64)
    for j, (lineno, line) in enumerate(body):
        values = _ints(source, lineno, line)
        if len(values) != 2 * machines:
            raise InstanceFormatError(
                source,
                f"job {j} needs {machines} 'machine duration' pairs, got {len(values) / 2:g}",
                lineno,
            )
        ms, ds = values[0::2], values[1::2]
        _check_row(source, lineno, ms, ds, machines, base=0)
        mach[j], dur[j] = ms, ds
    return JobShopInstance(name, mach, dur)


def _check_row(
    source: str | Path, lineno: int, ms: list[int], ds: list[int], machines: int, base: int
) -> None:
    for m in ms:
        if not base <= m < machines + base:
            raise InstanceFormatError(
                source, f"machine {m} outside {base}..{machines - 1 + base}", lineno
            )
    for d in ds:
        if d < 0:
            raise InstanceFormatError(source, f"duration {d} must be >= 0", lineno)


def _taillard(
    source: str | Path, name: str, jobs: int, machines: int, body: list[tuple[int, str]]
) -> JobShopInstance:
    dur = np.zeros((jobs, machines), dtype=np.int64)
    mach = np.zeros((jobs, machines), dtype=np.int64)
    for j in range(jobs):
        ln_d, text_d = body[j]
        ln_m, text_m = body[jobs + j]
        ds, ms = _ints(source, ln_d, text_d), _ints(source, ln_m, text_m)
        for d in ds:
            if d < 0:
                raise InstanceFormatError(source, f"duration {d} must be >= 0", ln_d)
        _check_row(source, ln_m, ms, [1] * machines, machines, base=1)
        dur[j], mach[j] = ds, np.asarray(ms) - 1
    return JobShopInstance(name, mach, dur)


def read_instance(path: str | Path, name: str | None = None) -> JobShopInstance:
    """Read an instance file (OR-Library or Taillard layout); the name defaults to the stem."""
    path = Path(path)
    return parse_instance(read_text(path), name or path.stem, path)


def write_orlib(instance: JobShopInstance, path: str | Path) -> None:
    """Write ``instance`` in the OR-Library layout."""
    lines = [f"{instance.num_jobs} {instance.num_machines}"]
    for ms, ds in zip(instance.machines, instance.durations, strict=True):
        lines.append(" ".join(f"{m} {d}" for m, d in zip(ms, ds, strict=True)))
    Path(path).write_text("\n".join(lines) + "\n")


def load_instance(name_or_path: str | Path) -> JobShopInstance:
    """A shipped instance by name (``"ta01"``) or an instance file by path."""
    from schedgym.datasets import jobshop as shipped

    text = str(name_or_path)
    if shipped.has_instance(text):
        return shipped.load(text)
    path = Path(text)
    if path.exists() or any(sep in text for sep in ("/", "\\")) or path.suffix:
        return read_instance(path)
    from schedgym.core.errors import UnknownNameError

    raise UnknownNameError(f"unknown job-shop instance {text!r}: not a shipped name nor a file")
