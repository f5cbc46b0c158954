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
# # Your own solver: write it, register it, run it through the harness
#
# A **solver** in schedgym is any object with a `name`, a `problem` and
# `solve(instance, budget) -> SolveResult` (the protocol `schedgym.core.solver.Solver`). The
# **budget** (`Budget`) carries the wall-time limit per instance (`time_limit_s`, `None` for
# the solver's own default), a `seed` for randomised solvers and a thread cap (`workers`). The
# **result** (`SolveResult`) carries the schedule, a status (`"optimal"`, `"feasible"`,
# `"timeout"`, ...), the wall time, and optionally the objective the solver believes and a
# proven bound. The objective that gets *reported* is never the solver's: the problem's
# **validator** recomputes it from the schedule and rejects any schedule that breaks a
# constraint.
#
# We write a job-shop solver (jobs visit machines in a fixed route; one operation per machine
# at a time; minimise the makespan, the end of the last operation), register it in this
# process, compare it with two built-in dispatching rules through the leaderboard harness,
# and watch the validator reject a deliberately broken variant.

# %%
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from schedgym.core.run import run_one
from schedgym.core.solver import (
    Budget,
    SolveResult,
    Stopwatch,
    available_solvers,
    register_solver,
    solver_summary,
    solver_target,
)
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.schedule import JobShopSchedule, Operation
from schedgym.leaderboard import report
from schedgym.leaderboard.harness import make_plan, run_leaderboard
from schedgym.problems import get_problem

FAST = os.environ.get("SCHEDGYM_TUTORIAL_FAST") == "1"
TIME_LIMIT = 0.1 if FAST else 1.0  # seconds per instance
OUT = Path("out/tutorials/solver_plugin")
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## The solver
#
# An instance (`JobShopInstance`) is two `(jobs, operations)` arrays: `machines[j, k]`, the
# machine of job `j`'s `k`-th operation, and `durations[j, k]`, its processing time. A
# schedule (`JobShopSchedule`) is the instance's name plus one `Operation(job, index, machine,
# start, end)` per operation.
#
# Our solver builds a schedule operation by operation: among the jobs with operations left,
# take the one whose next operation can start earliest (after the job's previous operation
# and after everything already on that machine), breaking ties by a random job priority. It
# repeats with fresh random priorities until the time limit is spent and keeps the best. It
# respects the budget (`time_limit_s`, `seed`), so the harness can compare it fairly.


# %%
def earliest_start_schedule(
    instance: JobShopInstance, priority: np.ndarray, respect_machines: bool = True
) -> list[Operation]:
    """Operations in earliest-start order (ties: lower ``priority``), each appended after the
    last operation of its machine. ``respect_machines=False`` forgets the machines (a bug)."""
    jobs, ops = instance.num_jobs, instance.num_ops
    next_op = np.zeros(jobs, dtype=np.int64)
    job_ready = np.zeros(jobs, dtype=np.int64)
    machine_ready = np.zeros(instance.num_machines, dtype=np.int64)
    schedule = []
    for _ in range(jobs * ops):
        best = None
        for j in np.flatnonzero(next_op < ops):
            machine = instance.machines[j, next_op[j]]
            start = max(job_ready[j], machine_ready[machine] if respect_machines else 0)
            if best is None or (start, priority[j]) < (best[0], priority[best[1]]):
                best = (start, j)
        start, j = best
        k = int(next_op[j])
        machine = int(instance.machines[j, k])
        end = int(start + instance.durations[j, k])
        schedule.append(Operation(int(j), k, machine, int(start), end))
        next_op[j] += 1
        job_ready[j] = end
        machine_ready[machine] = max(machine_ready[machine], end)
    return schedule


class RandomPriority:
    """Earliest start first, random job priorities, restarts until the time limit."""

    name = "random-priority"
    problem = "jobshop"

    def __init__(self, max_restarts: int = 100_000) -> None:
        # a keyword option: load_solver(..., max_restarts=50), or -O max_restarts=50
        self.max_restarts = max_restarts

    def solve(self, instance: JobShopInstance, budget: Budget) -> SolveResult[JobShopSchedule]:
        limit = 1.0 if budget.time_limit_s is None else budget.time_limit_s
        rng = np.random.default_rng(budget.seed)
        best, tries = None, 0
        with Stopwatch() as watch:
            while tries < self.max_restarts and (best is None or watch.now() < limit):
                ops = earliest_start_schedule(instance, rng.permutation(instance.num_jobs))
                makespan = max(op.end for op in ops)
                if best is None or makespan < best[0]:
                    best = (makespan, ops)
                tries += 1
        schedule = JobShopSchedule(instance.name, tuple(best[1]), self.name)
        return SolveResult(
            schedule,
            self.name,
            "feasible",
            watch.elapsed,
            objective=best[0],
            info={"restarts": tries},
        )


