"""Command-line option values, checked the same way in every command and every problem.

Each mistake is one ``error:`` line on stderr and exit code 2 (bad input), never Typer's usage
box or a traceback. The stated limits:

* seeds are integers in ``[0, MAX_SEED]`` (2**31 - 1: the widest range every solver takes;
  CP-SAT's seed is a 32-bit integer), at most ``MAX_SEEDS`` (10,000) per ``--seeds``;
* ``--repeats`` in ``[1, MAX_REPEATS]`` (1,000); a leaderboard invocation plans at most
  ``MAX_RUNS`` (10**6) runs (instances x time limits x solvers x seeds x repeats);
* time limits are finite numbers of seconds > 0; ``--workers``, ``--threads`` and
  ``--capacity`` are integers >= 1;
* ``-O KEY=VALUE`` values are YAML; an option the solver does not take is refused before any
  run, also for the solvers that pass their options on to the problem's env.

Typer's own usage errors (a missing required option, an unknown option) keep Typer's format
and exit code 2. :func:`output_files` lists the files a leaderboard command may write, for
:func:`schedgym.core.files.check_outputs`.

The argparse scripts of ``experiments/`` read their solver options with the same
:func:`parse_options` and :func:`options_per_solver` (naming their own flag, ``--set``: see
:func:`add_set_option` and :func:`set_options`) and their size ranges with :func:`size_range`.
"""

from __future__ import annotations

import argparse
import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from schedgym.core.errors import UnknownNameError

if TYPE_CHECKING:
    from schedgym.core.problem import Problem

MAX_SEED = 2**31 - 1
MAX_SEEDS = 10_000
MAX_REPEATS = 1_000
MAX_RUNS = 10**6


def usage_error(message: str) -> NoReturn:
    """Print ``error: message`` as one line on stderr and exit with code 2 (bad input).

    Used inside option parsers, where raising an exception would make Typer print its box."""
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(2)


def _shown(value: Any) -> str:
    text = repr(str(value))
    return text if len(text) <= 40 else text[:37] + "...'"


def _integer(text: Any) -> int | None:
    """``text`` as an integer (decimal digits, optional sign), else ``None``."""
    stripped = str(text).strip()
    digits = stripped.lstrip("+-")
    if not digits.isdigit() or not digits.isascii() or len(digits) > 30:
        return None
    return int(stripped)


def int_option(name: str, minimum: int, maximum: int | None = None) -> Callable[[Any], int]:
    """A Typer ``parser`` for option ``name``: an integer in ``[minimum, maximum]``."""
    span = f"in [{minimum}, {maximum}]" if maximum is not None else f">= {minimum}"

    def parse(text: Any) -> int:
        value = _integer(text)
        if value is None or value < minimum or (maximum is not None and value > maximum):
            usage_error(f"{name}: expected an integer {span}, got {_shown(text)}")
        return value

    parse.__name__ = f"parse_{name.strip('-').replace('-', '_')}"
    return parse


seed_value = int_option("--seed", 0, MAX_SEED)
repeats_value = int_option("--repeats", 1, MAX_REPEATS)
workers_value = int_option("--workers", 1)
threads_value = int_option("--threads", 1)
capacity_value = int_option("--capacity", 1)


