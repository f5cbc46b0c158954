"""Typed checks of input values with one-line errors naming the file and the field or line:
:class:`JsonFields` (typed access to one JSON object), the ``checked_*`` functions (a value of a
parsed JSON document), ``int_token`` / ``number_token`` (a token of a text file). Every reader of
the gym builds on these, so that the same mistake gives the same message in every format.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from schedgym.core.errors import InstanceFormatError

T = TypeVar("T")
_MISSING: Any = object()

_FLOAT_MAX = 1.7976931348623157e308  # the largest finite float


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
        if not ok or not -_FLOAT_MAX <= value <= _FLOAT_MAX:  # NaN, inf, ints beyond a float
            self.fail(name, f"expected a number, got {value!r:.60}")
        if minimum is not None and value < minimum:
            self.fail(name, f"expected a number >= {minimum:g}, got {value!r:.60}")
        if maximum is not None and value > maximum:
            self.fail(name, f"expected a number <= {maximum:g}, got {value!r:.60}")
        return float(value)

    def integer(
        self,
        name: str,
        default: Any = _MISSING,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int:
        """An integer field (no bools, no fractions) within ``[minimum, maximum]``."""
        value = self.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, f"expected an integer, got {value!r:.60}")
        if minimum is not None and value < minimum:
            self.fail(name, f"expected an integer >= {minimum}, got {value!r:.60}")
        if maximum is not None and value > maximum:
            self.fail(name, f"expected an integer <= {maximum}, got {value!r:.60}")
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


# ------------------------------------------------------------------ checked values (validation)
#
# One-line checks shared by the readers: each returns the value or raises InstanceFormatError
# naming the file and ``where`` (a field such as ``field 'edges'[3].data``, or for text formats a
# line number and what the token is). Nothing here converts before checking: a huge integer, a
# NaN or a fraction where an integer belongs is refused, never rounded or overflowed.

_INT_TOKEN = re.compile(r"[+-]?[0-9]+")
_NUMBER_TOKEN = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

#: the largest integer JSON writers and IEEE doubles hold exactly (2**53 - 1)
MAX_EXACT_INT = 2**53 - 1


def describe_value(value: Any) -> str:
    """A short one-line rendering of a value for an error message (huge integers and long
    strings are abbreviated, containers named by type)."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > 64:
            return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "...'"
    return f"a {type(value).__name__}"


def _range_text(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" >= {minimum:g} and <= {maximum:g}"
    if minimum is not None:
        return f" >= {minimum:g}"
    if maximum is not None:
        return f" <= {maximum:g}"
    return ""


def checked_int(
    source: str | Path,
    where: str,
    value: Any,
    minimum: int | None = None,
    maximum: int | None = MAX_EXACT_INT,
    line: int | None = None,
) -> int:
    """``value`` if it is an integer (not a bool, not a float) within ``[minimum, maximum]``."""
    ok = isinstance(value, int) and not isinstance(value, bool)
    if ok and (minimum is None or value >= minimum) and (maximum is None or value <= maximum):
        return int(value)
    raise InstanceFormatError(
        source,
        f"{where}: expected an integer{_range_text(minimum, maximum)}, got {describe_value(value)}",
        line,
    )


def checked_number(
    source: str | Path,
    where: str,
    value: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    line: int | None = None,
) -> float:
    """``float(value)`` if it is a finite number (not a bool) within ``[minimum, maximum]``."""
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond the float range
            number = math.nan
    if (
        math.isfinite(number)
        and (minimum is None or number >= minimum)
        and (maximum is None or number <= maximum)
    ):
        return number
    raise InstanceFormatError(
        source,
        f"{where}: expected a finite number{_range_text(minimum, maximum)}, "
        f"got {describe_value(value)}",
        line,
    )


def checked_string(source: str | Path, where: str, value: Any, line: int | None = None) -> str:
    """``value`` if it is a string (empty allowed)."""
    if isinstance(value, str):
        return value
    raise InstanceFormatError(
        source, f"{where}: expected a string, got {describe_value(value)}", line
    )


def int_token(
    source: str | Path,
    line: int,
    what: str,
    token: str,
    minimum: int | None = None,
    maximum: int | None = MAX_EXACT_INT,
) -> int:
    """A text token that must be a decimal integer within ``[minimum, maximum]`` (``0.5``,
    ``nan``, ``1e3`` are refused, not rounded)."""
    if _INT_TOKEN.fullmatch(token) and len(token) <= 30:
        return checked_int(source, what, int(token), minimum, maximum, line)
    raise InstanceFormatError(
        source,
        f"{what}: expected an integer{_range_text(minimum, maximum)}, got {describe_value(token)}",
        line,
    )


def number_token(
    source: str | Path,
    line: int,
    what: str,
    token: str,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float:
    """A text token that must be a finite decimal number within ``[minimum, maximum]``
    (``nan``, ``inf`` and overflowing exponents are refused)."""
    if _NUMBER_TOKEN.fullmatch(token):
        return checked_number(source, what, float(token), minimum, maximum, line)
    raise InstanceFormatError(
        source,
        f"{what}: expected a finite number{_range_text(minimum, maximum)}, "
        f"got {describe_value(token)}",
        line,
    )


def checked_list(
    source: str | Path,
    where: str,
    value: Any,
    item: Callable[[str, Any], T],
    length: int | None = None,
) -> list[T]:
    """``[item(f"{where}[i]", v) ...]`` for a JSON list ``value`` (of ``length`` items when
    given); ``item`` checks one entry and raises the error naming it."""
    if not isinstance(value, list):
        raise InstanceFormatError(source, f"{where}: expected a list, got {describe_value(value)}")
    if length is not None and len(value) != length:
        raise InstanceFormatError(source, f"{where}: expected {length} items, got {len(value)}")
    return [item(f"{where}[{i}]", v) for i, v in enumerate(value)]


def checked_object(source: str | Path, where: str, value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object."""
    if not isinstance(value, dict):
        raise InstanceFormatError(
            source, f"{where}: expected an object, got {describe_value(value)}"
        )
    return value


def checked_fields(
    source: str | Path, where: str, value: Any, keys: Sequence[str]
) -> dict[str, Any]:
    """``value`` if it is a JSON object holding every one of ``keys``."""
    data = checked_object(source, where, value)
    for key in keys:
        if key not in data:
            raise InstanceFormatError(source, f"{where}.{key}: missing")
    return data
