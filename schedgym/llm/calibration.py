"""Calibration: the cost model's error against measured per-op kernel times (Vidur profiles).

A profile CSV (``schedgym/datasets/llm/profiles/``) has one row per ``(num_tokens,
num_tensor_parallel_workers)`` with the measured median time of each op in milliseconds
(``time_stats.<op>.median``) and the model's shape (``n_head``, ``n_kv_head``, ``n_embd``,
``n_expanded_embd``, ``vocab_size``, ``use_gated_mlp``). :func:`calibrate` predicts every row
with :class:`~schedgym.llm.cost.CostModel` from the GPU's data sheet and that shape (nothing is
fitted to the file) and reports, per op and per layer (the sum of the ops), the median and 90th
percentile of the absolute percentage error ``|model - measured| / measured``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from schedgym.core.errors import InstanceFormatError
from schedgym.llm.cost import DEFAULT_EFFICIENCY, LAYER_OPS, CostModel, Efficiency
from schedgym.llm.hardware import GpuType, ModelShape

SHAPE_COLUMNS = ("n_head", "n_kv_head", "n_embd", "n_expanded_embd", "vocab_size", "use_gated_mlp")


@dataclass(frozen=True)
class Profile:
    """The measured rows of one profile file: shape, token counts, TP degrees, times (s)."""

    source: str
    model: ModelShape
    tokens: np.ndarray  # (r,) int
    tp: np.ndarray  # (r,) int
    seconds: dict[str, np.ndarray]  # op -> (r,) measured median time


def read_profile(path: str | Path) -> Profile:
    """Read a Vidur MLP profile CSV; raises :class:`InstanceFormatError` naming the problem."""
    path = Path(path)
    try:
        with path.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise InstanceFormatError(path, f"cannot read: {exc.strerror or exc}") from None
    if not rows:
        raise InstanceFormatError(path, "no rows")
    needed = [*SHAPE_COLUMNS, "num_tokens", "num_tensor_parallel_workers"]
    needed += [f"time_stats.{op}.median" for op in LAYER_OPS]
    missing = [c for c in needed if c not in rows[0]]
    if missing:
        raise InstanceFormatError(path, f"missing columns: {', '.join(missing)}")
    first = rows[0]
    try:
        heads, hidden = int(first["n_head"]), int(first["n_embd"])
        model = ModelShape(
            name=path.stem,
            num_layers=1,
            num_heads=heads,
            num_kv_heads=int(first["n_kv_head"]),
            hidden=hidden,
            ffn=int(first["n_expanded_embd"]),
            vocab=int(first["vocab_size"]),
            gated_mlp=first["use_gated_mlp"].strip().lower() in ("true", "1"),
        )
        tokens = np.array([int(r["num_tokens"]) for r in rows])
        tp = np.array([int(r["num_tensor_parallel_workers"]) for r in rows])
        seconds = {
            op: np.array([float(r[f"time_stats.{op}.median"]) for r in rows]) * 1e-3
            for op in LAYER_OPS
        }
    except (ValueError, KeyError) as exc:
        raise InstanceFormatError(path, f"bad value: {exc}") from None
    return Profile(str(path), model, tokens, tp, seconds)


def predict(
    profile: Profile, gpu: GpuType, efficiency: Efficiency = DEFAULT_EFFICIENCY
) -> dict[str, np.ndarray]:
    """The model's time (s) of every op for every row of ``profile``."""
    model = CostModel(gpu, efficiency)
    out = {op: np.zeros(len(profile.tokens)) for op in LAYER_OPS}
    for tp in np.unique(profile.tp):
        rows = profile.tp == tp
        for op, seconds in model.layer_ops(profile.model, profile.tokens[rows], int(tp)).items():
            out[op][rows] = seconds
    return out


def _summary(predicted: np.ndarray, measured: np.ndarray) -> dict[str, float]:
    pct = np.abs(predicted - measured) / measured * 100.0
    return {"median_pct": float(np.median(pct)), "p90_pct": float(np.percentile(pct, 90))}


def calibrate(
    profile: Profile, gpu: GpuType, efficiency: Efficiency = DEFAULT_EFFICIENCY
) -> dict[str, Any]:
    """``{"layer": {"median_pct", "p90_pct"}, "ops": {op: {...}}}``: absolute percentage error
    of the model against the profile's measured medians (rows with a positive measurement)."""
    predicted = predict(profile, gpu, efficiency)
    ops: dict[str, dict[str, float]] = {}
    for op in LAYER_OPS:
        keep = profile.seconds[op] > 0
        ops[op] = _summary(predicted[op][keep], profile.seconds[op][keep])
    layer_pred = np.sum([predicted[op] for op in LAYER_OPS], axis=0)
    layer_meas = np.sum([profile.seconds[op] for op in LAYER_OPS], axis=0)
    return {"layer": _summary(layer_pred, layer_meas), "ops": ops}
