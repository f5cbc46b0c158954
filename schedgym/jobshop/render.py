"""Gantt charts of job-shop schedules: plain text for terminals and logs, and images.

* :func:`gantt_ansi` draws one text row per machine, each operation a block labelled with its job,
  on a time axis scaled to ``width`` characters (optionally coloured with ANSI escapes).
* :func:`gantt_figure` builds a matplotlib ``Figure`` (one row per machine, one colour per job,
  machine downtimes as hatched grey bars); :func:`gantt_rgb` renders it to an ``(H, W, 3)`` uint8
  array and :func:`save_gantt` to a file.

Partial schedules (an episode in progress) draw what is scheduled so far. matplotlib is imported
inside the functions, so ``import schedgym`` stays cheap, and only ``Figure`` with the Agg canvas
is used: no pyplot global state, no display needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from schedgym.core.figures import figure_rgb, save_figure
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import JobShopSchedule, Operation

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_DOWNTIME_CHAR = "x"
_IDLE_CHAR = "."


def _num_machines(instance: JobShopInstance, schedule: JobShopSchedule) -> int:
    highest = max((op.machine for op in schedule.operations), default=-1)
    return max(instance.num_machines, highest + 1)


def _downtimes(schedule: JobShopSchedule, horizon: int) -> list[tuple[int, int, int]]:
    """Downtimes that start before ``horizon``, clipped to it (simulators may draw far ahead)."""
    return [
        (machine, start, min(end, horizon))
        for machine, start, end in schedule.conditions.downtimes
        if start < horizon
    ]


def _block_text(job: int, cells: int) -> str:
    """The characters of one operation block ``cells`` wide: ``[12]``, ``[3==]``, ``7``..."""
    label = str(job)
    if cells >= len(label) + 2:
        return "[" + label.ljust(cells - 2, "=") + "]"
    if cells >= len(label):
        return label.ljust(cells, "=")
    return label[-cells:]


# Light 256-colour backgrounds on which black labels stay readable.
_ANSI_BACKGROUNDS = (117, 221, 156, 210, 183, 229, 123, 216, 151, 225, 195, 186)


def _ansi_colour(job: int) -> str:
    return f"\x1b[30;48;5;{_ANSI_BACKGROUNDS[job % len(_ANSI_BACKGROUNDS)]}m"


def gantt_ansi(
    instance: JobShopInstance, schedule: JobShopSchedule, width: int = 100, color: bool = False
) -> str:
    """A text Gantt chart: a header line, one row per machine and a time axis.

    Each operation is a block of characters labelled with its job number (``[12==]``, or just the
    digits when the block is narrow); ``.`` is idle time and ``x`` a machine downtime. Time is
    scaled so that the horizon fills ``width`` characters. With ``color=True`` each job's blocks
    get an ANSI background colour.
    """
    width = max(int(width), 10)
    horizon = max(schedule.makespan, 1)
    machines = _num_machines(instance, schedule)
    scale = width / horizon
    rows = [[_IDLE_CHAR] * width for _ in range(machines)]
    jobs = [[-1] * width for _ in range(machines)]

    def cells(start: int, end: int) -> tuple[int, int]:
        # Rounding both ends makes back-to-back operations share their boundary cell exactly.
        lo = min(round(start * scale), width - 1)
        return lo, max(min(round(end * scale), width), lo + 1)

    for op in sorted(schedule.operations, key=lambda o: (o.machine, o.start)):
        lo, hi = cells(op.start, op.end)
        rows[op.machine][lo:hi] = list(_block_text(op.job, hi - lo))
        jobs[op.machine][lo:hi] = [op.job] * (hi - lo)
    for machine, start, end in _downtimes(schedule, horizon):  # over an interrupted operation
        lo, hi = cells(start, end)
        rows[machine][lo:hi] = [_DOWNTIME_CHAR] * (hi - lo)
        jobs[machine][lo:hi] = [-1] * (hi - lo)

    label_width = len(f"M{machines - 1}")
    total = instance.num_jobs * instance.num_ops
    solver = f"  solver {schedule.solver}" if schedule.solver else ""
    lines = [
        f"{instance.name}  makespan {schedule.makespan}  "
        f"({len(schedule.operations)}/{total} operations){solver}"
    ]
    for m in range(machines):
        text = "".join(_paint(rows[m], jobs[m])) if color else "".join(rows[m])
        lines.append(f"{f'M{m}'.ljust(label_width)} |{text}|")
    axis = f"0{str(horizon).rjust(width + 1)}"
    lines.append(f"{' ' * label_width} {axis}")
    return "\n".join(lines)


def _paint(chars: list[str], jobs: list[int]) -> list[str]:
    out: list[str] = []
    current = -1
    for char, job in zip(chars, jobs, strict=True):
        if job != current:
            out.append("\x1b[0m" if job < 0 else _ansi_colour(job))
            current = job
        out.append(char)
    if current >= 0:
        out.append("\x1b[0m")
    return out


def job_colours(num_jobs: int) -> list[tuple[float, float, float, float]]:
    """One RGBA colour per job from qualitative colormaps (tab10, tab20, then tab20b/tab20c)."""
    from matplotlib import colormaps

    if num_jobs <= 10:
        palette = list(colormaps["tab10"].colors)  # type: ignore[attr-defined]
    else:
        palette = [
            colour
            for name in ("tab20", "tab20b", "tab20c")
            for colour in colormaps[name].colors  # type: ignore[attr-defined]
        ]
    return [(*palette[j % len(palette)][:3], 1.0) for j in range(num_jobs)]


def gantt_figure(
    instance: JobShopInstance, schedule: JobShopSchedule, title: str | None = None
) -> Figure:
    """A matplotlib ``Figure`` of the schedule: machines top to bottom, one colour per job.

    Operations are labelled with their job number where the bar is wide enough; a legend of jobs
    is drawn for up to 20 jobs; downtimes from ``schedule.conditions`` are hatched grey bars.
    """
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    machines = _num_machines(instance, schedule)
    horizon = max(schedule.makespan, 1)
    colours = job_colours(max(instance.num_jobs, 1))
    fig = Figure(figsize=(11.0, max(2.4, 0.32 * machines + 1.4)), layout="constrained")
    ax = fig.add_subplot()
    by_machine: dict[int, list[Operation]] = {}
    for op in schedule.operations:
        by_machine.setdefault(op.machine, []).append(op)
    for machine, ops in by_machine.items():  # one collection per machine keeps big charts fast
        ax.broken_barh(
            [(op.start, op.end - op.start) for op in ops],
            (machine - 0.4, 0.8),
            facecolors=[colours[op.job % len(colours)] for op in ops],
            edgecolors="white",
            linewidth=0.5,
        )
    for machine, start, end in _downtimes(schedule, horizon):  # drawn over interrupted operations
        ax.broken_barh(
            [(start, end - start)],
            (machine - 0.4, 0.8),
            facecolors=[(0.85, 0.85, 0.85, 0.85)],
            edgecolors="0.4",
            hatch="///",
            linewidth=0.5,
        )
    min_label = horizon / 60 * max(len(str(instance.num_jobs - 1)), 1)
    if machines <= 40:
        for op in schedule.operations:
            if op.end - op.start >= min_label:
                ax.text(
                    (op.start + op.end) / 2,
                    op.machine,
                    str(op.job),
                    ha="center",
                    va="center",
                    fontsize=7,
                )
    ax.set_ylim(machines - 0.5, -0.5)
    ax.set_xlim(0, horizon * 1.01)
    step = max(1, machines // 25)
    ax.set_yticks(range(0, machines, step), [f"M{m}" for m in range(0, machines, step)])
    ax.set_xlabel("time")
    ax.grid(axis="x", linestyle=":", linewidth=0.5)
    if title is None:
        solver = f" ({schedule.solver})" if schedule.solver else ""
        title = f"{instance.name}{solver}: makespan {schedule.makespan}"
    ax.set_title(title)
    if instance.num_jobs <= 20:
        handles: list[Artist] = [
            Patch(color=colours[j], label=f"J{j}") for j in range(instance.num_jobs)
        ]
        if schedule.conditions.downtimes:
            handles.append(Patch(facecolor="0.85", edgecolor="0.45", hatch="///", label="down"))
        fig.legend(handles=handles, loc="outside right center", fontsize=7, frameon=False)
    return fig


def gantt_rgb(instance: JobShopInstance, schedule: JobShopSchedule, dpi: int = 80) -> np.ndarray:
    """The Gantt figure rendered with the Agg canvas, as an ``(H, W, 3)`` uint8 array."""
    return figure_rgb(gantt_figure(instance, schedule), dpi)


def save_gantt(
    instance: JobShopInstance,
    schedule: JobShopSchedule,
    path: str | Path,
    title: str | None = None,
    dpi: int = 120,
    fmt: str | None = None,
) -> None:
    """Write the Gantt figure to ``path``; the format comes from ``fmt`` or the file suffix."""
    save_figure(gantt_figure(instance, schedule, title), path, fmt, dpi)
