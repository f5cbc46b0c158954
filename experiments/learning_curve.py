"""Learning curves of training runs: ``val_score`` against wall minutes (or env steps), from
each run folder's ``metrics.csv`` (or such a CSV file itself)::

    python -m schedgym.experiments.learning_curve runs/socdag_ppo runs/socdag_sl --out curve.png

``val_score`` is the mean objective ratio to the problem's reference heuristic (lower is better,
1.0 ties it; see ``agents/validation.py``); the dashed line marks 1.0.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from pathlib import Path

from schedgym.core.figures import save_figure


def read_metrics(source: Path) -> dict[str, list[float]]:
    """The columns of a run's ``metrics.csv`` as floats."""
    path = source / "metrics.csv" if source.is_dir() else source
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    return {key: [float(r[key]) for r in rows] for key in ("step", "wall_s", "val_score")}


def plot(
    sources: Sequence[Path], out: Path, title: str, x: str = "minutes", ymax: float | None = None
) -> None:
    """One line per run: val_score against wall minutes (``x="minutes"``, the fair axis across
    methods, whose env steps differ in cost) or against env steps (``x="steps"``); ``ymax``
    clips the y axis (an untrained start can dwarf the rest)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 4.0), layout="constrained")
    ax = fig.add_subplot()
    for source in sources:
        data = read_metrics(source)
        label = source.name if source.is_dir() else source.stem
        xs = [w / 60 for w in data["wall_s"]] if x == "minutes" else data["step"]
        ax.plot(xs, data["val_score"], marker="o", markersize=3, label=label)
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="reference heuristic")
    if ymax is not None:
        ax.set_ylim(top=ymax)
    ax.set_xlabel("wall minutes (one thread)" if x == "minutes" else "env steps")
    ax.set_ylabel("val_score (lower is better)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, out, dpi=120)


def main(argv: Sequence[str] | None = None) -> int:
    """Plot the learning curves of the given runs."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders or metrics CSV files")
    parser.add_argument("--out", type=Path, default=Path("learning_curve.png"))
    parser.add_argument("--title", default="validation score during training")
    parser.add_argument("--x", choices=("minutes", "steps"), default="minutes", help="x axis")
    parser.add_argument("--ymax", type=float, default=None, help="top of the y axis")
    args = parser.parse_args(argv)
    plot(args.runs, args.out, args.title, args.x, args.ymax)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