class Broken(RandomPriority):
    """The same construction, but it forgets that a machine runs one operation at a time."""

    name = "broken"

    def solve(self, instance: JobShopInstance, budget: Budget) -> SolveResult[JobShopSchedule]:
        start = time.perf_counter()
        order = np.arange(instance.num_jobs)
        ops = earliest_start_schedule(instance, order, respect_machines=False)
        schedule = JobShopSchedule(instance.name, tuple(ops), self.name)
        makespan = max(op.end for op in ops)  # what it believes: shorter than any valid one
        return SolveResult(schedule, self.name, "feasible", time.perf_counter() - start, makespan)


# %% [markdown]
# ## Register it in this process
#
# `register_solver(problem, name, factory)` makes the solver known to every tool running in
# this process, under `"jobshop.random-priority"`. The factory is called with the solver's
# keyword options, so the class itself is the factory. A package does the same for everyone
# with an entry point (below).

# %%
register_solver("jobshop", "random-priority", RandomPriority)
register_solver("jobshop", "broken", Broken)
print(available_solvers("jobshop"))
print("built in:", solver_target("jobshop", "mwkr"))
print("ours:    ", solver_target("jobshop", "random-priority"))
print("listed as:", solver_summary("jobshop", "random-priority"))  # its docstring's first line

# %% [markdown]
# ## One instance, by hand
#
# `run_one` is what every tool reports through: it times `solve`, validates the schedule and
# computes the gap to the instance's reference (`ft06`'s optimum is 55). The broken solver
# claims a makespan below the optimum; the validator finds the overlap, and the run is failed
# with status `invalid` and the reason. Our valid schedule is drawn as a Gantt chart.

# %%
jobshop = get_problem("jobshop")
ft06 = jobshop.load("ft06")
for solver in (RandomPriority(), Broken()):
    record = run_one(jobshop, "ft06", ft06, solver.name, solver, Budget(TIME_LIMIT, seed=0))
    claimed = solver.solve(ft06, Budget(TIME_LIMIT, seed=0)).objective
    print(f"{solver.name}: claims {claimed}, status {record.status}, validated {record.objective}")
    print(f"   {record.message or f'gap to the optimum {record.gap_pct:.1f}%'}")
    if record.scored:  # the validated schedule, drawn as `schedgym solve --gantt` draws it
        jobshop.render(ft06, record.schedule, OUT / "ft06_random-priority.png", "png")

# %% [markdown]
# ## Through the harness, beside the built-in rules
#
# The leaderboard harness runs every solver on every instance of a suite under the same time
# limit and validates every schedule; an invalid one is a failed row, never scored. `demo` is
# a frozen job-shop suite: `ft06`, `la01`-`la05`, `ta01`, `ta02`. `mwkr` (most work remaining)
# and `fdd-mwkr` (flow due date over work remaining) are the classical dispatching rules.
# This is what `schedgym evaluate -p jobshop --suite demo --solvers mwkr,fdd-mwkr,...` runs;
# a solver registered with `register_solver` is visible to this process only, so here we call
# the harness from Python. The results database keys rows by solver name, options and package
# version, not by your code: while you edit a solver, use a fresh database (as here), or rows
# of the old code are reused.

# %%
solvers = ["mwkr", "fdd-mwkr", "random-priority", "broken"]
plan = make_plan("jobshop", "demo", solvers, time_limits=(TIME_LIMIT,))
with tempfile.TemporaryDirectory() as scratch:  # a fresh results database
    outcome = run_leaderboard(plan, Path(scratch) / "results.sqlite")
cells = report.summarise(outcome.rows, jobshop)
print(report.markdown(cells, jobshop, "jobshop / demo", detail=False))
print(report.failures(outcome.rows))

# %% [markdown]
# ## Publishing it
#
# To make the solver available to `schedgym solve`, `schedgym evaluate` and
# `schedgym leaderboard run` in any process, put the class in a package and declare it under
# the `schedgym.solvers` entry-point group, keyed `"<problem>.<name>"`, in the package's
# `pyproject.toml`:

# %%
PYPROJECT = """
[project.entry-points."schedgym.solvers"]
"jobshop.random-priority" = "my_schedulers.jobshop:RandomPriority"
"""
print(PYPROJECT)

# %% [markdown]
# After `pip install -e .` of that package, `schedgym solvers -p jobshop` lists
# `random-priority` with the first line of its docstring, and
# `schedgym leaderboard run --problem jobshop --suite ta --solvers random-priority -t 10`
# runs it on a frozen suite (see `train_and_submit.py` for the entry folder).

# %%
rows = {s: [r for r in outcome.rows if r.solver == s] for s in solvers}
assert all(r.status == "invalid" and r.objective is None for r in rows["broken"])
assert all("overlap" in r.message or "machine" in r.message for r in rows["broken"])
assert all(r.scored for s in solvers[:3] for r in rows[s])
gap = {s: float(np.mean([r.gap_pct for r in rows[s]])) for s in solvers[:3]}
assert all(0 <= g < 100 for g in gap.values()), gap
assert (OUT / "ft06_random-priority.png").stat().st_size > 0
print("mean gap % to the best-known bound:", {s: round(g, 2) for s, g in gap.items()})
print("broken: rejected on all", len(rows["broken"]), "instances")
