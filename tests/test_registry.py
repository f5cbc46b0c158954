"""The problem registry: every registered problem is complete, and a new problem added through
the registry (a toy written to a temporary folder, one ``register_problem`` call) works with
``gym.make``, ``schedgym solve``, ``evaluate``, ``suites`` and ``leaderboard run``. Also: the two
evaluation commands give identical rows and list the same suites."""

from __future__ import annotations

import csv
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import gymnasium as gym
import pytest
from typer.testing import CliRunner

from schedgym.cli import app
from schedgym.core.problem import Problem
from schedgym.core.solver import _LOCAL, register_solver
from schedgym.leaderboard import suites as frozen
from schedgym.problems import PROBLEMS, all_problems, get_problem, unregister_problem

RUNNER = CliRunner()

TOY = '''
"""A toy problem: one machine, jobs with durations; minimise the total completion time."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np

from schedgym.core.errors import InvalidScheduleError, UnknownNameError
from schedgym.core.problem import Demo, Problem, Sampler, Score
from schedgym.core.solver import SolveResult


@dataclass(frozen=True)
class Toy:
    name: str
    durations: tuple[int, ...]


@dataclass(frozen=True)
class Order:
    order: tuple[int, ...]
    instance: str = ""
    solver: str = ""
    status: str = ""
    wall_time_s: float = 0.0


def _draw(name, rng, jobs=5):
    return Toy(name, tuple(int(x) for x in rng.integers(1, 9, jobs)))


@dataclass(frozen=True)
class ToyGenerator:
    jobs: int = 5

    def sample(self, rng):
        return _draw("sampled", rng, self.jobs)


SHIPPED = {f"toy-{k}": _draw(f"toy-{k}", np.random.default_rng(k)) for k in range(4)}
OPTIMA = {n: sum(np.cumsum(sorted(t.durations))) for n, t in SHIPPED.items()}


class Dataset:
    def load(self, name):
        return SHIPPED[name]

    def has_instance(self, name):
        return name in SHIPPED

    def suite(self, name):
        if name != "all":
            raise UnknownNameError(f"unknown toy suite {name!r}")
        return list(SHIPPED)

    def suite_names(self):
        return ["all"]

    def reference(self, name):
        return float(OPTIMA[name]) if name in OPTIMA else None


def load_file(path):
    data = json.loads(Path(path).read_text())
    return Toy(data["name"], tuple(data["durations"]))


def validate(instance, schedule):
    if sorted(schedule.order) != list(range(len(instance.durations))):
        raise InvalidScheduleError("every job exactly once")
    return float(sum(np.cumsum([instance.durations[j] for j in schedule.order])))


def write(schedule, objective, path):
    Path(path).write_text(json.dumps({"order": list(schedule.order), "total": objective}))


def render(instance, schedule, path, fmt):
    Path(path).write_bytes(b"toy picture")


class ToyEnv(gym.Env):
    def __init__(self, instance="toy-0"):
        self.instance = SHIPPED[instance]
        n = len(self.instance.durations)
        self.action_space = gym.spaces.Discrete(n)
        self.observation_space = gym.spaces.Box(0, 1, (n,), dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.done = np.zeros(len(self.instance.durations), dtype=np.float32)
        return self.done.copy(), {}

    def step(self, action):
        self.done[int(action)] = 1.0
        return self.done.copy(), 0.0, bool(self.done.all()), False, {}


class SPT:
    name = "spt"
    problem = "toy"

    def solve(self, instance, budget):
        order = tuple(int(j) for j in np.argsort(instance.durations, kind="stable"))
        return SolveResult(Order(order), "spt", "optimal", 0.0)


class Reverse(SPT):
    name = "reverse"

    def solve(self, instance, budget):
        order = tuple(range(len(instance.durations)))[::-1]
        return SolveResult(Order(order), "reverse", "feasible", 0.0)


PROBLEM = Problem(
    name="toy",
    title="Toy",
    env_id="schedgym/Toy-v0",
    env_entry_point=f"{__name__}:ToyEnv",
    objective_name="total completion time",
    direction="min",
    schedule_type=Order,
    dataset=Dataset(),
    load_file=load_file,
    validate=validate,
    write_schedule=write,
    read_schedule=lambda path, instance: Order(tuple(json.loads(Path(path).read_text())["order"])),
    render=render,
    size_group=lambda instance: f"{len(instance.durations)}j",
    fingerprint=lambda instance: repr(instance.durations).encode(),
    scores=(Score.gap(),),
    demo=Demo("all", ("spt",), (1.0,)),
    sampler=Sampler(({"jobs": 5},), ToyGenerator),
)
'''


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Problem]:
    """The toy problem registered from a temporary module, with a temporary manifest folder."""
    folder = tmp_path / "toy_pkg"
    folder.mkdir()
    (folder / "toy_problem.py").write_text(textwrap.dedent(TOY))
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setattr(frozen, "MANIFEST_DIR", tmp_path / "manifests")
    from schedgym.problems import register_problem

    problem = register_problem("toy_problem:PROBLEM")
    module = sys.modules["toy_problem"]
    register_solver("toy", "spt", module.SPT)
    register_solver("toy", "reverse", module.Reverse)
    try:
        yield problem
    finally:
        unregister_problem("toy")
        _LOCAL.pop("toy.spt", None)
        _LOCAL.pop("toy.reverse", None)
        sys.modules.pop("toy_problem", None)


