"""Checking the action given to an env's ``step``: one rule for every env of the gym.

Every env has a ``Discrete(n)`` action space. :func:`as_action` turns what a caller passed into
a Python ``int``:

* accepted: a Python or NumPy integer, a 0-d integer array, and a float (or 0-d float array)
  holding a whole number (``2.0``), read exactly;
* refused with ``TypeError``: ``None``, strings, bools, arrays with one or more dimensions
  (``np.array([0, 1])``, even ``np.array([3])``), and anything else that is not a number;
* refused with ``ValueError``: a float with a fraction (``1.7`` is never truncated to 1), NaN
  and infinities.

An integer outside ``[0, n)`` is returned as it is: the env then refuses it as an invalid action
(the documented penalty and ``info["invalid_action"] = True``, or ``ValueError`` in strict mode),
as for a masked-out action.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np


def _expected(n: int) -> str:
    return f"expected an integer action in [0, {n})"


def as_action(action: Any, n: int) -> int:
    """``action`` as an ``int`` for a ``Discrete(n)`` space (see the module docstring).

    Raises ``TypeError`` for a value that is not a scalar number and ``ValueError`` for a
    non-integral or non-finite number; both messages name the expected action type.
    """
    if isinstance(action, np.ndarray):
        if action.ndim != 0:
            raise TypeError(f"{_expected(n)}, got an array of shape {action.shape}")
        action = action[()]
    if isinstance(action, bool | np.bool_):
        raise TypeError(f"{_expected(n)}, got the bool {action!r}")
    if isinstance(action, float | np.floating):
        value = float(action)
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"{_expected(n)}, got {value!r} (floats are not truncated)")
        return int(value)
    try:
        return operator.index(action)
    except TypeError:
        raise TypeError(f"{_expected(n)}, got {type(action).__name__} {action!r:.60}") from None
