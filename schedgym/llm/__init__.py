"""LLM-inference serving on heterogeneous GPU pools (the ``llm`` problem).

Modules: ``hardware`` (GPU types and model shapes as data, a replica = model x GPU x TP),
``cost`` (the first-principles kernel cost model and whole-iteration times), ``calibration``
(its error against Vidur's measured profiles), ``instance`` (workload and cluster),
``formats`` (trace CSV files), ``generator`` (seeded trace-like workloads), ``simulator`` (the
iteration-level serving simulator), ``schedule`` (the recorded per-iteration batches and their
JSON file), ``validate`` (the independent replay checker and the metrics; its compiled replay
in ``validate_kernel``, ``replay_steps`` and ``replay_cost``, the plain numpy reference in
``replay_reference``), ``disaggregation`` (prefill and decode pools), ``policies`` (the
engines' batch policies), ``problem`` (the descriptor), ``env`` and ``observation`` (the routing
env and its padded graph), ``render`` (the picture), ``cli`` (the ``schedgym llm`` commands).
Routers and the solvers live in ``baselines/llm``.
"""

from __future__ import annotations

from schedgym.llm.cost import CostModel, Efficiency, ReplicaCost
from schedgym.llm.hardware import GPUS, MODELS, GpuType, ModelShape, ReplicaType
from schedgym.llm.instance import Cluster, ServingInstance, Workload
from schedgym.llm.schedule import ServingSchedule
from schedgym.llm.validate import ServingMetrics, validate_schedule

__all__ = [
    "GPUS",
    "MODELS",
    "Cluster",
    "CostModel",
    "Efficiency",
    "GpuType",
    "ModelShape",
    "ReplicaCost",
    "ReplicaType",
    "ServingInstance",
    "ServingMetrics",
    "ServingSchedule",
    "Workload",
    "validate_schedule",
]
