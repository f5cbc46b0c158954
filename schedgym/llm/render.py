"""Pictures of serving schedules: per replica, the batch size and the KV-cache use over time.

* :func:`serving_figure` builds a matplotlib ``Figure`` of two panels sharing the time axis:
  the requests in each step's batch (one horizontal segment per recorded step, one colour per
  replica) and the share of the replica's KV blocks held during it (:func:`kv_usage`).
  :func:`serving_rgb` renders it to an ``(H, W, 3)`` uint8 array, :func:`save_serving_plot`
  to a file.
* :func:`serving_ansi`: a text summary, one line per replica.

:func:`kv_usage` replays the block bookkeeping of :mod:`schedgym.llm.validate` without its
checks, so that a partial schedule (an env mid-episode) can be drawn too. matplotlib is imported
inside the functions and only ``Figure`` with the Agg canvas is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from schedgym.core.figures import figure_rgb, save_figure
from schedgym.llm.instance import BLOCK_TOKENS, ServingInstance
from schedgym.llm.schedule import ServingSchedule

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def kv_usage(instance: ServingInstance, schedule: ServingSchedule) -> np.ndarray:
    """KV blocks held on each step's replica during the step (``(num_steps,)`` int64)."""
    w = instance.workload
    n = w.num_requests
    held = np.zeros(instance.num_replicas, np.int64)
    reserved, cache = np.zeros(n, np.int64), np.zeros(n, np.int64)
    prefilled, target = np.zeros(n, np.int64), np.zeros(n, np.int64)
    generated = np.zeros(n, np.int64)
    out = np.zeros(schedule.num_steps, np.int64)
    for s in range(schedule.num_steps):
        r, k = int(schedule.step_replica[s]), int(schedule.step_repeat[s])
        for i in schedule.preempt_request[schedule.preempt_ptr[s] : schedule.preempt_ptr[s + 1]]:
            held[r] -= reserved[i]
            reserved[i] = prefilled[i] = cache[i] = 0
        lo, hi = schedule.member_ptr[s], schedule.member_ptr[s + 1]
        members, chunks = schedule.member_request[lo:hi], schedule.member_prefill[lo:hi]
        pre, ch, dec = members[chunks > 0], chunks[chunks > 0], members[chunks == 0]
        fresh = pre[reserved[pre] == 0]
        target[fresh] = w.prompt_tokens[fresh] + generated[fresh]
        reserved[fresh] = -(-target[fresh] // BLOCK_TOKENS)
        held[r] += reserved[fresh].sum()
        grow = np.maximum(-(-(cache[dec] + k) // BLOCK_TOKENS) - reserved[dec], 0)
        reserved[dec] += grow
        held[r] += grow.sum()
        out[s] = held[r]
        cache[dec] += k
        generated[dec] += k
        prefilled[pre] += ch
        cache[pre] += ch
        generated[pre[prefilled[pre] >= target[pre]]] += 1
        over = members[generated[members] >= w.output_tokens[members]]
        held[r] -= reserved[over].sum()
        reserved[over] = 0
    return out


def _title(instance: ServingInstance, schedule: ServingSchedule) -> str:
    who = " / ".join(x for x in (schedule.solver, schedule.policy, schedule.router) if x)
    pool = ", ".join(sorted({r.name for r in instance.cluster.replicas}))
    return (
        f"{instance.name}{f' ({who})' if who else ''}: {instance.num_requests} requests on "
        f"{instance.num_replicas} replicas ({pool})"
    )


def serving_figure(
    instance: ServingInstance, schedule: ServingSchedule, title: str | None = None
) -> Figure:
    """A matplotlib ``Figure`` of ``schedule`` (see the module docstring)."""
    from matplotlib import colormaps
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.0, 6.0), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    sizes = np.diff(schedule.member_ptr)
    blocks = np.array([r.kv_capacity_tokens // BLOCK_TOKENS for r in instance.cluster.replicas])
    share = kv_usage(instance, schedule) / blocks[schedule.step_replica]
    colours = colormaps["tab10"]
    for r in range(instance.num_replicas):
        on = np.flatnonzero(schedule.step_replica == r)
        x0, x1 = schedule.step_start[on], schedule.step_end[on]
        for ax, y in ((top, sizes[on]), (bottom, share[on])):
            segments = np.stack([np.column_stack([x0, y]), np.column_stack([x1, y])], axis=1)
            label = f"replica {r} ({instance.cluster.replicas[r].name})"
            lines = LineCollection(list(segments), colors=[colours(r % 10)], label=label)
            ax.add_collection(lines)
    end = float(schedule.step_end.max()) if schedule.num_steps else 1.0
    top.set_xlim(0.0, end)
    top.set_ylim(0, max(int(sizes.max()) if len(sizes) else 1, 1) * 1.1)
    bottom.set_ylim(0, max(1.0, float(share.max()) if len(share) else 1.0) * 1.05)
    top.set_ylabel("requests in the batch")
    bottom.set_ylabel("KV cache used (share)")
    bottom.set_xlabel("time (s)")
    top.legend(loc="upper right", fontsize=8)
    top.set_title(title or _title(instance, schedule), fontsize=10)
    return fig


def serving_rgb(instance: ServingInstance, schedule: ServingSchedule, dpi: int = 80) -> np.ndarray:
    """The serving figure rendered with the Agg canvas, as an ``(H, W, 3)`` uint8 array."""
    return figure_rgb(serving_figure(instance, schedule), dpi)


def save_serving_plot(
    instance: ServingInstance,
    schedule: ServingSchedule,
    path: str | Path,
    title: str | None = None,
    dpi: int = 120,
    fmt: str | None = None,
) -> None:
    """Write the serving figure to ``path``; the format comes from ``fmt`` or the suffix."""
    save_figure(serving_figure(instance, schedule, title), path, fmt, dpi)


def serving_ansi(
    instance: ServingInstance, schedule: ServingSchedule, now: float | None = None
) -> str:
    """A title line, then per replica: requests routed, steps, iterations, largest batch and
    busy seconds (up to ``now`` when given)."""
    sizes = np.diff(schedule.member_ptr)
    lines = [_title(instance, schedule) + (f" at t={now:.3f} s" if now is not None else "")]
    for r, replica in enumerate(instance.cluster.replicas):
        on = schedule.step_replica == r
        routed = int((schedule.request_replica == r).sum())
        busy = float((schedule.step_end[on] - schedule.step_start[on]).sum())
        biggest = int(sizes[on].max()) if on.any() else 0
        lines.append(
            f"replica {r} {replica.name}: {routed} routed, {int(on.sum())} steps, "
            f"{int(schedule.step_repeat[on].sum())} iterations, largest batch {biggest}, "
            f"busy {busy:.3f} s"
        )
    return "\n".join(lines)
