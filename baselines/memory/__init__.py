"""Classical memory-mapping solvers: greedy heuristics, a MiniMalloc-style search, CP-SAT.

Published under the ``schedgym.solvers`` entry-point group as ``memory.NAME``; :data:`SOLVERS`
maps each stable name to its class (used where the entry points are not installed).
"""

from __future__ import annotations

from typing import Any

SOLVERS: dict[str, str] = {
    "first-fit": "baselines.memory.heuristics:FirstFit",
    "best-fit": "baselines.memory.heuristics:BestFit",
    "size-desc": "baselines.memory.heuristics:SizeDescending",
    "xla-greedy": "baselines.memory.heuristics:XlaGreedy",
    "canonical-search": "baselines.memory.search:CanonicalSearch",
    "cpsat": "baselines.memory.cpsat:MemoryCPSAT",
}


def solver_class(name: str) -> Any:
    """The class of the memory solver ``name`` (a key of :data:`SOLVERS`)."""
    import importlib

    module, _, attr = SOLVERS[name].partition(":")
    return getattr(importlib.import_module(module), attr)
