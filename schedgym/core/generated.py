"""Content fingerprints of instances and seeded generated suites (used by problem descriptors).

:func:`dataclass_fingerprint` turns a frozen-dataclass instance (numpy arrays, numbers,
strings, nested dataclasses such as platforms) into canonical bytes for the suite checksums.
:class:`GeneratedSuite` names a seeded suite after its generator version, seed and size, e.g.
``socdag-gen1-s0-n20`` with instances ``socdag-gen1-s0-n20-00`` ... ``-19``; instance ``k`` is
drawn from ``numpy.random.default_rng([seed, k])``, so any one of them loads on its own.
A problem descriptor (:class:`schedgym.core.problem.Problem`) lists its generated suites, so that
every tool loads those names too. If a generator's output changes, the frozen checksums say so:
bump its version (``gen2``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np


def dataclass_fingerprint(instance: Any, exclude: Sequence[str] = ("name",)) -> bytes:
    """Canonical bytes of a dataclass instance: every field (but the top-level ``exclude``),
    recursively; arrays by dtype, shape and contents. Raises ``TypeError`` on values whose
    ``repr`` is not stable (e.g. ``<object at 0x...>``)."""
    parts: list[bytes] = []

    def walk(value: Any, path: str) -> None:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                if not (path == "" and f.name in exclude):
                    walk(getattr(value, f.name), f"{path}.{f.name}")
        elif isinstance(value, np.ndarray):
            parts.append(f"{path}:{value.dtype.str}{value.shape}:".encode())
            parts.append(np.ascontiguousarray(value).tobytes())
        elif isinstance(value, list | tuple):
            parts.append(f"{path}:len={len(value)}".encode())
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")
        elif isinstance(value, dict):
            for key in sorted(value, key=repr):
                walk(value[key], f"{path}[{key!r}]")
        else:
            text = repr(value)
            if " at 0x" in text:
                raise TypeError(f"{path}: {type(value).__name__} has no stable representation")
            parts.append(f"{path}={text}".encode())
        parts.append(b"\n")

    walk(instance, "")
    return b"".join(parts)


@dataclass(frozen=True)
class GeneratedSuite:
    """A seeded suite ``{problem}-gen{version}-s{seed}-n{count}``.

    ``make(rng)`` draws one instance; ``group(instance)`` (optional) gives its size group.
    """

    problem: str
    version: int
    seed: int
    count: int
    make: Callable[[np.random.Generator], Any]
    group: Callable[[Any], str] | None = None

    @property
    def name(self) -> str:
        """The suite's name."""
        return f"{self.problem}-gen{self.version}-s{self.seed}-n{self.count}"

    def names(self) -> list[str]:
        """Instance names, in order."""
        width = len(str(self.count - 1))
        return [f"{self.name}-{k:0{width}d}" for k in range(self.count)]

    def index_of(self, name: str) -> int | None:
        """The index of instance ``name`` in this suite, else ``None``."""
        found = re.fullmatch(r"(.+)-(\d+)", name)
        if found is None or found.group(1) != self.name:
            return None
        index = int(found.group(2))
        return index if index < self.count and name == self.names()[index] else None

    def instance(self, index: int) -> Any:
        """Instance ``index``, named after the suite (drawn once per process, then cached)."""
        return _draw(self, index)


@lru_cache(maxsize=256)
def _draw(suite: GeneratedSuite, index: int) -> Any:
    drawn = suite.make(np.random.default_rng([suite.seed, index]))
    return dataclasses.replace(drawn, name=suite.names()[index])
