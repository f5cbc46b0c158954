"""The compiled step kernels agree with plain numpy formulations of the same quantities."""

from __future__ import annotations

import numpy as np
import pytest

from schedgym.jobshop.env import JobShopEnv
from schedgym.jobshop.observation import JobShopObserver
from schedgym.jobshop.simulator import JobShopSimulator


def _reference_features(obs: JobShopObserver, sim: JobShopSimulator) -> tuple[np.ndarray, float]:
    """Time-dependent node features (columns 1-3 and 6-10) and the makespan estimate, in numpy."""
    now, scale = sim.now, obs.time_scale
    jobs = np.arange(sim.num_jobs)
    started = sim.start >= 0
    finished = started & (sim.end <= now)
    known = np.where(finished, sim.end, np.maximum(sim.start + sim.nominal, now))
    last = np.maximum(sim.next_op - 1, 0)
    ready = np.where(sim.next_op > 0, known[jobs, last], sim.release)
    base = np.maximum(ready, now) - obs.cum_ext[jobs, sim.next_op]
    estimate = np.where(started, known, base[:, None] + obs.cum)
    is_next = np.arange(sim.num_ops)[None, :] == sim.next_op[:, None]
    wait = np.maximum(now - np.maximum(sim.job_free, sim.release), 0) / scale
    cols = np.stack(
        [
            started,
            finished,
            estimate / scale,
            is_next,
            is_next & sim.mask[:, None],
            obs.machine_load[sim.machines] / scale,
            is_next * wait[:, None],
            np.broadcast_to((sim.release <= now)[:, None], started.shape),
        ],
        axis=-1,
    )
    return cols.astype(np.float32), float(estimate.max())


def _reference_mask(sim: JobShopSimulator) -> np.ndarray:
    nxt = sim.next_machine()
    mask = (sim.next_op < sim.num_ops) & (sim.job_free <= sim.now)
    mask &= (sim.machine_free[nxt] <= sim.now) & sim.machine_up[nxt]
    return mask


@pytest.mark.parametrize(
    "options",
    [{}, {"duration_noise": 0.3, "arrival_mean": 8.0}, {"mtbf": 30.0, "mttr": 6.0}],
    ids=["static", "noise-arrivals", "breakdowns"],
)
def test_kernels_match_numpy(options: dict) -> None:
    env = JobShopEnv(num_jobs=(4, 8), num_machines=(3, 6), **options)
    rng = np.random.default_rng(0)
    for seed in range(5):
        env.reset(seed=seed)
        while True:
            sim, observer = env.simulator, env._observer
            expected, estimate = _reference_features(observer, sim)
            got = observer.features[:, :, [1, 2, 3, 6, 7, 8, 9, 10]]
            np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
            assert observer.estimated_makespan() == pytest.approx(estimate)
            assert (sim.mask == _reference_mask(sim)).all()
            action = int(rng.choice(np.flatnonzero(env.action_masks())))
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                break
