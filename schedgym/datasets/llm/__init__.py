"""Shipped LLM-serving data (see ``README.md``): two request traces from the Azure LLM
inference trace 2023 and five per-layer kernel-time profiles, both as processed and published
by Vidur (microsoft/vidur, MIT licence).

Traces are shipped instances (``azure2023_conv``, ``azure2023_code``); profiles are the
calibration data of :mod:`schedgym.llm.calibration`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from schedgym.core.errors import UnknownNameError

TRACES = ("azure2023_conv", "azure2023_code")
PROFILES = (
    "a100_Llama-2-7b-hf_mlp",
    "a100_Llama-2-70b-hf_mlp",
    "h100_Llama-2-7b-hf_mlp",
    "h100_Llama-2-70b-hf_mlp",
    "a40_Llama-2-7b-hf_mlp",
)


def _root() -> Path:
    return Path(str(files(__package__)))


def profile_path(name: str) -> Path:
    """The shipped profile CSV ``name`` (with or without ``.csv``)."""
    stem = name.removesuffix(".csv")
    if stem not in PROFILES:
        raise UnknownNameError(f"unknown profile {name!r} (shipped: {', '.join(PROFILES)})")
    return _root() / "profiles" / f"{stem}.csv"


def profile_gpu(name: str) -> str:
    """The GPU a shipped profile was measured on (its file-name prefix, e.g. ``a100``)."""
    return name.removesuffix(".csv").split("_", 1)[0]


def trace_path(name: str) -> Path:
    """The shipped trace CSV ``name`` (with or without ``.csv``)."""
    stem = name.removesuffix(".csv")
    if stem not in TRACES:
        raise UnknownNameError(f"unknown trace {name!r} (shipped: {', '.join(TRACES)})")
    return _root() / "traces" / f"{stem}.csv"
