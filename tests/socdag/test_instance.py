"""Instances, platforms and applications: interchange JSON, checks, derived quantities."""

from __future__ import annotations

import json

import numpy as np
import pytest

from schedgym.core.errors import InstanceFormatError, UnknownNameError
from schedgym.datasets import socdag as shipped
from schedgym.hardware.platform import (
    Platform,
    ProcessingElement,
    platform_from_json,
    read_platform,
    uniform_platform,
)
from schedgym.socdag.formats import (
    application_from_json,
    read_application,
    read_instance,
    write_application,
    write_instance,
)
from schedgym.socdag.instance import SoCDAGInstance
from schedgym.socdag.problem import load_instance

INTERCHANGE = {
    "tasks": [{"id": 0, "name": "a"}, {"id": 1, "name": "b"}, {"id": 2, "name": "c"}],
    "edges": [{"src": 0, "dst": 2, "data": 4.5}, {"src": 1, "dst": 2, "data": 0}],
    "pes": [{"id": 0, "type": "big"}, {"id": 1, "type": "fft"}],
    "exec_time": [[3, 5], [2, None], [4, 1.5]],
    "bandwidth": [[0, 2], [2, 0]],
    "latency": [[0, 1], [1, 0]],
}


def test_read_interchange_json(tmp_path) -> None:
    path = tmp_path / "g.json"
    path.write_text(json.dumps(INTERCHANGE))
    inst = read_instance(path)
    assert inst.name == "g" and inst.num_tasks == 3 and inst.num_pes == 2
    assert np.isnan(inst.exec_time[1, 1]) and not inst.allowed[1, 1]
    assert inst.platform.types == ("big", "fft")
    assert inst.comm_time(0, 0, 1) == pytest.approx(1 + 4.5 / 2)
    assert inst.comm_time(0, 1, 1) == 0.0
    assert list(inst.sinks) == [2] and list(inst.topo_order) == [0, 1, 2]


def test_interchange_round_trip(tmp_path) -> None:
    inst = shipped.load("ds3-wifi-tx")
    path = tmp_path / "wifi.json"
    write_instance(inst, path)
    data = json.loads(path.read_text())
    assert set(INTERCHANGE) <= set(data)
    assert data["exec_time"][0].count(None) > 0  # accelerators cannot run the scrambler
    back = read_instance(path)
    assert back.task_names == inst.task_names
    assert np.array_equal(back.allowed, inst.allowed)
    assert np.allclose(np.nan_to_num(back.exec_time), np.nan_to_num(inst.exec_time))
    assert np.array_equal(back.src, inst.src) and np.allclose(back.data, inst.data)
    assert np.allclose(back.platform.bandwidth, inst.platform.bandwidth)
    power = [pe.active_power for pe in back.platform.pes]
    assert power == [pe.active_power for pe in inst.platform.pes]


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"tasks": "x"}, "field 'tasks'"),
        ({"tasks": [{"id": 1}]}, r"field 'tasks'\[0\]"),
        ({"exec_time": [[3, 5], [2, None]]}, "expected 3 rows"),
        ({"exec_time": [[3, 5], [None, None], [1, 1]]}, "cannot run on any PE"),
        ({"exec_time": [[3, 5], [2, "x"], [1, 1]]}, r"exec_time'\[1\]\[1\]"),
        ({"exec_time": [[3, -5], [2, 1], [1, 1]]}, ">= 0"),
        ({"edges": [{"src": 0, "dst": 9, "data": 1}]}, r"edges'\[0\]\.dst"),
        ({"edges": [{"src": 0, "dst": 1}, {"src": 1, "dst": 0}]}, "cycle"),
        ({"bandwidth": [[0, 0], [2, 0]]}, r"bandwidth'\[0\]\[1\]"),
        ({"bandwidth": [[0, 2]]}, "expected 2 rows"),
        ({"latency": [[0, -1], [1, 0]]}, r"latency'\[0\]\[1\]"),
        ({"pes": [{"id": 1, "type": "a"}, {"id": 0, "type": "b"}]}, r"pes'\[0\]"),
    ],
)
def test_malformed_interchange_names_the_field(tmp_path, patch: dict, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**INTERCHANGE, **patch}))
    with pytest.raises(InstanceFormatError, match=message) as err:
        read_instance(path)
    assert str(path) in str(err.value)


