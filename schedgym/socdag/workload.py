"""Workloads: what one episode schedules. Static: one DAG. Stream: jobs arriving over time.

A :class:`Workload` is the union of every job's task graph as one :class:`SoCDAGInstance`
(tasks numbered job after job, names ``"j<job>.<task>"``), with each job's arrival time and the
realised execution times. :class:`StreamConfig` draws stream workloads, as in DS3:

* a job is one copy of an application drawn from the mix (``weights``, default uniform);
* job 0 arrives at time 0, later jobs after exponential inter-arrival times of mean
  ``arrival_mean`` (the injection rate is ``1 / arrival_mean`` jobs per time unit);
* at most ``max_in_flight`` jobs are in the system: a job that arrives when the cap is reached
  waits outside and is injected when a job completes (first come, first injected); its latency
  counts from its injection, as in DS3;
* optional noise: task ``t``'s realised time on PE ``p`` is
  ``max(0, exec_time[t, p] * (1 + exec_noise * z_t))`` with ``z_t ~ N(0, 1)`` drawn once per task
  (Gaussian, standard deviation proportional to the mean); the scheduler sees only the means.

Same seed, same workload: everything is drawn from the caller's numpy ``Generator``, in a fixed
order (applications, arrivals, noise), or from the config's own ``seed`` when it has one (a
*seeded* config is one fixed stream episode: what training validates on). A
:class:`StreamGenerator` draws seeded configs whose injection rate and length vary (the stream's
training instances).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from schedgym.datasets import socdag as shipped
from schedgym.hardware.platform import Platform
from schedgym.socdag.application import Application
from schedgym.socdag.generator import ParamRange, SizeRange
from schedgym.socdag.instance import SoCDAGInstance
from schedgym.socdag.ranks import optimistic_cost_table, priority_order, upward_rank


@dataclass(frozen=True, eq=False)
class Workload:
    """One episode's tasks: the union instance, jobs, arrivals and realised times.

    ``job_ptr[j]:job_ptr[j+1]`` are job ``j``'s tasks; ``arrival`` ``(J,)``; ``actual`` ``(T, P)``
    realised execution times (the instance's table when there is no noise); ``rank`` ``(T,)``
    upward rank (paper convention) and ``priority`` ``(T,)`` each task's position in the fixed
    decision order (higher rank first, then older job, then topological position).
    """

    instance: SoCDAGInstance
    job_ptr: np.ndarray  # (J + 1,) int64
    arrival: np.ndarray  # (J,) float64
    apps: tuple[str, ...]
    actual: np.ndarray  # (T, P) float64
    rank: np.ndarray  # (T,) float64
    noisy: bool = False
    known_oct: np.ndarray | None = field(default=None, repr=False)  # (T, P), see ``oct``

    @property
    def num_jobs(self) -> int:
        """Number of jobs."""
        return len(self.arrival)

    @cached_property
    def job_of(self) -> np.ndarray:
        """Job of each task, ``(T,)`` int64."""
        sizes = np.diff(self.job_ptr)
        return np.repeat(np.arange(self.num_jobs, dtype=np.int64), sizes)

    @cached_property
    def oct(self) -> np.ndarray:
        """PEFT's optimistic cost table of every task, ``(T, P)`` (``inf`` where the PE cannot
        run the task): ``known_oct`` when the workload was drawn with it (a stream concatenates
        its applications' tables, computed once per :class:`StreamConfig`), else computed from
        the instance (jobs are disjoint, so the two agree)."""
        if self.known_oct is not None:
            return self.known_oct
        return optimistic_cost_table(self.instance)

    @cached_property
    def priority(self) -> np.ndarray:
        """Position of each task in the fixed decision order, ``(T,)`` int64."""
        return priority_order(self.rank, self.instance, self.job_of)

    @property
    def max_job_tasks(self) -> int:
        """Tasks of the largest job."""
        return int(np.diff(self.job_ptr).max())

    @property
    def max_job_edges(self) -> int:
        """Edges of the largest job."""
        counts = np.bincount(self.job_of[self.instance.src], minlength=self.num_jobs)
        return int(counts.max()) if len(counts) else 0


def static_workload(instance: SoCDAGInstance) -> Workload:
    """The workload of a static episode: one job, arriving at 0, no noise."""
    return Workload(
        instance,
        np.array([0, instance.num_tasks], dtype=np.int64),
        np.zeros(1),
        (instance.name,),
        instance.exec_time,
        upward_rank(instance),
    )


@dataclass(frozen=True, eq=False)
class StreamConfig:
    """How stream workloads are drawn (see the module docstring)."""

    platform: Platform
    apps: tuple[Application, ...]
    weights: tuple[float, ...] | None = None
    arrival_mean: float = 100.0
    max_in_flight: int = 8
    num_jobs: int = 20
    exec_noise: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "apps", tuple(self.apps))
        if not self.apps:
            raise ValueError("a stream needs at least one application")
        if self.weights is not None:
            weights = tuple(float(w) for w in self.weights)
            if len(weights) != len(self.apps) or min(weights) < 0 or sum(weights) <= 0:
                raise ValueError("weights: one non-negative weight per application, not all 0")
            object.__setattr__(self, "weights", weights)
        if self.arrival_mean <= 0 or self.max_in_flight < 1 or self.num_jobs < 1:
            raise ValueError("need arrival_mean > 0, max_in_flight >= 1 and num_jobs >= 1")
        if self.exec_noise < 0:
            raise ValueError("exec_noise must be >= 0")

    @cached_property
    def app_instances(self) -> tuple[SoCDAGInstance, ...]:
        """Each application placed on the platform (raises for an unknown kernel)."""
        return tuple(app.on(self.platform) for app in self.apps)

    @cached_property
    def app_ranks(self) -> tuple[np.ndarray, ...]:
        """Upward rank (paper convention) of each application's tasks."""
        return tuple(upward_rank(inst) for inst in self.app_instances)

    @cached_property
    def app_octs(self) -> tuple[np.ndarray, ...]:
        """PEFT's optimistic cost table of each application's tasks."""
        return tuple(optimistic_cost_table(inst) for inst in self.app_instances)

    @property
    def max_app_tasks(self) -> int:
        """Tasks of the largest application."""
        return max(inst.num_tasks for inst in self.app_instances)

    @property
    def max_app_edges(self) -> int:
        """Edges of the largest application."""
        return max(inst.num_edges for inst in self.app_instances)

    @property
    def name(self) -> str:
        """A label: platform, rate (jobs per 1000 time units), jobs, and the seed if any."""
        rate = 1000.0 / self.arrival_mean
        seeded = "" if self.seed is None else f"-s{self.seed}"
        return f"stream-{self.platform.name}-r{rate:g}-n{self.num_jobs}{seeded}"

    @property
    def size_group(self) -> str:
        """The row label tables aggregate by: platform and rate."""
        return f"stream-{self.platform.name}-r{1000.0 / self.arrival_mean:g}"

    def sample(self, rng: np.random.Generator) -> Workload:
        """Draw one workload (from the config's own ``seed`` when it has one, else ``rng``)."""
        if self.seed is not None:
            rng = np.random.default_rng(self.seed)
        weights = np.ones(len(self.apps)) if self.weights is None else np.array(self.weights)
        chosen = rng.choice(len(self.apps), size=self.num_jobs, p=weights / weights.sum())
        gaps = rng.exponential(self.arrival_mean, size=self.num_jobs)
        gaps[0] = 0.0
        arrival = np.cumsum(gaps)
        parts = [self.app_instances[a] for a in chosen]
        instance = _union(parts, self.platform, f"stream-{self.platform.name}")
        rank = np.concatenate([self.app_ranks[a] for a in chosen])
        octs = np.concatenate([self.app_octs[a] for a in chosen])
        actual = instance.exec_time
        if self.exec_noise > 0:
            z = rng.standard_normal(instance.num_tasks)
            actual = np.maximum(instance.exec_time * (1.0 + self.exec_noise * z)[:, None], 0.0)
        ptr = np.concatenate([[0], np.cumsum([p.num_tasks for p in parts])]).astype(np.int64)
        names = tuple(self.apps[a].name for a in chosen)
        noisy = self.exec_noise > 0
        return Workload(instance, ptr, arrival, names, actual, rank, noisy, known_oct=octs)


AppMix = Sequence[str | Application] | Mapping[str, float]
"""An application mix: names or applications (uniform), or ``{name: weight}``."""


def stream_config(
    platform: str | Platform = "ds3-soc",
    apps: AppMix | None = None,
    *,
    arrival_mean: float = 100.0,
    max_in_flight: int = 8,
    num_jobs: int = 20,
    exec_noise: float = 0.0,
) -> StreamConfig:
    """A :class:`StreamConfig` from shipped names (platform, applications) or objects."""
    plat = shipped.platform(platform) if isinstance(platform, str) else platform
    names, weights = mix_weights(apps if apps is not None else list(shipped.DS3_APPS))
    resolved = tuple(a if isinstance(a, Application) else shipped.application(a) for a in names)
    return StreamConfig(
        plat, resolved, None if weights is None else tuple(weights), arrival_mean,
        max_in_flight, num_jobs, exec_noise,
    )  # fmt: skip


@dataclass(frozen=True)
class StreamGenerator:
    """Seeded stream episodes for training (the SoC problem's sampler builds one from a size
    setting with a ``rate``): each :meth:`sample` draws the injection ``rate`` (jobs per 1000
    time units, i.e. per ms with times in us; a number or an inclusive ``(low, high)`` range,
    uniform), the number of jobs (an int or a range) and the noise level, and returns a
    :class:`StreamConfig` with its own seed: one fixed episode, the same for the env and for a
    baseline that solves it. Platform, application mix and the in-flight cap are fixed, so every
    episode fits the env's padding."""

    rate: ParamRange = 20.0
    num_jobs: SizeRange = 40
    platform: str = "ds3-soc"
    apps: tuple[str, ...] | None = None
    max_in_flight: int = 8
    exec_noise: ParamRange = 0.0

    def __post_init__(self) -> None:
        for label, value in (("rate", self.rate), ("num_jobs", self.num_jobs)):
            low, high = _bounds(value)
            if not 0 < low <= high:
                raise ValueError(f"{label} must be > 0 (low <= high), got {value}")
        low, high = _bounds(self.exec_noise)
        if not 0 <= low <= high:
            raise ValueError(f"exec_noise must be >= 0 (low <= high), got {self.exec_noise}")

    def config(self, rate: float | None = None, num_jobs: int | None = None) -> StreamConfig:
        """An unseeded config of this generator (highest rate and length unless given)."""
        return stream_config(
            self.platform, list(self.apps) if self.apps else None,
            arrival_mean=1000.0 / (rate or _bounds(self.rate)[1]),
            max_in_flight=self.max_in_flight,
            num_jobs=int(num_jobs or _bounds(self.num_jobs)[1]),
            exec_noise=_bounds(self.exec_noise)[1],
        )  # fmt: skip

    def sample(self, rng: np.random.Generator) -> StreamConfig:
        """One seeded episode: rate, length and noise drawn from ``rng``, then its seed."""
        rate = float(rng.uniform(*_bounds(self.rate)))
        low, high = _bounds(self.num_jobs)
        jobs = int(rng.integers(int(low), int(high) + 1))
        noise = float(rng.uniform(*_bounds(self.exec_noise)))
        base = self.config(rate, jobs)
        return replace(base, exec_noise=noise, seed=int(rng.integers(1 << 31)))


def _bounds(value: float | tuple[float, float]) -> tuple[float, float]:
    if isinstance(value, tuple | list):
        return float(value[0]), float(value[1])
    return float(value), float(value)


def _union(parts: Sequence[SoCDAGInstance], platform: Platform, name: str) -> SoCDAGInstance:
    offsets = np.cumsum([0, *(p.num_tasks for p in parts)])
    names = tuple(f"j{j}.{n}" for j, p in enumerate(parts) for n in p.task_names)
    src = np.concatenate([p.src + off for p, off in zip(parts, offsets, strict=False)])
    dst = np.concatenate([p.dst + off for p, off in zip(parts, offsets, strict=False)])
    data = np.concatenate([p.data for p in parts])
    table = np.concatenate([p.exec_time for p in parts])
    return SoCDAGInstance(name, names, src, dst, data, table, platform)


def mix_weights(
    apps: Sequence[str | Application] | Mapping[str, float],
) -> tuple[list[str | Application], list[float] | None]:
    """Split an application mix (names or applications, or ``{name: weight}``) into the
    applications and their weights (``None``: uniform)."""
    if isinstance(apps, Mapping):
        return list(apps), [float(w) for w in apps.values()]
    return list(apps), None
