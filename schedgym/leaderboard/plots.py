"""Leaderboard plots (PNG, matplotlib's Agg backend): score versus time budget, per-group bars.

* ``PROBLEM_SUITE_budget.png``: the headline score of each solver against the time budget when
  several budgets were run (against the measured mean wall time when only one was), log x axis.
* ``PROBLEM_SUITE_groups.png``: the headline score per size group, one bar per solver, at the
  largest budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from schedgym.core.problem import Problem
from schedgym.leaderboard.report import ALL, Cell, fmt_limit


def plot_names(problem: str, suite: str) -> tuple[str, str]:
    """File names of the two plots."""
    stem = f"{problem}_{suite}"
    return f"{stem}_budget.png", f"{stem}_groups.png"


def _largest(limits: Sequence[float | None]) -> float | None:
    real = [x for x in limits if x is not None]
    return max(real) if real else None


def plot_budget(cells: Sequence[Cell], spec: Problem, title: str, path: Path) -> None:
    """Headline score of each solver (all groups) versus the time budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    overall = [c for c in cells if c.group == ALL]
    limits = list(dict.fromkeys(c.time_limit for c in overall))
    by_budget = len([x for x in limits if x is not None]) >= 2
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for solver in dict.fromkeys(c.solver for c in overall):
        mine = [c for c in overall if c.solver == solver and c.scores[0] is not None]
        if by_budget:
            mine = [c for c in mine if c.time_limit is not None]
            xs = [float(c.time_limit or 0.0) for c in mine]
        else:
            xs = [max(c.mean_wall_s, 1e-4) for c in mine]
        ax.plot(xs, [c.scores[0] or 0.0 for c in mine], marker="o", label=solver)
    ax.set_xscale("log")
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())  # log minor labels collide on short ranges
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    if by_budget:  # one labelled tick per budget
        ax.xaxis.set_major_locator(FixedLocator(sorted(x for x in limits if x is not None)))
    ax.set_xlabel("time budget per instance (s)" if by_budget else "mean wall time (s)")
    ax.set_ylabel(spec.headline.name)
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def plot_groups(cells: Sequence[Cell], spec: Problem, title: str, path: Path) -> None:
    """Headline score per size group, one bar per solver, at the largest budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    limit = _largest([c.time_limit for c in cells])
    mine = [c for c in cells if c.time_limit == limit]
    groups = list(dict.fromkeys(c.group for c in mine))
    solvers = list(dict.fromkeys(c.solver for c in mine))
    at = {(c.solver, c.group): c.scores[0] for c in mine}
    width = 0.8 / max(1, len(solvers))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(groups) + 2), 4.5), dpi=110)
    for k, solver in enumerate(solvers):
        xs = [g + (k - (len(solvers) - 1) / 2) * width for g in range(len(groups))]
        ys = [at.get((solver, group)) or 0.0 for group in groups]
        ax.bar(xs, ys, width=width, label=solver)
    crowded = len(groups) > 6 or sum(len(g) for g in groups) > 60
    ax.set_xticks(range(len(groups)), groups, rotation=35 if crowded else 0,
                  ha="right" if crowded else "center")  # fmt: skip
    ax.set_xlabel("size group")
    ax.set_ylabel(spec.headline.name)
    ax.set_title(f"{title}, time limit {fmt_limit(limit)}", fontsize=10)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def plot_writers(
    cells: Sequence[Cell], spec: Problem, problem: str, suite: str, folder: Path
) -> dict[Path, Callable[[Path], None]]:
    """Target path -> writer, for :func:`schedgym.core.files.commit_outputs`."""
    budget, groups = plot_names(problem, suite)
    title = f"{problem} / {suite}"
    return {
        folder / budget: lambda p: plot_budget(cells, spec, title, p),
        folder / groups: lambda p: plot_groups(cells, spec, title, p),
    }
