"""Leaderboard aggregates and outputs: per (time limit, solver, size group) cells, Markdown
tables, the per-instance CSV and the summary JSON.

A cell aggregates the runs of one solver on one size group (and ``all``) under one time limit:
``runs``, ``scored`` (validated schedules; failed runs are counted, never scored), the spec's
scores (the headline first, e.g. mean gap % to best-known), mean and p95 wall time, and budget
hits (runs that used their whole time limit).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schedgym.core.errors import InstanceFormatError, SchedGymError
from schedgym.core.files import optional_float, read_records_csv
from schedgym.core.problem import Problem, Score
from schedgym.leaderboard.store import ROW_COLUMNS, Row

ALL = "all"


@dataclass(frozen=True)
class Cell:
    """Aggregate of one solver over one size group under one time limit."""

    time_limit: float | None
    solver: str
    group: str
    runs: int
    scored: int
    scores: tuple[float | None, ...]
    mean_wall_s: float
    p95_wall_s: float
    budget_hits: int

    @property
    def feasibility(self) -> float:
        """Fraction of runs with a validated schedule."""
        return self.scored / self.runs if self.runs else 0.0


def natural_key(text: str) -> tuple[Any, ...]:
    """Sort key that orders digits numerically (``15x15`` before ``100x20``), ``all`` last."""
    parts = re.split(r"(\d+)", text)
    return (text == ALL, *[(0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p])


def _match(row: Row) -> tuple[str, str, int, int, float | None]:
    return (row.suite, row.instance, row.seed, row.repeat, row.time_limit)


def score_values(score: Score, rows: Sequence[Row], context: Sequence[Row]) -> list[float | None]:
    """The per-run values of ``score`` for ``rows`` (``None`` for failed or unscorable runs);
    ``context`` holds the rows that ratios to another solver look their denominators up in."""
    if score.kind == "gap":
        return [r.gap_pct if r.scored else None for r in rows]
    if score.kind == "objective":
        return [r.objective for r in rows]
    denominators: dict[Any, float | None] = {}
    if score.against is not None:
        denominators = {_match(r): r.objective for r in context if r.solver == score.against}
    values: list[float | None] = []
    for r in rows:
        if r.objective is None:
            values.append(None)
            continue
        if score.against is not None:
            d = denominators.get(_match(r))
        elif score.per_instance is not None:
            d = score.per_instance(r.instance)
        else:
            d = r.reference
        values.append(r.objective / d if d else None)
    return values


def aggregate(values: Iterable[float | None], how: str) -> float | None:
    """Arithmetic (``mean``) or geometric (``geomean``, positive values only) mean."""
    present = [v for v in values if v is not None]
    if how == "geomean":
        present = [v for v in present if v > 0]
        return math.exp(math.fsum(map(math.log, present)) / len(present)) if present else None
    return math.fsum(present) / len(present) if present else None


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation, like ``numpy.percentile``."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarise(rows: Sequence[Row], spec: Problem) -> list[Cell]:
    """Cells per time limit, solver (in order of appearance) and size group (then ``all``)."""
    values = [score_values(s, rows, rows) for s in spec.scores]
    buckets: dict[tuple[float | None, str, str], list[int]] = {}
    for i, r in enumerate(rows):
        for group in (r.size_group, ALL):
            buckets.setdefault((r.time_limit, r.solver, group), []).append(i)
    limits = list(dict.fromkeys(r.time_limit for r in rows))
    solvers = list(dict.fromkeys(r.solver for r in rows))
    groups = sorted({g for _, _, g in buckets}, key=natural_key)
    cells = []
    for limit in limits:
        for solver in solvers:
            for group in groups:
                idx = buckets.get((limit, solver, group))
                if not idx:
                    continue
                walls = [rows[i].wall_time_s for i in idx]
                cells.append(
                    Cell(
                        limit,
                        solver,
                        group,
                        len(idx),
                        sum(rows[i].scored for i in idx),
                        tuple(
                            aggregate((v[i] for i in idx), s.aggregate)
                            for s, v in zip(spec.scores, values, strict=True)
                        ),
                        math.fsum(walls) / len(walls),
                        percentile(walls, 95),
                        sum(rows[i].budget_hit for i in idx),
                    )
                )
    return cells


def select_latest(rows: Sequence[Row], solvers: Sequence[str] | None) -> list[Row]:
    """Rows of each solver's most recent config, solvers in the given order (else first seen)."""
    latest = {r.solver: r.config for r in rows}
    order = list(solvers) if solvers else list(dict.fromkeys(r.solver for r in rows))
    rank = {s: i for i, s in enumerate(order)}
    kept = [r for r in rows if r.solver in rank and latest[r.solver] == r.config]
    return kept if not solvers else sorted(kept, key=lambda r: rank[r.solver])


