# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A stream of jobs on a system-on-chip: latency, energy and EDP of runtime schedulers
#
# The SoC DAG env has two modes. In `static` mode one task graph (DAG) is scheduled and the
# objective is its makespan. In `stream` mode, the setting of the DS3 simulator (Arda et al.,
# IEEE TC 2020), **jobs** keep arriving: each job is a copy of an **application** (a DAG of
# signal-processing tasks: WiFi TX/RX, range detection, single-carrier TX/RX, temporal
# mitigation), drawn from a mix. Terms:
#
# - **arrival rate**: jobs arrive with exponential inter-arrival times of mean `arrival_mean`
#   (microseconds here), i.e. `1000 / arrival_mean` jobs per millisecond.
# - **in flight**: at most `max_in_flight` jobs are in the system; later arrivals wait outside
#   until one finishes, then are **injected**.
# - **job latency**: completion of the job's last task minus its injection. The objective is
#   the average over the episode's jobs.
# - **energy**: the sum over tasks of the PE's active power x the task's execution time (uJ:
#   W x us); **EDP**, the energy-delay product, is energy per job x average latency (uJ x us).
#
# The platform `ds3-soc` has 16 processing elements (PEs): 4 Arm A7 (LITTLE), 4 Arm A15 (big),
# 2 matrix-multiply, 4 FFT and 2 Viterbi accelerators, each with its own speed per task kind
# and power. We compare three runtime schedulers (they decide as tasks become ready):
#
# - **MET**, minimum execution time: each task on the PE type that runs it fastest;
# - **ETF**, earliest task first: among all ready tasks and PEs, the pair that finishes first;
# - **HEFT-RT**, runtime HEFT: ready tasks in decreasing upward rank (longest path to the
#   DAG's end), each on the PE where it finishes earliest.

# %%
import os
from pathlib import Path

import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np

import schedgym  # noqa: F401  (registers the environments)
from schedgym.core.solver import Budget, load_solver
from schedgym.datasets import socdag as shipped
from schedgym.socdag.env import stream_config
from schedgym.socdag.validate import stream_metrics

FAST = os.environ.get("SCHEDGYM_TUTORIAL_FAST") == "1"
OUT = Path("out/tutorials/soc_stream")
OUT.mkdir(parents=True, exist_ok=True)
JOBS = 60 if FAST else 500  # jobs per episode
SEEDS = range(2 if FAST else 5)  # episodes per (rate, scheduler)
RATES = (5.0, 40.0)  # jobs per millisecond: light and heavy load
SCHEDULERS = ("heft-rt", "etf", "met")

# %% [markdown]
# ## The stream env
#
# The observation is the usual padded graph: the 16 PE nodes, then the tasks of the jobs in
# flight, padded for `max_in_flight` copies of the largest application. Each step places the
# *current* task (the ready task of highest upward rank) on a PE; the mask allows only PEs
# that can run it. At the end, `info` holds the validated stream metrics. A masked random
# policy gives the baseline of no scheduling intelligence at all:

# %%
print("applications:", shipped.DS3_APPS)
env = gym.make(
    "schedgym/SoCDAG-v0",
    mode="stream",
    platform="ds3-soc",
    arrival_mean=1000.0 / RATES[1],
    max_in_flight=8,
    num_jobs=JOBS,
    exec_noise=0.0,
)
obs, info = env.reset(seed=0)
print("actions:", env.action_space, "| node_features:", obs["node_features"].shape, info)
rng = np.random.default_rng(0)
done, steps = False, 0
while not done:
    legal = np.flatnonzero(env.unwrapped.action_masks())
    _, _, terminated, truncated, info = env.step(int(rng.choice(legal)))
    done, steps = terminated or truncated, steps + 1
print(f"{steps} tasks placed; final info: {info}")

# the schedule carries its stream conditions (arrivals, injections), so it can be re-checked
random_metrics = stream_metrics(env.unwrapped.simulator.instance, env.unwrapped.schedule())
assert np.isclose(random_metrics.avg_latency, info["avg_latency"])

