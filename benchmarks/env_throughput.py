#!/usr/bin/env python
"""Environment throughput: schedgym ``JobShop-v0`` against job-shop-lib and JSSEnv.

Steps each environment with uniformly random *valid* actions on one job-shop instance
(Taillard ta01, 15 jobs x 15 machines, by default) and prints steps per second side by side,
from one process run:

* ``schedgym``  -- ``gymnasium.make("schedgym/JobShop-v0", instance=...)`` with its full
  observation; valid actions from ``env.unwrapped.action_masks()``.
* ``jsl``       -- job-shop-lib's ``SingleJobShopGraphEnv``; valid actions from
  ``info["available_operations_with_ids"]``. Observation preset ``--jsl-obs``:
  ``tutorial`` (default: disjunctive graph + ``IS_READY`` on jobs, as in job-shop-lib's own
  "RL Graph Environment: learning from one instance" tutorial, every other argument left at the
  library default) or ``full`` (same graph, every built-in feature observer).
* ``jssenv``    -- Tassel et al.'s JSSEnv, ``gymnasium.make("jss-v1", env_config=...)``; the
  instance is written to a temporary file in its layout; valid actions from the
  ``action_mask`` (its ``legal_actions``; the last action is its no-op).

Measurement: one warm-up episode, then whole episodes until ``--seconds`` have passed (the
episode under way when the budget runs out is finished and counted). Every env is stepped
through ``env.unwrapped`` (JSSEnv's ``reset()`` takes no ``seed`` and fails through Gymnasium
1.x wrappers; doing the same for all keeps the comparison about the environments). The action
is chosen identically for all: the env's valid set as a bool mask, ``np.flatnonzero``, one draw
from a seeded ``numpy.random.Generator``; converting job-shop-lib's list of available
operations to that mask is counted in its time. Resets are counted too.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/env_throughput.py --instance ta01 --seconds 10
    .venv/bin/python benchmarks/env_throughput.py --only jsl,jssenv --seconds 3

A competitor that is not installed (or cannot be built for the instance) is reported as
``skipped: <reason>`` and the others still run. See benchmarks/README.md.

Competitor pins used for the numbers in benchmarks/README.md (Python 3.11, gymnasium 1.4.0,
numpy 2.4.6, networkx 3.6.1):

    job-shop-lib==1.7.2   installed with ``pip install --no-deps job-shop-lib==1.7.2`` plus
                          ``simanneal>=0.5,<0.6`` and ``imageio>=2.34.1,<3``: its metadata pins
                          ``ortools<9.13`` (would downgrade schedgym's ortools 9.15 and protobuf
                          6 -> 5) and ``pyarrow<21``; neither is imported by the env code used here.
    JSSEnv==1.1.0         plain ``pip install JSSEnv==1.1.0`` (gymnasium-based; pulls plotly,
                          kaleido, narwhals, choreographer, logistro, simplejson; no torch, no gym).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import gc
import importlib.metadata
import json
import platform
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ENV_KEYS = ("schedgym", "jsl", "jssenv")
LABELS = {
    "schedgym": "schedgym JobShop-v0",
    "jsl": "job-shop-lib graph env",
    "jssenv": "JSSEnv",
}
# Throughput targets: schedgym steps/s divided by the competitor's steps/s.
TARGETS = {"jsl": 20.0, "jssenv": 3.0}


class Skipped(Exception):
    """An env that cannot be run here; the message says why."""


@dataclass
class Runner:
    """A uniform handle on one env: ``reset(seed) -> mask`` and ``step(a) -> (mask, done)``."""

    key: str
    version: str
    obs_size: int
    obs_desc: str
    reset: Callable[[int | None], np.ndarray]
    step: Callable[[int], tuple[np.ndarray, bool]]
    note: str = ""


@dataclass
class Result:
    key: str
    version: str = ""
    obs_size: int = 0
    obs_desc: str = ""
    note: str = ""
    skipped: str | None = None
    steps: list[int] = field(default_factory=list)
    episodes: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def rates(self) -> list[float]:
        return [s / t for s, t in zip(self.steps, self.seconds, strict=True)]

    @property
    def best(self) -> int:
        """Index of the fastest run: best-of-N is the least disturbed by other processes."""
        return int(np.argmax(self.rates))

    @property
    def steps_per_s(self) -> float:
        return self.rates[self.best] if self.rates else float("nan")

    @property
    def episodes_per_s(self) -> float:
        i = self.best
        return self.episodes[i] / self.seconds[i] if self.rates else float("nan")

    @property
    def total_steps(self) -> int:
        return sum(self.steps)

    @property
    def total_episodes(self) -> int:
        return sum(self.episodes)


# ---------------------------------------------------------------------------------------------
# helpers


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _obs_size(obs: Any) -> int:
    """Total number of array elements in one observation (dicts/tuples summed)."""
    if isinstance(obs, dict):
        return sum(_obs_size(v) for v in obs.values())
    if isinstance(obs, tuple | list):
        return sum(_obs_size(v) for v in obs)
    return int(np.asarray(obs).size)


def _obs_desc(obs: Any) -> str:
    if isinstance(obs, dict):
        return ", ".join(f"{k}{tuple(np.asarray(v).shape)}" for k, v in obs.items())
    return str(tuple(np.asarray(obs).shape))


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _load_schedgym_instance(name: str):
    from schedgym.jobshop.problem import load_instance

    return load_instance(name)


# ---------------------------------------------------------------------------------------------
# env builders


def make_schedgym(instance: str) -> Runner:
    try:
        import gymnasium as gym

        import schedgym  # registers the env ids
        import schedgym.jobshop.env  # noqa: F401
    except Exception as exc:  # the env module may not exist yet
        raise Skipped(f"schedgym.jobshop.env not importable ({_why(exc)})") from None
    env = gym.make("schedgym/JobShop-v0", instance=instance)
    u: Any = env.unwrapped
    obs, _ = u.reset(seed=0)
    masks = u.action_masks

    def reset(seed: int | None) -> np.ndarray:
        u.reset(seed=seed)
        return masks()

    def step(a: int) -> tuple[np.ndarray, bool]:
        _, _, terminated, truncated, _ = u.step(a)
        return masks(), terminated or truncated

    return Runner("schedgym", _version("schedgym"), _obs_size(obs), _obs_desc(obs), reset, step)


def _jsl_instance(name: str):
    """job-shop-lib's instance for ``name``: its benchmark loader, checked against schedgym's."""
    from job_shop_lib import JobShopInstance, Operation

    sg = _load_schedgym_instance(name)
    built = JobShopInstance(
        [
            [Operation(int(m), int(d)) for m, d in zip(ms, ds, strict=True)]
            for ms, ds in zip(sg.machines, sg.durations, strict=True)
        ],
        name=sg.name,
    )
    try:
        from job_shop_lib.benchmarking import load_benchmark_instance

        shipped = load_benchmark_instance(name)
    except Exception:
        return built, "built from schedgym's file (not in job-shop-lib's benchmark set)"
    same = (
        shipped.machines_matrix == built.machines_matrix
        and [[int(d) for d in row] for row in shipped.durations_matrix] == built.durations_matrix
    )
    if not same:
        return built, "job-shop-lib's copy differs from schedgym's; used schedgym's"
    return shipped, ""


def make_jsl(instance: str, preset: str) -> Runner:
    try:
        from job_shop_lib.dispatching import DispatcherObserverConfig
        from job_shop_lib.dispatching.feature_observers import (
            FeatureObserverType,
            FeatureType,
        )
        from job_shop_lib.graphs import build_disjunctive_graph
        from job_shop_lib.reinforcement_learning import SingleJobShopGraphEnv
    except Exception as exc:
        raise Skipped(
            f"job-shop-lib not importable ({_why(exc)}); pip install job-shop-lib"
        ) from None

    inst, note = _jsl_instance(instance)
    if inst.is_flexible:
        raise Skipped("flexible instance: this harness dispatches with machine_id=-1")
    if preset == "tutorial":
        observers: list[Any] = [
            DispatcherObserverConfig(
                FeatureObserverType.IS_READY, kwargs={"feature_types": [FeatureType.JOBS]}
            )
        ]
    else:
        observers = list(FeatureObserverType)
    env = SingleJobShopGraphEnv(
        job_shop_graph=build_disjunctive_graph(inst), feature_observer_configs=observers
    )
    num_jobs = inst.num_jobs
    obs, _ = env.reset(seed=0)

    def mask_of(info: dict[str, Any]) -> np.ndarray:
        mask = np.zeros(num_jobs, dtype=bool)
        for _op, _machine, job in info["available_operations_with_ids"]:
            mask[job] = True
        return mask

    def reset(seed: int | None) -> np.ndarray:
        _, info = env.reset(seed=seed)
        return mask_of(info)

    def step(a: int) -> tuple[np.ndarray, bool]:
        _, _, terminated, truncated, info = env.step((a, -1))
        return mask_of(info), terminated or truncated

    note = "; ".join(x for x in (f"obs preset {preset!r}", note) if x)
    return Runner(
        "jsl", _version("job-shop-lib"), _obs_size(obs), _obs_desc(obs), reset, step, note
    )


def make_jssenv(instance: str, workdir: Path) -> Runner:
    try:
        import gymnasium as gym
        import JSSEnv  # noqa: F401  (registers "jss-v1")
    except Exception as exc:
        raise Skipped(f"JSSEnv not importable ({_why(exc)}); pip install JSSEnv") from None
    from schedgym.jobshop.formats import write_orlib

    sg = _load_schedgym_instance(instance)
    if sg.num_ops != sg.num_machines:
        raise Skipped("JSSEnv needs exactly one operation per machine per job")
    path = workdir / sg.name
    write_orlib(sg, path)  # JSSEnv reads "jobs machines" then "machine duration" pairs per job
    env = gym.make("jss-v1", env_config={"instance_path": str(path)}, disable_env_checker=True)
    u = env.unwrapped

    def _obs(out: Any) -> dict[str, np.ndarray]:
        return out[0] if isinstance(out, tuple) else out  # 1.1.0 returns the obs alone

    obs = _obs(u.reset())

    def reset(seed: int | None) -> np.ndarray:  # JssEnv.reset() takes no seed (deterministic)
        return _obs(u.reset())["action_mask"]

    def step(a: int) -> tuple[np.ndarray, bool]:
        o, _, terminated, truncated, _ = u.step(a)
        return o["action_mask"], terminated or truncated

    return Runner(
        "jssenv",
        _version("JSSEnv"),
        _obs_size(obs),
        _obs_desc(obs),
        reset,
        step,
        "action space includes a no-op",
    )


# ---------------------------------------------------------------------------------------------
# measurement


def run_episode(runner: Runner, rng: np.random.Generator, seed: int | None, max_steps: int) -> int:
    """One full episode with uniformly random valid actions; returns its number of steps."""
    mask = runner.reset(seed)
    n = 0
    while True:
        valid = np.flatnonzero(mask)
        if valid.size == 0:
            raise RuntimeError(f"{runner.key}: no valid action before the episode ended")
        mask, done = runner.step(int(valid[rng.integers(valid.size)]))
        n += 1
        if done:
            return n
        if n >= max_steps:
            raise RuntimeError(f"{runner.key}: episode did not end within {max_steps} steps")


def measure(
    runner: Runner, seconds: float, seed: int, max_steps: int, warmup: int
) -> tuple[int, int, float]:
    rng = np.random.default_rng(seed)
    for i in range(warmup):
        run_episode(runner, rng, seed if i == 0 else None, max_steps)
    gc.collect()
    steps = episodes = 0
    start = time.perf_counter()
    while True:
        steps += run_episode(runner, rng, None, max_steps)
        episodes += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return steps, episodes, elapsed


# ---------------------------------------------------------------------------------------------
# reporting


def _fmt_rate(x: float) -> str:
    return "-" if x != x else f"{x:,.0f}"


def print_table(results: dict[str, Result], instance: str, args: argparse.Namespace) -> None:
    base = results.get("schedgym")
    base_rate = base.steps_per_s if base and not base.skipped else float("nan")
    header = [
        "env",
        "version",
        "obs elems",
        "steps/s",
        "us/step",
        "episodes",
        "steps/ep",
        "eps/s",
        "ratio",
    ]
    rows = []
    for key, res in results.items():
        if res.skipped:
            rows.append([LABELS[key], res.version or "-", "-", "skipped", *["-"] * 5])
            continue
        rate = res.steps_per_s
        ratio = (
            "1.0x"
            if key == "schedgym"
            else ("-" if base_rate != base_rate else f"{base_rate / rate:.1f}x")
        )
        rows.append(
            [
                LABELS[key],
                res.version,
                f"{res.obs_size:,}",
                _fmt_rate(rate),
                f"{1e6 / rate:.1f}",
                str(res.total_episodes),
                f"{res.total_steps / res.total_episodes:.1f}",
                f"{res.episodes_per_s:.1f}",
                ratio,
            ]
        )
    title = (
        f"env throughput on {instance}: random valid actions, {args.seconds:g} s per env"
        f"{f' x {args.repeats} repeats (best)' if args.repeats > 1 else ''}, seed {args.seed}"
    )
    try:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for i, h in enumerate(header):
            table.add_column(h, justify="left" if i < 2 else "right")
        for r in rows:
            table.add_row(*r)
        Console(width=110).print(table)
    except ImportError:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        print(title)
        for r in [header, *rows]:
            print(
                "  ".join(
                    c.ljust(w) if i < 2 else c.rjust(w)
                    for i, (c, w) in enumerate(zip(r, widths, strict=True))
                )
            )
    for key, res in results.items():
        if res.skipped:
            print(f"{LABELS[key]}: skipped: {res.skipped}")
        else:
            extra = f"; {res.note}" if res.note else ""
            print(f"{LABELS[key]}: observation {res.obs_desc}{extra}")


def ratio_line(results: dict[str, Result]) -> tuple[str, bool]:
    base = results.get("schedgym")
    parts, ok = [], True
    for key in ("jsl", "jssenv"):
        if key not in results:
            continue
        label = LABELS[key] if key != "jsl" else "job-shop-lib graph env"
        res = results[key]
        if base is None or base.skipped:
            parts.append(f"ratio vs {label}: n/a (schedgym not measured)")
            ok = False
        elif res.skipped:
            parts.append(f"ratio vs {label}: n/a (skipped)")
        else:
            ratio = base.steps_per_s / res.steps_per_s
            met = ratio >= TARGETS[key]
            ok &= met
            parts.append(
                f"ratio vs {label}: {ratio:.1f}x (target >= {TARGETS[key]:g}x"
                f"{'' if met else ', MISSED'})"
            )
    return "; ".join(parts), ok


# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Steps/s of schedgym JobShop-v0 vs job-shop-lib and JSSEnv, random valid "
        "actions, one process.",
    )
    p.add_argument("--instance", default="ta01", help="shipped instance name or file (ta01)")
    p.add_argument("--seconds", type=float, default=10.0, help="time budget per env (10)")
    p.add_argument(
        "--only", default=",".join(ENV_KEYS), help="comma list of schedgym,jsl,jssenv (all)"
    )
    p.add_argument("--seed", type=int, default=0, help="action-choice seed (0)")
    p.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="measure each env this many times, round-robin; report the best run (1)",
    )
    p.add_argument("--warmup", type=int, default=1, help="warm-up episodes per env (1)")
    p.add_argument(
        "--jsl-obs",
        choices=("tutorial", "full"),
        default="tutorial",
        help="job-shop-lib observation preset (tutorial)",
    )
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a ratio target is missed or schedgym was not measured",
    )
    args = p.parse_args(argv)
    keys = [k.strip() for k in args.only.split(",") if k.strip()]
    bad = [k for k in keys if k not in ENV_KEYS]
    if bad or not keys:
        p.error(f"--only: unknown env(s) {bad}; choose from {','.join(ENV_KEYS)}")
    args.only = [k for k in ENV_KEYS if k in keys]
    if args.seconds <= 0 or args.repeats < 1 or args.warmup < 0:
        p.error("--seconds must be > 0, --repeats >= 1, --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        sg = _load_schedgym_instance(args.instance)
    except Exception as exc:
        print(f"error: cannot load instance {args.instance!r}: {_why(exc)}", file=sys.stderr)
        return 2
    max_steps = 20 * sg.num_jobs * sg.num_ops + 100
    print(
        f"instance {sg.name}: {sg.num_jobs} jobs x {sg.num_machines} machines "
        f"({sg.num_jobs * sg.num_ops} operations) | python {platform.python_version()}, "
        f"numpy {np.__version__}, gymnasium {_version('gymnasium')}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, cpus {os.cpu_count()}"
    )

    results: dict[str, Result] = {k: Result(k) for k in args.only}
    runners: dict[str, Runner] = {}
    with tempfile.TemporaryDirectory(prefix="schedgym-bench-") as tmp:
        builders = {
            "schedgym": lambda: make_schedgym(args.instance),
            "jsl": lambda: make_jsl(args.instance, args.jsl_obs),
            "jssenv": lambda: make_jssenv(args.instance, Path(tmp)),
        }
        for key in args.only:
            try:
                r = builders[key]()
            except Skipped as exc:
                results[key].skipped = str(exc)
                continue
            except Exception as exc:
                results[key].skipped = f"could not build the env ({_why(exc)})"
                continue
            runners[key] = r
            res = results[key]
            res.version, res.obs_size, res.obs_desc, res.note = (
                r.version,
                r.obs_size,
                r.obs_desc,
                r.note,
            )
        for rep in range(args.repeats):
            for key, r in runners.items():
                res = results[key]
                if res.skipped:
                    continue
                try:
                    steps, eps, elapsed = measure(
                        r, args.seconds, args.seed + rep, max_steps, args.warmup if rep == 0 else 0
                    )
                except Exception as exc:
                    res.skipped = f"failed while stepping ({_why(exc)})"
                    continue
                res.steps.append(steps)
                res.episodes.append(eps)
                res.seconds.append(elapsed)
                print(
                    f"  {LABELS[key]:<24} run {rep + 1}: {steps / elapsed:>10,.0f} steps/s "
                    f"({eps} episodes, {elapsed:.1f} s)",
                    flush=True,
                )

    print()
    print_table(results, sg.name, args)
    line, ok = ratio_line(results)
    if line:
        print(line)
    if args.json:
        payload = {
            "instance": sg.name,
            "seconds": args.seconds,
            "repeats": args.repeats,
            "seed": args.seed,
            "jsl_obs": args.jsl_obs,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "gymnasium": _version("gymnasium"),
            "envs": {
                k: {
                    "label": LABELS[k],
                    "version": r.version,
                    "skipped": r.skipped,
                    "obs_elements": r.obs_size,
                    "steps_per_s": None if r.skipped else r.steps_per_s,
                    "steps_per_s_runs": r.rates,
                    "steps": r.total_steps,
                    "episodes": r.total_episodes,
                }
                for k, r in results.items()
            },
            "summary": line,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
