"""experiments/socdag_stream.py with the trained agent: ``ppo-gnn`` in the stream mode."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

from schedgym.agents.solver import SoCDAGPPOGNN, load_policy
from schedgym.core.solver import Budget
from schedgym.experiments import socdag_stream
from schedgym.socdag.env import stream_config


def test_agent_plays_a_validated_stream_episode() -> None:
    config = stream_config("ds3-soc", None, arrival_mean=25.0, max_in_flight=4, num_jobs=4)
    agent = socdag_stream.make_solver("ppo-gnn")  # the registered solver, stream checkpoint
    assert type(agent) is SoCDAGPPOGNN and not agent.named_checkpoint
    result = agent.solve(config, Budget(seed=3))
    metrics = result.info["metrics"]  # stream_metrics validated the trace
    assert result.status == "feasible" and metrics.jobs == 4
    assert result.objective == pytest.approx(metrics.avg_latency) and metrics.avg_latency > 0
    again = agent.solve(config, Budget(seed=3))  # greedy: same seed, same episode
    assert again.objective == pytest.approx(result.objective)


def test_stream_table_with_the_agent_and_ratios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rows.csv"
    args = ["--rates", "40", "--jobs", "4", "--seeds", "1", "--max-in-flight", "4"]
    assert socdag_stream.main([*args, "--solvers", "heft-rt,ppo-gnn", "--csv", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("| ppo-gnn |") == 2  # the main table and the ratio table
    assert "latency / heft-rt" in printed
    rows = list(csv.DictReader(out.open()))
    assert [r["scheduler"] for r in rows] == ["heft-rt", "ppo-gnn"]


def test_ratio_table_needs_the_reference() -> None:
    row = {"rate": 5.0, "scheduler": "met", "seed": 0, "avg_latency": 2.0,
           "energy_per_job": 1.0, "edp": 2.0}  # fmt: skip
    assert socdag_stream.ratio_table([row]) == ""
    ref = {**row, "scheduler": "heft-rt", "avg_latency": 4.0, "edp": 4.0}
    table = socdag_stream.ratio_table([ref, row])
    assert "| 5 | met | 0.500 | 1.000 | 0.500 | 1/1 |" in table


def test_bad_checkpoint_is_one_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pt"
    args = ["--rates", "40", "--jobs", "2", "--seeds", "1", "--solvers", "ppo-gnn"]
    assert socdag_stream.main([*args, "--checkpoint", str(missing)]) == 2


def test_stream_agent_is_the_stream_checkpoint_unless_one_is_named() -> None:
    from schedgym.agents.checkpoint import CHECKPOINT_DIR

    config = stream_config("ds3-soc", None, arrival_mean=25.0, max_in_flight=4, num_jobs=3)
    default = socdag_stream.make_solver("ppo-gnn").solve(config, Budget(seed=1))
    static = CHECKPOINT_DIR / "socdag_gnn.pt"
    named = socdag_stream.make_solver("ppo-gnn", static)
    assert named.named_checkpoint and named.policy is load_policy(static, "socdag")
    again = named.solve(config, Budget(seed=1))
    assert default.info["metrics"].jobs == again.info["metrics"].jobs == 3
