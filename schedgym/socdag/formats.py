"""Readers and writers of SoC-DAG files: schedgym's interchange and application JSON and the
Standard Task Graph Set.

**Interchange JSON** (an instance; read and written; docs/design.md, stable)::

    {"tasks": [{"id": I, "name": STR}], "edges": [{"src": I, "dst": I, "data": FLOAT}],
     "pes": [{"id": P, "type": STR}], "exec_time": [[FLOAT or null per PE] per task],
     "bandwidth": [[FLOAT per PE] per PE], "latency": [[FLOAT per PE] per PE]}

Optional extras, written by schedgym and ignored by readers that do not know them: a top-level
``"name"``, and per PE ``"name"``, ``"speed"``, ``"active_power"``, ``"idle_power"`` (watts).
Task ids must be ``0..T-1`` and PE ids ``0..P-1``, in order. :func:`read_instance` reads it, or
an STG file by its ``.stg`` suffix; :func:`write_instance` writes it.

**Application JSON** (schedgym's own, used for the shipped DS3 applications)::

    {"name": STR, "tasks": [{"id": I, "name": STR, "kernel": STR}],
     "edges": [{"src": I, "dst": I, "data": FLOAT}]}

``kernel`` defaults to the task's name.

**STG** (Kasahara's Standard Task Graph Set): first line ``n`` (tasks, not counting the two dummy
tasks), then ``n + 2`` lines ``task cost num_preds pred...``, task 0 being the entry dummy and
task ``n + 1`` the exit dummy (cost 0); lines from the first ``#`` on are comments. The variant
with communication costs writes ``pred comm`` pairs instead of bare predecessors; it is detected
per file (every line with predecessors has ``2 * num_preds`` numbers after the count), or forced
with ``comm_costs=``. An STG has one cost per task, so it is placed on a platform of related
PEs: ``exec_time[t, p] = cost[t] / speed[p]`` and edge data = the communication cost (on the
default :func:`uniform_platform`, bandwidth 1 and latency 0, the cost itself). The dummy tasks
are kept (zero cost, zero data), named ``entry`` and ``exit``.

DS3's job and SoC files are read by :mod:`schedgym.socdag.ds3`.

**Checks and limits** (every reader; a one-line :class:`InstanceFormatError` naming the file and
the line (text) or field (JSON)): every number finite; execution times, kernel times, STG costs
and latencies in ``[0, MAX_TIME]`` (1e9 time units); edge data in ``[0, MAX_DATA]`` (1e15), and
each edge's worst communication time (largest latency + data / smallest bandwidth) at most
``MAX_TIME``; off-diagonal bandwidths in ``[MIN_BANDWIDTH, MAX_BANDWIDTH]`` (1e-6, 1e15); speeds
in ``[MIN_SPEED, MAX_SPEED]`` (1e-6, 1e6); powers in ``[0, MAX_POWER]`` (1e6 W); at most
``MAX_TASKS`` (100,000) tasks, ``MAX_EDGES`` (1,000,000) edges and ``MAX_PES`` (1024) PEs. Ids and
counts are integers as written (an STG predecessor ``0.5`` or ``nan`` is an error, never rounded),
unique and known; no self-loop, duplicate edge or cycle; kernel maps name existing PE types.
Hence every sum of an instance's times is below ``(MAX_TASKS + MAX_EDGES) * MAX_TIME`` (1.1e15):
exact in float64 (< 2**53) and inside int64 after CP-SAT's scaling by up to 1000 (< 2**62).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from schedgym.core.checks import (
    checked_int,
    checked_number,
    checked_string,
    int_token,
    number_token,
)
from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import compact_json, json_number, read_json, read_text
from schedgym.hardware.platform import (
    MAX_TIME,
    Platform,
    parse_links,
    parse_pes,
    uniform_platform,
)
from schedgym.socdag.application import Application
from schedgym.socdag.instance import MAX_DATA, MAX_EDGES, MAX_TASKS, SoCDAGInstance, find_cycle

# ------------------------------------------------------------------------- interchange JSON


def _list(source: str | Path, data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise InstanceFormatError(source, f"field {key!r}: expected a list")
    return value


def _tasks(source: str | Path, data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The ``tasks`` list: 1..MAX_TASKS objects with ids ``0..T-1`` in order."""
    tasks = _list(source, data, "tasks")
    if not tasks:
        raise InstanceFormatError(source, "field 'tasks': needs at least one task")
    if len(tasks) > MAX_TASKS:
        raise InstanceFormatError(source, f"field 'tasks': {len(tasks)} tasks, at most {MAX_TASKS}")
    for i, task in enumerate(tasks):
        tid = task.get("id", i) if isinstance(task, Mapping) else None
        if isinstance(tid, bool) or not isinstance(tid, int) or tid != i:
            raise InstanceFormatError(
                source, f"field 'tasks'[{i}]: id must be {i} (0..T-1 in order)"
            )
    return tasks


