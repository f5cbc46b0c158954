"""Gantt charts: text rows per machine, RGB arrays, files, downtimes, partial schedules."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

import numpy as np
import pytest

from schedgym.jobshop import JobShopInstance, JobShopSchedule, Operation
from schedgym.jobshop.problem import load_instance
from schedgym.jobshop.render import gantt_ansi, gantt_figure, gantt_rgb, save_gantt
from schedgym.jobshop.schedule import Conditions


def serial_schedule(instance: JobShopInstance, limit: int | None = None) -> JobShopSchedule:
    """A feasible hand-made schedule: operations in route order, each as early as possible."""
    job_ready = [0] * instance.num_jobs
    machine_ready = [0] * instance.num_machines
    ops = []
    for k in range(instance.num_ops):
        for j in range(instance.num_jobs):
            m, d = int(instance.machines[j, k]), int(instance.durations[j, k])
            start = max(job_ready[j], machine_ready[m])
            ops.append(Operation(j, k, m, start, start + d))
            job_ready[j] = machine_ready[m] = start + d
    return JobShopSchedule(instance.name, tuple(ops[:limit]), solver="serial")


@pytest.fixture(scope="module")
def ft06() -> JobShopInstance:
    return load_instance("ft06")


def machine_rows(text: str) -> dict[str, str]:
    rows = {}
    for line in text.splitlines():
        match = re.match(r"(M\d+)\s*\|(.*)\|$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_ansi_has_a_row_per_machine_of_the_given_width(ft06: JobShopInstance) -> None:
    text = gantt_ansi(ft06, serial_schedule(ft06), width=60)
    rows = machine_rows(text)
    assert sorted(rows) == sorted(f"M{m}" for m in range(ft06.num_machines))
    assert all(len(row) == 60 for row in rows.values())
    assert text.splitlines()[0].startswith("ft06  makespan")
    assert "(36/36 operations)" in text
    assert "[0" in text and "[5" in text  # job-labelled blocks


def test_ansi_draws_partial_schedules(ft06: JobShopInstance) -> None:
    partial = serial_schedule(ft06, limit=4)
    text = gantt_ansi(ft06, partial, width=40)
    rows = machine_rows(text)
    assert len(rows) == ft06.num_machines
    assert "(4/36 operations)" in text
    assert sum(row.strip(".") != "" for row in rows.values()) <= 4


def test_ansi_empty_schedule(ft06: JobShopInstance) -> None:
    text = gantt_ansi(ft06, JobShopSchedule("ft06", ()), width=20)
    assert all(set(row) == {"."} for row in machine_rows(text).values())


def test_ansi_colour_adds_escapes_only(ft06: JobShopInstance) -> None:
    schedule = serial_schedule(ft06)
    coloured = gantt_ansi(ft06, schedule, width=50, color=True)
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == gantt_ansi(ft06, schedule, width=50)


def with_downtime(schedule: JobShopSchedule) -> JobShopSchedule:
    return dataclasses.replace(
        schedule, conditions=Conditions(downtimes=((0, 10, 20), (1, 500, 600)))
    )


def test_ansi_marks_downtimes(ft06: JobShopInstance) -> None:
    rows = machine_rows(gantt_ansi(ft06, with_downtime(serial_schedule(ft06)), width=50))
    assert "x" in rows["M0"]  # the downtime beyond the makespan is not drawn
    assert all("x" not in row for name, row in rows.items() if name != "M0")


def test_rgb_is_a_non_blank_uint8_image(ft06: JobShopInstance) -> None:
    image = gantt_rgb(ft06, serial_schedule(ft06))
    assert image.ndim == 3 and image.shape[2] == 3
    assert image.dtype == np.uint8
    assert image.shape[0] > 50 and image.shape[1] > 50
    colours = np.unique(image.reshape(-1, 3), axis=0)
    assert len(colours) > ft06.num_jobs  # one colour per job plus axes and text
    assert (image < 250).any(axis=2).mean() > 0.05


def test_figure_draws_downtimes_hatched(ft06: JobShopInstance) -> None:
    fig = gantt_figure(ft06, with_downtime(serial_schedule(ft06)), title="t")
    ax = fig.axes[0]
    assert ax.get_title() == "t"
    assert any(c.get_hatch() == "///" for c in ax.collections)
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["M0", "M1"]


def test_save_gantt_writes_png(tmp_path, ft06: JobShopInstance) -> None:
    path = tmp_path / "g.png"
    save_gantt(ft06, serial_schedule(ft06), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_large_instance_renders(tmp_path) -> None:
    ta = load_instance("ta41")  # 30 jobs x 20 machines
    image = gantt_rgb(ta, serial_schedule(ta))
    assert image.shape[2] == 3
    assert len(machine_rows(gantt_ansi(ta, serial_schedule(ta)))) == 20


def test_import_schedgym_does_not_import_matplotlib() -> None:
    code = "import sys, schedgym, schedgym.jobshop.render; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
