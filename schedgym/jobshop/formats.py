"""Job-shop instance file formats.

Two text layouts are read (``read_instance`` detects which):

* **OR-Library**: first line ``jobs machines``, then one line per job with ``machine duration``
  pairs in route order, machines numbered from 0. Lines starting with ``#`` are comments.
* **Taillard**: first line ``jobs machines`` then a ``jobs x machines`` matrix of durations
  followed by a ``jobs x machines`` matrix of machines numbered from 1 (route order per row).
  Optional header lines such as ``Times`` / ``Machines`` are accepted.

``write_orlib`` writes the OR-Library layout.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import read_text
from schedgym.jobshop.instance import JobShopInstance


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
