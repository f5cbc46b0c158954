"""Fleet baselines: ``random``, ``greedy``, ``ga`` and ``clairvoyant`` (the upper bound).

They reach the CLI through the ``schedgym.solvers`` entry points (``fleet.random`` ...);
:func:`register_local` registers them in this process for tools that run from a checkout where
the entry points are not installed yet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SOLVERS: dict[str, str] = {
    "random": "baselines.fleet.policies:RandomPolicy",
    "greedy": "baselines.fleet.policies:GreedyDispatcher",
    "ga": "baselines.fleet.ga:GeneticPlanner",
    "clairvoyant": "baselines.fleet.clairvoyant:ClairvoyantSolver",
}


def _factory(target: str) -> Callable[..., Any]:
    def make(**options: Any) -> Any:
        import importlib

        module, _, name = target.partition(":")
        return getattr(importlib.import_module(module), name)(**options)

    return make


def register_local() -> None:
    """Register the fleet baselines that the installed entry points do not provide."""
    from schedgym.core.solver import available_solvers, register_solver

    known = set(available_solvers("fleet"))
    for name, target in SOLVERS.items():
        if name not in known:
            register_solver("fleet", name, _factory(target))
