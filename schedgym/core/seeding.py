"""Seeding helpers: one place that turns seeds into independent numpy generators."""

from __future__ import annotations

import numpy as np


def make_rng(seed: int | None) -> np.random.Generator:
    """A numpy Generator from an integer seed (``None`` draws fresh entropy)."""
    return np.random.default_rng(seed)


def spawn_rngs(seed: int | None, count: int) -> list[np.random.Generator]:
    """``count`` statistically independent generators derived from one seed.

    Used where several random streams must not depend on the order they are consumed in
    (e.g. one breakdown stream per machine).
    """
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(count)]
