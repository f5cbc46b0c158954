"""Gantt charts of SoC-DAG schedules: one row per PE, as text or as an image.

:func:`gantt_ansi` draws each PE's tasks as blocks labelled with the task id on a time axis of
``width`` characters; :func:`gantt_figure` builds a matplotlib ``Figure`` (one colour per job in a
stream, per task otherwise), :func:`gantt_rgb` renders it to an ``(H, W, 3)`` uint8 array and
:func:`save_gantt` to a file. matplotlib is imported inside the functions (Agg canvas, no pyplot).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from schedgym.core.figures import figure_rgb, save_figure
from schedgym.socdag.instance import SoCDAGInstance
from schedgym.socdag.schedule import SoCDAGSchedule

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def gantt_ansi(instance: SoCDAGInstance, schedule: SoCDAGSchedule, width: int = 72) -> str:
    """Plain-text chart: one line per PE, ``.`` where idle."""
    horizon = max(schedule.makespan, 1e-9)
    rows = [["."] * width for _ in range(instance.num_pes)]
    for slot in sorted(schedule.tasks, key=lambda s: s.start):
        a = int(slot.start / horizon * width)
        b = max(a + 1, round(slot.end / horizon * width))
        label = str(slot.task)
        cells = b - a
        text = ("[" + label.ljust(cells - 2, "=") + "]") if cells >= len(label) + 2 else label
        for k, ch in enumerate(text[:cells].ljust(cells, "=")):
            if a + k < width:
                rows[slot.pe][a + k] = ch
    names = [pe.name for pe in instance.platform.pes]
    pad = max(len(n) for n in names)
    lines = [f"{n.rjust(pad)} |{''.join(r)}|" for n, r in zip(names, rows, strict=True)]
    lines.append(f"{'':>{pad}}  0{'':>{width - len(f'{horizon:g}') - 1}}{horizon:g}")
    return "\n".join(lines) + "\n"


def gantt_figure(instance: SoCDAGInstance, schedule: SoCDAGSchedule) -> Figure:
    """A matplotlib figure of the schedule."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 0.4 * instance.num_pes + 1.2), dpi=80)
    ax = fig.add_subplot()
    job = schedule.conditions.job
    palette = np.array(
        [[0.46, 0.72, 0.95], [0.99, 0.75, 0.35], [0.55, 0.83, 0.55], [0.95, 0.55, 0.55],
         [0.75, 0.62, 0.90], [0.95, 0.90, 0.50], [0.50, 0.85, 0.85], [0.90, 0.70, 0.60]]
    )  # fmt: skip
    horizon = max((slot.end for slot in schedule.tasks), default=1.0) or 1.0
    for slot in schedule.tasks:
        key = int(job[slot.task]) if job is not None else slot.task
        ax.barh(
            slot.pe, slot.end - slot.start, left=slot.start, height=0.8,
            color=palette[key % len(palette)], edgecolor="black", linewidth=0.4,
        )  # fmt: skip
        if (slot.end - slot.start) / horizon >= 0.025:  # label the bars wide enough to read
            ax.text(
                (slot.start + slot.end) / 2, slot.pe, str(slot.task),
                ha="center", va="center", fontsize=7, clip_on=True,
            )  # fmt: skip
    if job is not None:
        from matplotlib.patches import Patch

        jobs = sorted({int(job[slot.task]) for slot in schedule.tasks})
        handles = [Patch(color=palette[j % len(palette)], label=f"job {j}") for j in jobs[:8]]
        title = "colour: job" + (" (cycles every 8)" if len(jobs) > 8 else "")
        ax.legend(handles=handles, title=title, fontsize=7, title_fontsize=7,
                  loc="upper left", bbox_to_anchor=(1.0, 1.0))  # fmt: skip
    ax.set_yticks(range(instance.num_pes), [pe.name for pe in instance.platform.pes])
    ax.invert_yaxis()
    unit = f" ({instance.platform.time_unit})" if instance.platform.time_unit else ""
    ax.set_xlabel(f"time{unit}; bar label: task id")
    ax.set_title(f"{instance.name}: makespan {schedule.makespan:g}")
    fig.tight_layout()
    return fig


def gantt_rgb(instance: SoCDAGInstance, schedule: SoCDAGSchedule) -> np.ndarray:
    """The chart as an ``(H, W, 3)`` uint8 array."""
    return figure_rgb(gantt_figure(instance, schedule))


def save_gantt(
    instance: SoCDAGInstance, schedule: SoCDAGSchedule, path: str | Path, fmt: str = "png"
) -> None:
    """Save the chart to ``path`` in format ``fmt`` (png, svg, pdf, jpg)."""
    save_figure(gantt_figure(instance, schedule), path, fmt)
