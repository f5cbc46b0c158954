"""Rendering matplotlib figures without a display (Agg canvas, no pyplot global state)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def figure_rgb(fig: Figure, dpi: float | None = None) -> np.ndarray:
    """``fig`` rendered as an ``(H, W, 3)`` uint8 array (at ``dpi`` when given)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if dpi is not None:
        fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.ascontiguousarray(np.asarray(canvas.buffer_rgba())[..., :3], dtype=np.uint8)


def save_figure(
    fig: Figure, path: str | Path, fmt: str | None = None, dpi: float | None = None
) -> None:
    """Write ``fig`` to ``path``; the format is ``fmt``, else the suffix, else PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    path = Path(path)
    FigureCanvasAgg(fig)
    fig.savefig(
        path,
        dpi=dpi if dpi is not None else "figure",
        format=fmt or (path.suffix.lstrip(".") or "png"),
    )
