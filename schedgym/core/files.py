"""Reading input files with errors that name the file (and line): one place for every problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schedgym.core.errors import InstanceFormatError


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
