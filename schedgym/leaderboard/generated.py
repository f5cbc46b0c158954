"""Helpers for a problem's leaderboard spec: content fingerprints and seeded generated suites.

:func:`dataclass_fingerprint` turns a frozen-dataclass instance (numpy arrays, numbers,
strings, nested dataclasses such as platforms) into canonical bytes for the suite checksums.
:class:`GeneratedSuite` names a seeded suite after its generator version, seed and size, e.g.
``socdag-gen1-s0-n20`` with instances ``socdag-gen1-s0-n20-00`` ... ``-19``; instance ``k`` is
drawn from ``numpy.random.default_rng([seed, k])``, so any one of them loads on its own.
:class:`WithGenerated` wraps a problem adapter so that the harness loads those names too. If a
generator's output changes, the frozen checksums say so: bump its version (``gen2``).
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

    def instance(self, index: int) -> Any:
        """Instance ``index``, named after the suite."""
        drawn = self.make(np.random.default_rng([self.seed, index]))
        return dataclasses.replace(drawn, name=self.names()[index])


class WithGenerated:
    """A problem adapter that also knows generated suites (everything else is delegated)."""

    def __init__(self, base: Any, suites: Sequence[GeneratedSuite]) -> None:
        self._base = base
        self._suites = {s.name: s for s in suites}
        self._load = lru_cache(maxsize=256)(self._generate)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._base, attribute)

    def _match(self, name: str) -> tuple[GeneratedSuite, int] | None:
        found = re.fullmatch(r"(.+)-(\d+)", name)
        if found and found.group(1) in self._suites:
            suite = self._suites[found.group(1)]
            if name in suite.names():
                return suite, int(found.group(2))
        return None

    def _generate(self, name: str) -> Any:
        suite, index = self._match(name) or (None, 0)
        return None if suite is None else suite.instance(index)

    def load_instance(self, name_or_path: str) -> Any:
        """A generated instance by name, else whatever the problem's adapter loads."""
        generated = self._load(name_or_path)
        return generated if generated is not None else self._base.load_instance(name_or_path)

    def suite(self, name: str) -> list[str]:
        """Instance names of a generated or shipped suite."""
        return self._suites[name].names() if name in self._suites else self._base.suite(name)

    def suite_names(self) -> list[str]:
        """The problem's suites, then the generated ones."""
        return [*self._base.suite_names(), *self._suites]

    def reference(self, name: str) -> float | None:
        """No reference for generated instances (scores use ratios instead)."""
        return None if self._match(name) else self._base.reference(name)

    def size_group(self, instance: Any) -> str:
        """The generated suite's grouping for its instances, else the problem's."""
        matched = self._match(getattr(instance, "name", ""))
        if matched is not None and matched[0].group is not None:
            return matched[0].group(instance)
        return str(self._base.size_group(instance))
