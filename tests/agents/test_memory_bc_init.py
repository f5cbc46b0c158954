"""experiments/memory_bc_init.py: label sources replayed through the env, the fit, the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from schedgym.baselines.memory.heuristics import XlaGreedy
from schedgym.core.seeding import make_rng
from schedgym.experiments import memory_bc_init as bc
from schedgym.memory.cost import CostModel
from schedgym.memory.env import MemoryMappingEnv
from schedgym.memory.generator import AssignGenerator

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "experiments" / "configs" / "memory_bc.yaml"
SHIPPED = ROOT / "agents" / "checkpoints" / "memory_gnn.pt"


def _instance(seed: int = 3, buffers: tuple[int, int] = (40, 60)) -> object:
    return AssignGenerator(num_buffers=buffers).sample(make_rng(seed))


def test_greedy_rule_is_xla_greedy_and_labels_are_no_worse() -> None:
    instance = _instance()
    env = MemoryMappingEnv(variant="assign", order="benefit", generator=AssignGenerator((40, 60)))
    benefit = CostModel(instance).isolated_benefit()  # type: ignore[arg-type]
    actions, value = bc.play(env, instance, bc.greedy_rule(benefit))  # type: ignore[arg-type]
    assert value == pytest.approx(XlaGreedy().solve(instance).objective)  # type: ignore[arg-type]
    assert len(actions) == instance.num_buffers  # type: ignore[attr-defined]
    sources = [s for s in bc.SOURCES if s != "agent"]
    row = bc.label_instance(env, instance, sources, cpsat_time=1.0)  # type: ignore[arg-type]
    assert set(row["objectives"]) == set(sources)
    best = min(row["objectives"].values())
    assert row["objectives"][row["source"]] == best <= row["objectives"]["greedy"]
    _, replayed = bc.play(env, instance, lambda e, i: None)  # type: ignore[arg-type]
    assert replayed >= best  # everything slow is never better
    seen, labels, differs = bc.decisions(env, instance, row["actions"])  # type: ignore[arg-type]
    assert len(seen) == len(labels) == len(differs) > 0
    assert all(obs["action_mask"].sum() > 1 for obs in seen)
    assert not any(differs) or row["source"] != "greedy"


def test_main_labels_fits_and_saves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, labels = tmp_path / "bc.pt", tmp_path / "labels.json"
    args = ["--config", str(CONFIG), "--out", str(out), "--labels", str(labels)]
    args += ["--instances", "2", "--buffers", "40-50", "--epochs", "1", "--val-instances", "1"]
    args += ["--val-buffers", "40-50"]
    args += ["--sources", "greedy,lookahead", "--learning-rate", "0.01"]
    assert bc.main([*args, "--label-only"]) == 0
    assert len(json.loads(labels.read_text())) == 2 and not out.exists()
    dagger = ["--dagger", "1", "--dagger-instances", "1", "--dagger-epochs", "1"]
    assert bc.main([*args, *dagger]) == 0  # labels read back from the cache, then DAgger
    text = capsys.readouterr().out
    assert "round 0 epoch 0:" in text and "round 1 epoch 0:" in text
    if out.exists():  # saved only when an epoch beat the untrained policy
        payload = torch.load(out, weights_only=True)
        assert payload["meta"]["method"] == "bc"


def test_agent_source_is_the_best_of_the_agents_episodes_and_replays() -> None:
    from schedgym.agents.config import TrainConfig
    from schedgym.agents.envs import make_env
    from schedgym.agents.rollout import policy_chooser, run_episodes

    config = TrainConfig.from_yaml(CONFIG)
    agent = bc.AgentSource(config, SHIPPED, samples=4)
    instance = _instance(seed=5, buffers=(80, 100))
    actions, value = agent.best(instance, seed=0)  # type: ignore[arg-type]
    reset = [{"seed": 0, "options": {"instance": instance}}]
    greedy = run_episodes(agent.envs[:1], policy_chooser(agent.policy), reset, "objective")
    assert value <= float(greedy.objectives[0])
    assert agent.best(instance, seed=0) == (actions, value)  # type: ignore[arg-type]  # seeded
    env = make_env(config).unwrapped
    env.reset(**reset[0])
    info: dict[str, object] = {}
    for action in actions:
        *_, info = env.step(action)
    assert info["objective"] == pytest.approx(value)  # the label replays to its objective
    row = bc.label_instance(env, instance, ["greedy", "agent"], 1.0, agent, seed=0)  # type: ignore[arg-type]
    assert row["objectives"]["agent"] == value
    if row["source"] == "agent":
        assert row["actions"] == actions
    else:  # the greedy is kept on ties
        assert row["objectives"]["greedy"] <= value
    with pytest.raises(ValueError, match="needs --agent"):
        bc.label_instance(env, instance, ["agent"], 1.0)  # type: ignore[arg-type]


def test_main_refuses_the_agent_source_without_a_checkpoint(tmp_path: Path) -> None:
    args = ["--config", str(CONFIG), "--out", str(tmp_path / "bc.pt")]
    args += ["--labels", str(tmp_path / "labels.json"), "--instances", "1"]
    with pytest.raises(SystemExit, match="needs --agent"):
        bc.main([*args, "--sources", "greedy,agent", "--label-only"])
    assert not (tmp_path / "labels.json").exists()  # nothing labelled
