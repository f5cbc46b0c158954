"""The ``render_mode`` convention every env follows: one rule for every env of the gym.

* ``ansi``: ``render()`` returns the env's text picture;
* ``rgb_array``: ``render()`` returns its image, ``(H, W, 3)`` uint8;
* ``human``: ``render()`` prints the ``ansi`` text on stdout and returns ``None`` (no window, no
  pygame), and ``step`` renders by itself when an episode ends.

An env's ``render`` returns :func:`rendered` of its two drawings (passed as functions, so that
only the one asked for is drawn); its ``step`` calls :func:`render_at_end`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np


def rendered(
    mode: str, ansi: Callable[[], str], rgb: Callable[[], np.ndarray]
) -> str | np.ndarray | None:
    """What ``render()`` gives in ``mode`` (``"ansi"``, ``"rgb_array"`` or ``"human"``):
    ``ansi()``, ``rgb()``, or ``ansi()`` printed on stdout and ``None``."""
    if mode == "human":
        print(ansi())
        return None
    if mode == "ansi":
        return ansi()
    return rgb()


def render_at_end(env: gym.Env[Any, Any], terminated: bool) -> None:
    """Render ``env`` when its episode has just ended (``terminated``), in ``human`` mode only."""
    if terminated and env.render_mode == "human":
        env.render()
