"""Job-shop instance file formats.

Two text layouts are read (``read_instance`` detects which):

* **OR-Library**: first line ``jobs machines``, then one line per job with ``machine duration``
  pairs in route order, machines numbered from 0. Lines starting with ``#`` are comments.
* **Taillard**: first line ``jobs machines`` then a ``jobs x machines`` matrix of durations
  followed by a ``jobs x machines`` matrix of machines numbered from 1 (route order per row).
  Optional header lines such as ``Times`` / ``Machines`` are accepted.

``write_orlib`` writes the OR-Library layout.

Checked before anything is built (each failure one :class:`InstanceFormatError` naming the file
and the line): every token a decimal integer; ``jobs`` and ``machines`` positive with
``jobs x machines <= MAX_OPERATIONS`` and ``machines < MAX_MACHINES``; the number of lines and of
values per line; machine ids in range; durations in ``[0, MAX_DURATION]`` and not all 0 (the
limits are in :mod:`schedgym.jobshop.instance`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import read_text
from schedgym.jobshop.instance import (
    MAX_DURATION,
    MAX_MACHINES,
    MAX_OPERATIONS,
    JobShopInstance,
)

_INTEGER = re.compile(r"[+-]?[0-9]+")


def _shown(value: int | str) -> str:
    """A token or integer short enough for a one-line message."""
    text = str(value)
    return text if len(text) <= 24 else f"{text[:12]}... ({len(text)} characters)"


def _ints(source: str | Path, lineno: int, text: str) -> list[int]:
    values = []
    for token in text.split():
        if not _INTEGER.fullmatch(token) or len(token) > 100:
            raise InstanceFormatError(source, f"expected integers, got {_shown(token)!r}", lineno)
        values.append(int(token))
    return values


def _build(source: str | Path, name: str, mach: np.ndarray, dur: np.ndarray) -> JobShopInstance:
    if not dur.any():
        raise InstanceFormatError(source, "every duration is 0 (nothing to schedule)")
    try:
        return JobShopInstance(name, mach, dur)
    except ValueError as exc:  # the reader's checks should leave nothing for these
        raise InstanceFormatError(source, str(exc)) from None


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
    if machines >= MAX_MACHINES or jobs * machines > MAX_OPERATIONS:
        raise InstanceFormatError(
            source,
            f"{_shown(jobs)} jobs x {_shown(machines)} machines: at most {MAX_OPERATIONS} "
            f"operations and {MAX_MACHINES - 1} machines",
            head_line,
        )
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
    return _build(source, name, mach, dur)


def _check_row(
    source: str | Path, lineno: int, ms: list[int], ds: list[int], machines: int, base: int
) -> None:
    for m in ms:
        if not base <= m < machines + base:
            raise InstanceFormatError(
                source, f"machine {_shown(m)} outside {base}..{machines - 1 + base}", lineno
            )
    _check_durations(source, lineno, ds)


def _check_durations(source: str | Path, lineno: int, ds: list[int]) -> None:
    for d in ds:
        if d < 0:
            raise InstanceFormatError(source, f"duration {_shown(d)} must be >= 0", lineno)
        if d > MAX_DURATION:
            raise InstanceFormatError(
                source, f"duration {_shown(d)} above the maximum {MAX_DURATION}", lineno
            )


def _taillard(
    source: str | Path, name: str, jobs: int, machines: int, body: list[tuple[int, str]]
) -> JobShopInstance:
    dur = np.zeros((jobs, machines), dtype=np.int64)
    mach = np.zeros((jobs, machines), dtype=np.int64)
    for j in range(jobs):
        ln_d, text_d = body[j]
        ln_m, text_m = body[jobs + j]
        ds, ms = _ints(source, ln_d, text_d), _ints(source, ln_m, text_m)
        _check_durations(source, ln_d, ds)
        _check_row(source, ln_m, ms, [1] * machines, machines, base=1)
        dur[j], mach[j] = ds, np.asarray(ms) - 1
    return _build(source, name, mach, dur)


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
