"""Regenerate the shipped memory-mapping suites (deterministic: same files every time).

    python -m schedgym.datasets.memory.build [--out DIR]

=============  =====  ========================================================================
suite          count  instances
=============  =====  ========================================================================
``pack``       20     :func:`tight_pack_instance`: trace of 90-330 buffers, 1-4 tight steps;
                      100-400 buffers in all; peak live load = capacity = optimum
``pack-hard``  10     the same with 8-12 tight steps
``assign``     10     :class:`AssignGenerator`: 100-400 buffers, capacity 0.2-0.5 x peak load
=============  =====  ========================================================================

``pack`` instances are written as MiniMalloc CSV (``NAME.CAPACITY.csv``), ``assign`` ones as
JSON (with uses and compute times). ``references.csv`` holds, per instance, the value gaps are
measured against: the optimum peak (the capacity, by construction) for ``pack``, the all-fast
modelled time (a lower bound) for ``assign``.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from schedgym.memory.cost import CostModel
from schedgym.memory.formats import csv_filename, write_csv, write_json
from schedgym.memory.generator import AssignGenerator, tight_pack_instance
from schedgym.memory.instance import MemoryInstance

SEED = 20240505
SUITE_SIZES = {"pack": 20, "pack-hard": 10, "assign": 10}
MIN_BUFFERS, MAX_BUFFERS = 100, 400


def _pack(rng: np.random.Generator, name: str, steps: tuple[int, int]) -> MemoryInstance:
    while True:  # redraw until the total (trace + fillers) lies in 100-400
        n = int(rng.integers(90, 331))
        tight = int(rng.integers(steps[0], steps[1] + 1))
        instance = tight_pack_instance(rng, n, tight_steps=tight)[0]
        if MIN_BUFFERS <= instance.num_buffers <= MAX_BUFFERS:
            return MemoryInstance.from_buffers(
                name, instance.buffers(), instance.platform, instance.compute, "pack"
            )


def generate() -> Iterator[tuple[str, MemoryInstance]]:
    """``(suite, instance)`` for every shipped instance, in order."""
    streams = np.random.SeedSequence(SEED).spawn(len(SUITE_SIZES))
    for (suite, count), stream in zip(SUITE_SIZES.items(), streams, strict=True):
        rng = np.random.default_rng(stream)
        for k in range(count):
            name = f"{suite}-{k:02d}"
            if suite == "assign":
                drawn = AssignGenerator((MIN_BUFFERS, MAX_BUFFERS)).sample(rng)
                yield (
                    suite,
                    MemoryInstance.from_buffers(
                        name, drawn.buffers(), drawn.platform, drawn.compute, "assign"
                    ),
                )
            else:
                yield suite, _pack(rng, name, (1, 4) if suite == "pack" else (8, 12))


def reference_value(instance: MemoryInstance) -> float:
    """Optimum peak (``pack``: the capacity) or all-fast modelled time (``assign``)."""
    if instance.variant == "pack":
        return float(instance.capacity)
    return round(CostModel(instance).all_fast_time(), 6)


def build(out: Path) -> list[dict[str, str]]:
    """Write every instance under ``out/instances`` and ``out/references.csv``."""
    folder = out / "instances"
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for suite, instance in generate():
        if instance.variant == "pack":
            file = csv_filename(instance)
            write_csv(instance, folder / file)
        else:
            file = f"{instance.name}.json"
            write_json(instance, folder / file)
        rows.append(
            {
                "name": instance.name,
                "suite": suite,
                "variant": instance.variant,
                "file": file,
                "buffers": str(instance.num_buffers),
                "capacity": str(instance.capacity),
                "reference": repr(reference_value(instance)),
                "kind": "optimum" if instance.variant == "pack" else "lower-bound",
            }
        )
    with (out / "references.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: rebuild the shipped files (or write them elsewhere)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args(argv)
    rows = build(args.out)
    print(f"wrote {len(rows)} instances to {args.out}")


if __name__ == "__main__":
    main()