def _edges(
    source: str | Path, raw: Any, num_tasks: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``src``, ``dst``, ``data`` of an ``edges`` list: known tasks, no self-loop, no duplicate,
    data in ``[0, MAX_DATA]``, no cycle."""
    if not isinstance(raw, list):
        raise InstanceFormatError(source, "field 'edges': expected a list")
    if len(raw) > MAX_EDGES:
        raise InstanceFormatError(source, f"field 'edges': {len(raw)} edges, at most {MAX_EDGES}")
    src, dst, vol = [], [], []
    seen: dict[tuple[int, int], int] = {}
    for i, edge in enumerate(raw):
        where = f"field 'edges'[{i}]"
        if not isinstance(edge, Mapping):
            raise InstanceFormatError(source, f"{where}: expected an object")
        s, d = (
            checked_int(source, f"{where}.{key}", edge.get(key), 0, num_tasks - 1)
            for key in ("src", "dst")
        )
        if s == d:
            raise InstanceFormatError(source, f"{where}: self-loop on task {s}")
        if (s, d) in seen:
            raise InstanceFormatError(
                source, f"{where}: duplicate of edge {seen[s, d]} ({s} -> {d})"
            )
        seen[s, d] = i
        src.append(s)
        dst.append(d)
        vol.append(checked_number(source, f"{where}.data", edge.get("data", 0.0), 0.0, MAX_DATA))
    src_a, dst_a = np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)
    cycle = find_cycle(num_tasks, src_a, dst_a)
    if cycle is not None:
        raise InstanceFormatError(
            source, f"field 'edges': the task graph has a cycle ({' -> '.join(map(str, cycle))})"
        )
    return src_a, dst_a, np.array(vol, dtype=np.float64)


def _check_comm(source: str | Path, platform: Platform, data: np.ndarray, where: Any) -> None:
    """Each edge's worst communication time is at most ``MAX_TIME``; ``where(e)`` names edge
    ``e`` as ``(message prefix, line or None)``."""
    worst = platform.worst_comm_time(data)
    bad = np.flatnonzero(~(worst <= MAX_TIME))
    if len(bad):
        e = int(bad[0])
        prefix, line = where(e)
        raise InstanceFormatError(
            source,
            f"{prefix}: data {data[e]:g} may take {worst[e]:g} to communicate (largest latency "
            f"+ data / smallest bandwidth), more than {MAX_TIME:g}",
            line,
        )


def instance_from_json(
    data: Any, source: str | Path = "<json>", name: str | None = None
) -> SoCDAGInstance:
    """Parse the interchange JSON; every error names ``source`` and the field."""
    if not isinstance(data, Mapping):
        raise InstanceFormatError(source, "expected a JSON object")
    tasks = _tasks(source, data)
    names = [
        checked_string(source, f"field 'tasks'[{i}].name", task.get("name", f"t{i}"))
        for i, task in enumerate(tasks)
    ]
    pes = parse_pes(source, data.get("pes"))
    bandwidth, latency = parse_links(source, data, len(pes))
    rows = _list(source, data, "exec_time")
    if len(rows) != len(names):
        raise InstanceFormatError(
            source, f"field 'exec_time': expected {len(names)} rows (one per task), got {len(rows)}"
        )
    table = np.full((len(names), len(pes)), np.nan)
    for t, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(pes):
            raise InstanceFormatError(
                source, f"field 'exec_time'[{t}]: expected {len(pes)} entries (number or null)"
            )
        for p, value in enumerate(row):
            if value is not None:
                table[t, p] = checked_number(
                    source, f"field 'exec_time'[{t}][{p}]", value, 0.0, MAX_TIME
                )
        if np.isnan(table[t]).all():
            raise InstanceFormatError(
                source, f"field 'exec_time'[{t}]: task {t} cannot run on any PE"
            )
    src, dst, vol = _edges(source, data.get("edges"), len(names))
    label = name or checked_string(
        source, "field 'name'", data.get("name") or Path(str(source)).stem
    )
    try:
        platform = Platform(f"{label}-platform", pes, bandwidth, latency)
        _check_comm(source, platform, vol, lambda e: (f"field 'edges'[{e}].data", None))
        return SoCDAGInstance(label, tuple(names), src, dst, vol, table, platform)
    except ValueError as exc:
        raise InstanceFormatError(source, str(exc)) from None


def read_instance(path: str | Path, name: str | None = None) -> SoCDAGInstance:
    """Read an instance file: interchange JSON, or a Standard Task Graph (``.stg``) on the
    default homogeneous platform of :func:`read_stg`."""
    path = Path(path)
    if path.suffix.lower() == ".stg":
        return read_stg(path, name=name)
    return instance_from_json(read_json(path), path, name)


def write_instance(instance: SoCDAGInstance, path: str | Path) -> None:
    """Write ``instance`` as an interchange JSON file."""
    Path(path).write_text(compact_json(instance.to_json()) + "\n")


# ------------------------------------------------------------------------- application JSON


def application_from_json(data: Any, source: str | Path = "<json>") -> Application:
    """Parse the application JSON layout; errors name ``source`` and the field."""
    if not isinstance(data, Mapping):
        raise InstanceFormatError(source, "expected a JSON object")
    tasks = _tasks(source, data)
    names, kernels = [], []
    for i, task in enumerate(tasks):
        names.append(checked_string(source, f"field 'tasks'[{i}].name", task.get("name", f"t{i}")))
        kernels.append(
            checked_string(source, f"field 'tasks'[{i}].kernel", task.get("kernel", names[-1]))
        )
    src, dst, vol = _edges(source, data.get("edges", []), len(names))
    label = checked_string(source, "field 'name'", data.get("name", Path(str(source)).stem))
    try:
        return Application(label, tuple(names), tuple(kernels), src, dst, vol)
    except ValueError as exc:
        raise InstanceFormatError(source, str(exc)) from None


def read_application(path: str | Path) -> Application:
    """Read an application JSON file."""
    return application_from_json(read_json(path), path)


def write_application(application: Application, path: str | Path) -> None:
    """Write ``application`` as an application JSON file."""
    Path(path).write_text(compact_json(application.to_json()) + "\n")


# ---------------------------------------------------------------------------------------- STG


def text_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    for lineno, raw in enumerate(read_text(path).splitlines(), start=1):
        tokens = raw.split("#", 1)[0].split()
        if tokens:
            yield lineno, tokens


def check_numbers(path: Path, lineno: int, tokens: list[str]) -> None:
    """Every token reads as a number (the precise checks come after)."""
    try:
        for tok in tokens:
            float(tok)
    except ValueError:
        shown = " ".join(tokens)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise InstanceFormatError(path, f"expected numbers, got {shown!r}", lineno) from None


def read_stg(
    path: str | Path,
    platform: Platform | None = None,
    *,
    num_pes: int = 4,
    comm_costs: bool | None = None,
    name: str | None = None,
) -> SoCDAGInstance:
    """Read an STG file onto ``platform`` (default: ``uniform_platform(num_pes)``).

    Checked: the task count (at most ``MAX_TASKS`` with the dummies), ids ``0..n+1`` in order,
    integer counts and predecessors (``0.5``, ``nan`` are refused), costs in ``[0, MAX_TIME]``,
    communication costs in ``[0, MAX_DATA]``, known predecessors listed once, no cycle, nothing
    but comments after the task lines.
    """
    path = Path(path)
    rows = list(text_lines(path))
    if not rows:
        raise InstanceFormatError(path, "empty STG file")
    head_line, head = rows[0]
    if len(head) != 1:
        raise InstanceFormatError(path, "first line must be the number of tasks", head_line)
    what = "first line (the number of tasks)"
    total = int_token(path, head_line, what, head[0], 0, MAX_TASKS - 2) + 2
    body = rows[1:]
    if len(body) < total:
        raise InstanceFormatError(
            path, f"expected {total} task lines (n + 2 dummies), found {len(body)}"
        )
    if len(body) > total:
        raise InstanceFormatError(
            path, f"unexpected line after the {total} task lines (n + 2 dummies)", body[total][0]
        )
    parsed = []
    for t, (ln, values) in enumerate(body):
        check_numbers(path, ln, values)
        if len(values) < 3:
            raise InstanceFormatError(path, f"expected 'task cost num_preds ...' for task {t}", ln)
        if int_token(path, ln, "task id", values[0], 0, total - 1) != t:
            raise InstanceFormatError(path, f"expected task {t} (ids 0..n+1 in order)", ln)
        cost = number_token(path, ln, f"task {t}: cost", values[1], 0.0, MAX_TIME)
        count = int_token(path, ln, f"task {t}: predecessor count", values[2], 0, total - 1)
        parsed.append((ln, cost, count, values[3:]))
    if comm_costs is None:
        comm_costs = any(rest for *_, rest in parsed) and all(
            len(rest) == 2 * count for _, _, count, rest in parsed
        )
    step = 2 if comm_costs else 1
    costs = np.zeros(total)
    src: list[int] = []
    dst: list[int] = []
    data: list[float] = []
    lines: list[int] = []
    for t, (ln, cost, count, rest) in enumerate(parsed):
        if len(rest) != step * count:
            raise InstanceFormatError(
                path, f"task {t}: {count} predecessors expected, line has {len(rest)} values", ln
            )
        costs[t] = cost
        seen: set[int] = set()
        for k in range(count):
            pred = int_token(path, ln, f"task {t}: predecessor", rest[step * k], None, None)
            if not 0 <= pred < total or pred == t:
                raise InstanceFormatError(path, f"task {t}: bad predecessor {pred}", ln)
            if pred in seen:
                raise InstanceFormatError(path, f"task {t}: predecessor {pred} listed twice", ln)
            seen.add(pred)
            src.append(pred)
            dst.append(t)
            lines.append(ln)
            data.append(
                number_token(
                    path, ln, f"task {t}: communication cost", rest[2 * k + 1], 0.0, MAX_DATA
                )
                if comm_costs
                else 0.0
            )
    cycle = find_cycle(total, np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64))
    if cycle is not None:
        raise InstanceFormatError(
            path,
            f"the task graph has a cycle ({' -> '.join(map(str, cycle))})",
            parsed[cycle[0]][0],
        )
    platform = platform or uniform_platform(num_pes)
    names = ["entry", *(f"t{i}" for i in range(1, total - 1)), "exit"]
    table = costs[:, None] / platform.speeds()[None, :]
    volume = np.array(data, dtype=np.float64)
    try:
        _check_comm(path, platform, volume, lambda e: (f"task {dst[e]}", lines[e]))
        return SoCDAGInstance(
            name or path.stem,
            tuple(names),
            np.array(src, dtype=np.int64),
            np.array(dst, dtype=np.int64),
            volume,
            table,
            platform,
        )
    except ValueError as exc:
        raise InstanceFormatError(path, str(exc)) from None


def _fmt(value: float) -> str:
    """A number as written in text files: exact (an integer when whole, else repr)."""
    return str(json_number(value))


def write_stg(instance: SoCDAGInstance, path: str | Path, *, comm_costs: bool = False) -> None:
    """Write ``instance`` as an STG: task costs are each task's mean execution time, and entry
    and exit dummies are added when the graph does not start/end with single zero-cost tasks."""
    t = instance.num_tasks
    cost = instance.mean_exec
    indeg = np.bincount(instance.dst, minlength=t)
    outdeg = np.bincount(instance.src, minlength=t)
    lines = [f"{t}"]
    lines.append("0 0 0")
    preds: list[list[tuple[int, float]]] = [[] for _ in range(t)]
    for s, d, x in zip(instance.src, instance.dst, instance.data, strict=True):
        preds[int(d)].append((int(s) + 1, float(x)))
    for task in range(t):
        plist = preds[task] if indeg[task] else [(0, 0.0)]
        items = [f"{p} {_fmt(x)}" if comm_costs else f"{p}" for p, x in plist]
        lines.append(f"{task + 1} {_fmt(cost[task])} {len(plist)} {' '.join(items)}".rstrip())
    exits = [(int(task) + 1, 0.0) for task in np.flatnonzero(outdeg == 0)]
    items = [f"{p} {_fmt(x)}" if comm_costs else f"{p}" for p, x in exits]
    lines.append(f"{t + 1} 0 {len(exits)} {' '.join(items)}")
    lines.append(f"# written by schedgym from {' '.join(instance.name.split())}")
    Path(path).write_text("\n".join(lines) + "\n")
