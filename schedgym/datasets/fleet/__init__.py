"""Shipped fleet scenarios and suites.

Scenarios (JSON files beside this module): ``dfw-8v40a`` (alias ``default``), the paper-scale
network of 8 vertiports and 40 four-seat eVTOL aircraft in a Dallas-Fort Worth-like region.
Its vertiport positions, capacities and demand weights, the aircraft performance and the
economics are our own plausible values at the scale of Paul, Witter & Chowdhury (2024), not
numbers taken from that paper.

A name with a ``-dN`` suffix (``dfw-8v40a-d7``, ``default-d7``) is the scenario fixed to the day
drawn with seed ``N``. Suites: ``default20`` (days 0-19 of the default scenario, the report's
set), ``default5`` (days 0-4) and ``default`` (day 0).

``bounds.csv`` holds an upper bound on the profit of each ``default20`` day: the clairvoyant LP
bound (``method`` ``lp-fleet``: :mod:`schedgym.baselines.fleet.model` with the fleet-wide battery
balance,
solved by GLOP, raised by 1e-6 relative and rounded up to the cent), as computed by
``python -m schedgym.experiments.fleet_report --scenarios 20``. Gaps are measured against it
(:func:`reference`).
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib.resources import files
from pathlib import Path

from schedgym.core.errors import UnknownNameError
from schedgym.fleet.formats import read_scenario
from schedgym.fleet.instance import FleetScenario

DEFAULT = "dfw-8v40a"
ALIASES = {"default": DEFAULT}
_DAY = re.compile(r"^(?P<base>.+)-d(?P<day>[0-9]{1,18})$")  # below 2**63: a valid day_seed


def _root() -> Path:
    return Path(str(files(__package__)))


def scenario_names() -> list[str]:
    """Names of the shipped scenario files (without day suffixes or aliases)."""
    return sorted(p.stem for p in _root().glob("*.json"))


def _split(name: str) -> tuple[str, int | None]:
    match = _DAY.match(name)
    base, day = (match.group("base"), int(match.group("day"))) if match else (name, None)
    return ALIASES.get(base, base), day


def has_instance(name: str) -> bool:
    """Whether ``name`` (with an optional ``-dN`` suffix or alias) is shipped."""
    return _split(name)[0] in scenario_names()


@cache
def _read(base: str) -> FleetScenario:
    return read_scenario(_root() / f"{base}.json")


def load(name: str) -> FleetScenario:
    """A shipped scenario by name (``-dN`` fixes the day)."""
    base, day = _split(name)
    if base not in scenario_names():
        raise UnknownNameError(
            f"unknown fleet scenario {name!r} (known: {', '.join(scenario_names())})"
        )
    scenario = _read(base)
    return scenario if day is None else scenario.with_day(day)


SUITES = {
    "default20": [f"{DEFAULT}-d{i}" for i in range(20)],
    "default5": [f"{DEFAULT}-d{i}" for i in range(5)],
    "default": [f"{DEFAULT}-d0"],
}


@cache
def _bounds() -> dict[str, float]:
    with (_root() / "bounds.csv").open() as fh:
        return {row["name"]: float(row["bound"]) for row in csv.DictReader(fh)}


def canonical(name: str) -> str:
    """The shipped name behind an alias (``default-d3`` -> ``dfw-8v40a-d3``)."""
    base, day = _split(name)
    return base if day is None else f"{base}-d{day}"


def reference(name: str) -> float | None:
    """The shipped upper bound on the profit of a day (see ``bounds.csv``), else ``None``."""
    return _bounds().get(canonical(name))


def suite(name: str) -> list[str]:
    """Scenario names of a suite, or ``[name]`` for a shipped scenario name."""
    if name in SUITES:
        return list(SUITES[name])
    if has_instance(name):
        return [name]
    raise UnknownNameError(f"unknown fleet suite {name!r} (known: {', '.join(SUITES)})")


def suite_names() -> list[str]:
    """Every suite name."""
    return list(SUITES)
