"""MiniMalloc's eleven "challenging" benchmarks (A..K) as named instances ``minimalloc-A`` ..
``minimalloc-K`` (see ``README.md`` here for the source, licence and format).

Each is a ``pack`` instance with a 1 MiB capacity, read with half-open live ranges; its reference
is its peak live load (a lower bound on any packing's peak, the optimum where it equals the
capacity: all but ``C``, ``D`` and ``J``).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from schedgym.core.errors import UnknownNameError
from schedgym.memory.formats import read_csv
from schedgym.memory.instance import MemoryInstance

LETTERS = "ABCDEFGHIJK"
PREFIX = "minimalloc-"
NAMES: tuple[str, ...] = tuple(PREFIX + c for c in LETTERS)
CAPACITY = 1_048_576


def path(name: str) -> Path:
    """The CSV file of instance ``name`` (``minimalloc-A``) or of its letter (``A``)."""
    letter = name.removeprefix(PREFIX)
    if letter not in LETTERS or not letter:
        raise UnknownNameError(f"unknown MiniMalloc benchmark {name!r} (known: {LETTERS})")
    return Path(str(files(__package__))) / f"{letter}.{CAPACITY}.csv"


def has_instance(name: str) -> bool:
    """Whether ``name`` is one of :data:`NAMES`."""
    return name in NAMES


@cache
def load(name: str) -> MemoryInstance:
    """Instance ``name`` (capacity from the file name), named ``name``."""
    instance = read_csv(path(name))
    return MemoryInstance.from_buffers(
        name, instance.buffers(), instance.platform, instance.compute, instance.variant
    )


def reference(name: str) -> float:
    """The peak live load of ``name``: a lower bound on its peak."""
    return float(load(name).max_load())