def test_unreadable_files(tmp_path) -> None:
    with pytest.raises(InstanceFormatError, match="no such file"):
        read_instance(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(InstanceFormatError, match="invalid JSON"):
        read_instance(bad)
    with pytest.raises(UnknownNameError, match="not a shipped name"):
        load_instance("no-such-instance")


def test_instance_checks() -> None:
    plat = uniform_platform(2)
    table = np.ones((2, 2))
    with pytest.raises(ValueError, match="exec_time must be 2x2"):
        SoCDAGInstance("x", ("a", "b"), [], [], [], np.ones((2, 3)), plat)
    with pytest.raises(ValueError, match="self-loop"):
        SoCDAGInstance("x", ("a", "b"), [0], [0], [1.0], table, plat)
    with pytest.raises(ValueError, match="duplicate edge"):
        SoCDAGInstance("x", ("a", "b"), [0, 0], [1, 1], [1.0, 2.0], table, plat)
    with pytest.raises(ValueError, match="data"):
        SoCDAGInstance("x", ("a", "b"), [0], [1], [-1.0], table, plat)
    inst = SoCDAGInstance("x", ("a", "b"), [0], [1], [1.0], table, plat)
    with pytest.raises(ValueError):
        inst.exec_time[0, 0] = 5.0  # read-only


def test_platform_json_round_trip_and_errors(tmp_path) -> None:
    plat = shipped.platform("ds3-soc")
    assert plat.num_pes == 16 and plat.time_unit == "us"
    path = tmp_path / "p.json"
    plat.write(path)
    back = read_platform(path)
    assert back.types == plat.types and back.kernels["fft_1"] == plat.kernels["fft_1"]
    assert np.array_equal(back.bandwidth, plat.bandwidth)
    row = back.kernel_row("viterbi_decoder")
    assert row[back.types.index("VIT")] == 2.0 and row[back.types.index("LTL")] == 1828.0
    assert np.isnan(row[back.types.index("FFT")])
    with pytest.raises(InstanceFormatError, match="kernels"):
        platform_from_json({**plat.to_json(), "kernels": {"k": {"LTL": "slow"}}}, "p.json")
    with pytest.raises(InstanceFormatError, match="'pes'"):
        platform_from_json({"pes": []}, "p.json")
    lat, inv_bw = plat.comm_factors()
    assert (np.diag(lat) == 0).all() and (np.diag(inv_bw) == 0).all()
    with pytest.raises(ValueError, match="speed"):
        ProcessingElement(0, "x", speed=0.0)
    with pytest.raises(ValueError, match="ids"):
        Platform("x", (ProcessingElement(1, "x"),), np.ones((1, 1)), np.zeros((1, 1)))


def test_application_json_and_placement(tmp_path) -> None:
    app = shipped.application("wifi-rx")
    assert app.num_tasks == 34 and app.num_edges == 37
    path = tmp_path / "a.json"
    write_application(app, path)
    back = read_application(path)
    assert back.kernels == app.kernels and np.array_equal(back.dst, app.dst)
    inst = back.on(shipped.platform("ds3-soc"))
    assert inst.num_pes == 16
    with pytest.raises(ValueError, match="has no kernel 'match_filter'"):
        back.on(shipped.platform("topcuoglu"))
    with pytest.raises(InstanceFormatError, match="edges"):
        application_from_json({"tasks": [{"id": 0}], "edges": [{"src": 0}]}, "a.json")
