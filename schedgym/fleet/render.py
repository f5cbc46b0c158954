"""The plot of a fleet day: aircraft timelines, and passengers served against demand.

:func:`day_figure` builds a matplotlib ``Figure`` with two panels over the clock of the day:

* top, one row per aircraft: flights as bars shaded by passengers carried (grey when empty),
  charging in green, downtime hatched in red; route closures listed in the title;
* bottom, per epoch: passengers appearing (demand), boarding (served) and leaving unserved (lost).

:func:`day_rgb` renders it to an ``(H, W, 3)`` uint8 array, :func:`save_day_plot` to a file.
matplotlib is imported inside the functions and only ``Figure`` with the Agg canvas is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from schedgym.core.figures import figure_rgb, save_figure
from schedgym.fleet.dynamics import Realisation, realise
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.kernels import (
    C_AIRCRAFT,
    C_EPOCH,
    F_AIRCRAFT,
    F_ARRIVE,
    F_DEPART,
    F_PAX,
)
from schedgym.fleet.schedule import FleetSchedule

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def day_figure(
    scenario: FleetScenario, schedule: FleetSchedule, day: Realisation | None = None
) -> Figure:
    """The two-panel figure of the module docstring."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    if day is None and schedule.day_seed is not None:
        day = realise(scenario, schedule.day_seed)
    step = scenario.epoch_min / 60.0

    def clock(epoch: np.ndarray | float) -> np.ndarray | float:
        return scenario.start_min / 60.0 + np.asarray(epoch) * step

    fleet = scenario.num_aircraft
    fig = Figure(figsize=(12, 4 + 0.12 * fleet), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(max(3.0, 0.12 * fleet), 2.0))
    blues = colormaps["Blues"]
    seats = max(t.seats for t in scenario.aircraft_types)
    for f in schedule.flights:
        pax = int(f[F_PAX])
        colour = blues(0.35 + 0.65 * pax / seats) if pax else (0.75, 0.75, 0.75, 1.0)
        start, end = clock(f[F_DEPART]), clock(f[F_ARRIVE])
        top.barh(
            int(f[F_AIRCRAFT]),
            float(end - start),
            left=float(start),
            height=0.8,
            color=colour,
            edgecolor="none",
        )
    for c in schedule.charges:
        top.barh(
            int(c[C_AIRCRAFT]),
            step,
            left=float(clock(c[C_EPOCH])),
            height=0.8,
            color=(0.3, 0.7, 0.3, 1.0),
            edgecolor="none",
        )
    title = f"{scenario.name}: profit {schedule.profit:,.0f}, {schedule.passengers} passengers"
    if day is not None:
        for a in np.flatnonzero(day.down_start >= 0):
            start, end = clock(day.down_start[a]), clock(day.down_end[a])
            top.barh(
                int(a),
                float(end - start),
                left=float(start),
                height=0.8,
                color="none",
                edgecolor=(0.8, 0.1, 0.1, 1.0),
                hatch="///",
            )
        if day.closures:
            names = [v.name for v in scenario.vertiports]
            shut = ", ".join(
                f"{names[o]}-{names[d]} {float(clock(s)):.1f}-{float(clock(e)):.1f}h"
                for o, d, s, e in day.closures[:2]
            )
            title += f"; closed: {shut}" + (" ..." if len(day.closures) > 2 else "")
    from matplotlib.patches import Patch

    legend = [
        Patch(color=blues(0.35), label="flight, few passengers"),
        Patch(color=blues(1.0), label="flight, full"),
        Patch(color=(0.75, 0.75, 0.75, 1.0), label="empty repositioning flight"),
        Patch(color=(0.3, 0.7, 0.3, 1.0), label="charging"),
        Patch(facecolor="none", edgecolor=(0.8, 0.1, 0.1, 1.0), hatch="///", label="breakdown"),
    ]
    top.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    top.set_ylabel("aircraft")
    top.set_ylim(-0.8, fleet - 0.2)
    top.invert_yaxis()
    top.set_title(title, fontsize=9, loc="left")

    epochs = scenario.num_epochs
    served = np.bincount(
        schedule.flights[:, F_DEPART], weights=schedule.flights[:, F_PAX], minlength=epochs
    )[:epochs]
    hours = clock(np.arange(epochs))
    if day is not None:
        bottom.step(
            hours, day.arrivals.sum(axis=(1, 2)), where="post", label="demand", color="black"
        )
    bottom.step(hours, served, where="post", label="served", color=(0.1, 0.3, 0.8))
    lost = np.asarray(schedule.lost[:epochs], dtype=np.float64)
    if len(lost):
        bottom.fill_between(hours, 0, lost, step="post", color=(0.9, 0.4, 0.3, 0.5), label="lost")
    bottom.set_ylabel("passengers / epoch")
    bottom.set_xlabel("hour of day")
    bottom.legend(loc="upper right", fontsize=8)
    return fig


def day_rgb(
    scenario: FleetScenario, schedule: FleetSchedule, day: Realisation | None = None, dpi: int = 60
) -> np.ndarray:
    """The figure rendered with the Agg canvas, as an ``(H, W, 3)`` uint8 array."""
    return figure_rgb(day_figure(scenario, schedule, day), dpi)


def save_day_plot(
    scenario: FleetScenario,
    schedule: FleetSchedule,
    path: str | Path,
    fmt: str = "png",
    day: Realisation | None = None,
) -> None:
    """Save the figure to ``path`` in format ``fmt`` (png, svg, pdf...)."""
    save_figure(day_figure(scenario, schedule, day), path, fmt, dpi=100)
