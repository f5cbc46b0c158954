"""Readers of DS3's files (Arda et al., IEEE Trans. Computers 2020), the source of the shipped
SoC platform and applications.

A job file (``job_*.txt``: ``add_new_tasks``,
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
  ignored: communication on one PE is free in schedgym's model. A repeated ``comm_vol`` line for
  one pair keeps its last volume.

Every reader checks numbers and ids as :mod:`schedgym.socdag.formats` does (one-line errors
naming the file and line).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from schedgym.core.checks import int_token, number_token
from schedgym.core.errors import InstanceFormatError
from schedgym.hardware.platform import (
    MAX_BANDWIDTH,
    MAX_PES,
    MAX_POWER,
    MAX_TIME,
    MIN_BANDWIDTH,
    Platform,
    ProcessingElement,
)
from schedgym.socdag.application import Application

# ------------------------------------------------------------------------- interchange JSON
from schedgym.socdag.formats import check_numbers, text_lines
from schedgym.socdag.instance import MAX_DATA, MAX_TASKS, find_cycle


def read_ds3_job(path: str | Path) -> Application:
    """Read a DS3 job (application) file.

    Checked: one ``add_new_tasks N`` (``1 <= N <= MAX_TASKS``) before the task lines, task ids
    ``0..N-1`` each defined once, integer predecessors among them (no self-loop, none twice, no
    cycle), ``comm_vol`` lines with integer task ids, a volume in ``[0, MAX_DATA]`` and a
    dependency to annotate (a repeated pair keeps its last volume).
    """
    path = Path(path)
    name = path.stem
    names: dict[int, str] = {}
    where: dict[int, int] = {}
    preds: dict[int, list[int]] = {}
    volume: dict[tuple[int, int], tuple[float, int]] = {}
    declared: int | None = None
    for ln, tok in text_lines(path):
        key = tok[0]
        if key == "job_name":
            name = tok[1] if len(tok) > 1 else name
        elif key == "add_new_tasks":
            if len(tok) != 2 or declared is not None:
                raise InstanceFormatError(path, "expected one 'add_new_tasks COUNT' line", ln)
            declared = int_token(path, ln, "add_new_tasks: task count", tok[1], 1, MAX_TASKS)
        elif key == "comm_vol":
            if len(tok) != 4:
                raise InstanceFormatError(path, "expected 'comm_vol src dst volume'", ln)
            check_numbers(path, ln, tok[1:])
            s, d = (
                int_token(path, ln, f"comm_vol: {w} task", x, 0)
                for w, x in zip(("source", "destination"), tok[1:3], strict=True)
            )
            volume[s, d] = (number_token(path, ln, "comm_vol: volume", tok[3], 0.0, MAX_DATA), ln)
        elif declared is not None and len(tok) >= 2 and tok[1].lstrip("+-").isdigit():
            tid = int_token(path, ln, "task id", tok[1], 0, declared - 1)
            if tid in names:
                raise InstanceFormatError(path, f"task id {tid} defined twice", ln)
            names[tid], where[tid] = key, ln
            check_numbers(path, ln, tok[2:])
            plist = [int_token(path, ln, f"task {tid}: predecessor", x, 0) for x in tok[2:]]
            for p in plist:
                if p == tid or plist.count(p) > 1:
                    raise InstanceFormatError(path, f"task {tid}: bad predecessor {p}", ln)
            preds[tid] = plist
        # HEAD / TAIL / earliest_start lines carry nothing the model uses
    if declared is None or not names:
        raise InstanceFormatError(path, "no 'add_new_tasks' section with tasks")
    if len(names) != declared:
        missing = next(t for t in range(declared) if t not in names)
        raise InstanceFormatError(path, f"task {missing} of 0..{declared - 1} is not defined")
    src, dst, data = [], [], []
    for tid in range(declared):
        for p in preds[tid]:
            if p not in names:
                raise InstanceFormatError(path, f"task {tid}: unknown predecessor {p}", where[tid])
            src.append(p)
            dst.append(tid)
            data.append(volume.get((p, tid), (0.0, 0))[0])
    edges = set(zip(src, dst, strict=True))
    extra = sorted((ln, s, d) for (s, d), (_, ln) in volume.items() if (s, d) not in edges)
    if extra:
        ln, s, d = extra[0]
        raise InstanceFormatError(path, f"comm_vol {s} {d} names no dependency", ln)
    cycle = find_cycle(declared, np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64))
    if cycle is not None:
        raise InstanceFormatError(
            path, f"the task graph has a cycle ({' -> '.join(map(str, cycle))})", where[cycle[0]]
        )
    ordered = tuple(names[i] for i in range(declared))
    try:
        return Application(
            name,
            ordered,
            ordered,
            np.array(src, dtype=np.int64),
            np.array(dst, dtype=np.int64),
            np.array(data, dtype=np.float64),
        )
    except ValueError as exc:
        raise InstanceFormatError(path, str(exc)) from None


_SKIPPED = (
    "comm_band_self",
    "opp",
    "trip_freq",
    "DTPM_trip_freq",
    "PG_profile",
    "mesh_information",
)


def read_ds3_soc(path: str | Path, name: str | None = None) -> Platform:
    """Read a DS3 SoC (resource) file into a :class:`Platform` (rules in the module docstring).

    Checked: ``add_new_resource`` lines with an integer ``resource_ID`` (each defined once) and a
    ``capacity`` in ``1..MAX_PES`` (at most ``MAX_PES`` PEs in all), ``power_profile`` lines
    with a frequency and powers in ``[0, MAX_POWER]``, kernel times in ``[0, MAX_TIME]``,
    ``comm_band`` lines between defined resources with a bandwidth of 0 (no link) or in
    ``[MIN_BANDWIDTH, MAX_BANDWIDTH]``.
    """
    path = Path(path)
    resources: list[dict[str, Any]] = []
    bands: dict[tuple[int, int], float] = {}
    band_lines: list[tuple[int, int, int]] = []
    current: dict[str, Any] | None = None
    for ln, tok in text_lines(path):
        key = tok[0]
        if key == "add_new_resource":
            if len(tok) < 13:
                raise InstanceFormatError(
                    path, "add_new_resource needs type, name, ID, capacity, count, DVFS mode", ln
                )
            rid = int_token(path, ln, "resource_ID", tok[6], 0)
            if any(r["rid"] == rid for r in resources):
                raise InstanceFormatError(path, f"resource ID {rid} defined twice", ln)
            current = {
                "rtype": tok[2],
                "rname": tok[4],
                "rid": rid,
                "capacity": int_token(path, ln, "capacity", tok[8], 1, MAX_PES),
                "kernels": {},
                "power": {},
            }
            resources.append(current)
        elif key == "comm_band":
            if len(tok) != 4:
                raise InstanceFormatError(path, "expected 'comm_band src dst bandwidth'", ln)
            check_numbers(path, ln, tok[1:])
            s, d = (int_token(path, ln, "comm_band: resource", x, 0) for x in tok[1:3])
            v = number_token(path, ln, "comm_band: bandwidth", tok[3], 0.0, MAX_BANDWIDTH)
            if 0 < v < MIN_BANDWIDTH:
                raise InstanceFormatError(
                    path, f"comm_band: bandwidth {v:g} below {MIN_BANDWIDTH:g} (0: no link)", ln
                )
            bands[s, d] = bands[d, s] = v
            band_lines.append((ln, s, d))
            current = None
        elif key in _SKIPPED:
            continue
        elif key == "power_profile" and current is not None:
            if len(tok) < 3:
                raise InstanceFormatError(path, "expected 'power_profile FREQ POWER...'", ln)
            check_numbers(path, ln, tok[1:])
            freq = number_token(path, ln, "power_profile: frequency", tok[1], 0.0, None)
            current["power"][freq] = [
                number_token(path, ln, "power_profile: power", x, 0.0, MAX_POWER) for x in tok[2:]
            ]
        elif current is not None and len(tok) >= 2:
            check_numbers(path, ln, tok[1:2])
            time = number_token(path, ln, f"kernel {key}: time", tok[1], 0.0, MAX_TIME)
            current["kernels"].setdefault(key, time)  # first occurrence wins, as in DS3
    ids = {r["rid"] for r in resources}
    for ln, s, d in band_lines:
        for rid in (s, d):
            if rid not in ids:
                raise InstanceFormatError(path, f"comm_band: no resource with ID {rid}", ln)
    compute = [r for r in resources if r["rtype"] not in ("MEM", "CAC")]
    memory = [r["rid"] for r in resources if r["rtype"] == "MEM"]
    if not compute:
        raise InstanceFormatError(path, "no processing resource")
    if sum(r["capacity"] for r in compute) > MAX_PES:
        raise InstanceFormatError(path, f"more than {MAX_PES} PEs in all")
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
    try:
        return Platform(
            name or path.stem, tuple(pes), bandwidth, np.zeros((size, size)), kernels, "us"
        )
    except ValueError as exc:
        raise InstanceFormatError(path, str(exc)) from None


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
