"""The one registry of problems: every tool (gym registration, CLI, leaderboard, tests, training)
reads the list of problems from :data:`PROBLEMS` and nowhere else.

Each entry maps a problem name to its descriptor, ``schedgym/<name>/problem.py:PROBLEM`` (a
:class:`schedgym.core.problem.Problem`). Adding a problem is one new folder plus one line here.
:func:`register_problem` adds a descriptor from any importable module at run time (plugins,
tests, notebooks); it registers the problem's Gymnasium env too.
"""

from __future__ import annotations

import importlib
from functools import cache

from schedgym.core.errors import UnknownNameError
from schedgym.core.problem import Problem

#: Problem name -> ``"module:ATTRIBUTE"`` of its descriptor.
PROBLEMS: dict[str, str] = {
    "jobshop": "schedgym.jobshop.problem:PROBLEM",
    "socdag": "schedgym.socdag.problem:PROBLEM",
    "memory": "schedgym.memory.problem:PROBLEM",
    "fleet": "schedgym.fleet.problem:PROBLEM",
    "llm": "schedgym.llm.problem:PROBLEM",
}


def problem_names() -> list[str]:
    """Every registered problem, in registry order."""
    return list(PROBLEMS)


@cache
def _load(target: str) -> Problem:
    module, _, attribute = target.partition(":")
    problem = getattr(importlib.import_module(module), attribute)
    if not isinstance(problem, Problem):
        raise TypeError(f"{target} is a {type(problem).__name__}, not a Problem")
    return problem


def get_problem(name: str) -> Problem:
    """The descriptor of problem ``name``; raises :class:`UnknownNameError` naming the known."""
    if name not in PROBLEMS:
        raise UnknownNameError(f"unknown problem {name!r} (known: {', '.join(PROBLEMS)})")
    return _load(PROBLEMS[name])


def all_problems() -> list[Problem]:
    """Every registered descriptor, in registry order."""
    return [get_problem(name) for name in PROBLEMS]


def register_env(problem: Problem) -> None:
    """Register ``problem``'s env with Gymnasium (once; lazily, by entry-point string)."""
    from gymnasium.envs.registration import register, registry

    if problem.env_id not in registry:
        register(id=problem.env_id, entry_point=problem.env_entry_point, disable_env_checker=True)


def register_problem(target: str) -> Problem:
    """Add the descriptor at ``"module:ATTRIBUTE"`` to the registry (and its env to Gymnasium)
    for this process; returns it."""
    problem = _load(target)
    PROBLEMS[problem.name] = target
    register_env(problem)
    return problem


def unregister_problem(name: str) -> None:
    """Remove a problem added by :func:`register_problem` (tests)."""
    from gymnasium.envs.registration import registry

    target = PROBLEMS.pop(name, None)
    if target is not None:
        registry.pop(_load(target).env_id, None)