# %% [markdown]
# ## The runtime schedulers as solvers
#
# `stream_config` describes a stream (platform, application mix, arrival mean, in-flight cap,
# number of jobs, execution-time noise). The registered solvers `met`, `etf` and `heft-rt`
# accept it in place of a static instance and play one episode of it; `Budget(seed=s)` fixes
# the episode's jobs and arrivals, so every scheduler meets the same stream for a given seed.
# `result.info["metrics"]` holds the validated metrics (`StreamMetrics`).

# %%
rows = []
for rate in RATES:
    config = stream_config(
        "ds3-soc", None, arrival_mean=1000.0 / rate, max_in_flight=8, num_jobs=JOBS
    )
    for name in SCHEDULERS:
        solver = load_solver("socdag", name)
        for seed in SEEDS:
            m = solver.solve(config, Budget(seed=seed)).info["metrics"]
            energy = m.energy / m.jobs
            rows.append((rate, name, seed, m.avg_latency, m.avg_wait, energy, m.edp))


def mean_of(rate: float, name: str, column: int) -> float:
    """Mean over seeds of one column of ``rows``."""
    return float(np.mean([r[column] for r in rows if r[0] == rate and r[1] == name]))


print("| rate (jobs/ms) | scheduler | latency (us) | wait (us) | energy/job (uJ) | EDP (uJ x us) |")
print("|---:|---|---:|---:|---:|---:|")
for rate in RATES:
    for name in SCHEDULERS:
        values = [mean_of(rate, name, c) for c in (3, 4, 5, 6)]
        print(f"| {rate:g} | {name} | " + " | ".join(f"{v:,.1f}" for v in values) + " |")

# %% [markdown]
# Relative to HEFT-RT (ratios of the means over seeds; below 1 is better). `wait` is the time
# jobs spent outside before injection: it appears when the in-flight cap is reached.

# %%
for rate in RATES:
    for name in SCHEDULERS[1:]:
        ratios = [mean_of(rate, name, c) / mean_of(rate, "heft-rt", c) for c in (3, 5, 6)]
        print(
            f"rate {rate:g}: {name:4} latency {ratios[0]:.3f}, energy {ratios[1]:.3f}, "
            f"EDP {ratios[2]:.3f}"
        )

# %% [markdown]
# ## Picture
#
# At the light load the three are close. At the heavy load MET, which always picks the
# fastest PE type, queues behind those PEs (its latency and its wait outside grow most), while
# ETF and HEFT-RT use whichever PE finishes a task first. MET's energy per job is the same at
# both loads (the same PE types every time); the others' changes with the PEs they fall back
# on.

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
width = 0.25
for i, name in enumerate(SCHEDULERS):
    x = np.arange(len(RATES)) + (i - 1) * width
    axes[0].bar(x, [mean_of(r, name, 3) for r in RATES], width, label=name)
    axes[1].bar(x, [mean_of(r, name, 6) for r in RATES], width, label=name)
for ax, title in zip(axes, ("average job latency (us)", "EDP (uJ x us)"), strict=True):
    ax.set_xticks(np.arange(len(RATES)), [f"{r:g} jobs/ms" for r in RATES])
    ax.set_title(title)
axes[0].legend()
fig.tight_layout()
fig.savefig(OUT / "stream_latency_edp.png", dpi=100)
print("wrote", OUT / "stream_latency_edp.png")

# %% [markdown]
# ## What we checked
#
# Every scheduler's latency grows with the load; under the heavy load MET is clearly worse
# than HEFT-RT (queueing on its favourite PEs); and any of them beats the random policy.

# %%
for name in SCHEDULERS:
    assert mean_of(RATES[1], name, 3) > mean_of(RATES[0], name, 3), name
assert mean_of(RATES[1], "met", 3) > 1.2 * mean_of(RATES[1], "heft-rt", 3)
assert max(mean_of(RATES[1], name, 3) for name in SCHEDULERS) < random_metrics.avg_latency
print(
    "checked: latency grows with load; MET / HEFT-RT at the heavy load =",
    round(mean_of(RATES[1], "met", 3) / mean_of(RATES[1], "heft-rt", 3), 2),
)