def order_rows(rows: Sequence[Row], instances: Sequence[str]) -> list[Row]:
    """Rows sorted by instance (suite order), time limit, solver (as given), seed, repeat."""
    where = {name: i for i, name in enumerate(instances)}
    solver_rank = {s: i for i, s in enumerate(dict.fromkeys(r.solver for r in rows))}
    return sorted(
        rows,
        key=lambda r: (
            where.get(r.instance, len(where)),
            -1.0 if r.time_limit is None else r.time_limit,
            solver_rank[r.solver],
            r.seed,
            r.repeat,
        ),
    )


def fmt_score(score: Score, value: float | None) -> str:
    """A score for a table: gaps with 2 decimals, ratios with 3, objectives with 6 digits."""
    if value is None:
        return "-"
    if score.kind == "gap":
        text = f"{value:.2f}"
    elif score.kind == "ratio":
        text = f"{value:.3f}"
    else:
        text = f"{value:.6g}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # never "-0.00"


def fmt_limit(limit: float | None) -> str:
    """``2 s`` or ``solver default``."""
    return "solver default" if limit is None else f"{limit:g} s"


def _table(header: Sequence[str], body: Iterable[Sequence[str]], numeric_from: int) -> str:
    align = ["---" if i < numeric_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines)


def markdown(cells: Sequence[Cell], spec: Problem, title: str, detail: bool = True) -> str:
    """Markdown ready for a README: per time limit, a compact table of the headline score per
    size group, then (``detail``) every score, feasibility, wall times and budget hits."""
    out = [f"### {title}"]
    head = spec.headline
    for limit in dict.fromkeys(c.time_limit for c in cells):
        mine = [c for c in cells if c.time_limit == limit]
        groups = list(dict.fromkeys(c.group for c in mine))
        solvers = list(dict.fromkeys(c.solver for c in mine))
        at = {(c.solver, c.group): c for c in mine}
        out.append(f"\n{head.name} per size group, time limit {fmt_limit(limit)}:\n")
        compact = []
        for solver in solvers:
            everything = at[(solver, ALL)]
            compact.append(
                [f"`{solver}`"]
                + [
                    fmt_score(head, at[(solver, g)].scores[0]) if (solver, g) in at else ""
                    for g in groups
                ]
                + [f"{100 * everything.feasibility:.0f}%", f"{everything.mean_wall_s:.3f}"]
            )
        out.append(_table(["solver", *groups, "feasible", "mean s"], compact, 1))
        if detail:
            header = [
                "solver",
                "group",
                "runs",
                "feasible",
                *(s.name for s in spec.scores),
                "mean s",
                "p95 s",
                "budget hits",
            ]
            body = [
                [
                    f"`{c.solver}`",
                    c.group,
                    str(c.runs),
                    f"{100 * c.feasibility:.0f}%",
                    *(fmt_score(s, v) for s, v in zip(spec.scores, c.scores, strict=True)),
                    f"{c.mean_wall_s:.3f}",
                    f"{c.p95_wall_s:.3f}",
                    str(c.budget_hits),
                ]
                for c in mine
            ]
            out.append("\nDetail:\n")
            out.append(_table(header, body, 2))
    return "\n".join(out) + "\n"


def capacity_of(spec: Problem, instance: str) -> float | None:
    """The capacity a ``pack`` memory instance must fit within, else ``None`` (any problem)."""
    try:
        loaded = spec.load(instance)
    except SchedGymError:  # a name the problem no longer loads: no capacity column
        return None
    capacity = getattr(loaded, "capacity", None)
    return (
        float(capacity)
        if capacity is not None and getattr(loaded, "variant", "") == "pack"
        else None
    )


