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
# # Train an agent, evaluate it against a baseline, prepare a leaderboard entry
#
# This tutorial trains a small graph-neural PPO agent on the SoC DAG problem (place the tasks
# of a DAG on the processing elements, *PEs*, of a heterogeneous chip; minimise the
# *makespan*, the end of the last task), loads its checkpoint as a solver, compares it with
# HEFT (Topcuoglu et al. 2002, the classical list scheduler) on a frozen suite through the
# leaderboard harness, and builds a leaderboard entry folder from the results.
#
# Terms:
#
# - **run folder**: where one training run writes everything: `config.yaml`, `metrics.csv`,
#   `last.pt` (resumable state), `best.pt` (the best validated policy), `tb/` (TensorBoard).
# - **val_score**: the agent's greedy makespan divided by HEFT's, averaged over fixed seeded
#   validation instances; lower is better and 1.0 ties HEFT.
# - **frozen suite**: a named list of instances whose checksums are recorded in a manifest;
#   the harness refuses to run a suite whose instances changed.
# - **harness**: the one code path that runs every solver under the same budget, validates
#   every schedule (an invalid one is a failed row, never scored) and stores one row per run.
#
# The default budget trains for half a minute (16,384 steps); the shipped agent
# (`agents/checkpoints/socdag_gnn.pt`) trained for 300,000. On the 12-task DAGs of the suite,
# our run's greedy agent came within about 1% of HEFT and its sampled variant beat HEFT by
# about 7%; the fast budget of the tests (`SCHEDGYM_TUTORIAL_FAST=1`) learns nothing useful.
# Everything is written under `out/tutorials/train_and_submit/`.

# %%
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from schedgym.agents.command import build_run_config, train_command
from schedgym.core.run import run_one
from schedgym.core.solver import Budget, load_solver
from schedgym.experiments.leaderboard.readme_tables import read_entry
from schedgym.leaderboard import report
from schedgym.leaderboard.harness import make_plan, run_leaderboard
from schedgym.problems import get_problem

FAST = os.environ.get("SCHEDGYM_TUTORIAL_FAST") == "1"
OUT = Path("out/tutorials/train_and_submit").resolve()
# Start clean: a results database keys its rows by solver name, options (the checkpoint's
# *path*) and package version, not by the checkpoint's contents, so rows of an earlier run of
# this tutorial would be reused for the newly trained agent.
shutil.rmtree(OUT, ignore_errors=True)
OUT.mkdir(parents=True)
RUN_DIR = OUT / "run"
SUITE = "rand-12x3"  # frozen: 10 random DAGs of 12 tasks on 3 PEs
TIME_LIMIT = 0.2 if FAST else 1.0  # seconds per instance, for every solver

# %% [markdown]
# ## The training config
#
# `schedgym train --env socdag --method ppo` reads the shipped config
# `experiments/configs/socdag_ppo.yaml` (16 envs stepped in lockstep, GIN encoder 2 layers x 32,
# 300,000 steps); flags and `--set dotted.key=VALUE` override it. In Python,
# `build_run_config` makes the same config, and `train_command` is exactly what the command
# calls. We shrink the run: fewer steps, validation more often on fewer instances.

# %%
if FAST:
    STEPS = 1024
    OVERRIDES = ["n_envs=4", "ppo.n_steps=64", "ppo.batch_size=128"]
    OVERRIDES += ["validation.every=512", "validation.num_instances=4", "checkpoint_every=512"]
else:
    STEPS = 16384
    OVERRIDES = ["validation.every=4096", "validation.num_instances=8", "checkpoint_every=4096"]

config = build_run_config(
    None, env="socdag", method="ppo", steps=STEPS, run_dir=str(RUN_DIR), overrides=OVERRIDES
)
shown = ("name", "env_id", "total_steps", "n_envs", "arch", "curriculum", "ppo", "validation")
print(yaml.safe_dump({k: config.to_dict()[k] for k in shown}, sort_keys=False, width=100))

# %% [markdown]
# ## Train
#
# The command-line equivalent is `schedgym train --env socdag --method ppo --steps 16384
# --run-dir RUN --set validation.every=4096 ...`.
# `resume=False` starts over (`--fresh`); with `resume=True`, rerunning continues from
# `last.pt`, even after a crash. The return value is the best checkpoint of each run.

# %%
(best,) = train_command(
    "socdag",
    None,
    steps=STEPS,
    run_dir=str(RUN_DIR),
    overrides=OVERRIDES,
    resume=False,
    progress=False,
)
print("best checkpoint:", best)
print("run folder:", sorted(p.name for p in RUN_DIR.iterdir()))
print((RUN_DIR / "metrics.csv").read_text())

# %% [markdown]
# ## The checkpoint as a solver
#
# Every `ppo-gnn` solver takes a `checkpoint` option (without it, the shipped checkpoint).
# `ppo-gnn` plays one greedy episode of the env; `ppo-gnn-sample` adds sampled episodes until
# the time limit is spent and keeps the best. On the command line the option is
# `-O checkpoint=PATH`. Here the agent solves Topcuoglu et al.'s 10-task example (optimum 73).

# %%
agent = load_solver("socdag", "ppo-gnn", checkpoint=str(best))
problem = get_problem("socdag")
record = run_one(problem, "topcuoglu", problem.load("topcuoglu"), "ppo-gnn", agent, Budget(1.0))
print(record)

# %% [markdown]
# ## Evaluate against HEFT through the harness
#
# `make_plan` checks the frozen suite's checksums and loads every solver before any work;
# options are given per solver (the agents get the checkpoint, HEFT nothing);
# `run_leaderboard` runs what the results database does not hold yet (so rerunning resumes)
# and returns the rows. `report.summarise` aggregates them per solver and size group with the
# problem's scores: for the SoC DAG the geometric-mean ratio of the makespan to HEFT's (the
# headline), SLR (makespan over the critical-path lower bound) and the gap to CP-SAT's
# reference.

