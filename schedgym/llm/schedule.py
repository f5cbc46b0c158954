"""The recorded schedule of a serving run: where each request went and every batch of every
replica, iteration by iteration.

Step ``s`` is a run of ``step_repeat[s]`` identical-composition iterations on replica
``step_replica[s]`` from ``step_start[s]`` to ``step_end[s]`` (back to back). Its members are
``member_request[member_ptr[s]:member_ptr[s + 1]]`` with ``member_prefill`` prompt tokens each
(0: the request decodes one token per iteration); a step with prefill members has repeat 1.
``preempt_request[preempt_ptr[s]:preempt_ptr[s + 1]]`` lists the requests preempted (KV cache
dropped, to be recomputed) just before step ``s``. :mod:`schedgym.llm.validate` replays it.

KV-cache transfers (disaggregated prefill and decode, live migration; empty otherwise): transfer
``t`` moves request ``transfer_request[t]``'s ``transfer_tokens[t]`` cached tokens from replica
``transfer_src[t]`` to ``transfer_dst[t]`` from ``transfer_start[t]`` to ``transfer_end[t]``.
The destination holds the blocks from the start (recorded after ``transfer_begin_pos[t]``
steps); the source frees its blocks after ``transfer_release_pos[t]`` steps (at a step boundary
of the source at or after the end); the request decodes on the destination from the end on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from schedgym.core.errors import InstanceFormatError


@dataclass(frozen=True, eq=False)
class ServingSchedule:
    """Routing and per-iteration batches of one serving run (see the module docstring)."""

    request_replica: np.ndarray  # (n,) int64
    step_replica: np.ndarray  # (s,) int64
    step_start: np.ndarray  # (s,) float64
    step_end: np.ndarray  # (s,) float64
    step_repeat: np.ndarray  # (s,) int64
    member_ptr: np.ndarray  # (s + 1,) int64
    member_request: np.ndarray  # (m,) int64
    member_prefill: np.ndarray  # (m,) int64
    preempt_ptr: np.ndarray  # (s + 1,) int64
    preempt_request: np.ndarray  # (p,) int64
    transfer_request: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    transfer_src: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    transfer_dst: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    transfer_tokens: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    transfer_start: np.ndarray = field(default_factory=lambda: np.zeros(0))
    transfer_end: np.ndarray = field(default_factory=lambda: np.zeros(0))
    transfer_begin_pos: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    transfer_release_pos: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    policy: str = ""
    router: str = ""
    instance: str = ""
    solver: str = ""
    status: str = ""
    wall_time_s: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def num_steps(self) -> int:
        """Recorded steps (runs of identical iterations)."""
        return len(self.step_start)

    @property
    def num_iterations(self) -> int:
        """Iterations over all replicas."""
        return int(self.step_repeat.sum())


ARRAYS = (
    "request_replica",
    "step_replica",
    "step_start",
    "step_end",
    "step_repeat",
    "member_ptr",
    "member_request",
    "member_prefill",
    "preempt_ptr",
    "preempt_request",
)
#: Optional arrays (absent from files written before transfers existed: empty).
TRANSFER_ARRAYS = (
    "transfer_request",
    "transfer_src",
    "transfer_dst",
    "transfer_tokens",
    "transfer_start",
    "transfer_end",
    "transfer_begin_pos",
    "transfer_release_pos",
)
FLOAT_ARRAYS = ("step_start", "step_end", "transfer_start", "transfer_end")


def write_schedule(
    schedule: ServingSchedule, path: str | Path, slo_attainment: float | None = None
) -> None:
    """Write the schedule as JSON (arrays as lists; times as exact shortest-repr floats), with
    the validator's SLO attainment when given."""
    data: dict[str, Any] = {"problem": "llm"}
    if slo_attainment is not None:
        data["slo_attainment"] = slo_attainment
    for name in ("instance", "solver", "status", "policy", "router", "wall_time_s"):
        data[name] = getattr(schedule, name)
    for name in ARRAYS + TRANSFER_ARRAYS:
        values = getattr(schedule, name)
        data[name] = values.tolist()
    Path(path).write_text(json.dumps(data))


def read_schedule(path: str | Path) -> ServingSchedule:
    """Read a schedule JSON written by :func:`write_schedule`."""
    try:
        data = json.loads(Path(path).read_text())
        arrays: dict[str, Any] = {
            name: np.asarray(data[name], dtype=np.float64 if name in FLOAT_ARRAYS else np.int64)
            for name in ARRAYS
        }
        for name in TRANSFER_ARRAYS:
            if name in data:
                dtype = np.float64 if name in FLOAT_ARRAYS else np.int64
                arrays[name] = np.asarray(data[name], dtype=dtype)
        return ServingSchedule(
            **arrays,
            policy=str(data.get("policy", "")),
            router=str(data.get("router", "")),
            instance=str(data.get("instance", "")),
            solver=str(data.get("solver", "")),
            status=str(data.get("status", "")),
            wall_time_s=float(data.get("wall_time_s", 0.0)),
        )
    except OSError as exc:
        raise InstanceFormatError(path, f"cannot read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise InstanceFormatError(path, f"not a serving schedule ({exc})") from None
