"""The cost model against Vidur's measured kernel times: per-layer targets on every shipped
profile, the ``calibrate`` command's table and JSON shape, and bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from schedgym.datasets import llm as shipped
from schedgym.llm.calibration import calibrate, read_profile
from schedgym.llm.cli import llm_app
from schedgym.llm.cost import LAYER_OPS
from schedgym.llm.hardware import gpu_type

runner = CliRunner()


@pytest.mark.parametrize("name", shipped.PROFILES)
def test_layer_error_meets_the_targets(name: str) -> None:
    report = calibrate(
        read_profile(shipped.profile_path(name)), gpu_type(shipped.profile_gpu(name))
    )
    assert report["layer"]["median_pct"] <= 10.0
    assert report["layer"]["p90_pct"] <= 25.0
    assert set(report["ops"]) == set(LAYER_OPS)
    # The GEMMs dominate the layer: each within 15 % at the median.
    for op in ("attn_pre_proj", "attn_post_proj", "mlp_up_proj", "mlp_down_proj"):
        assert report["ops"][op]["median_pct"] <= 15.0, op


def test_calibrate_json_has_the_documented_shape() -> None:
    name = shipped.PROFILES[0]
    result = runner.invoke(llm_app, ["calibrate", "--gpu", "a100", "--profile", name, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"layer", "ops"}
    assert set(data["layer"]) == {"median_pct", "p90_pct"}
    assert set(data["ops"]) == set(LAYER_OPS)
    for err in data["ops"].values():
        assert set(err) == {"median_pct", "p90_pct"} and err["p90_pct"] >= err["median_pct"] >= 0


def test_calibrate_prints_a_table_for_a_path() -> None:
    path = shipped.profile_path("a40_Llama-2-7b-hf_mlp")
    result = runner.invoke(llm_app, ["calibrate", "--gpu", "a40", "--profile", str(path)])
    assert result.exit_code == 0, result.output
    assert "layer (sum of ops)" in result.output and "mlp_up_proj" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gpu", "v100", "--profile", "a40_Llama-2-7b-hf_mlp"], "unknown GPU"),
        (["--gpu", "a100", "--profile", "missing.csv"], "missing.csv"),
        (["--gpu", "a100", "--profile", "no_such_profile"], "unknown profile"),
    ],
)
def test_calibrate_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(llm_app, ["calibrate", *args])
    assert result.exit_code == 2
    assert message in result.output and result.output.count("\n") == 1


def test_a_profile_without_shape_columns_is_refused(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("num_tokens,num_tensor_parallel_workers\n1,1\n")
    result = runner.invoke(llm_app, ["calibrate", "--gpu", "a100", "--profile", str(bad)])
    assert result.exit_code == 2 and "missing columns" in result.output
