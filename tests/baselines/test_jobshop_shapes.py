"""experiments/jobshop_shapes.py: validated rows, gaps to a CP-SAT reference, the table."""

from __future__ import annotations

from pathlib import Path

import pytest

from schedgym.experiments import jobshop_shapes


def test_rows_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rows.csv"
    args = ["--sizes", "4x3", "--count", "2", "--solvers", "mwkr", "--reference-s", "2"]
    assert jobshop_shapes.main([*args, "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    assert "| `mwkr` |" in text and "proven optimal on 2 of 2" in text
    lines = out.read_text().splitlines()
    assert len(lines) == 3 and lines[0].startswith("shape,instance,solver")
    rows = jobshop_shapes.run([(4, 3)], 2, ["mwkr"], "active", 2.0)
    assert all(float(str(r["gap_pct"])) >= 0 for r in rows)  # the reference is optimal here
    with pytest.raises(SystemExit):
        jobshop_shapes.parse_sizes("4by3")


def test_solver_options_reach_the_named_solver_and_bad_ones_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = ["--sizes", "4x3", "--count", "1", "--reference-s", "2"]
    set_active = ["--set", "mwkr.construction=active"]
    assert jobshop_shapes.main([*base, "--solvers", "mwkr", *set_active]) == 0
    option = {"mwkr": {"construction": "active"}}
    rows = jobshop_shapes.run([(5, 4)], 3, ["mwkr"], "non-delay", 2.0, 0, option)
    active = jobshop_shapes.run([(5, 4)], 3, ["mwkr"], "active", 2.0)
    assert [r["makespan"] for r in rows] == [r["makespan"] for r in active]
    assert {r["construction"] for r in rows} == {"active"}  # the solver's, not the flag's
    back = {"mwkr": {"construction": "non-delay"}}  # the solver's own option wins
    own = jobshop_shapes.run([(5, 4)], 3, ["mwkr"], "active", 2.0, 0, back)
    plain = jobshop_shapes.run([(5, 4)], 3, ["mwkr"], "non-delay", 2.0)
    assert [r["makespan"] for r in own] == [r["makespan"] for r in plain]
    assert {r["construction"] for r in own} == {"non-delay"}
    for bad in ("spt.construction=active", "mwkr.", "construction="):
        with pytest.raises(SystemExit) as stop:
            jobshop_shapes.main([*base, "--solvers", "mwkr", "--set", bad])
        assert stop.value.code == 2
    assert "error: --set" in capsys.readouterr().err
