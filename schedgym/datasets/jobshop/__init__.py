"""The 242 classic job-shop instances (ft, la, abz, orb, swv, yn, ta, dmu) and their bounds.

Suites: a family (``"ta"``), a family size group (``"ta-15x15"``), a single instance name, or
``"all"``. Bounds come from ``bounds.csv`` (best-known; some have moved since it was made).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from schedgym.core.errors import UnknownNameError
from schedgym.jobshop.formats import read_instance
from schedgym.jobshop.instance import JobShopInstance

FAMILIES = ("ft", "la", "abz", "orb", "swv", "yn", "ta", "dmu")


@dataclass(frozen=True)
class Bounds:
    """Best-known bounds of an instance: ``optimum`` when proven, else lower/upper (may be None)."""

    name: str
    jobs: int
    machines: int
    optimum: int | None
    lower_bound: int | None
    upper_bound: int | None

    @property
    def reference(self) -> int | None:
        """The value gaps are measured against: the optimum, else the best-known upper bound."""
        return self.optimum if self.optimum is not None else self.upper_bound

    @property
    def size_group(self) -> str:
        """``"JxM"``."""
        return f"{self.jobs}x{self.machines}"


def _root() -> Path:
    return Path(str(files(__package__)))


def _opt(cell: str) -> int | None:
    return int(cell) if cell.strip() else None


@cache
def bounds_table() -> dict[str, Bounds]:
    """All shipped bounds by instance name."""
    with (_root() / "bounds.csv").open() as fh:
        return {
            row["name"]: Bounds(
                row["name"],
                int(row["jobs"]),
                int(row["machines"]),
                _opt(row["optimum"]),
                _opt(row["lower_bound"]),
                _opt(row["upper_bound"]),
            )
            for row in csv.DictReader(fh)
        }


def family(name: str) -> str:
    """The family of an instance name (``"ta01"`` -> ``"ta"``)."""
    match = re.match(r"[a-z]+", name)
    return match.group(0) if match else name


def has_instance(name: str) -> bool:
    """Whether ``name`` is a shipped instance."""
    return name in bounds_table()


def bounds(name: str) -> Bounds | None:
    """Bounds of a shipped instance, ``None`` for unknown names."""
    return bounds_table().get(name)


def reference(name: str) -> float | None:
    """The value gaps are measured against: the optimum, else the best-known upper bound, of a
    shipped instance; ``None`` for unknown names or when neither is known."""
    found = bounds(name)
    return None if found is None else found.reference


@cache
def load(name: str) -> JobShopInstance:
    """Load a shipped instance by name."""
    if not has_instance(name):
        raise UnknownNameError(f"unknown job-shop instance {name!r}")
    return read_instance(_root() / "instances" / f"{name}.txt", name)


def _natural(name: str) -> tuple[str, int]:
    digits = re.sub(r"\D", "", name)
    return family(name), int(digits) if digits else 0


def suite_names() -> list[str]:
    """Every suite name: families, family size groups and ``all``."""
    groups = {f"{family(b.name)}-{b.size_group}" for b in bounds_table().values()}
    return ["all", *FAMILIES, *sorted(groups, key=lambda g: (g.split("-")[0], _size_key(g)))]


def _size_key(group: str) -> tuple[int, int]:
    jobs, machines = group.split("-", 1)[1].split("x")
    return int(jobs), int(machines)


def suite(name: str) -> list[str]:
    """Instance names of a suite, in natural order."""
    table = bounds_table()
    if name == "all":
        chosen = list(table)
    elif name in FAMILIES:
        chosen = [n for n in table if family(n) == name]
    elif "-" in name:
        fam, group = name.split("-", 1)
        chosen = [n for n, b in table.items() if family(n) == fam and b.size_group == group]
    elif name in table:
        chosen = [name]
    else:
        chosen = []
    if not chosen:
        raise UnknownNameError(
            f"unknown job-shop suite {name!r} (families: {', '.join(FAMILIES)}; "
            "size groups such as ta-15x15; or an instance name)"
        )
    return sorted(chosen, key=_natural)
