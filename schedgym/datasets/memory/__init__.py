"""Shipped memory-mapping suites and their reference values (see ``build.py`` for how they are
made): ``pack`` (20 tight instances, 100-400 buffers, optimum = capacity), ``pack-hard`` (10,
tighter) and ``assign`` (10). Suites: ``pack``, ``pack-hard``, ``assign``, ``all``, or one
instance name (``pack-03``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from schedgym.core.errors import UnknownNameError
from schedgym.memory.formats import read_instance
from schedgym.memory.instance import MemoryInstance

SUITES = ("pack", "pack-hard", "assign")


@dataclass(frozen=True)
class Reference:
    """One shipped instance: its suite, file and the value gaps are measured against."""

    name: str
    suite: str
    variant: str
    file: str
    buffers: int
    capacity: int
    reference: float
    kind: str  # "optimum" (pack: the capacity, by construction) or "lower-bound"


def _root() -> Path:
    return Path(str(files(__package__)))


@cache
def references() -> dict[str, Reference]:
    """Every shipped instance's reference record, by name."""
    with (_root() / "references.csv").open() as fh:
        return {
            row["name"]: Reference(
                row["name"],
                row["suite"],
                row["variant"],
                row["file"],
                int(row["buffers"]),
                int(row["capacity"]),
                float(row["reference"]),
                row["kind"],
            )
            for row in csv.DictReader(fh)
        }


def has_instance(name: str) -> bool:
    """Whether ``name`` is a shipped instance."""
    return name in references()


def reference(name: str) -> float | None:
    """The reference value of a shipped instance, ``None`` for other names."""
    found = references().get(name)
    return None if found is None else found.reference


@cache
def load(name: str) -> MemoryInstance:
    """Load a shipped instance by name."""
    if not has_instance(name):
        raise UnknownNameError(f"unknown memory instance {name!r}")
    ref = references()[name]
    instance = read_instance(_root() / "instances" / ref.file)
    return MemoryInstance.from_buffers(
        name, instance.buffers(), instance.platform, instance.compute, instance.variant
    )


def suite_names() -> list[str]:
    """Every suite name."""
    return ["all", *SUITES]


def suite(name: str) -> list[str]:
    """Instance names of a suite, in order."""
    table = references()
    if name == "all":
        return list(table)
    if name in SUITES:
        return [n for n, r in table.items() if r.suite == name]
    if name in table:
        return [name]
    raise UnknownNameError(
        f"unknown memory suite {name!r} (known: {', '.join(suite_names())}, or an instance name)"
    )
