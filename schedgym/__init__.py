"""schedgym: a research gym for learned schedulers.

Importing the package registers every problem's environment with Gymnasium (lazily, by
entry-point string, so the import stays cheap and subprocess workers started by forkserver see
them too). The problems are listed once, in :mod:`schedgym.problems`::

    import gymnasium as gym
    import schedgym  # noqa: F401
    env = gym.make("schedgym/JobShop-v0", instance="ta01")
"""

from __future__ import annotations

__version__ = "0.1.0"

from schedgym.problems import all_problems, register_env

for _problem in all_problems():
    register_env(_problem)
