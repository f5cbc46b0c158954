"""Shipped SoC-DAG data: the DS3 profile (SoC and applications), Topcuoglu's example, a random
suite, and their reference makespans.

* Platforms (``platform(name)``): ``ds3-soc`` (DS3's heterogeneous SoC, 16 PEs, times in us)
  and ``topcuoglu`` (3 processors, unit links).
* Applications (``application(name)``): :data:`DS3_APPS` (the default stream mix) and
  ``topcuoglu``.
* Instances (``load(name)``): ``topcuoglu`` (HEFT makespan 80), ``ds3-<app>`` (one DS3
  application on ``ds3-soc``), ``rand-12x3-00`` .. ``rand-12x3-09`` and ``rand-50x8-00`` ..
  ``rand-50x8-04`` (proven optima), ``rand-100x4-00`` .. ``rand-100x4-04`` (open: bounds).
* Suites (``suite(name)``): ``topcuoglu``, ``ds3``, ``rand-12x3``, ``rand-50x8``,
  ``rand-100x4``, ``all``, or one instance name.
* References (``bounds(name)``; ``reference(name)``, the value gaps are measured against):
  ``references.csv``, CP-SAT optima or bounds (``benchmarks/socdag_references.py`` rebuilds it).

Files were converted from DS3's sources by :mod:`schedgym.datasets.socdag.build`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from schedgym.core.errors import UnknownNameError
from schedgym.hardware.platform import Platform, read_platform
from schedgym.socdag.application import Application
from schedgym.socdag.formats import read_application, read_instance
from schedgym.socdag.instance import SoCDAGInstance

DS3_APPS = ("wifi-tx", "wifi-rx", "range-detection", "sc-tx", "sc-rx", "temporal-mitigation")
SUITES = ("all", "topcuoglu", "ds3", "rand-12x3", "rand-50x8", "rand-100x4")


def _root() -> Path:
    return Path(str(files(__package__)))


def platform_names() -> list[str]:
    """Shipped platform names."""
    return sorted(p.stem for p in (_root() / "platforms").glob("*.json"))


def application_names() -> list[str]:
    """Shipped application names."""
    return sorted(p.stem for p in (_root() / "apps").glob("*.json"))


@cache
def platform(name: str) -> Platform:
    """A shipped platform by name."""
    if name not in platform_names():
        raise UnknownNameError(
            f"unknown platform {name!r} (shipped: {', '.join(platform_names())})"
        )
    return read_platform(_root() / "platforms" / f"{name}.json")


@cache
def application(name: str) -> Application:
    """A shipped application by name."""
    if name not in application_names():
        raise UnknownNameError(
            f"unknown application {name!r} (shipped: {', '.join(application_names())})"
        )
    return read_application(_root() / "apps" / f"{name}.json")


def instance_names() -> list[str]:
    """Every shipped instance name."""
    randoms = sorted(
        (p.stem for p in (_root() / "instances").glob("*.json")),
        key=lambda n: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", n)],
    )
    return ["topcuoglu", *(f"ds3-{a}" for a in DS3_APPS), *randoms]


def has_instance(name: str) -> bool:
    """Whether ``name`` is a shipped instance."""
    return name in instance_names()


@cache
def load(name: str) -> SoCDAGInstance:
    """Load a shipped instance by name."""
    if name == "topcuoglu":
        return application("topcuoglu").on(platform("topcuoglu"), "topcuoglu")
    if name.startswith("ds3-") and name[4:] in DS3_APPS:
        return application(name[4:]).on(platform("ds3-soc"), name)
    if has_instance(name):
        return read_instance(_root() / "instances" / f"{name}.json", name)
    raise UnknownNameError(f"unknown socdag instance {name!r}")


@dataclass(frozen=True)
class Bounds:
    """Reference makespans of a shipped instance: ``optimum`` when proven, else bounds."""

    name: str
    optimum: float | None
    lower_bound: float | None
    upper_bound: float | None

    @property
    def reference(self) -> float | None:
        """What gaps are measured against: the optimum, else the best-known upper bound."""
        return self.optimum if self.optimum is not None else self.upper_bound


def _opt(cell: str | None) -> float | None:
    return float(cell) if cell and cell.strip() else None


@cache
def bounds_table() -> dict[str, Bounds]:
    """All shipped references by instance name."""
    path = _root() / "references.csv"
    if not path.exists():
        return {}
    with path.open() as fh:
        return {
            row["name"]: Bounds(
                row["name"],
                _opt(row["optimum"]),
                _opt(row["lower_bound"]),
                _opt(row["upper_bound"]),
            )
            for row in csv.DictReader(fh)
        }


def bounds(name: str) -> Bounds | None:
    """References of a shipped instance, ``None`` if unknown."""
    return bounds_table().get(name)


def reference(name: str) -> float | None:
    """What gaps are measured against for a shipped instance: the CP-SAT optimum, else its best
    makespan; ``None`` for a name without references."""
    found = bounds(name)
    return None if found is None else found.reference


def suite_names() -> list[str]:
    """Every suite name."""
    return list(SUITES)


def suite(name: str) -> list[str]:
    """Instance names of a suite (or ``[name]`` for a shipped instance)."""
    names = instance_names()
    chosen = {
        "all": names,
        "topcuoglu": ["topcuoglu"],
        "ds3": [n for n in names if n.startswith("ds3-")],
        "rand-12x3": [n for n in names if n.startswith("rand-12x3-")],
        "rand-50x8": [n for n in names if n.startswith("rand-50x8-")],
        "rand-100x4": [n for n in names if n.startswith("rand-100x4-")],
    }.get(name)
    if chosen is None and name in names:
        chosen = [name]
    if not chosen:
        raise UnknownNameError(
            f"unknown socdag suite {name!r} (suites: {', '.join(SUITES)}; or an instance name)"
        )
    return chosen
