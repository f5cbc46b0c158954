"""Request-trace files: the CSV layout of Vidur's traces, ``arrived_at,num_prefill_tokens,
num_decode_tokens`` (seconds from the trace start; token counts >= 1). Errors name the file and
the line (:class:`~schedgym.core.errors.InstanceFormatError`).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from schedgym.core.errors import InstanceFormatError
from schedgym.llm.instance import Workload

TRACE_COLUMNS = ("arrived_at", "num_prefill_tokens", "num_decode_tokens")


def _row(fields: list[str]) -> tuple[float, int, int]:
    arrived, prefill, decode = float(fields[0]), int(float(fields[1])), int(float(fields[2]))
    if not math.isfinite(arrived) or arrived < 0:
        raise ValueError(f"arrived_at {fields[0]!r} is not a finite time >= 0")
    if prefill < 1 or decode < 1:
        raise ValueError("token counts must be >= 1")
    return arrived, prefill, decode


def read_trace(path: str | Path, name: str | None = None) -> Workload:
    """Read a trace CSV into a :class:`Workload` (sorted by arrival)."""
    path = Path(path)
    try:
        with path.open(newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None or tuple(h.strip() for h in header) != TRACE_COLUMNS:
                raise InstanceFormatError(path, f"expected the header {','.join(TRACE_COLUMNS)}", 1)
            rows = []
            for lineno, fields in enumerate(reader, start=2):
                if not fields:
                    continue
                if len(fields) != 3:
                    raise InstanceFormatError(path, f"expected 3 fields, got {len(fields)}", lineno)
                try:
                    rows.append(_row(fields))
                except ValueError as exc:
                    raise InstanceFormatError(path, f"malformed row ({exc})", lineno) from None
    except OSError as exc:
        raise InstanceFormatError(path, f"cannot read: {exc.strerror or exc}") from None
    if not rows:
        raise InstanceFormatError(path, "no requests")
    data = np.array(rows, dtype=np.float64)
    return Workload.from_arrays(name or path.stem, data[:, 0], data[:, 1], data[:, 2])


def write_trace(workload: Workload, path: str | Path) -> None:
    """Write ``workload`` as a trace CSV (times with microsecond precision)."""
    with Path(path).open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(TRACE_COLUMNS)
        for a, p, d in zip(
            workload.arrivals, workload.prompt_tokens, workload.output_tokens, strict=True
        ):
            writer.writerow((f"{a:.6f}", int(p), int(d)))
