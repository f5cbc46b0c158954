"""Errors raised by schedgym. Each carries a one-line message that names the file, line or field."""

from __future__ import annotations

from pathlib import Path


class SchedGymError(Exception):
    """Base class of every error schedgym raises on purpose (bad input, unknown names...)."""


class InstanceFormatError(SchedGymError):
    """A malformed instance or schedule file; the message names the file and the line or field."""

    def __init__(self, source: str | Path, message: str, line: int | None = None) -> None:
        where = f"{source}:{line}" if line is not None else str(source)
        super().__init__(f"{where}: {message}")
        self.source = str(source)
        self.line = line


class UnknownNameError(SchedGymError):
    """An unknown solver, suite, instance or problem name."""


class BadOptionError(SchedGymError):
    """An option value a solver refuses (its ``ValueError`` on construction)."""


class InvalidScheduleError(SchedGymError):
    """A schedule that violates a constraint of its problem; the message says which and where."""


class UnsupportedVariantError(SchedGymError):
    """A solver asked for a problem variant it cannot handle (e.g. CP-SAT with breakdowns)."""
