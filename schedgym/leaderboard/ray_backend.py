"""The Ray backend: chunks of instances fanned out as Ray tasks (``pip install schedgym[ray]``).

Each task runs :func:`schedgym.leaderboard.worker.run_chunk` on a few instances and returns its
rows; the driver commits them to the database as tasks finish. Workers run with
``OMP_NUM_THREADS=1`` (and ``MKL_NUM_THREADS=1``) through the job's runtime environment. With no
address, a local Ray with ``workers`` CPUs is started and shut down again; with an address
(``ray://host:10001`` or ``auto``), the existing cluster is used, whose nodes must have
schedgym and the solvers' packages installed. A cluster that cannot be started or reached, or
a task that fails (its worker died), is one :class:`SchedGymError` line; the rows already
returned are stored, so rerunning resumes. Ray's own processes share the fate of the driver that
started them (raylet and GCS die with it; its dashboard and runtime-env agents follow within
about a minute).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from schedgym.core.errors import SchedGymError
from schedgym.leaderboard.store import Row
from schedgym.leaderboard.worker import Chunk, run_chunk

WORKER_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _remote_chunk(chunk: Chunk) -> list[Row]:
    import os

    os.environ.update(WORKER_ENV)
    return run_chunk(chunk)


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:200] if lines else type(exc).__name__


def run_ray(
    make_chunks: Callable[[int], Sequence[Chunk]],
    address: str | None,
    workers: int,
    on_rows: Callable[[list[Row]], None],
) -> None:
    """Run ``make_chunks(cpus)`` as Ray tasks (one CPU each), ``cpus`` being the cluster's CPU
    count (about two chunks per CPU), passing each task's rows to ``on_rows`` as it finishes."""
    try:
        import ray
    except ImportError:
        raise SchedGymError(
            "--backend ray needs Ray: pip install 'schedgym[ray]' (or 'ray[tune]>=2.9')"
        ) from None
    started = not ray.is_initialized()
    if started:
        kwargs: dict[str, Any] = {
            "runtime_env": {"env_vars": dict(WORKER_ENV)},
            "logging_level": logging.WARNING,
            "log_to_driver": False,
            "include_dashboard": False,
        }
        if address is None:
            kwargs["num_cpus"] = max(1, workers)
        try:
            ray.init(address=address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
            where = f"the Ray cluster at {address!r}" if address else "a local Ray"
            raise SchedGymError(f"cannot start or reach {where}: {_first_line(exc)}") from None
    pending: list[Any] = []
    try:
        cpus = int(ray.cluster_resources().get("CPU", workers))
        task = ray.remote(num_cpus=1, max_retries=1)(_remote_chunk)
        pending = [task.remote(chunk) for chunk in make_chunks(cpus)]
        while pending:
            finished, pending = ray.wait(pending, num_returns=1)
            for ref in finished:
                try:
                    rows = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    raise SchedGymError(
                        f"a Ray task failed ({type(exc).__name__}: {_first_line(exc)}); the "
                        "finished runs are stored: rerun the same command to resume"
                    ) from None
                on_rows(rows)
    except KeyboardInterrupt:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started:
            ray.shutdown()
