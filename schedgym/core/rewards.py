"""The ``reward_scale`` option every env takes: a number, or ``"auto"`` for a per-episode unit.

``"auto"`` divides each reward by a unit the env picks at reset (a lower bound, a critical path,
a capacity, ...), so returns are comparable across instance sizes; a number multiplies the
rewards as they are.
"""

from __future__ import annotations

from typing import Literal

RewardScale = float | Literal["auto"]


def checked_reward_scale(value: object) -> RewardScale:
    """``value`` if it is a number or ``"auto"``, else ``ValueError``."""
    if value != "auto" and not isinstance(value, int | float):
        raise ValueError(f"reward_scale must be a number or 'auto', got {value!r}")
    return value


def episode_scale(reward_scale: RewardScale, unit: float) -> float:
    """The factor applied to this episode's rewards: ``1 / unit`` for ``"auto"``, else the
    number itself."""
    return 1.0 / unit if reward_scale == "auto" else float(reward_scale)
