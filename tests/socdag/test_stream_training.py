"""Stream episodes as training instances: StreamGenerator, seeded StreamConfig, the runtime
schedulers' env actions, the problem's stream objective, and one engine iteration on a stream."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from schedgym.agents.config import TrainConfig
from schedgym.agents.train import train
from schedgym.agents.validation import reference_objectives, validation_instances
from schedgym.baselines.socdag.runtime import ETF, HEFTRT
from schedgym.core.solver import Budget
from schedgym.problems import get_problem
from schedgym.socdag.env import SoCDAGEnv, stream_config
from schedgym.socdag.problem import training_generator
from schedgym.socdag.validate import stream_metrics
from schedgym.socdag.workload import StreamConfig, StreamGenerator

SMALL = {"rate": (10.0, 40.0), "num_jobs": (3, 6), "apps": ("sc-tx", "range-detection")}


def test_generator_draws_seeded_episodes_within_its_ranges() -> None:
    gen = StreamGenerator(**SMALL)  # type: ignore[arg-type]
    drawn = [gen.sample(np.random.default_rng([7, k])) for k in range(20)]
    again = [gen.sample(np.random.default_rng([7, k])) for k in range(20)]
    assert [c.name for c in drawn] == [c.name for c in again]  # same rng, same episodes
    rates = np.array([1000.0 / c.arrival_mean for c in drawn])
    assert rates.min() >= 10.0 and rates.max() <= 40.0 and rates.std() > 1.0
    assert {c.num_jobs for c in drawn} <= {3, 4, 5, 6} and len({c.num_jobs for c in drawn}) > 1
    assert all(c.seed is not None for c in drawn) and len({c.seed for c in drawn}) == 20
    assert isinstance(training_generator(**SMALL), StreamGenerator)
    with pytest.raises(ValueError, match="rate"):
        StreamGenerator(rate=(20.0, 10.0))


def test_a_seeded_config_is_one_episode_whatever_the_rng() -> None:
    config = replace(stream_config(arrival_mean=40.0, num_jobs=5), seed=3)
    a = config.sample(np.random.default_rng(0))
    b = config.sample(np.random.default_rng(99))
    assert np.array_equal(a.arrival, b.arrival) and a.apps == b.apps
    unseeded = stream_config(arrival_mean=40.0, num_jobs=5)
    c = unseeded.sample(np.random.default_rng(0))
    d = unseeded.sample(np.random.default_rng(99))
    assert not np.array_equal(c.arrival, d.arrival)


def test_env_draws_from_a_stream_generator_and_plays_a_given_episode() -> None:
    gen = StreamGenerator(**SMALL)  # type: ignore[arg-type]
    env = SoCDAGEnv(mode="stream", generator=gen)
    env.reset(seed=0)
    first = env.simulator.workload.arrival.copy()
    env.reset(seed=1)
    assert not np.array_equal(first, env.simulator.workload.arrival)
    chosen = gen.sample(np.random.default_rng(5))
    env.reset(seed=123, options={"instance": chosen})
    assert np.array_equal(
        env.simulator.workload.arrival, chosen.sample(np.random.default_rng(0)).arrival
    )
    with pytest.raises(ValueError, match="mode='stream'"):
        SoCDAGEnv(generator=gen)
    small = SoCDAGEnv(mode="stream", apps=["sc-tx"], max_in_flight=2)
    with pytest.raises(ValueError, match="padding"):  # range detection's graph is larger
        small.reset(seed=0, options={"instance": replace(chosen, max_in_flight=4)})


def test_runtime_actions_replay_to_the_same_latency_and_etf_reports_none() -> None:
    config = replace(stream_config(arrival_mean=30.0, num_jobs=6), seed=11)
    result = HEFTRT().solve(config, Budget(seed=0))
    actions = result.info["actions"]
    env = SoCDAGEnv(mode="stream", stream=config)
    env.reset(seed=0)
    info: dict = {}
    for action in actions:
        _, _, done, _, info = env.step(action)
    assert done and info["avg_latency"] == pytest.approx(result.objective)
    assert "actions" not in ETF().solve(config, Budget(seed=0)).info


def test_problem_objective_of_a_seeded_episode_is_its_average_latency() -> None:
    problem = get_problem("socdag")
    config = replace(stream_config(arrival_mean=30.0, num_jobs=5), seed=4)
    result = HEFTRT().solve(config, Budget(seed=0))
    workload = config.sample(np.random.default_rng(0))
    expected = stream_metrics(workload.instance, result.schedule).avg_latency
    assert problem.validate(config, result.schedule) == pytest.approx(expected)
    with pytest.raises(ValueError, match="seeded"):
        problem.validate(replace(config, seed=None), result.schedule)
    assert isinstance(config, StreamConfig) and config.name.endswith("-s4")


def stream_run(tmp_path: Path) -> TrainConfig:
    return TrainConfig.from_dict(
        {
            "name": "s",
            "method": "self_label",
            "env_id": "socdag",
            "env_kwargs": {"mode": "stream"},
            "objective_key": "avg_latency",
            "run_dir": str(tmp_path / "{name}"),
            "total_steps": 1,
            "arch": {"hidden": 16, "layers": 1, "head_hidden": 16},
            "curriculum": {"sizes": [SMALL]},
            "self_label": {"instances_per_iter": 2, "samples": 2, "label_solvers": ["heft-rt"]},
            "validation": {
                "sizes": [{**SMALL, "rate": 20.0, "num_jobs": 4}],
                "num_instances": 2,
                "reference": "heft-rt",
                "every": 1,
            },
        }
    )


def test_one_self_labelling_iteration_on_streams_validates_against_heft_rt(
    tmp_path: Path,
) -> None:
    config = stream_run(tmp_path)
    instances, _ = validation_instances(config)
    reference = reference_objectives(config, instances)
    direct = [HEFTRT().solve(c, Budget(seed=0)).objective for c in instances]
    assert np.allclose(reference, direct)  # the reference is HEFT-RT's average latency
    train(config, progress=False)
    rows = (tmp_path / "s" / "metrics.csv").read_text().splitlines()
    scores = [float(r.split(",")[-1]) for r in rows[1:]]
    assert len(scores) >= 2 and all(0.5 < s < 5.0 for s in scores)


def test_stream_mode_defaults_to_average_latency_against_heft_rt(tmp_path: Path) -> None:
    data = stream_run(tmp_path).to_dict()
    data.pop("objective_key")
    data["validation"].pop("reference")
    config = TrainConfig.from_dict(data)
    assert config.episode_objective_key() == "avg_latency"
    assert config.reference_solver() == "heft-rt"
    static = TrainConfig.from_dict({"env_id": "socdag"})  # the static mode keeps the problem's
    assert (static.episode_objective_key(), static.reference_solver()) == ("makespan", "heft")
