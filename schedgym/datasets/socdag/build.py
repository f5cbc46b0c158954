"""Rebuild the shipped SoC-DAG files from the DS3 sources (run once, by maintainers)::

    python -m schedgym.datasets.socdag.build PATH/TO/ds3

``PATH/TO/ds3`` holds DS3's ``SoC.*.txt`` and ``job_*.txt`` files. This writes, beside this
module, ``platforms/ds3-soc.json`` (``SoC.MULTIPLE_BAL.txt``: 4 Arm A7 LITTLE, 4 A15 big, 2
matrix-multiply, 4 FFT and 2 Viterbi accelerators), ``platforms/topcuoglu.json``
(``SoC.Top.txt``), one ``apps/NAME.json`` per DS3 job file, and the random suites:
``instances/rand-12x3-NN.json`` (ten 12-task, 3-PE instances, solved exactly by CP-SAT),
``instances/rand-50x8-NN.json`` (five 50-task, 8-PE instances, 20 % unavailable (task, PE)
pairs; CP-SAT proves them in seconds) and ``instances/rand-100x4-NN.json`` (five 100-task, 4-PE
instances, CCR 2, 10 % unavailable pairs; open: CP-SAT gives bounds). The package never reads
the DS3 sources: only these converted files ship. ``references.csv`` (CP-SAT optima and bounds)
is rebuilt by ``benchmarks/socdag_references.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from schedgym.core.seeding import make_rng
from schedgym.socdag.ds3 import read_ds3_job, read_ds3_soc
from schedgym.socdag.formats import write_application, write_instance
from schedgym.socdag.generator import layered_instance

HERE = Path(__file__).resolve().parent

#: shipped application name -> DS3 job file
DS3_JOBS = {
    "wifi-tx": "job_WIFI_5TXM.txt",
    "wifi-rx": "job_WIFI_5RXM.txt",
    "range-detection": "job_LAG.txt",
    "sc-tx": "job_SCT.txt",
    "sc-rx": "job_SCR.txt",
    "temporal-mitigation": "job_TEMP_MIT.txt",
    "topcuoglu": "job_Top.txt",
}
#: shipped platform name -> DS3 SoC file
DS3_SOCS = {"ds3-soc": "SoC.MULTIPLE_BAL.txt", "topcuoglu": "SoC.Top.txt"}
RANDOM_SEED = 2002
RANDOM_COUNT = 10
LARGE_SEED = 2014
LARGE_COUNT = 5
OPEN_SEED = 2020


def build(source: Path, target: Path = HERE) -> list[Path]:
    """Convert the DS3 files in ``source`` and draw the random suite; returns the files written."""
    written: list[Path] = []
    for folder in ("platforms", "apps", "instances"):
        (target / folder).mkdir(exist_ok=True)
    for name, filename in DS3_SOCS.items():
        path = target / "platforms" / f"{name}.json"
        read_ds3_soc(source / filename, name).write(path)
        written.append(path)
    for name, filename in DS3_JOBS.items():
        app = read_ds3_job(source / filename)
        path = target / "apps" / f"{name}.json"
        renamed = type(app)(name, app.task_names, app.kernels, app.src, app.dst, app.data)
        write_application(renamed, path)
        written.append(path)
    rng = make_rng(RANDOM_SEED)
    for k in range(RANDOM_COUNT):
        name = f"rand-12x3-{k:02d}"
        instance = layered_instance(rng, 12, 3, ccr=1.0, heterogeneity=1.0, name=name)
        path = target / "instances" / f"{name}.json"
        write_instance(instance, path)
        written.append(path)
    rng = make_rng(LARGE_SEED)
    for k in range(LARGE_COUNT):
        name = f"rand-50x8-{k:02d}"
        instance = layered_instance(
            rng, 50, 8, ccr=1.0, heterogeneity=1.0, unavailable=0.2, name=name
        )
        path = target / "instances" / f"{name}.json"
        write_instance(instance, path)
        written.append(path)
    rng = make_rng(OPEN_SEED)
    for k in range(LARGE_COUNT):
        name = f"rand-100x4-{k:02d}"
        instance = layered_instance(
            rng, 100, 4, ccr=2.0, heterogeneity=1.0, unavailable=0.1, name=name
        )
        path = target / "instances" / f"{name}.json"
        write_instance(instance, path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="folder with DS3's SoC.*.txt and job_*.txt")
    args = parser.parse_args(argv)
    for path in build(args.source):
        print(path.relative_to(HERE))


if __name__ == "__main__":
    main()
