"""Batch policies of well-known serving engines (vLLM, Orca, Sarathi-Serve).

They live in :mod:`schedgym.llm.policies` (the env batches with them too); this module re-exports
them for the baselines and adds :class:`OrcaReserved`, Orca as published: without a paged KV
cache, each running request reserves KV memory for the maximum sequence length, so a replica runs
at most ``kv_capacity_tokens // max_seq_len`` requests at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from schedgym.llm.policies import POLICIES, VLLM, Orca, Sarathi
from schedgym.llm.simulator import Batch, ReplicaState, Simulator

__all__ = ["POLICIES", "VLLM", "Orca", "OrcaReserved", "Sarathi"]


@dataclass
class OrcaReserved(Orca):
    """Orca's mixed batches with a max-length KV reservation per running request."""

    max_seq_len: int = 4096  # Llama-2's context length
    name: str = "orca-reserved"

    def form_batch(self, sim: Simulator, replica: ReplicaState) -> Batch:
        """Orca's batch, with the running requests capped by the reservation slots."""
        self.max_seqs = max(1, replica.cost.replica.kv_capacity_tokens // self.max_seq_len)
        return super().form_batch(sim, replica)