def _number(value: float) -> str:
    """An integral value in full (peak bytes), else 6 significant digits."""
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def per_instance(rows: Sequence[Row], spec: Problem) -> str:
    """Markdown: per instance and time limit, each solver's objective and seconds (the first
    seed and repeat), and whether it fits where the instance has a capacity (memory ``pack``)."""
    solvers = list(dict.fromkeys(r.solver for r in rows))
    first: dict[tuple[str, float | None, str], Row] = {}
    for r in sorted(rows, key=lambda r: (r.seed, r.repeat)):
        first.setdefault((r.instance, r.time_limit, r.solver), r)
    keys = list(dict.fromkeys((r.instance, r.time_limit) for r in rows))
    caps = {name: capacity_of(spec, name) for name, _ in keys}
    fits = any(c is not None for c in caps.values())
    header = ["instance", "limit"] + [
        f"`{s}` {col}" for s in solvers for col in (spec.objective_name, *(["fits"] * fits), "s")
    ]
    body = []
    for name, limit in keys:
        cells = [name, fmt_limit(limit)]
        for solver in solvers:
            found = first.get((name, limit, solver))
            value = None if found is None else found.objective
            cells.append("-" if value is None else _number(value))
            if fits:
                cap = caps[name]
                cells.append(
                    "-" if value is None or cap is None else "yes" if value <= cap else "no"
                )
            cells.append("-" if found is None else f"{found.wall_time_s:.2f}")
        body.append(cells)
    return "Per instance:\n\n" + _table(header, body, 2) + "\n"


def failures(rows: Iterable[Row], limit: int = 20) -> str:
    """Markdown list of failed runs (status and message), at most ``limit`` of them."""
    failed = [r for r in rows if not r.scored]
    lines = [
        f"- failed: `{r.solver}` on {r.instance} (seed {r.seed}, repeat {r.repeat}, "
        f"{fmt_limit(r.time_limit)}): {r.status}: {r.message}"
        for r in failed[:limit]
    ]
    if len(failed) > limit:
        lines.append(f"- ... and {len(failed) - limit} more failed runs")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def write_rows_csv(rows: Iterable[Row], path: Path) -> None:
    """Write rows as CSV with the :data:`ROW_COLUMNS` header."""
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(ROW_COLUMNS)
        for r in rows:
            writer.writerow([_cell(getattr(r, c)) for c in ROW_COLUMNS])


def read_rows_csv(path: str | Path) -> list[Row]:
    """Rows of a CSV written by :func:`write_rows_csv` (submissions' ``results.csv``).

    A missing, unreadable, non-UTF-8 or malformed file (or a directory) is one
    :class:`InstanceFormatError` naming the file (and line)."""
    path = Path(path)

    def parse(d: dict[str, str]) -> Row:
        return Row(
            d["problem"],
            d["suite"],
            d["instance"],
            d["solver"],
            int(d["seed"]),
            int(d["repeat"]),
            optional_float(d["time_limit"]),
            d["config"],
            d["size_group"],
            d["status"],
            optional_float(d["objective"]),
            optional_float(d["reference"]),
            optional_float(d["gap_pct"]),
            float(d["wall_time_s"]),
            d["budget_hit"] == "1",
            d["message"],
            d["session"],
        )

    if path.is_dir():
        raise InstanceFormatError(path, "is a directory, not a CSV file")
    try:
        return read_records_csv(path, ROW_COLUMNS, parse)
    except FileNotFoundError:
        raise InstanceFormatError(path, "no such file") from None
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (byte {exc.start}: {exc.reason})"
        raise InstanceFormatError(path, message) from None
    except csv.Error as exc:
        raise InstanceFormatError(path, f"malformed CSV ({exc})") from None
    except OSError as exc:
        raise InstanceFormatError(path, f"cannot read: {exc.strerror or exc}") from None


def summary_json(
    cells: Sequence[Cell],
    spec: Problem,
    header: Mapping[str, Any],
    environment: Mapping[str, Any],
    sessions: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The summary document: ``header`` (problem, suite, settings), the environment of this
    command, the sessions that produced the rows, and one entry per cell."""
    return {
        "format": 1,
        **header,
        "metric": spec.objective_name,
        "direction": spec.direction,
        "scores": [s.name for s in spec.scores],
        "environment": dict(environment),
        "sessions": list(sessions),
        "cells": [
            {
                "time_limit": c.time_limit,
                "solver": c.solver,
                "group": c.group,
                "runs": c.runs,
                "scored": c.scored,
                "feasibility": c.feasibility,
                "scores": {s.name: v for s, v in zip(spec.scores, c.scores, strict=True)},
                "mean_wall_s": c.mean_wall_s,
                "p95_wall_s": c.p95_wall_s,
                "budget_hits": c.budget_hits,
            }
            for c in cells
        ],
    }


def _finite(data: Any) -> Any:
    """``data`` with every NaN or infinite float replaced by ``None`` (strict JSON has neither)."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, Mapping):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(v) for v in data]
    return data


def write_json(data: Mapping[str, Any], path: Path) -> None:
    """Write ``data`` as indented, strict JSON (NaN and infinities become ``null``; objects JSON
    does not know become strings)."""
    text = json.dumps(_finite(data), indent=1, default=str, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
