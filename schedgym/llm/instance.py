"""LLM-serving instances: a stream of requests and the GPU pool that serves them.

A request ``i`` arrives at ``arrivals[i]`` seconds with a prompt of ``prompt_tokens[i]`` tokens
and asks for ``output_tokens[i]`` generated tokens (at least 1: the prefill produces the first).
A :class:`Cluster` is a tuple of replicas (:class:`~schedgym.llm.hardware.ReplicaType`: a model
on ``tp`` GPUs of one type), possibly of different GPU types (a heterogeneous pool). The
instance holds no file reading (:mod:`schedgym.llm.formats`) and no shipped data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from schedgym.llm.hardware import ReplicaType, gpu_type, model_shape

#: Tokens per KV-cache block (vLLM's default block size).
BLOCK_TOKENS = 16
#: Default bandwidth (bytes/s, one direction) between two replicas for KV-cache transfers: one
#: 200 Gb/s HDR InfiniBand NIC per GPU, as in a DGX A100 (an assumption: the simulator and
#: the validator take another as an argument).
INTERCONNECT_BYTES_PER_S = 25e9


@dataclass(frozen=True)
class Cluster:
    """A pool of serving replicas (any mix of GPU types and TP degrees)."""

    replicas: tuple[ReplicaType, ...]

    def __post_init__(self) -> None:
        if not self.replicas:
            raise ValueError("a cluster needs at least one replica")
        for r in self.replicas:
            if r.kv_capacity_tokens < BLOCK_TOKENS:
                raise ValueError(f"{r.name}: the weights leave no room for a KV cache")

    @staticmethod
    def uniform(model: str, gpu: str, count: int, tp: int = 1) -> Cluster:
        """``count`` identical replicas of ``model`` on ``tp`` GPUs of type ``gpu`` each."""
        replica = ReplicaType(model_shape(model), gpu_type(gpu), tp)
        return Cluster((replica,) * count)

    @property
    def price_per_hour(self) -> float:
        """USD per hour of every GPU of the pool."""
        return sum(r.price_per_hour for r in self.replicas)

    @property
    def num_gpus(self) -> int:
        """GPUs in the pool."""
        return sum(r.tp for r in self.replicas)


@dataclass(frozen=True, eq=False)
class Workload:
    """Requests sorted by arrival: ``arrivals`` (s), ``prompt_tokens``, ``output_tokens``."""

    name: str
    arrivals: np.ndarray  # (n,) float64, non-decreasing, >= 0
    prompt_tokens: np.ndarray  # (n,) int64, >= 1
    output_tokens: np.ndarray  # (n,) int64, >= 1
    meta: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.arrivals)
        if len(self.prompt_tokens) != n or len(self.output_tokens) != n:
            raise ValueError("arrivals, prompt_tokens and output_tokens differ in length")
        if n and (np.any(np.diff(self.arrivals) < 0) or self.arrivals[0] < 0):
            raise ValueError("arrivals must be non-negative and sorted")
        if n and (self.prompt_tokens.min() < 1 or self.output_tokens.min() < 1):
            raise ValueError("every request needs at least one prompt and one output token")

    @staticmethod
    def from_arrays(name: str, arrivals: object, prompt: object, output: object) -> Workload:
        """A workload from array-likes, sorted by arrival (stable)."""
        a = np.asarray(arrivals, dtype=np.float64)
        order = np.argsort(a, kind="stable")
        return Workload(
            name,
            a[order],
            np.asarray(prompt, dtype=np.int64)[order],
            np.asarray(output, dtype=np.int64)[order],
        )

    @property
    def num_requests(self) -> int:
        """Requests in the workload."""
        return len(self.arrivals)

    @property
    def duration_s(self) -> float:
        """Seconds from the first to the last arrival."""
        return float(self.arrivals[-1] - self.arrivals[0]) if self.num_requests else 0.0

    def scaled(self, rate_factor: float) -> Workload:
        """The same requests arriving ``rate_factor`` times faster (arrival times divided)."""
        if rate_factor <= 0:
            raise ValueError("rate_factor must be > 0")
        return Workload(
            f"{self.name}-x{rate_factor:g}",
            self.arrivals / rate_factor,
            self.prompt_tokens,
            self.output_tokens,
            dict(self.meta),
        )

    def head(self, count: int) -> Workload:
        """The first ``count`` requests."""
        return Workload(
            f"{self.name}-{count}",
            self.arrivals[:count],
            self.prompt_tokens[:count],
            self.output_tokens[:count],
            dict(self.meta),
        )


@dataclass(frozen=True, eq=False)
class ServingInstance:
    """One problem instance: a workload served by a cluster; ``name`` defaults to the
    workload's."""

    workload: Workload
    cluster: Cluster
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.workload.name)

    @property
    def num_requests(self) -> int:
        """Requests in the workload."""
        return self.workload.num_requests

    @property
    def num_replicas(self) -> int:
        """Replicas in the pool."""
        return len(self.cluster.replicas)
