"""Shipped DS3 profile, Topcuoglu example, random suite and references."""

from __future__ import annotations

from pathlib import Path

import pytest

import schedgym
from schedgym.core.errors import UnknownNameError
from schedgym.datasets import socdag as shipped

DS3_SIZES = {  # tasks, edges (DS3's job files)
    "wifi-tx": (27, 30),
    "wifi-rx": (34, 37),
    "range-detection": (7, 7),
    "sc-tx": (8, 7),
    "sc-rx": (8, 7),
    "temporal-mitigation": (10, 12),
}


def test_ds3_applications_and_soc() -> None:
    soc = shipped.platform("ds3-soc")
    counts = {t: soc.types.count(t) for t in set(soc.types)}
    assert counts == {"LTL": 4, "BIG": 4, "MM": 2, "FFT": 4, "VIT": 2}
    for name, (tasks, edges) in DS3_SIZES.items():
        inst = shipped.load(f"ds3-{name}")
        assert (inst.num_tasks, inst.num_edges, inst.num_pes) == (tasks, edges, 16)
        assert inst.allowed[:, :8].all()  # the Arm cores run every kernel
    assert shipped.suite("ds3") == [f"ds3-{a}" for a in shipped.DS3_APPS]


def test_topcuoglu_example_is_the_paper_table() -> None:
    inst = shipped.load("topcuoglu")
    assert inst.exec_time.tolist()[0] == [14, 16, 9] and inst.exec_time.tolist()[9] == [21, 7, 16]
    assert (
        inst.data.sum() == 18 + 12 + 9 + 11 + 14 + 19 + 16 + 23 + 27 + 23 + 13 + 15 + 17 + 11 + 13
    )
    assert inst.comm_time(0, 0, 1) == 18.0  # unit links


def test_suites_and_references() -> None:
    names = shipped.suite("all")
    assert len(names) == 1 + 6 + 10 + 5 + 5 and len(set(names)) == len(names)
    assert shipped.suite("rand-12x3-04") == ["rand-12x3-04"]
    with pytest.raises(UnknownNameError, match="suites"):
        shipped.suite("nope")
    with pytest.raises(UnknownNameError):
        shipped.platform("nope")
    for name in names:
        found = shipped.bounds(name)
        assert found is not None and found.reference is not None, name
        if not name.startswith("rand-100x4"):  # CP-SAT proves these optimal in seconds
            assert found.optimum is not None, name
        if found.optimum is None:
            assert found.lower_bound is not None and found.upper_bound is not None
            assert found.lower_bound <= found.upper_bound
    assert shipped.bounds("topcuoglu").optimum == 73.0  # type: ignore[union-attr]


def test_package_never_reads_the_shared_folder() -> None:
    root = Path(schedgym.__file__).parent
    for path in [*root.glob("socdag/*.py"), *root.glob("datasets/socdag/*.py")]:
        text = path.read_text()
        assert "/work/shared" not in text and "../shared" not in text, path


def test_stream_experiment_command(tmp_path, capsys) -> None:
    import importlib.util
    from pathlib import Path as P

    path = P(__file__).resolve().parents[2] / "experiments" / "socdag_stream.py"
    spec = importlib.util.spec_from_file_location("socdag_stream", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "rows.csv"
    args = ["--rates", "5,40", "--jobs", "15", "--seeds", "2", "--csv", str(out)]
    assert module.main([*args, "--schedulers", "met,heft-rt"]) == 0
    table = capsys.readouterr().out
    # met: two rows in the main table and two in the ratio-to-heft-rt table
    assert table.count("| met |") == 4 and table.count("| heft-rt |") == 2
    assert len(out.read_text().splitlines()) == 1 + 2 * 2 * 2
    assert module.main([*args, "--schedulers", "met,heft-rt,random", "--resume"]) == 0
    assert len(out.read_text().splitlines()) == 1 + 3 * 2 * 2  # only random's episodes ran
    assert module.main([*args, "--schedulers", "nope"]) == 2
