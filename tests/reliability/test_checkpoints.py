"""Bad checkpoints for the learned solvers, through the CLI: one ``error:`` line naming the file
and the fault, exit 2, no traceback, no output file. And no temp files left by loading."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pickle
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from schedgym.agents.checkpoint import (
    DEFAULT_CHECKPOINT,
    CheckpointError,
    load_checkpoint,
    load_policy_state,
    policy_from_payload,
)
from schedgym.agents.fleet.policy import DEFAULT_CHECKPOINT as FLEET_CHECKPOINT
from schedgym.agents.fleet.policy import FleetCheckpointError, FleetPolicy
from schedgym.cli import app
from schedgym.core.errors import InstanceFormatError

torch.set_num_threads(1)
runner = CliRunner(env={"COLUMNS": "140"})
ROOT = Path(__file__).resolve().parents[2]
Maker = Callable[[Path], Any]  # folder -> the value given to -O checkpoint=


def _assert_refused(args: list[str], out: Path, name: str, pattern: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert name in lines[0], lines[0]
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()


# -- makers shared by both agents ------------------------------------------------------------


def _missing(folder: Path) -> Path:
    return folder / "nope.ckpt"


def _directory(folder: Path) -> Path:
    (folder / "adir.ckpt").mkdir()
    return folder / "adir.ckpt"


def _empty(folder: Path) -> Path:
    (folder / "empty.ckpt").write_bytes(b"")
    return folder / "empty.ckpt"


def _junk(folder: Path) -> Path:
    path = folder / "junk.ckpt"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    return path


def _truncated(shipped: Path) -> Maker:
    def make(folder: Path) -> Path:
        data = shipped.read_bytes()
        path = folder / "truncated.ckpt"
        path.write_bytes(data[: len(data) // 2])
        return path

    return make


def _pickle(folder: Path) -> Path:
    path = folder / "pickled.ckpt"
    with open(path, "wb") as handle:
        pickle.dump({"policy": {"w": np.zeros(3)}, "arch": {}}, handle)
    return path


def _fifo(folder: Path) -> Path:
    path = folder / "fifo.ckpt"
    os.mkfifo(path)
    return path


def _not_a_path(folder: Path) -> str:
    return "[1, 2]"


COMMON: dict[str, tuple[Maker, str]] = {
    "missing": (_missing, r"no (such|fleet agent) checkpoint"),
    "directory": (_directory, r"is a directory"),
    "empty": (_empty, r"empty file"),
    "junk": (_junk, r"not a readable .*checkpoint|not an \.npz archive \(no zip signature\)"),
    "pickle": (_pickle, r"refused by the safe loader|not an \.npz archive \(no zip signature\)"),
    "not-a-path": (_not_a_path, r"not a file path"),
}
if hasattr(os, "mkfifo"):
    COMMON["fifo"] = (_fifo, r"not a regular file")


# -- the graph agent (ppo-gnn, ppo-gnn-sample) -----------------------------------------------


def _torch_edit(change: Callable[[dict[str, Any]], None]) -> Maker:
    def make(folder: Path) -> Path:
        payload = torch.load(DEFAULT_CHECKPOINT, map_location="cpu", weights_only=True)
        change(payload)
        path = folder / "edited.pt"
        torch.save(payload, path)
        return path

    return make


def _npz(folder: Path) -> Path:
    path = folder / "weights.npz"
    np.savez(path, w=np.zeros(3))
    return path


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda payload: payload.__setitem__(key, value)


def _arch(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda payload: payload["arch"].update(changes)


def _tensor(key: str, value: torch.Tensor | None) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        if value is None:
            del payload["policy"][key]
        else:
            payload["policy"][key] = value

    return change


def _only_policy(payload: dict[str, Any]) -> None:
    for key in list(payload):
        if key != "policy":
            del payload[key]


def _nan(payload: dict[str, Any]) -> None:
    payload["policy"]["pointer_head.0.weight"][3, 5] = float("nan")


GRAPH_KINDS: dict[str, tuple[Maker, str]] = {
    **COMMON,
    "truncated": (_truncated(DEFAULT_CHECKPOINT), r"not a readable .*zip archive"),
    "npz": (_npz, r"not a readable"),
    "plain-dict": (
        _torch_edit(_only_policy),
        r"not a schedgym-agent/1 checkpoint",
    ),
    "arch-unknown-key": (_torch_edit(_arch(depth=3)), r"unknown architecture keys \['depth'\]"),
    "arch-type": (_torch_edit(_arch(hidden="64")), r"arch hidden must be an integer"),
    "arch-conv": (_torch_edit(_arch(conv="gcn")), r"arch conv must be one of gin, gatv2"),
    "arch-huge": (_torch_edit(_arch(layers=10**9)), r"arch layers = 1000000000 is outside"),
    "arch-other-size": (
        _torch_edit(_arch(hidden=32)),
        r"has shape \(64,\), the architecture needs \(32,\)",
    ),
    "arch-not-dict": (_torch_edit(_set("arch", [64])), r"'arch' must be a dict"),
    "obs-not-dict": (_torch_edit(_set("obs", 11)), r"'obs' must be a dict"),
    "shape": (
        _torch_edit(_tensor("pointer_head.0.weight", torch.zeros(64, 191))),
        r"pointer_head\.0\.weight has shape \(64, 191\), the architecture needs \(64, 192\)",
    ),
    "missing-tensor": (_torch_edit(_tensor("value_head.2.bias", None)), r"missing value_head"),
    "extra-tensor": (
        _torch_edit(_tensor("extra.weight", torch.zeros(2))),
        r"unexpected extra\.weight",
    ),
    "not-a-tensor": (_torch_edit(_tensor("none_emb", [0.0] * 64)), r"not a named tensor"),  # type: ignore[arg-type]
    "dtype": (
        _torch_edit(_tensor("none_emb", torch.zeros(64, dtype=torch.float64))),
        r"none_emb is torch\.float64, expected torch\.float32",
    ),
    "nan": (_torch_edit(_nan), r"pointer_head\.0\.weight holds NaN"),
}


@pytest.mark.parametrize("solver", ["ppo-gnn", "ppo-gnn-sample"])
@pytest.mark.parametrize("kind", list(GRAPH_KINDS))
def test_bad_graph_checkpoint_is_one_error_line(tmp_path: Path, kind: str, solver: str) -> None:
    maker, pattern = GRAPH_KINDS[kind]
    bad = maker(tmp_path)
    name = Path(bad).name if isinstance(bad, Path) else "checkpoint="
    out = tmp_path / "out.json"
    args = ["solve", "-p", "jobshop", "-i", "ft06", "-s", solver, "-o", str(out)]
    _assert_refused([*args, "-O", f"checkpoint={bad}"], out, name, pattern)


def test_checkpoint_errors_are_bad_input_and_value_errors(tmp_path: Path) -> None:
    bad = _junk(tmp_path)
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(bad)
    assert isinstance(caught.value, InstanceFormatError) and isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(f"{bad}: ") and "\n" not in str(caught.value)


def test_training_side_loads_are_checked_too() -> None:
    payload = load_checkpoint(DEFAULT_CHECKPOINT)
    policy = policy_from_payload(payload)
    state = {k: v.clone() for k, v in payload["policy"].items()}
    state["none_emb"][0] = float("inf")
    with pytest.raises(CheckpointError, match=r"state\.pt: policy tensor none_emb holds NaN"):
        load_policy_state(policy, state, "state.pt")
    state["none_emb"] = torch.zeros(63)
    with pytest.raises(CheckpointError, match=r"none_emb has shape \(63,\)"):
        load_policy_state(policy, state)


# -- the fleet agent ---------------------------------------------------------------------------


def _fleet_arrays() -> dict[str, np.ndarray]:
    with np.load(FLEET_CHECKPOINT, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _fleet_edit(change: Callable[[dict[str, np.ndarray]], None]) -> Maker:
    def make(folder: Path) -> Path:
        arrays = _fleet_arrays()
        change(arrays)
        path = folder / "edited.npz"
        np.savez(path, **arrays)  # type: ignore[arg-type]
        return path

    return make


def _arr(key: str, value: Any) -> Callable[[dict[str, np.ndarray]], None]:
    def change(arrays: dict[str, np.ndarray]) -> None:
        if value is None:
            del arrays[key]
        else:
            arrays[key] = np.asarray(value)

    return change


def _meta(text: str) -> Callable[[dict[str, np.ndarray]], None]:
    return _arr("meta", np.array(text))


def _torch_file(folder: Path) -> Path:
    path = folder / "agent.pt"
    torch.save({"w_in": torch.zeros(18, 16)}, path)
    return path


def _npy(folder: Path) -> Path:
    path = folder / "single.npy"
    np.save(path, np.zeros((18, 16)))
    return path


def _fleet_nan(arrays: dict[str, np.ndarray]) -> None:
    arrays["w_out"] = arrays["w_out"].copy()
    arrays["w_out"][2] = np.nan


def _zip_bomb(folder: Path) -> Path:
    arrays = _fleet_arrays()
    arrays["w_in"] = np.zeros((18, 500_000))  # 72 MB unpacked, a few hundred KB packed
    path = folder / "bomb.npz"
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]
    return path


FLEET_META = str(_fleet_arrays()["meta"])
FLEET_KINDS: dict[str, tuple[Maker, str]] = {
    **COMMON,
    "truncated": (_truncated(FLEET_CHECKPOINT), r"not a readable \.npz archive"),
    "torch-file": (_torch_file, r"expected the arrays w_in, b_in, w_out, w_skip, meta: missing"),
    "npy": (_npy, r"a single \.npy array"),
    "pickled-array": (
        _fleet_edit(_arr("w_in", np.array([object()] * 3, dtype=object))),
        r"unreadable array",
    ),
    "w_in-3x16": (
        _fleet_edit(_arr("w_in", np.zeros((3, 16)))),
        r"w_in has shape \(3, 16\), expected \(18, 16\)",
    ),
    "b_in-empty": (_fleet_edit(_arr("b_in", np.zeros(0))), r"b_in has shape \(0,\)"),
    "w_skip-float32": (
        _fleet_edit(_arr("w_skip", np.zeros(18, dtype=np.float32))),
        r"w_skip has dtype float32, expected float64",
    ),
    "missing-array": (
        _fleet_edit(_arr("w_skip", None)),
        r"arrays w_in, b_in, w_out, w_skip, meta: missing w_skip$",
    ),
    "extra-array": (_fleet_edit(_arr("bonus", np.zeros(2))), r"meta: unexpected bonus$"),
    "nan": (_fleet_edit(_fleet_nan), r"w_out holds NaN"),
    "zip-bomb": (_zip_bomb, r"array w_in unpacks to over 67108864"),
    "meta-not-json": (_fleet_edit(_meta("{features")), r"meta is not valid JSON"),
    "meta-deep": (_fleet_edit(_meta("[" * 100_000)), r"meta is not valid JSON"),
    "meta-features": (
        _fleet_edit(_meta('{"features": ["x"], "horizon": 6}')),
        r"written for other features",
    ),
    "meta-horizon": (
        _fleet_edit(_meta(FLEET_META.replace('"horizon": 6', '"horizon": -1'))),
        r"meta horizon must be an integer in \[1, 100000\], got -1",
    ),
}


@pytest.mark.parametrize("kind", list(FLEET_KINDS))
def test_bad_fleet_checkpoint_is_one_error_line(tmp_path: Path, kind: str) -> None:
    maker, pattern = FLEET_KINDS[kind]
    bad = maker(tmp_path)
    name = Path(bad).name if isinstance(bad, Path) else "checkpoint="
    out = tmp_path / "out.json"
    args = ["solve", "-p", "fleet", "-i", "default-d0", "-s", "agent", "-o", str(out)]
    _assert_refused([*args, "-O", f"checkpoint={bad}"], out, name, pattern)


def test_fleet_shipped_checkpoint_round_trips(tmp_path: Path) -> None:
    shipped = FleetPolicy.load()
    assert shipped.w_in.shape == (18, 16) and shipped.horizon == 6
    shipped.save(tmp_path / "again.npz")
    again = FleetPolicy.load(tmp_path / "again.npz")
    assert np.array_equal(again.flat(), shipped.flat()) and again.meta == shipped.meta
    with pytest.raises(FleetCheckpointError) as caught:
        FleetPolicy.load(tmp_path / "nope.npz")
    assert isinstance(caught.value, InstanceFormatError) and isinstance(caught.value, ValueError)


# -- temp files --------------------------------------------------------------------------------

LOAD_AND_SOLVE = """
import tempfile
from gymnasium import spaces
from schedgym.agents.policy import build_policy
from schedgym.agents.solver import PPOGNNSolver
from schedgym.core.graph_obs import graph_observation_space
from schedgym.core.solver import Budget
from schedgym.jobshop.problem import load_instance
assert PPOGNNSolver().solve(load_instance("ft06"), Budget(seed=0)).status == "feasible"
build_policy(graph_observation_space(2, 11, 1, 1, 5), spaces.Discrete(1), {"conv": "gatv2"})
print(tempfile.gettempdir())
"""


def test_loading_ppo_gnn_leaves_no_temp_file(tmp_path: Path) -> None:
    """torch-geometric renders message-passing templates into the temp folder once per process:
    a fresh process with its own temp folder shows whether any is left behind."""
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", LOAD_AND_SOLVE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(temp)
    assert sorted(os.listdir(temp)) == []
