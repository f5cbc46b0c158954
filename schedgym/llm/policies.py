"""Batch policies of well-known serving engines, for :mod:`schedgym.llm.simulator` (the env
batches with them; :mod:`schedgym.baselines.llm.policies` re-exports them).

- :class:`VLLM`: FCFS continuous batching that prioritises prefills: when waiting requests can
  be admitted, the iteration runs only their whole prompts (running decodes stall); otherwise it
  decodes every running request (vLLM's default scheduler, before chunked prefill).
- :class:`Orca`: iteration-level scheduling with mixed batches: every running decode plus whole
  prompts of newly admitted requests in the same iteration (Yu et al., OSDI 2022).
- :class:`Sarathi`: chunked prefill with a per-iteration token budget, stall-free: every running
  decode first, then prompt chunks (in-progress prompts first, then new admissions, FCFS) up to
  the budget (Agrawal et al., OSDI 2024).

All admit FCFS (head-of-line: a request that does not fit blocks those behind it) and cap the
running requests at ``max_seqs``.
"""

from __future__ import annotations

from dataclasses import dataclass

from schedgym.llm.simulator import Batch, ReplicaState, Simulator


def _running(replica: ReplicaState) -> int:
    return len(replica.prefilling) + len(replica.decoding)


@dataclass
class VLLM:
    """Prefill-prioritising FCFS continuous batching (see the module docstring)."""

    max_batch_tokens: int = 8192
    max_seqs: int = 256
    name: str = "vllm"

    def form_batch(self, sim: Simulator, replica: ReplicaState) -> Batch:
        """Whole prompts of admissible waiting requests, else every decode."""
        prefill = [(i, sim.remaining_prefill(i)) for i in replica.prefilling]
        tokens = sum(c for _, c in prefill)
        while replica.waiting and _running(replica) < self.max_seqs:
            head = replica.waiting[0]
            size = int(sim.prompt[head] + sim.generated[head])
            if prefill and tokens + size > self.max_batch_tokens:
                break
            if sim.admit(replica) is None:
                break
            prefill.append((head, size))
            tokens += size
        if prefill:
            return Batch(prefill=prefill)
        return Batch(decode=list(replica.decoding))


@dataclass
class Orca:
    """Mixed batches of every decode and whole new prompts (see the module docstring)."""

    max_batch_tokens: int = 8192
    max_seqs: int = 256
    name: str = "orca"

    def form_batch(self, sim: Simulator, replica: ReplicaState) -> Batch:
        """Every decode plus whole prompts while the token budget lasts."""
        decode = list(replica.decoding)
        prefill = [(i, sim.remaining_prefill(i)) for i in replica.prefilling]
        tokens = len(decode) + sum(c for _, c in prefill)
        while replica.waiting and _running(replica) < self.max_seqs:
            head = replica.waiting[0]
            size = int(sim.prompt[head] + sim.generated[head])
            if tokens and tokens + size > self.max_batch_tokens:
                break
            if sim.admit(replica) is None:
                break
            prefill.append((head, size))
            tokens += size
        return Batch(prefill=prefill, decode=decode)


@dataclass
class Sarathi:
    """Stall-free chunked prefill under a token budget (see the module docstring)."""

    token_budget: int = 512
    max_seqs: int = 256
    name: str = "sarathi"

    def form_batch(self, sim: Simulator, replica: ReplicaState) -> Batch:
        """Every decode, then prompt chunks up to the token budget."""
        decode = list(replica.decoding)
        left = self.token_budget - len(decode)
        prefill = []
        for i in replica.prefilling:
            if left <= 0:
                break
            chunk = min(sim.remaining_prefill(i), left)
            prefill.append((i, chunk))
            left -= chunk
        while left > 0 and replica.waiting and _running(replica) < self.max_seqs:
            admitted = sim.admit(replica)
            if admitted is None:
                break
            chunk = min(sim.remaining_prefill(admitted), left)
            prefill.append((admitted, chunk))
            left -= chunk
        return Batch(prefill=prefill, decode=decode)


#: Policy name -> class, for options that name a policy (the env's ``policy=``).
POLICIES: dict[str, type[VLLM] | type[Orca] | type[Sarathi]] = {
    "vllm": VLLM,
    "orca": Orca,
    "sarathi": Sarathi,
}