# %%
solvers = ["heft", "ppo-gnn", "ppo-gnn-sample"]
mine = {"checkpoint": str(best)}
plan = make_plan(
    "socdag",
    SUITE,
    solvers,
    time_limits=(TIME_LIMIT,),
    options={"ppo-gnn": mine, "ppo-gnn-sample": mine},
)
outcome = run_leaderboard(plan, OUT / "harness.sqlite")
print(f"{outcome.new} new runs of {outcome.planned} planned")
cells = report.summarise(outcome.rows, problem)
print(report.markdown(cells, problem, f"socdag / {SUITE}", detail=False))
ratio = {c.solver: c.scores[0] for c in cells if c.group == report.ALL}
print("geometric-mean makespan ratio to HEFT:", ratio)

# %% [markdown]
# `ppo-gnn-sample` hits its time limit on most instances ("budget hits" in the detailed
# table): how many episodes it samples depends on the machine's speed, so its numbers move a
# little from one run to the next, even with the same seed. `heft` and `ppo-gnn` repeat
# exactly.

# %% [markdown]
# ## The same through the command line, into a leaderboard entry
#
# A published entry is a folder under `experiments/leaderboard/` holding `entry.yaml` (what
# was run and how it was trained), `README.md` (the write-up), `results.csv` (one row per run)
# and `summary.json` (machine, library versions, git commit, the suite's checksum); see
# `experiments/leaderboard/_template/`. We build one under `out/`, never in the repository.
#
# `-O KEY=VALUE` is given to *every* solver of a `leaderboard run` (or `evaluate`) call, and
# HEFT takes no `checkpoint` option, so the baseline and the agents run as two calls into one
# results database (`--db`); `leaderboard show` then writes the CSV and JSON of all of them.


# %%
def schedgym(*args: str) -> str:
    """Run the `schedgym` command (the venv's, via `python -m schedgym.cli`); return stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "schedgym.cli", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


entry = OUT / "socdag-my-ppo-gnn"
entry.mkdir(exist_ok=True)
where = ["--problem", "socdag", "--suite", SUITE, "--db", str(OUT / "leaderboard.sqlite")]
run = ["leaderboard", "run", *where, "--time-limit", str(TIME_LIMIT), "--quiet"]
schedgym(*run, "--solvers", "heft")
schedgym(*run, "--solvers", "ppo-gnn,ppo-gnn-sample", "-O", f"checkpoint={best}")
outputs = ["--csv", str(entry / "results.csv"), "--json", str(entry / "summary.json")]
print(schedgym("leaderboard", "show", *where, *outputs))

# %% [markdown]
# Now the two hand-written files. `entry.yaml` follows the template's fields; `trained` must
# say honestly how the agent was trained (never on the suite's own instances).

# %%
meta = {
    "title": "My SoC DAG agent (PPO, tutorial budget)",
    "problem": "socdag",
    "suite": SUITE,
    "solvers": solvers,
    "time_limit": TIME_LIMIT,
    "deterministic": "no",  # ppo-gnn-sample samples until its time limit
    "trained": (
        f"PPO from scratch, {STEPS} env steps of generated DAGs (10-30 tasks, 2-4 PEs), "
        "seed 0, never on a leaderboard suite; config in run/config.yaml."
    ),
    "authors": "Your name <you@example.org>",
    "command": (
        f"schedgym leaderboard run --problem socdag --suite {SUITE} --solvers heft "
        f"--time-limit {TIME_LIMIT}; the same with --solvers ppo-gnn,ppo-gnn-sample "
        "-O checkpoint=best.pt; schedgym leaderboard show ... --csv results.csv "
        "--json summary.json"
    ),
}
(entry / "entry.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
(entry / "README.md").write_text(
    "# My SoC DAG agent\n\n"
    "- **What it is.** The graph pointer policy of `schedgym.agents`, trained with PPO.\n"
    "- **Deterministic?** `heft` and `ppo-gnn`: yes. `ppo-gnn-sample`: no, it samples until\n"
    "  its time limit, so the number of samples depends on the machine's speed.\n"
    f"- **How was it trained?** {meta['trained']}\n"
    f"- **Budget.** {TIME_LIMIT} s per instance, one thread.\n"
)
print(sorted(p.name for p in entry.iterdir()))
print(json.loads((entry / "summary.json").read_text())["suite_sha256"])

# %% [markdown]
# `read_entry` is the check that `python -m schedgym.experiments.leaderboard.readme_tables`
# applies to every entry before it regenerates the README tables: all fields present, the
# rows cover the whole frozen suite for each solver, and the suite digest is the manifest's.
# To publish, copy the folder to `experiments/leaderboard/socdag-my-ppo-gnn/`, run that
# command and commit both.

# %%
checked = read_entry(entry)
assert {r.solver for r in checked.rows} == set(solvers)
assert all(r.objective is not None for r in checked.rows), "every run validated"
assert len(outcome.rows) == len(solvers) * len(problem.suite(SUITE))
assert all(r.status in ("feasible", "optimal") for r in outcome.rows)
assert ratio["heft"] == 1.0 and all(v is not None and v > 0 for v in ratio.values())
assert ratio["ppo-gnn-sample"] <= ratio["ppo-gnn"] + 1e-9  # sampling keeps the greedy episode
print(f"entry {checked.name}: {len(checked.rows)} validated rows; ratios to HEFT {ratio}")
