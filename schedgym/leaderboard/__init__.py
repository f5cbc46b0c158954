"""The leaderboard: frozen suites, one harness, stored results, plots and a Ray fan-out.

Each problem takes part through its descriptor (:class:`schedgym.core.problem.Problem`, listed
in :mod:`schedgym.problems`): scores, instance fingerprint, demo defaults.

* :mod:`~schedgym.leaderboard.suites`: versioned manifests of instance checksums (freeze, verify).
* :mod:`~schedgym.leaderboard.harness`: plans and runs (in process, process pool, Ray);
  :mod:`~schedgym.leaderboard.worker`: what a worker runs (a chunk of runs, validated, stored).
* :mod:`~schedgym.leaderboard.store`: the SQLite results database (resume, concurrent writers).
* :mod:`~schedgym.leaderboard.report` and :mod:`~schedgym.leaderboard.plots`: tables, CSV,
  summary JSON and PNG plots; :mod:`~schedgym.leaderboard.environment`: machine and versions.

From Python::

    from schedgym.leaderboard import make_plan, run_leaderboard, summarise, markdown
    from schedgym.problems import get_problem
    plan = make_plan("jobshop", "demo", ["mwkr", "cpsat"], time_limits=[1.0])
    outcome = run_leaderboard(plan, "results.sqlite")
    jobshop = get_problem("jobshop")
    print(markdown(summarise(outcome.rows, jobshop), jobshop, "jobshop / demo"))

From the shell: ``schedgym leaderboard run --problem jobshop --suite demo --solvers mwkr,cpsat``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Cell": "report",
    "markdown": "report",
    "read_rows_csv": "report",
    "summarise": "report",
    "write_rows_csv": "report",
    "Outcome": "harness",
    "Plan": "harness",
    "make_plan": "harness",
    "run_leaderboard": "harness",
    "Row": "store",
    "Store": "store",
    "default_db": "store",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the public names lazily, so that ``schedgym --help`` stays fast."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
