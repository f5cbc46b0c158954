"""Per-PE busy intervals for insertion-based placement, vectorised over PEs.

Each PE keeps its busy intervals sorted by start in a padded row (padding ``+inf``). The earliest
start of a task of duration ``d[p]`` that may not start before ``ready[p]`` on PE ``p`` is the
first gap ``[end of interval k-1, start of interval k)`` (the first gap starts at 0, the last one
never ends) where ``max(ready, gap start) + d <= gap end``: HEFT's insertion policy, computed for
every PE at once with one ``(P, K)`` array operation. Zero-length intervals are not recorded (they
occupy nothing, so they never split a gap).
"""

from __future__ import annotations

import numpy as np


class Timeline:
    """Sorted busy intervals of ``num_pes`` PEs, room for ``capacity`` intervals in total."""

    def __init__(self, num_pes: int, capacity: int) -> None:
        self.starts = np.full((num_pes, capacity + 1), np.inf)  # (P, K+1)
        self.ends = np.full((num_pes, capacity + 1), np.inf)  # (P, K+1)
        self.count = np.zeros(num_pes, dtype=np.int64)  # (P,)
        self._zero = np.zeros((num_pes, 1))

    def earliest(self, ready: np.ndarray, duration: np.ndarray) -> np.ndarray:
        """Earliest start on every PE, ``(P,)``, for per-PE ``ready`` times and durations
        (NaN durations give NaN)."""
        width = int(self.count.max()) + 1
        gap_end = self.starts[:, :width]  # (P, W)
        gap_start = np.concatenate([self._zero, self.ends[:, : width - 1]], axis=1)  # (P, W)
        cand = np.maximum(ready[:, None], gap_start)
        fits = cand + duration[:, None] <= gap_end
        est = np.where(fits, cand, np.inf).min(axis=1)
        return np.where(np.isnan(duration), np.nan, est)

    def earliest_on(self, pe: int, ready: float, duration: float) -> float:
        """Earliest start on one PE."""
        n = int(self.count[pe])
        gap_end = self.starts[pe, : n + 1]
        gap_start = np.concatenate([[0.0], self.ends[pe, :n]])
        cand = np.maximum(ready, gap_start)
        fits = np.flatnonzero(cand + duration <= gap_end)
        return float(cand[fits[0]])

    def insert(self, pe: int, start: float, end: float) -> None:
        """Record ``[start, end)`` as busy on ``pe`` (kept sorted by start, then end)."""
        if end <= start:
            return
        n = int(self.count[pe])
        row_s, row_e = self.starts[pe], self.ends[pe]
        idx = int(np.searchsorted(row_s[:n], start, side="right"))
        row_s[idx + 1 : n + 1] = row_s[idx:n].copy()
        row_e[idx + 1 : n + 1] = row_e[idx:n].copy()
        row_s[idx], row_e[idx] = start, end
        self.count[pe] = n + 1

    def last_end(self) -> np.ndarray:
        """End of the last interval of every PE (0 when empty), ``(P,)``."""
        idx = np.maximum(self.count - 1, 0)
        ends = self.ends[np.arange(len(self.count)), idx]
        return np.where(self.count > 0, ends, 0.0)
