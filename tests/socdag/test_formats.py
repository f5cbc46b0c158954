"""STG and DS3 readers (on small inline files: the tests never read the shared data folder)."""

from __future__ import annotations

import numpy as np
import pytest

from schedgym.core.errors import InstanceFormatError
from schedgym.hardware.platform import uniform_platform
from schedgym.socdag.ds3 import read_ds3_job, read_ds3_soc
from schedgym.socdag.formats import read_stg, write_stg
from schedgym.socdag.generator import layered_instance

STG = """10
0 0 0
1 3 1 0
2 3 1 1
3 4 1 1
4 2 1 1
5 1 1 2
6 10 1 2
7 20 2 3 4
8 7 2 5 6
9 5 2 6 7
10 8 2 8 9
11 0 1 10
# Standard Task Graph Set Project
#   Tasks             : 10 (+dummy tasks : 2)
"""

STG_COMM = """2
0 0 0
1 5 1 0 0
2 7 1 1 3
3 0 1 2 0
"""


def test_read_stg(tmp_path) -> None:
    path = tmp_path / "example.stg"
    path.write_text(STG)
    inst = read_stg(path, num_pes=3)
    assert inst.num_tasks == 12 and inst.num_pes == 3 and inst.num_edges == 15
    assert inst.task_names[0] == "entry" and inst.task_names[-1] == "exit"
    assert inst.exec_time[7].tolist() == [20.0, 20.0, 20.0]
    assert (inst.data == 0).all()
    assert inst.critical_path_min() == 3 + 4 + 20 + 5 + 8  # 1-3-7-9-10
    related = read_stg(path, uniform_platform(2, speeds=[1.0, 2.0]))
    assert related.exec_time[7].tolist() == [20.0, 10.0]


def test_read_stg_with_communication_costs(tmp_path) -> None:
    path = tmp_path / "comm.stg"
    path.write_text(STG_COMM)
    inst = read_stg(path)
    assert inst.num_edges == 3 and inst.data.tolist() == [0.0, 3.0, 0.0]
    forced = read_stg(path, comm_costs=True)
    assert forced.data.tolist() == [0.0, 3.0, 0.0]


def test_stg_round_trip(tmp_path) -> None:
    inst = layered_instance(np.random.default_rng(0), 9, 3, heterogeneity=0.0)
    path = tmp_path / "g.stg"
    write_stg(inst, path, comm_costs=True)
    back = read_stg(path, num_pes=3)
    assert back.num_tasks == inst.num_tasks + 2
    assert np.allclose(back.exec_time[1:-1, 0], inst.mean_exec)
    inner = (back.src > 0) & (back.dst < back.num_tasks - 1)
    assert sorted(zip(back.src[inner] - 1, back.dst[inner] - 1, strict=True)) == sorted(
        zip(inst.src, inst.dst, strict=True)
    )


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("", "empty STG file", None),
        ("x\n", "first line", 1),
        ("2\n0 0 0\n1 3 1 0\n", "expected 4 task lines", None),
        ("1\n0 0 0\n1 3 2 0\n2 0 1 1\n", "2 predecessors expected", 3),
        ("1\n0 0 0\n1 3 1 7\n2 0 1 1\n", "bad predecessor 7", 3),
        ("1\n0 0 0\n1 a 1 0\n2 0 1 1\n", "expected numbers", 3),
    ],
)
def test_malformed_stg(tmp_path, text: str, message: str, line: int | None) -> None:
    path = tmp_path / "bad.stg"
    path.write_text(text)
    with pytest.raises(InstanceFormatError, match=message) as err:
        read_stg(path)
    if line is not None:
        assert f"bad.stg:{line}" in str(err.value)


JOB = """# comment
job_name Tiny
add_new_tasks 3
src 0
src HEAD
src earliest_start 0 deadline 2 input_vol 0 output_vol 0
fft 1 0
fft earliest_start 0 deadline 3 input_vol 0 output_vol 0
sink 2 0 1
sink TAIL
sink earliest_start 0 deadline 3 input_vol 0 output_vol 0

comm_vol 0 1 100
comm_vol 1 2 20
"""

SOC = """add_new_resource resource_type LTL resource_name A7 resource_ID 0 capacity 2 \
num_supported_functionalities 3 DVFS_mode performance
opp 1000 1150
power_profile 1000 0.19 0.29
power_profile 1400 0.39 0.59
src 10
fft 300
sink 5
fft 999

add_new_resource resource_type ACC_2 resource_name FFT resource_ID 1 capacity 1 \
num_supported_functionalities 1 DVFS_mode performance
power_profile 1000 0.09
fft 12

add_new_resource resource_type MEM resource_name MEMORY resource_ID 2 capacity 1 \
num_supported_functionalities 1 DVFS_mode none
None 0

comm_band_self 10000
comm_band 0 0 1000
comm_band 0 2 20
comm_band 1 2 20
"""


def test_ds3_job_and_soc(tmp_path) -> None:
    (tmp_path / "job.txt").write_text(JOB)
    (tmp_path / "soc.txt").write_text(SOC)
    app = read_ds3_job(tmp_path / "job.txt")
    assert app.name == "Tiny" and app.kernels == ("src", "fft", "sink")
    assert list(zip(app.src, app.dst, app.data, strict=True)) == [
        (0, 1, 100),
        (0, 2, 0),
        (1, 2, 20),
    ]
    soc = read_ds3_soc(tmp_path / "soc.txt", "tiny-soc")
    assert soc.num_pes == 3 and soc.types == ("LTL", "LTL", "FFT")  # capacity 2 -> 2 PEs
    assert soc.kernels["fft"] == {"LTL": 300.0, "FFT": 12.0}  # first occurrence wins
    assert [pe.active_power for pe in soc.pes] == [0.39, 0.39, 0.09]  # highest frequency, 1 core
    assert soc.bandwidth[0, 1] == 1000.0  # same cluster: its self band
    assert soc.bandwidth[0, 2] == pytest.approx(10.0)  # no direct band: through memory
    inst = app.on(soc)
    assert np.isnan(inst.exec_time[0, 2]) and inst.exec_time[1].tolist() == [300.0, 300.0, 12.0]


def test_ds3_errors_name_file_and_line(tmp_path) -> None:
    path = tmp_path / "job.txt"
    path.write_text(JOB.replace("comm_vol 1 2 20", "comm_vol 1 2 x"))
    with pytest.raises(InstanceFormatError, match=r"job.txt:14: expected numbers"):
        read_ds3_job(path)
    path.write_text(JOB.replace("sink 2 0 1", "sink 2 0 7"))
    with pytest.raises(InstanceFormatError, match="unknown predecessor 7"):
        read_ds3_job(path)
    path.write_text(JOB + "comm_vol 2 0 5\n")
    with pytest.raises(InstanceFormatError, match="names no dependency"):
        read_ds3_job(path)
    soc = tmp_path / "soc.txt"
    soc.write_text(SOC.replace("comm_band 1 2 20\n", ""))
    with pytest.raises(InstanceFormatError, match="no comm_band between resources 0 and 1"):
        read_ds3_soc(soc)
