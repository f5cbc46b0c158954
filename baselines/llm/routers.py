"""Request routers for :mod:`schedgym.llm.simulator`: where an arriving request goes.

- :class:`RoundRobin`: replicas in turn.
- :class:`LeastLoaded`: the replica with the fewest outstanding tokens (prompt + output of its
  unfinished requests) per unit of compute (peak FLOP/s of its GPUs), so a heterogeneous pool
  sends more to its faster replicas.
- :class:`LeastLoadedKV`: the replica with the fewest outstanding tokens per KV-cache block,
  so a heterogeneous pool sends more to the replicas that can hold more requests at once
  (decoding is bound by memory: a replica runs as many requests as its KV cache holds).
- :class:`ShortestQueue`: the replica with the fewest unfinished requests.

Ties go to the lowest replica index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schedgym.llm.simulator import Simulator


@dataclass
class RoundRobin:
    """Replicas in turn."""

    name: str = "round-robin"
    _next: int = field(default=0, repr=False)

    def route(self, sim: Simulator, request: int) -> int:
        """The next replica in turn."""
        r = self._next % len(sim.replicas)
        self._next += 1
        return r


@dataclass
class LeastLoaded:
    """Fewest outstanding tokens per unit of compute."""

    name: str = "least-loaded"

    def route(self, sim: Simulator, request: int) -> int:
        """The least loaded replica."""

        def load(r: int) -> float:
            rep = sim.replicas[r]
            speed = rep.cost.replica.gpu.peak_flops * rep.cost.replica.tp
            return rep.outstanding_tokens / speed

        return min(range(len(sim.replicas)), key=load)


@dataclass
class LeastLoadedKV:
    """Fewest outstanding tokens per KV-cache block."""

    name: str = "least-loaded-kv"

    def route(self, sim: Simulator, request: int) -> int:
        """The replica with the fewest outstanding tokens per KV-cache block."""

        def load(r: int) -> float:
            rep = sim.replicas[r]
            return rep.outstanding_tokens / rep.total_blocks

        return min(range(len(sim.replicas)), key=load)


@dataclass
class ShortestQueue:
    """Fewest unfinished requests."""

    name: str = "shortest-queue"

    def route(self, sim: Simulator, request: int) -> int:
        """The replica with the fewest unfinished requests."""
        return min(range(len(sim.replicas)), key=lambda r: sim.replicas[r].outstanding_requests)
