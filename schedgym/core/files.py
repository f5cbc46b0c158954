"""Reading input files with errors that name the file (and line): one place for every problem;
and writing output files all-or-nothing (:func:`commit_outputs`)."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from schedgym.core.errors import InstanceFormatError

T = TypeVar("T")


def read_text(path: str | Path) -> str:
    """A text file's content; a missing or unreadable file becomes one ``InstanceFormatError``."""
    path = Path(path)
    try:
        return path.read_text()
    except FileNotFoundError:
        raise InstanceFormatError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceFormatError(path, f"cannot read: {exc}") from None


def read_json(path: str | Path) -> Any:
    """A JSON file's content; bad JSON becomes an ``InstanceFormatError`` naming the line."""
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InstanceFormatError(path, f"invalid JSON: {exc.msg}", exc.lineno) from None


def read_records_csv(
    path: str | Path, columns: Sequence[str], parse: Callable[[dict[str, str]], T]
) -> list[T]:
    """Rows of a CSV whose header must be exactly ``columns``, each turned into a record by
    ``parse``; a wrong header or a row ``parse`` rejects (TypeError, ValueError, KeyError)
    becomes an ``InstanceFormatError`` naming the file and line."""
    path = Path(path)
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or tuple(reader.fieldnames) != tuple(columns):
            raise InstanceFormatError(path, f"expected the header {','.join(columns)}", 1)
        records = []
        for lineno, row in enumerate(reader, start=2):
            try:
                records.append(parse(row))
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                raise InstanceFormatError(path, f"malformed row ({exc})", lineno) from None
    return records


def optional_float(cell: str) -> float | None:
    """A CSV cell as a float, ``None`` when empty."""
    return float(cell) if cell.strip() else None


def commit_outputs(writers: Mapping[Path, Callable[[Path], None]]) -> None:
    """Write each output through a temporary file beside it, then rename them all.

    ``writers`` maps a target path to a function that writes a given path. If any writer fails,
    every temporary file is removed and no target is touched: no partial outputs.
    """
    staged: list[tuple[Path, Path]] = []
    umask = os.umask(0)
    os.umask(umask)
    try:
        for target, write in writers.items():
            fd, tmp_name = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}.", suffix=f".tmp{target.suffix}"
            )
            os.close(fd)
            staged.append((Path(tmp_name), target))
            write(Path(tmp_name))
            os.chmod(tmp_name, 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
