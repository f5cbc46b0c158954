"""Runtime schedulers in the stream mode: valid traces, same seed same result, sane ordering."""

from __future__ import annotations

import numpy as np
import pytest

from schedgym.baselines.socdag.runtime import ETF, HEFTRT, MET, RUNTIME, RandomScheduler
from schedgym.core.solver import Budget
from schedgym.socdag.env import SoCDAGEnv, stream_config
from schedgym.socdag.validate import stream_metrics


@pytest.mark.parametrize("name", RUNTIME)
@pytest.mark.parametrize("noise", [0.0, 0.25])
def test_stream_traces_validate_and_repeat(name: str, noise: float) -> None:
    config = stream_config(arrival_mean=30.0, num_jobs=12, max_in_flight=4, exec_noise=noise)
    result = RUNTIME[name]().solve(config, Budget(seed=7))
    assert result.schedule is not None and result.status == "feasible"
    metrics = stream_metrics(_instance(config, 7), result.schedule)
    assert metrics.avg_latency == pytest.approx(result.objective)
    again = RUNTIME[name]().solve(config, Budget(seed=7))
    assert again.objective == result.objective


def _instance(config, seed):
    env = SoCDAGEnv(mode="stream", stream=config)
    env.reset(seed=seed)
    return env.instance


def test_same_jobs_as_the_env_with_that_seed() -> None:
    config = stream_config(arrival_mean=50.0, num_jobs=6)
    result = HEFTRT().solve(config, Budget(seed=3))
    env = SoCDAGEnv(mode="stream", stream=config)
    env.reset(seed=3)
    done = False
    while not done:  # the env's current task on its earliest-finish PE = runtime HEFT
        sim = env.simulator
        _, finish = sim.estimates(sim.current())
        *_, done, _, info = env.step(int(np.nanargmin(finish)))
    assert info["avg_latency"] == pytest.approx(result.objective)


def test_informed_schedulers_beat_random_on_the_ds3_mix() -> None:
    config = stream_config(arrival_mean=50.0, num_jobs=30)
    latency = {
        cls.name: cls().solve(config, Budget(seed=1)).objective
        for cls in (MET, ETF, HEFTRT, RandomScheduler)
    }
    assert max(latency["met"], latency["etf"], latency["heft-rt"]) < latency["random"] / 3
    assert latency["heft-rt"] <= latency["met"]
    assert ETF(key="start").solve(config, Budget(seed=1)).objective > 0
