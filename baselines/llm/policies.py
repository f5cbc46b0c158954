"""Batch policies of well-known serving engines (vLLM, Orca, Sarathi-Serve).

They live in :mod:`schedgym.llm.policies` (the env batches with them too); this module re-exports
them for the baselines.
"""

from __future__ import annotations

from schedgym.llm.policies import POLICIES, VLLM, Orca, Sarathi

__all__ = ["POLICIES", "VLLM", "Orca", "Sarathi"]