def _ok(args: list[str]) -> str:
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_registered_problems_are_complete() -> None:
    for problem in all_problems():
        assert PROBLEMS[problem.name].endswith(":PROBLEM")
        assert problem.env_id in gym.registry
        assert problem.suite_names() and problem.scores
        assert problem.demo.suite in problem.suite_names()
        assert problem.sampler is not None and problem.sampler.sizes
        if problem.warmup is not None:
            assert problem.has_instance(problem.warmup)


def test_samplers_are_seeded() -> None:
    for problem in all_problems():
        assert problem.sampler is not None
        first = problem.sampler.validation_set(2, seed=3)
        again = problem.sampler.validation_set(2, seed=3)
        assert [problem.fingerprint(i) for i in first] == [problem.fingerprint(i) for i in again]


def test_toy_problem_through_every_command(toy: Problem, tmp_path: Path) -> None:
    assert get_problem("toy") is toy
    env = gym.make("schedgym/Toy-v0", instance="toy-1")
    obs, _ = env.reset(seed=0)
    assert obs.shape == (5,)

    out = tmp_path / "toy.json"
    text = _ok(["solve", "-p", "toy", "-i", "toy-2", "-s", "spt", "-o", str(out)])
    assert "gap 0.00%" in text and out.is_file()

    assert _ok(["suites", "-p", "toy"]).splitlines() == ["all\t4\t-"]
    assert "spt" in _ok(["solvers", "-p", "toy"]).split()

    rows = tmp_path / "eval.csv"
    text = _ok(["evaluate", "-p", "toy", "--suite", "all", "--solvers", "spt,reverse"])
    _ok(["evaluate", "-p", "toy", "--suite", "all", "--solvers", "spt,reverse", "--csv", str(rows)])
    assert "toy / all" in text
    with rows.open() as f:
        found = {(r["instance"], r["solver"]): r for r in csv.DictReader(f)}
    assert len(found) == 8
    assert all(float(found[(f"toy-{k}", "spt")]["gap_pct"]) == 0.0 for k in range(4))
    assert all(float(found[(f"toy-{k}", "reverse")]["gap_pct"]) >= 0.0 for k in range(4))

    _ok(["leaderboard", "freeze", "-p", "toy", "--suite", "all"])
    db = tmp_path / "lb.sqlite"
    text = _ok(
        ["leaderboard", "run", "-p", "toy", "--suite", "all", "--solvers", "spt", "--db", str(db)]
    )
    assert "toy / all" in text
    assert _ok(["leaderboard", "suites", "-p", "toy"]).startswith("all\t4\t")


def _rows(path: Path) -> list[tuple[str, ...]]:
    with path.open() as f:
        return [
            tuple(v for k, v in r.items() if k not in ("wall_time_s", "session", "budget_hit"))
            for r in csv.DictReader(f)
        ]


def test_evaluate_and_leaderboard_run_give_identical_rows(tmp_path: Path) -> None:
    args = ["-p", "jobshop", "--suite", "demo", "--solvers", "mwkr,spt", "-t", "5"]
    _ok(["evaluate", *args, "--csv", str(tmp_path / "e.csv")])
    _ok(
        [
            "leaderboard",
            "run",
            *args,
            "--db",
            str(tmp_path / "l.sqlite"),
            "--csv",
            str(tmp_path / "l.csv"),
        ]
    )
    evaluated, ranked = _rows(tmp_path / "e.csv"), _rows(tmp_path / "l.csv")
    assert len(evaluated) == 16 and evaluated == ranked


@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_both_commands_list_the_same_suites(problem: str) -> None:
    assert _ok(["suites", "-p", problem]) == _ok(["leaderboard", "suites", "-p", problem])


@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_every_env_runs_under_gymnasium_make_vec(problem: str) -> None:
    """``gym.make_vec(id, num_envs=B)``: B envs in lockstep with autoreset, masked actions."""
    import numpy as np

    envs = gym.make_vec(get_problem(problem).env_id, num_envs=3, vectorization_mode="sync")
    obs, _ = envs.reset(seed=0)
    for _ in range(200):
        # an env whose episode just ended shows an empty mask: gymnasium resets it on this step
        actions = np.array([int(np.argmax(mask)) for mask in obs["action_mask"]])
        obs, rewards, _, _, _ = envs.step(actions)
        assert rewards.shape == (3,) and envs.observation_space.contains(obs)
    envs.close()
