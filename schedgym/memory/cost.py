"""The cost model: a mapping's modelled execution time (XLA memory-space-assignment style).

Program step ``t`` runs one operation. Its time is the larger of its compute time and the time
to move the bytes it touches, each tier at its own bandwidth::

    time(t) = max(compute[t],  slow_read(t) / slow.read_bw + slow_write(t) / slow.write_bw
                             + fast_read(t) / fast.read_bw + fast_write(t) / fast.write_bw)

where ``fast_read(t)`` is the total size of the buffers in fast memory that step ``t`` reads
(a use of the buffer at ``t`` that is not a write), and so on. The modelled time of a mapping is
the sum over all steps. A buffer stays in one tier for its whole live range (no prefetch or
eviction copies: the mallocGame setting), so which buffers sit in fast memory matters, not
only whether they fit. With the default hierarchy (fast memory 10x faster), a memory-bound step
gets faster when its buffers move to fast memory, a compute-bound one does not.

:class:`CostModel` precomputes, per instance, the steps that have uses; byte counts are int64 and
exact, and :meth:`CostModel.total` is the one formula that the validator and the env both
evaluate, so they agree to the last bit on the same mapping.
"""

from __future__ import annotations

import numpy as np

from schedgym.memory.instance import MemoryInstance


class CostModel:
    """Modelled time of mappings of one instance (see the module docstring)."""

    def __init__(self, instance: MemoryInstance) -> None:
        self.instance = instance
        self.steps = np.unique(instance.use_steps)  # (m,) steps that have at least one use
        m = len(self.steps)
        self.use_step = np.searchsorted(self.steps, instance.use_steps)  # (u,) index into steps
        self.use_owner = np.repeat(np.arange(instance.num_buffers), np.diff(instance.use_ptr))
        self.use_bytes = instance.sizes[self.use_owner]  # (u,) int64
        self.use_write = instance.use_write
        if len(instance.compute):
            self.compute = instance.compute[self.steps]  # (m,)
            self.constant = float(instance.compute.sum() - self.compute.sum())
        else:
            self.compute = np.zeros(m)
            self.constant = 0.0
        self.read_total = self._bytes(np.ones(instance.num_buffers, dtype=bool), write=False)
        self.write_total = self._bytes(np.ones(instance.num_buffers, dtype=bool), write=True)
        platform = instance.platform
        self.inv = (
            1.0 / platform.slow.read_bandwidth,
            1.0 / platform.slow.write_bandwidth,
            1.0 / platform.fast.read_bandwidth,
            1.0 / platform.fast.write_bandwidth,
        )

    def _bytes(self, in_fast: np.ndarray, write: bool) -> np.ndarray:
        """Bytes of the fast buffers read (or written) at each use step, ``(m,)`` int64."""
        keep = in_fast[self.use_owner] & (self.use_write == write)
        out = np.zeros(len(self.steps), dtype=np.int64)
        np.add.at(out, self.use_step[keep], self.use_bytes[keep])
        return out

    def fast_bytes(self, in_fast: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(fast_read, fast_write)`` bytes per use step for the boolean mask ``in_fast``."""
        mask = np.asarray(in_fast, dtype=bool)
        return self._bytes(mask, write=False), self._bytes(mask, write=True)

    def step_times(self, fast_read: np.ndarray, fast_write: np.ndarray) -> np.ndarray:
        """Time of each use step given its fast-memory read and write bytes, ``(m,)``."""
        slow_read = self.read_total - fast_read
        slow_write = self.write_total - fast_write
        inv_sr, inv_sw, inv_fr, inv_fw = self.inv
        memory = slow_read * inv_sr + slow_write * inv_sw + fast_read * inv_fr + fast_write * inv_fw
        return np.maximum(self.compute, memory)

    def total(self, fast_read: np.ndarray, fast_write: np.ndarray) -> float:
        """Modelled time of the whole program (the objective of ``assign``)."""
        return float(self.constant + self.step_times(fast_read, fast_write).sum())

    def modelled_time(self, in_fast: np.ndarray) -> float:
        """Modelled time when exactly the buffers of the boolean mask ``in_fast`` are fast."""
        return self.total(*self.fast_bytes(in_fast))

    def all_slow_time(self) -> float:
        """Modelled time with every buffer in slow memory (the reference of ``assign``)."""
        zeros = np.zeros(len(self.steps), dtype=np.int64)
        return self.total(zeros, zeros)

    def all_fast_time(self) -> float:
        """Modelled time with every buffer in fast memory (a lower bound, capacity ignored)."""
        return self.total(self.read_total, self.write_total)

    def isolated_benefit(self) -> np.ndarray:
        """Time saved by moving each buffer alone to fast memory, from all-slow, ``(n,)``.

        The benefit of XLA's memory-space assignment: per use, the step's all-slow time minus
        its time with this buffer's bytes moved at fast-memory bandwidth.
        """
        zeros = np.zeros(len(self.steps), dtype=np.int64)
        base_memory = self.read_total * self.inv[0] + self.write_total * self.inv[1]
        base = self.step_times(zeros, zeros)
        saving = np.where(
            self.use_write,
            self.use_bytes * (self.inv[1] - self.inv[3]),
            self.use_bytes * (self.inv[0] - self.inv[2]),
        )
        after = np.maximum(self.compute[self.use_step], base_memory[self.use_step] - saving)
        gain = base[self.use_step] - after
        out = np.zeros(self.instance.num_buffers)
        np.add.at(out, self.use_owner, gain)
        return out
