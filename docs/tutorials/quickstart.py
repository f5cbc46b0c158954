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
# # Quickstart: the five environments, a random policy and a baseline
#
# schedgym poses five scheduling problems as Gymnasium environments. This tutorial opens each
# one, looks at what an agent observes, plays one episode with a *masked random policy*, solves
# the same instance with a classical *baseline solver*, checks both answers with the problem's
# *validator*, and draws the baseline's schedule.
#
# Terms used throughout:
#
# - **instance**: one problem to solve (a job shop, a DAG and a chip, a set of buffers, a fleet
#   scenario, a request trace on a GPU pool). Shipped instances have names (`"ft06"`).
# - **episode**: one pass through an env that builds one complete solution, one decision per
#   step.
# - **action mask**: the boolean vector of legal actions at the current step
#   (`env.unwrapped.action_masks()`, also `obs["action_mask"]`).
# - **solver**: anything with `solve(instance, budget) -> SolveResult`; rules, CP-SAT and trained
#   agents all look alike from outside.
# - **validator**: the problem's independent checker. It recomputes the objective of a schedule
#   from scratch and raises on any violated constraint; every reported number comes from it.
#
# Run it as a script (`python docs/tutorials/quickstart.py`) or open it as a notebook
# (`jupytext --to notebook docs/tutorials/quickstart.py`). Pictures go to
# `out/tutorials/quickstart/` under the working directory.

# %%
import os
from pathlib import Path

import gymnasium as gym
import numpy as np

import schedgym  # noqa: F401  (importing registers the five environments with Gymnasium)
from schedgym.core.run import run_one
from schedgym.core.solver import Budget, available_solvers, load_solver
from schedgym.problems import get_problem, problem_names

#: SCHEDGYM_TUTORIAL_FAST=1 (set by the tests) shrinks every budget.
FAST = os.environ.get("SCHEDGYM_TUTORIAL_FAST") == "1"
OUT = Path("out/tutorials/quickstart")
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## The problem registry
#
# Every tool of the gym (the Gymnasium registration, the CLI, the leaderboard, the trainer)
# reads the problems from one registry. `get_problem(name)` returns the problem's *descriptor*:
# its env id, the objective and whether it is minimised or maximised, its shipped suites,
# the validator and the schedule picture.

# %%
for name in problem_names():
    problem = get_problem(name)
    print(
        f"{name:8} {problem.env_id:30} {problem.objective_name:15} {problem.direction}  "
        f"suites: {', '.join(problem.suite_names()[:5])}"
    )

# %% [markdown]
# ## One environment in detail: the job shop
#
# `J` jobs each visit the machines in a fixed route; a machine runs one operation at a time;
# minimise the *makespan* (the end of the last operation). `ft06` is Fisher and Thompson's
# 6 x 6 instance (optimum 55). Each step starts the next operation of one job (the action is
# the job's index) at the current decision time; the simulator then advances the clock by
# itself. `reward_scale="auto"` divides rewards by the instance's makespan lower bound, so the
# episode return is `-makespan / lower bound`.

# %%
env = gym.make("schedgym/JobShop-v0", instance="ft06", reward_scale="auto")
obs, info = env.reset(seed=0)
print("action space:", env.action_space, "| reset info:", info)
for key, value in obs.items():
    print(f"  obs[{key!r:19}] shape {value.shape!s:9} {value.dtype}")

# %% [markdown]
# The observation is a *padded graph*: node features, an edge list and masks, padded to fixed
# maxima so that Stable-Baselines3 can stack it. Here the nodes are the 36 operations of the
# disjunctive graph; `num_nodes` says how many rows of `node_features` are real, and
# `action_node[a]` is the node that stands for action `a` (job `a`'s next operation), which is
# what a pointer-style policy scores. Only jobs whose next operation can start now are legal:

# %%
mask = env.unwrapped.action_masks()
print("legal jobs:", np.flatnonzero(mask), "| same as obs['action_mask']:", obs["action_mask"])
obs, reward, terminated, truncated, info = env.step(int(np.flatnonzero(mask)[0]))
print(f"reward {reward:.3f}, terminated {terminated}, info {info}")

# %% [markdown]
# An illegal action never crashes the env: it is refused, the state does not change, the reward
# is `-invalid_penalty` and `info["invalid_action"]` is `True` (`strict=True` raises instead).

# %%
illegal = int(np.flatnonzero(~env.unwrapped.action_masks())[0])
_, reward, _, _, info = env.step(illegal)
print(f"illegal job {illegal}: reward {reward}, info {info}")

# %% [markdown]
# ## All five environments
#
# One instance per problem, made with real constructor options (each env page under
# `docs/envs/` lists them all), and the baseline solver we will compare against:
#
# - job shop: `ft06` (6 jobs x 6 machines), `reward_scale="auto"`; baseline `mwkr` (most
#   work remaining first);
# - SoC DAG: `topcuoglu` (10 tasks on 3 processing elements, PEs), `insertion=True` (a task may
#   fill an idle gap); baseline `heft`;
# - memory: `assign-00` (150 buffers, 838,144 bytes of fast memory), `order="benefit"` (XLA's
#   decision order); baseline `xla-greedy`;
# - fleet: `default` (8 vertiports, 40 aircraft, one day), `delays=True, closures=True`
#   (take-off delays and weather closures); baseline `greedy` dispatcher;
# - LLM serving: `llm-light-gen1-s0-n10-0` (364 requests on 4 GPU replicas),
#   `policy="vllm"` (each replica batches as vLLM does); baseline `least-loaded` routing.
#
# The objective is minimised for the first three (makespan, modelled time) and maximised for
# the last two (the day's profit in dollars, the share of requests meeting their latency SLOs).

