"""The leaderboard: frozen suites, one harness, stored results, plots and a Ray fan-out.

* :mod:`~schedgym.leaderboard.spec`: :class:`ProblemSpec`, a problem's registration (adapter,
  metric and direction, scores, instance fingerprint, demo defaults), and the registry.
* :mod:`~schedgym.leaderboard.suites`: versioned manifests of instance checksums (freeze, verify);
  :mod:`~schedgym.leaderboard.generated`: content fingerprints and seeded generated suites;
* :mod:`~schedgym.leaderboard.harness`: plans and runs (in process, process pool, Ray).
* :mod:`~schedgym.leaderboard.store`: the SQLite results database (resume, concurrent writers).
* :mod:`~schedgym.leaderboard.report` and :mod:`~schedgym.leaderboard.plots`: tables, CSV,
  summary JSON and PNG plots; :mod:`~schedgym.leaderboard.environment`: machine and versions.

From Python::

    from schedgym.leaderboard import make_plan, run_leaderboard, summarise, markdown, get_spec
    plan = make_plan("jobshop", "demo", ["mwkr", "cpsat"], time_limits=[1.0])
    outcome = run_leaderboard(plan, "results.sqlite")
    spec = get_spec("jobshop")
    print(markdown(summarise(outcome.rows, spec), spec, "jobshop / demo"))

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
    "ProblemSpec": "spec",
    "Score": "spec",
    "get_spec": "spec",
    "landed_problems": "spec",
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
