"""Readers and writers of SoC-DAG files: schedgym's interchange and application JSON, the
Standard Task Graph Set and DS3.

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

**DS3** (Arda et al., IEEE Trans. Computers 2020): a job file (``job_*.txt``: ``add_new_tasks``,
task lines ``name id preds...``, ``HEAD``/``TAIL`` and ``earliest_start`` lines, then
``comm_vol src dst volume``) becomes an :class:`Application` whose kernels are the task names; an
SoC file (``SoC.*.txt``: ``add_new_resource`` blocks with ``opp``, ``power_profile`` and
``kernel time`` lines, then ``comm_band src dst bandwidth``) becomes a :class:`Platform`:

* a resource of capacity ``c`` becomes ``c`` PEs (DS3 clusters); memory and cache resources
  (types ``MEM``, ``CAC``) run nothing and become no PE;
* PE type: the resource type, except accelerators (``ACC_*``), which take the resource name
  (``FFT``, ``VIT``, ``MM``); a kernel listed twice for one resource keeps its first time (the one
  DS3's list lookup finds);
* power (DS3's ``performance`` DVFS mode runs at the highest frequency): ``active_power`` is the
  one-core figure of the ``power_profile`` at the highest listed frequency, ``idle_power`` 0
  (power-gated idle cores); a simplification of DS3's DVFS/thermal power model;
* links: ``comm_band`` is symmetric; two PEs of one resource use its self band (``comm_band c
  c``); a pair of resources without a ``comm_band`` line communicates through memory, with
  ``1 / bw = 1 / bw(p, mem) + 1 / bw(mem, q)``; latency 0. ``comm_band_self`` (same PE) is
  ignored: communication on one PE is free in schedgym's model.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import compact_json, read_json
from schedgym.hardware.platform import (
    Platform,
    ProcessingElement,
    parse_links,
    parse_pes,
    uniform_platform,
)
from schedgym.socdag.application import Application
from schedgym.socdag.instance import SoCDAGInstance

# ------------------------------------------------------------------------- interchange JSON


def _list(source: str | Path, data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise InstanceFormatError(source, f"field {key!r}: expected a list")
    return value


def _float(source: str | Path, where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InstanceFormatError(source, f"{where}: expected a number, got {value!r}")
    return float(value)


def instance_from_json(
    data: Any, source: str | Path = "<json>", name: str | None = None
) -> SoCDAGInstance:
    """Parse the interchange JSON; every error names ``source`` and the field."""
    if not isinstance(data, Mapping):
        raise InstanceFormatError(source, "expected a JSON object")
    tasks = _list(source, data, "tasks")
    if not tasks:
        raise InstanceFormatError(source, "field 'tasks': needs at least one task")
    names = []
    for i, task in enumerate(tasks):
        if not isinstance(task, Mapping) or task.get("id", i) != i:
            raise InstanceFormatError(
                source, f"field 'tasks'[{i}]: id must be {i} (0..T-1 in order)"
            )
        names.append(str(task.get("name", f"t{i}")))
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
                table[t, p] = _float(source, f"field 'exec_time'[{t}][{p}]", value)
                if not table[t, p] >= 0:
                    raise InstanceFormatError(source, f"field 'exec_time'[{t}][{p}]: must be >= 0")
        if np.isnan(table[t]).all():
            raise InstanceFormatError(
                source, f"field 'exec_time'[{t}]: task {t} cannot run on any PE"
            )
    src, dst, vol = [], [], []
    for i, edge in enumerate(_list(source, data, "edges")):
        where = f"field 'edges'[{i}]"
        if not isinstance(edge, Mapping):
            raise InstanceFormatError(source, f"{where}: expected an object")
        for key in ("src", "dst"):
            value = edge.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(names):
                raise InstanceFormatError(
                    source, f"{where}.{key}: expected a task id 0..{len(names) - 1}"
                )
        src.append(edge["src"])
        dst.append(edge["dst"])
        vol.append(_float(source, f"{where}.data", edge.get("data", 0.0)))
    label = name or str(data.get("name") or Path(str(source)).stem)
    try:
        platform = Platform(f"{label}-platform", pes, bandwidth, latency)
        return SoCDAGInstance(
            label,
            tuple(names),
            np.array(src, dtype=np.int64),
            np.array(dst, dtype=np.int64),
            np.array(vol),
            table,
            platform,
        )
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
    tasks = data.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise InstanceFormatError(source, "field 'tasks': expected a non-empty list")
    names, kernels = [], []
    for i, task in enumerate(tasks):
        if not isinstance(task, Mapping) or task.get("id", i) != i:
            raise InstanceFormatError(source, f"field 'tasks'[{i}]: id must be {i}")
        names.append(str(task.get("name", f"t{i}")))
        kernels.append(str(task.get("kernel", names[-1])))
    edges = data.get("edges", [])
    if not isinstance(edges, list):
        raise InstanceFormatError(source, "field 'edges': expected a list")
    src, dst, vol = [], [], []
    for i, edge in enumerate(edges):
        try:
            s, d, x = int(edge["src"]), int(edge["dst"]), float(edge.get("data", 0.0))
        except (KeyError, TypeError, ValueError):
            raise InstanceFormatError(source, f"field 'edges'[{i}]: needs src, dst, data") from None
        if not (0 <= s < len(names) and 0 <= d < len(names)):
            raise InstanceFormatError(source, f"field 'edges'[{i}]: task id out of range")
        src.append(s)
        dst.append(d)
        vol.append(x)
    try:
        return Application(
            str(data.get("name", Path(str(source)).stem)),
            tuple(names),
            tuple(kernels),
            np.array(src, dtype=np.int64),
            np.array(dst, dtype=np.int64),
            np.array(vol),
        )
    except ValueError as exc:
        raise InstanceFormatError(source, str(exc)) from None


def read_application(path: str | Path) -> Application:
    """Read an application JSON file."""
    return application_from_json(read_json(path), path)


def write_application(application: Application, path: str | Path) -> None:
    """Write ``application`` as an application JSON file."""
    Path(path).write_text(compact_json(application.to_json()) + "\n")


# ---------------------------------------------------------------------------------------- STG


def _lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InstanceFormatError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceFormatError(path, f"cannot read: {exc}") from None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        tokens = raw.split("#", 1)[0].split()
        if tokens:
            yield lineno, tokens


def _numbers(path: Path, lineno: int, tokens: list[str]) -> list[float]:
    try:
        return [float(tok) for tok in tokens]
    except ValueError:
        raise InstanceFormatError(
            path, f"expected numbers, got {' '.join(tokens)!r}", lineno
        ) from None


def read_stg(
    path: str | Path,
    platform: Platform | None = None,
    *,
    num_pes: int = 4,
    comm_costs: bool | None = None,
    name: str | None = None,
) -> SoCDAGInstance:
    """Read an STG file onto ``platform`` (default: ``uniform_platform(num_pes)``)."""
    path = Path(path)
    rows = list(_lines(path))
    if not rows:
        raise InstanceFormatError(path, "empty STG file")
    head_line, head = rows[0]
    if len(head) != 1 or not head[0].isdigit():
        raise InstanceFormatError(path, "first line must be the number of tasks", head_line)
    total = int(head[0]) + 2
    body = rows[1:]
    if len(body) < total:
        raise InstanceFormatError(
            path, f"expected {total} task lines (n + 2 dummies), found {len(body)}"
        )
    body = body[:total]
    parsed = [(ln, _numbers(path, ln, toks)) for ln, toks in body]
    if comm_costs is None:
        comm_costs = any(len(v) > 3 for _, v in parsed) and all(
            len(v) == 3 + 2 * int(v[2]) for _, v in parsed if len(v) >= 3
        )
    costs = np.zeros(total)
    src: list[int] = []
    dst: list[int] = []
    data: list[float] = []
    for t, (ln, values) in enumerate(parsed):
        if len(values) < 3 or int(values[0]) != t:
            raise InstanceFormatError(path, f"expected 'task cost num_preds ...' for task {t}", ln)
        count = int(values[2])
        rest = values[3:]
        if len(rest) != (2 * count if comm_costs else count):
            raise InstanceFormatError(
                path, f"task {t}: {count} predecessors expected, line has {len(rest)} values", ln
            )
        if values[1] < 0:
            raise InstanceFormatError(path, f"task {t}: negative cost", ln)
        costs[t] = values[1]
        step = 2 if comm_costs else 1
        for k in range(count):
            pred = int(rest[step * k])
            if not 0 <= pred < total or pred == t:
                raise InstanceFormatError(path, f"task {t}: bad predecessor {pred}", ln)
            src.append(pred)
            dst.append(t)
            data.append(float(rest[step * k + 1]) if comm_costs else 0.0)
    platform = platform or uniform_platform(num_pes)
    names = ["entry", *(f"t{i}" for i in range(1, total - 1)), "exit"]
    table = costs[:, None] / platform.speeds()[None, :]
    try:
        return SoCDAGInstance(
            name or path.stem,
            tuple(names),
            np.array(src, dtype=np.int64),
            np.array(dst, dtype=np.int64),
            np.array(data),
            table,
            platform,
        )
    except ValueError as exc:
        raise InstanceFormatError(path, str(exc)) from None


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
        items = [f"{p} {x:g}" if comm_costs else f"{p}" for p, x in plist]
        lines.append(f"{task + 1} {cost[task]:g} {len(plist)} {' '.join(items)}".rstrip())
    exits = [(int(task) + 1, 0.0) for task in np.flatnonzero(outdeg == 0)]
    items = [f"{p} {x:g}" if comm_costs else f"{p}" for p, x in exits]
    lines.append(f"{t + 1} 0 {len(exits)} {' '.join(items)}")
    lines.append(f"# written by schedgym from {instance.name}")
    Path(path).write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------- DS3


def read_ds3_job(path: str | Path) -> Application:
    """Read a DS3 job (application) file."""
    path = Path(path)
    name = path.stem
    names: dict[int, str] = {}
    preds: dict[int, list[int]] = {}
    volume: dict[tuple[int, int], float] = {}
    declared: int | None = None
    for ln, tok in _lines(path):
        key = tok[0]
        if key == "job_name":
            name = tok[1] if len(tok) > 1 else name
        elif key == "add_new_tasks":
            declared = int(tok[1])
        elif key == "comm_vol":
            if len(tok) != 4:
                raise InstanceFormatError(path, "expected 'comm_vol src dst volume'", ln)
            s, d, v = _numbers(path, ln, tok[1:])
            volume[(int(s), int(d))] = v
        elif declared is not None and len(tok) >= 2 and tok[1].lstrip("-").isdigit():
            tid = int(tok[1])
            if tid in names:
                raise InstanceFormatError(path, f"task id {tid} defined twice", ln)
            names[tid] = key
            preds[tid] = [int(v) for v in _numbers(path, ln, tok[2:])]
        # HEAD / TAIL / earliest_start lines carry nothing the model uses
    if declared is None or not names:
        raise InstanceFormatError(path, "no 'add_new_tasks' section with tasks")
    if sorted(names) != list(range(len(names))) or len(names) != declared:
        raise InstanceFormatError(
            path, f"expected task ids 0..{declared - 1}, found {sorted(names)}"
        )
    src, dst, data = [], [], []
    for tid in range(len(names)):
        for p in preds[tid]:
            if p not in names:
                raise InstanceFormatError(path, f"task {tid}: unknown predecessor {p}")
            src.append(p)
            dst.append(tid)
            data.append(volume.get((p, tid), 0.0))
    extra = set(volume) - set(zip(src, dst, strict=True))
    if extra:
        s, d = sorted(extra)[0]
        raise InstanceFormatError(path, f"comm_vol {s} {d} names no dependency")
    ordered = tuple(names[i] for i in range(len(names)))
    return Application(
        name,
        ordered,
        ordered,
        np.array(src, dtype=np.int64),
        np.array(dst, dtype=np.int64),
        np.array(data),
    )


def read_ds3_soc(path: str | Path, name: str | None = None) -> Platform:
    """Read a DS3 SoC (resource) file into a :class:`Platform` (rules in the module docstring)."""
    path = Path(path)
    resources: list[dict] = []
    bands: dict[tuple[int, int], float] = {}
    current: dict | None = None
    for ln, tok in _lines(path):
        key = tok[0]
        if key == "add_new_resource":
            if len(tok) < 13:
                raise InstanceFormatError(
                    path, "add_new_resource needs type, name, ID, capacity, count, DVFS mode", ln
                )
            current = {
                "rtype": tok[2],
                "rname": tok[4],
                "rid": int(tok[6]),
                "capacity": int(tok[8]),
                "kernels": {},
                "power": {},
                "line": ln,
            }
            resources.append(current)
        elif key == "comm_band":
            s, d, v = _numbers(path, ln, tok[1:4])
            bands[(int(s), int(d))] = bands[(int(d), int(s))] = v
            current = None
        elif key in (
            "comm_band_self",
            "opp",
            "trip_freq",
            "DTPM_trip_freq",
            "PG_profile",
            "mesh_information",
        ):
            continue
        elif key == "power_profile" and current is not None:
            values = _numbers(path, ln, tok[1:])
            current["power"][values[0]] = values[1:]
        elif current is not None and len(tok) >= 2:
            time = _numbers(path, ln, tok[1:2])[0]
            current["kernels"].setdefault(key, time)  # first occurrence wins, as in DS3
    compute = [r for r in resources if r["rtype"] not in ("MEM", "CAC")]
    memory = [r["rid"] for r in resources if r["rtype"] == "MEM"]
    if not compute:
        raise InstanceFormatError(path, "no processing resource")
    pes: list[ProcessingElement] = []
    cluster: list[int] = []
    kernels: dict[str, dict[str, float]] = {}
    used: set[str] = set()
    for r in compute:
        pe_type = r["rname"] if r["rtype"].startswith("ACC") else r["rtype"]
        if pe_type in used:
            pe_type = f"{pe_type}-{r['rid']}"
        used.add(pe_type)
        power = r["power"][max(r["power"])][0] if r["power"] else 0.0
        for k in range(r["capacity"]):
            pes.append(ProcessingElement(len(pes), pe_type, f"{r['rname']}-{k}", 1.0, power, 0.0))
            cluster.append(r["rid"])
        for kernel, time in r["kernels"].items():
            if kernel != "None":
                kernels.setdefault(kernel, {})[pe_type] = time
    size = len(pes)
    bandwidth = np.zeros((size, size))
    for p in range(size):
        for q in range(size):
            if p != q:
                bandwidth[p, q] = _band(path, bands, memory, cluster[p], cluster[q])
    return Platform(name or path.stem, tuple(pes), bandwidth, np.zeros((size, size)), kernels, "us")


def _band(
    path: Path, bands: dict[tuple[int, int], float], memory: list[int], a: int, b: int
) -> float:
    direct = bands.get((a, b), 0.0)
    if direct > 0:
        return direct
    for mem in memory:
        to_mem, from_mem = bands.get((a, mem), 0.0), bands.get((mem, b), 0.0)
        if to_mem > 0 and from_mem > 0:
            return 1.0 / (1.0 / to_mem + 1.0 / from_mem)
    raise InstanceFormatError(
        path, f"no comm_band between resources {a} and {b}, nor through memory"
    )
