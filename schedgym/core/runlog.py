"""The CSV log of finished runs: one row per run, flushed at once, read back to resume.

:class:`CsvLog` appends :class:`~schedgym.core.run.RunRecord` rows (``CSV_COLUMNS``) and
flushes after each, so an interrupted sweep keeps what finished; :func:`read_csv` reads such a
file back (checked, one error naming the file and line) for ``--resume``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from typing import TextIO

from schedgym.core.files import optional_float, read_records_csv
from schedgym.core.run import RunRecord

CSV_COLUMNS = tuple(f.name for f in fields(RunRecord) if f.name not in ("schedule", "info"))


def _cell(value: object) -> str:
    if value is None:
        return ""
    return str(round(value, 6)) if isinstance(value, float) else str(value)


def _row(record: RunRecord) -> dict[str, str]:
    return {name: _cell(getattr(record, name)) for name in CSV_COLUMNS}


def read_csv(path: str | Path) -> list[RunRecord]:
    """Records of a CSV written by :class:`CsvLog` (for resuming an interrupted sweep)."""

    def parse(row: dict[str, str]) -> RunRecord:
        return RunRecord(
            row["instance"],
            row["size_group"],
            row["solver"],
            row["status"],
            optional_float(row["objective"]),
            optional_float(row["reference"]),
            optional_float(row["gap_pct"]),
            float(row["wall_time_s"]),
            row["message"] or "",
        )

    return read_records_csv(path, CSV_COLUMNS, parse)


class CsvLog:
    """Appends one CSV row per finished run and flushes, so an interrupted sweep keeps them.

    ``CsvLog(path, keep=records)`` rewrites ``path`` with ``keep`` first (the rows of a resumed
    run); the file is created only when the log is opened, after the inputs were checked.
    """

    def __init__(self, path: str | Path, keep: Iterable[RunRecord] = ()) -> None:
        self.path = Path(path)
        self._fh: TextIO = self.path.open("w", newline="")
        self._writer = csv.DictWriter(self._fh, fieldnames=CSV_COLUMNS)
        self._writer.writeheader()
        for record in keep:
            self._writer.writerow(_row(record))
        self._fh.flush()

    def write(self, record: RunRecord) -> None:
        """Append one record and flush it to disk."""
        self._writer.writerow(_row(record))
        self._fh.flush()

    def close(self) -> None:
        """Close the file."""
        self._fh.close()