# %%
CASES = {
    "jobshop": ("ft06", {"reward_scale": "auto"}, "mwkr"),
    "socdag": ("topcuoglu", {"insertion": True}, "heft"),
    "memory": ("assign-00", {"order": "benefit"}, "xla-greedy"),
    "fleet": ("default", {"delays": True, "closures": True}, "greedy"),
    "llm": ("llm-light-gen1-s0-n10-0", {"policy": "vllm"}, "least-loaded"),
}
for name, (instance, options, _) in CASES.items():
    problem = get_problem(name)
    env = gym.make(problem.env_id, instance=instance, **options)
    obs, _ = env.reset(seed=0)
    shapes = ", ".join(f"{k} {v.shape}" for k, v in obs.items() if k != "edge_mask")
    print(f"{name:8} actions {env.action_space.n:3} | {shapes}")

# %% [markdown]
# ## A masked random policy
#
# The simplest agent: at each step pick a legal action uniformly at random. When the episode
# ends (`terminated`), `info` holds the objective, computed by the same validator that scores
# solvers; `env.unwrapped.schedule()` returns the solution built, of the same type a solver
# returns. We check that the validator, run again on that schedule, agrees with the env.
# Every episode resets with `seed=0` (the same fleet day, the same dynamics as the solvers'
# `Budget(seed=0)` below); only the policy's random draws change from episode to episode.


# %%
def random_episode(env: gym.Env, policy_seed: int) -> tuple[dict, int]:
    """Play one episode (reset with seed 0) with a uniformly random legal action; return the
    final info and the number of steps."""
    rng = np.random.default_rng(policy_seed)
    env.reset(seed=0)
    done, steps, info = False, 0, {}
    while not done:
        legal = np.flatnonzero(env.unwrapped.action_masks())
        _, _, terminated, truncated, info = env.step(int(rng.choice(legal)))
        done, steps = terminated or truncated, steps + 1
    return info, steps


EPISODES = 1 if FAST else 5  # random episodes per problem
random_objective = {}
for name, (instance, options, _) in CASES.items():
    problem = get_problem(name)
    env = gym.make(problem.env_id, instance=instance, **options)
    values = []
    for policy_seed in range(EPISODES):
        info, steps = random_episode(env, policy_seed)
        checked = problem.validate(problem.load(instance), env.unwrapped.schedule())
        assert np.isclose(checked, info[problem.objective_name]), (name, checked, info)
        values.append(checked)
    random_objective[name] = float(np.mean(values))
    print(f"{name:8} {steps:5} steps, final info: {info}")

# %% [markdown]
# ## A baseline solver through the Python API
#
# `load_solver(problem, name, **options)` builds a registered solver (`available_solvers` lists
# them; `schedgym solvers -p NAME` on the command line). `run_one` is what every tool reports
# through: it times `solver.solve(instance, budget)`, validates the schedule, and computes the
# gap to the instance's reference (the best-known or optimal value, where one is shipped).
# A `Budget` carries the time limit per instance, the seed and the thread count.

# %%
print("job-shop solvers:", ", ".join(available_solvers("jobshop")))
records = {}
for name, (instance_name, _, solver_name) in CASES.items():
    problem = get_problem(name)
    instance = problem.load(instance_name)
    solver = load_solver(name, solver_name)
    record = run_one(problem, instance_name, instance, solver_name, solver, Budget(1.0, seed=0))
    records[name] = (problem, instance, record)

print(f"| problem | solver | {'objective':>12} | {'random':>12} | reference | gap % | status |")
for name, (_, _, rec) in records.items():
    ref = "-" if rec.reference is None else f"{rec.reference:g}"
    gap = "-" if rec.gap_pct is None else f"{rec.gap_pct:.1f}"
    print(
        f"| {name} | {rec.solver} | {rec.objective:12.6g} | {random_objective[name]:12.6g} "
        f"| {ref} | {gap} | {rec.status} |"
    )

# %% [markdown]
# ## Pictures
#
# Each descriptor draws its own schedule (`problem.render(instance, schedule, path, fmt)`,
# what `schedgym solve ... --gantt FILE` calls): a Gantt chart per machine or PE, the memory
# layout (time across, addresses up), the fleet's day, the replicas' batches and KV cache.
# Envs also render themselves: `render_mode="rgb_array"` returns the same picture as an
# `(H, W, 3)` array, `"ansi"` a text version.

# %%
for name, (problem, instance, rec) in records.items():
    path = OUT / f"{name}_{rec.solver}.png"
    problem.render(instance, rec.schedule, path, "png")
    print("wrote", path)

for mode in ("rgb_array", "ansi"):
    env = gym.make("schedgym/SoCDAG-v0", instance="topcuoglu", render_mode=mode)
    random_episode(env, policy_seed=0)
    frame = env.render()
    print(f"rgb_array: an array of shape {frame.shape}" if mode == "rgb_array" else frame)

# %% [markdown]
# ## What we checked
#
# Every solution, from the env or from a solver, was accepted by the validator, and each
# baseline is at least as good as the random policy on its instance (the direction of
# comparison follows the problem's `direction`).

# %%
for name, (problem, _, rec) in records.items():
    assert rec.scored and rec.status in ("feasible", "optimal"), rec
    assert (OUT / f"{name}_{rec.solver}.png").stat().st_size > 0
    sign = 1 if problem.direction == "min" else -1
    assert sign * rec.objective <= sign * random_objective[name] + 1e-9, (name, rec.objective)
print("all five problems: schedules validated, baselines at least as good as random")