def _seconds(part: str) -> float | None:
    """One time limit: ``default``/``none`` -> ``None``, else a finite number > 0."""
    if part.lower() in ("default", "none"):
        return None
    try:
        value = float(part)
    except ValueError:
        raise UnknownNameError(f"--time-limit: {_shown(part)} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise UnknownNameError(f"--time-limit: {_shown(part)} must be a finite number > 0")
    return value


def time_limit_value(text: Any) -> float | None:
    """A Typer ``parser`` for one ``--time-limit``: seconds, a finite number > 0."""
    try:
        return _seconds(str(text).strip())
    except UnknownNameError as exc:
        usage_error(str(exc))


def parse_limits(text: str | None) -> list[float | None]:
    """``"0.5,2"`` -> ``[0.5, 2.0]``; ``None`` or ``"default"`` -> ``[None]``; each a finite
    number of seconds > 0."""
    if text is None:
        return [None]
    out = [_seconds(part) for part in filter(None, (p.strip() for p in text.split(",")))]
    return list(dict.fromkeys(out)) or [None]


def parse_seeds(text: str) -> list[int]:
    """``"0,1,5-7"`` -> ``[0, 1, 5, 6, 7]``: seeds in ``[0, MAX_SEED]``, at most ``MAX_SEEDS``
    of them (checked before any list is built)."""
    seeds: dict[int, None] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        lo_text, dash, hi_text = part.partition("-")
        lo, hi = _integer(lo_text), _integer(hi_text) if dash else _integer(lo_text)
        if lo_text.strip() == "" and dash:
            raise UnknownNameError(f"--seeds: {_shown(part)}: seeds are in [0, {MAX_SEED}]")
        if lo is None or hi is None:
            raise UnknownNameError(f"--seeds: {_shown(text)} is not a list such as 0,1,5-7")
        for value in (lo, hi):
            if not 0 <= value <= MAX_SEED:
                raise UnknownNameError(f"--seeds: seed {value} is not in [0, {MAX_SEED}]")
        if hi < lo:
            raise UnknownNameError(f"--seeds: {_shown(part)} is an empty range (write LOW-HIGH)")
        if hi - lo + 1 > MAX_SEEDS:
            raise UnknownNameError(f"--seeds: {part} names more than {MAX_SEEDS:,} seeds")
        seeds.update(dict.fromkeys(range(lo, hi + 1)))
        if len(seeds) > MAX_SEEDS:
            raise UnknownNameError(f"--seeds names more than {MAX_SEEDS:,} seeds")
    if not seeds:
        raise UnknownNameError("--seeds names no seed")
    return list(seeds)


def check_run_count(count: int, what: str = "runs") -> None:
    """Refuse a plan of more than ``MAX_RUNS`` runs."""
    if count > MAX_RUNS:
        raise UnknownNameError(
            f"{count:,} {what} planned: at most {MAX_RUNS:,} in one invocation "
            "(fewer seeds, repeats, time limits or solvers)"
        )


def parse_options(pairs: Sequence[str] | None, flag: str = "--option") -> dict[str, Any]:
    """``["mtbf=200", "blocking=true"]`` -> ``{"mtbf": 200, "blocking": True}`` (YAML values).

    Errors are :class:`UnknownNameError` naming ``flag``, the option as the user spells it."""
    import yaml

    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UnknownNameError(f"{flag} {_shown(pair)}: expected KEY=VALUE")
        if not value.strip():  # "checkpoint=" would silently mean the default
            raise UnknownNameError(f"{flag} {_shown(pair)}: no value after '=' (KEY=VALUE)")
        try:
            options[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            reason = getattr(exc, "problem", None) or type(exc).__name__
            raise UnknownNameError(
                f"{flag} {_shown(pair)}: the value is not valid YAML ({reason})"
            ) from None
        except RecursionError:
            message = f"{flag} {_shown(pair)}: the value is nested too deep"
            raise UnknownNameError(message) from None
    return options


def options_per_solver(
    options: Mapping[str, Any], solvers: Sequence[str], flag: str = "--option"
) -> dict[str, dict[str, Any]]:
    """Split ``-O`` options among ``solvers``: ``SOLVER.KEY=VALUE`` goes to that solver only,
    ``KEY=VALUE`` to every one (a solver's own value wins). ``-O ppo-gnn.checkpoint=run/best.pt``
    thus evaluates a new checkpoint beside baselines that take no such option. A ``SOLVER`` not
    among ``solvers`` is an :class:`UnknownNameError` naming ``flag``."""
    shared = {k: v for k, v in options.items() if "." not in k}
    own: dict[str, dict[str, Any]] = {name: {} for name in solvers}
    for key, value in options.items():
        if "." not in key:
            continue
        name, _, option = key.partition(".")
        if name not in own:
            raise UnknownNameError(
                f"{flag} {key}=...: {name!r} is not one of the solvers of this run "
                f"({', '.join(solvers)}); use SOLVER.KEY=VALUE or KEY=VALUE"
            )
        if not option:
            raise UnknownNameError(f"{flag} {key}=...: no option name after {name!r}.")
        own[name][option] = value
    return {name: {**shared, **own[name]} for name in solvers}


def size_range(text: str) -> tuple[int, int]:
    """``"60-120"`` -> ``(60, 120)``; ``"90"`` -> ``(90, 90)``: an inclusive range of sizes
    ``1 <= LOW <= HIGH``, for an argparse ``type=`` (a mistake is an
    ``argparse.ArgumentTypeError``, which argparse reports as a usage error)."""
    low, _, high = text.partition("-")
    try:
        pair = (int(low), int(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N or LOW-HIGH, got {_shown(text)}") from None
    if not 1 <= pair[0] <= pair[1]:
        raise argparse.ArgumentTypeError(f"expected 1 <= LOW <= HIGH, got {_shown(text)}")
    return pair


def add_set_option(parser: argparse.ArgumentParser, example: str) -> None:
    """The experiment scripts' repeatable ``--set [SOLVER.]KEY=VALUE`` (``example``: one such
    option, shown in the help); read it with :func:`set_options`."""
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="[SOLVER.]KEY=VALUE",
        help=f"a solver option (YAML value), e.g. {example}; without SOLVER. for every solver "
        "(repeatable)",
    )


def set_options(
    parser: argparse.ArgumentParser, pairs: Sequence[str], solvers: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """``--set`` ``pairs`` split among ``solvers`` (:func:`options_per_solver`); a mistake ends
    in ``parser.error``: one line, exit 2."""
    try:
        return options_per_solver(parse_options(pairs, "--set"), solvers, "--set")
    except UnknownNameError as exc:
        parser.error(str(exc))


def names_of(text: str, what: str) -> list[str]:
    """Comma-separated names, in order, without duplicates; none is an error."""
    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise UnknownNameError(f"{what} names nothing")
    return list(dict.fromkeys(names))


def check_env_options(problem: Problem, name: str, solver: Any) -> None:
    """Refuse env options a solver would pass on to the problem's env but the env does not take.

    Solvers that forward their options to the env (the job-shop dispatching rules and agents,
    the SoC random policy: an ``env_options`` mapping) accept any keyword when built and would
    fail only when solving; this check makes ``-O nonsense=1`` exit 2 for them as for the
    solvers whose constructor refuses it."""
    env_options = getattr(solver, "env_options", None)
    if not isinstance(env_options, Mapping) or not env_options or not problem.env_entry_point:
        return
    module, _, attribute = problem.env_entry_point.partition(":")
    try:
        signature = inspect.signature(getattr(import_module(module), attribute))
    except (ImportError, AttributeError, TypeError, ValueError):
        return
    parameters = signature.parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return
    keywords = {
        p.name
        for p in parameters
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is not p.empty
    }
    unknown = [key for key in env_options if key not in keywords]
    if unknown:
        raise UnknownNameError(
            f"solver {name!r} does not take the option {unknown[0]!r} "
            f"(not an option of {problem.name}'s env {attribute})"
        )


def check_solvers(
    spec: Problem, solvers: Sequence[str], options: Mapping[str, Any], threads: int
) -> None:
    """Refuse options that a loaded solver would only reject when solving (see
    :func:`check_env_options`); ``options`` maps each solver to its options
    (:func:`options_per_solver`). Solvers come from the worker's per-process cache (filled by
    ``make_plan``), so nothing is loaded twice."""
    from schedgym.leaderboard.worker import get_solver

    for name in solvers:
        solver = get_solver(spec.name, name, options.get(name, {}), threads)
        check_env_options(spec, name, solver)


def output_files(
    problem: str,
    suite: str,
    csv: tuple[str, Path | None],
    json_path: Path | None,
    md_path: Path | None,
    plots: Path | None,
) -> dict[str, Path | None]:
    """Label -> path of every file a leaderboard command may write (the plots by name)."""
    from schedgym.leaderboard.plots import plot_names

    files: dict[str, Path | None] = {csv[0]: csv[1], "--json": json_path, "--markdown": md_path}
    if plots is not None:
        files.update({f"--plots ({name})": plots / name for name in plot_names(problem, suite)})
    return files
