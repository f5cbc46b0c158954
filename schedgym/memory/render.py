"""Pictures of memory mappings: time on x, address on y, one rectangle per buffer.

* :func:`mapping_figure` builds a matplotlib ``Figure``: each fast buffer is a rectangle
  ``[start, end) x [offset, offset + size)`` coloured by its size (log scale), the capacity a
  dashed red line, the peak a dotted one; buffers in slow memory are listed as a count in the
  title (and drawn as thin grey ticks under the axis when ``show_slow``).
  :func:`mapping_rgb` renders it to an ``(H, W, 3)`` uint8 array, :func:`save_mapping_plot` to a
  file.
* :func:`mapping_ansi`: a text summary and a coarse character map (rows are address bands from
  the top, columns time; ``#`` where some buffer occupies the band, ``.`` where it is free).

matplotlib is imported inside the functions and only ``Figure`` with the Agg canvas is used: no
pyplot global state, no display needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from schedgym.core.figures import figure_rgb, save_figure
from schedgym.memory.instance import MemoryInstance
from schedgym.memory.schedule import SLOW, MemoryMapping

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _title(instance: MemoryInstance, mapping: MemoryMapping) -> str:
    offsets = mapping.offsets_array()
    fast = offsets != SLOW
    peak = int((offsets[fast] + instance.sizes[fast]).max()) if fast.any() else 0
    solver = f" ({mapping.solver})" if mapping.solver else ""
    slow = int((~fast).sum())
    tail = f", {slow} buffers in slow memory" if instance.variant == "assign" else ""
    return (
        f"{instance.name}{solver}: peak {peak:,} / capacity {instance.capacity:,} "
        f"({peak / instance.capacity:.3f}){tail}"
    )


def mapping_figure(
    instance: MemoryInstance,
    mapping: MemoryMapping,
    title: str | None = None,
    show_slow: bool = True,
) -> Figure:
    """A matplotlib ``Figure`` of ``mapping`` (see the module docstring)."""
    from matplotlib import colormaps
    from matplotlib.collections import PatchCollection
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    offsets = mapping.offsets_array()
    fast = offsets != SLOW
    starts, ends, sizes = instance.starts, instance.ends, instance.sizes
    fig = Figure(figsize=(11.0, 5.0), layout="constrained")
    ax = fig.add_subplot()
    idx = np.flatnonzero(fast)
    rects = [
        Rectangle(
            (float(starts[i]), float(offsets[i])), float(ends[i] - starts[i]), float(sizes[i])
        )
        for i in idx
    ]
    norm = LogNorm(vmin=float(sizes.min()), vmax=float(max(sizes.max(), sizes.min() + 1)))
    collection = PatchCollection(
        rects, cmap=colormaps["viridis"], norm=norm, edgecolor="white", linewidth=0.3
    )
    collection.set_array(sizes[idx].astype(float))
    ax.add_collection(collection)
    fig.colorbar(collection, ax=ax, label="buffer size (bytes)")
    peak = int((offsets[idx] + sizes[idx]).max()) if len(idx) else 0
    top = max(instance.capacity, peak) * 1.05
    ax.axhline(instance.capacity, color="red", linestyle="--", linewidth=1.0, label="capacity")
    if peak:
        ax.axhline(peak, color="black", linestyle=":", linewidth=1.0, label="peak")
    slow = np.flatnonzero(~fast)
    if show_slow and len(slow):
        ax.hlines(
            np.full(len(slow), -0.02 * top),
            starts[slow],
            ends[slow],
            colors="0.5",
            linewidth=0.8,
            label="slow memory",
        )
    ax.set_xlim(0, instance.horizon)
    ax.set_ylim(-0.04 * top if show_slow and len(slow) else 0, top)
    ax.set_xlabel("program step")
    ax.set_ylabel("address (bytes)")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(title or _title(instance, mapping), fontsize=10)
    return fig


def mapping_rgb(instance: MemoryInstance, mapping: MemoryMapping, dpi: int = 80) -> np.ndarray:
    """The mapping figure rendered with the Agg canvas, as an ``(H, W, 3)`` uint8 array."""
    return figure_rgb(mapping_figure(instance, mapping), dpi)


def save_mapping_plot(
    instance: MemoryInstance,
    mapping: MemoryMapping,
    path: str | Path,
    title: str | None = None,
    dpi: int = 120,
    fmt: str | None = None,
) -> None:
    """Write the mapping figure to ``path``; the format comes from ``fmt`` or the suffix."""
    save_figure(mapping_figure(instance, mapping, title), path, fmt, dpi)


def mapping_ansi(
    instance: MemoryInstance, mapping: MemoryMapping, width: int = 80, height: int = 16
) -> str:
    """A text summary line and a ``height`` x ``width`` character map of the address space."""
    width, height = max(int(width), 10), max(int(height), 4)
    offsets = mapping.offsets_array()
    fast = offsets != SLOW
    peak = int((offsets[fast] + instance.sizes[fast]).max()) if fast.any() else 0
    top = max(instance.capacity, peak)
    grid = np.zeros((height, width), dtype=bool)
    col = lambda t: min(int(t * width / instance.horizon), width - 1)  # noqa: E731
    row = lambda a: min(int(a * height / top), height - 1)  # noqa: E731
    for i in np.flatnonzero(fast):
        c0, c1 = col(instance.starts[i]), max(col(instance.ends[i] - 1), col(instance.starts[i]))
        r0, r1 = row(offsets[i]), row(max(offsets[i] + instance.sizes[i] - 1, offsets[i]))
        grid[r0 : r1 + 1, c0 : c1 + 1] = True
    cap_row = row(instance.capacity - 1) if instance.capacity < top else None
    lines = [_title(instance, mapping)]
    for r in range(height - 1, -1, -1):
        mark = ">" if r == cap_row else "|"
        lines.append(f"{mark}{''.join('#' if v else '.' for v in grid[r])}|")
    lines.append(f" 0{str(instance.horizon).rjust(width)}")
    return "\n".join(lines)
