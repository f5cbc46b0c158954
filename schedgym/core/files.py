"""Reading input files with errors that name the file (and line): one place for every problem
(:func:`read_text`, :func:`read_json`, typed JSON fields :class:`JsonFields`, CSV records);
writing JSON readably (:func:`compact_json`, :func:`json_number`) and output files all-or-nothing
(:func:`commit_outputs`)."""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

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


def compact_json(data: Any, indent: int = 1, level: int = 0) -> str:
    """JSON text with one item per line, except lists of scalars and small flat objects, which
    stay on one line (matrices read as rows)."""
    pad, inner = " " * (indent * level), " " * (indent * (level + 1))
    flat = not isinstance(data, list | dict) or (
        all(
            not isinstance(v, list | dict)
            for v in (data.values() if isinstance(data, dict) else data)
        )
    )
    if flat:
        return json.dumps(data)
    if isinstance(data, list):
        items = [inner + compact_json(v, indent, level + 1) for v in data]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    items = [
        inner + json.dumps(str(k)) + ": " + compact_json(v, indent, level + 1)
        for k, v in data.items()
    ]
    return "{\n" + ",\n".join(items) + "\n" + pad + "}"


def json_number(value: float) -> int | float:
    """A number for JSON: an ``int`` when it is a whole number that a float holds exactly
    (``3.0`` is written ``3``), else the float."""
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


_MISSING: Any = object()


class JsonFields:
    """Typed access to the fields of one JSON object; every error names the file and field.

    ``JsonFields(data, "scenario.json", "aircraft_types[0]")`` reads ``data``; a bad field
    raises :class:`InstanceFormatError` with a message like
    ``scenario.json: field aircraft_types[0].seats: expected an integer >= 1, got -2``.
    """

    def __init__(self, data: Any, source: str | Path, where: str = "") -> None:
        self.source, self.where = str(source), where
        if not isinstance(data, dict):
            self.fail("", f"expected a JSON object, got {type(data).__name__}")
        self.data: dict[str, Any] = data

    def path(self, name: str) -> str:
        """Dotted path of field ``name``."""
        return f"{self.where}.{name}" if self.where and name else (self.where or name)

    def fail(self, name: str, message: str) -> NoReturn:
        """Raise the error for field ``name``."""
        field = self.path(name)
        raise InstanceFormatError(self.source, f"field {field}: {message}" if field else message)

    def get(self, name: str, default: Any = _MISSING) -> Any:
        """The raw value; a missing field without ``default`` is an error."""
        if name in self.data:
            return self.data[name]
        if default is _MISSING:
            self.fail(name, "missing")
        return default

    def string(self, name: str, default: Any = _MISSING) -> str:
        """A string field."""
        value = self.get(name, default)
        if not isinstance(value, str) or not value:
            self.fail(name, f"expected a non-empty string, got {value!r}")
        return str(value)

    def number(
        self,
        name: str,
        default: Any = _MISSING,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float:
        """A finite number within ``[minimum, maximum]``."""
        value = self.get(name, default)
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value):
            self.fail(name, f"expected a number, got {value!r}")
        if minimum is not None and value < minimum:
            self.fail(name, f"expected a number >= {minimum:g}, got {value!r}")
        if maximum is not None and value > maximum:
            self.fail(name, f"expected a number <= {maximum:g}, got {value!r}")
        return float(value)

    def integer(self, name: str, default: Any = _MISSING, minimum: int | None = None) -> int:
        """An integer field (no bools, no fractions), at least ``minimum``."""
        value = self.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, f"expected an integer, got {value!r}")
        if minimum is not None and value < minimum:
            self.fail(name, f"expected an integer >= {minimum}, got {value!r}")
        return int(value)

    def optional_integer(self, name: str) -> int | None:
        """An integer field that may be missing or ``null``."""
        return None if self.data.get(name) is None else self.integer(name)

    def objects(self, name: str, default: Any = _MISSING) -> list[JsonFields]:
        """A list of objects, each wrapped with its own path (``name[i]``)."""
        value = self.get(name, default)
        if not isinstance(value, list):
            self.fail(name, f"expected a list, got {type(value).__name__}")
        return [JsonFields(v, self.source, f"{self.path(name)}[{i}]") for i, v in enumerate(value)]

    def child(self, name: str) -> JsonFields:
        """A nested object (a missing one reads as ``{}``)."""
        return JsonFields(self.get(name, {}), self.source, self.path(name))

    def build(self, cls: Any, **kwargs: Any) -> Any:
        """``cls(**kwargs)``, turning its ``ValueError`` into an error naming this object."""
        try:
            return cls(**kwargs)
        except ValueError as exc:
            self.fail("", str(exc))
