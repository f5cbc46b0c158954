"""Llumnix-style load balancing with live migration of running requests (Sun et al., OSDI 2024).

Every replica prefills and decodes (vLLM batching). Arrivals go to the replica with the most
free KV blocks per unit of compute, counting the blocks its queued prompts will take (Llumnix's
"freeness"). At each step boundary of a replica whose queue head cannot be admitted (memory
pressure: new requests wait, or running ones would be preempted), the running request with the
shortest cache is migrated to the freest replica when that one has at least ``gap`` more of its
blocks free, one migration out of a replica at a time. A migration is a KV-cache move
(:meth:`~schedgym.llm.disaggregation.DisaggregatedSimulator.move`): it lasts the cache's bytes
over the interconnect and the request pauses meanwhile (stop and copy; Llumnix pipelines the copy
with decoding, so its pause is shorter: this is a conservative model of its migration cost).
"""

from __future__ import annotations

import numpy as np

from schedgym.llm.disaggregation import DisaggregatedSimulator
from schedgym.llm.instance import BLOCK_TOKENS, INTERCONNECT_BYTES_PER_S, ServingInstance
from schedgym.llm.policies import VLLM
from schedgym.llm.schedule import ServingSchedule
from schedgym.llm.simulator import ReplicaState, Simulator
from schedgym.llm.validate import ServingMetrics


class Freeness:
    """Router: the replica with the most free KV blocks per unit of compute after its queue."""

    name = "freeness"

    def route(self, sim: Simulator, request: int) -> int:
        """The freest replica (ties: lowest index)."""

        def freeness(r: int) -> float:
            rep = sim.replicas[r]
            queued = sum(-(-int(sim.prompt[i]) // BLOCK_TOKENS) for i in rep.waiting)
            speed = rep.cost.replica.gpu.peak_flops * rep.cost.replica.tp
            return (rep.free_blocks - queued) / rep.total_blocks * speed

        return max(range(len(sim.replicas)), key=freeness)


class LlumnixSimulator(DisaggregatedSimulator):
    """Every replica serves whole requests; running requests migrate off replicas under memory
    pressure (see the module docstring)."""

    def __init__(
        self,
        instance: ServingInstance,
        gap: float = 0.2,
        interconnect_bytes_per_s: float = INTERCONNECT_BYTES_PER_S,
    ) -> None:
        super().__init__(instance, [], VLLM(), VLLM(), interconnect_bytes_per_s)
        self.router = Freeness()
        self.gap = gap
        self.migrations = 0

    def _free_share(self, rep: ReplicaState) -> float:
        return rep.free_blocks / rep.total_blocks

    def _commit(self, rep: ReplicaState) -> None:
        super()._commit(rep)
        if not rep.waiting or len(rep.decoding) < 2:
            return
        if self._held_out[rep.index]:
            return  # one migration out of a replica at a time
        head = rep.waiting[0]
        if -(-int(self.prompt[head] + self.generated[head]) // BLOCK_TOKENS) <= rep.free_blocks:
            return
        others = [d for d in self.replicas if d is not rep and not self._incoming[d.index]]
        if not others:
            return
        dst = max(others, key=self._free_share)
        if self._free_share(dst) - self._free_share(rep) < self.gap:
            return
        caches = self.cache[np.asarray(rep.decoding)]
        i = rep.decoding.pop(int(np.argmin(caches)))
        self.migrations += 1
        self.move(i, dst.index)


def simulate_llumnix(
    instance: ServingInstance, gap: float = 0.2
) -> tuple[ServingMetrics, ServingSchedule, int]:
    """Serve ``instance`` Llumnix-style; returns the metrics, the schedule and the number of
    migrations."""
    sim = LlumnixSimulator(instance, gap)
    metrics, schedule = sim.run()
    return metrics, schedule, sim.migrations
