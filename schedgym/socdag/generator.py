"""Seeded random SoC-DAG instances: layered DAGs (Topcuoglu et al. 2002 style), and a toy whose
optimum is known.

:func:`layered_instance` / :class:`SoCDAGGenerator` draw

* **shape**: ``v`` tasks in ``height = max(1, round(sqrt(v) / shape))`` layers (``shape`` is
  Topcuoglu's alpha: below 1 tall and thin, above 1 short and wide), each layer non-empty, sizes
  otherwise random; ``width`` caps the tasks per layer (raising the height when needed);
* **edges**: every task below the first layer gets a parent in the layer just above, every task
  above the last layer a child in a later layer, plus up to ``out_degree - 1`` extra children
  in later layers;
* **costs** (``heterogeneity`` is Topcuoglu's beta in ``[0, 2)``): a task's mean cost
  ``w ~ U[1, 2 * mean_cost - 1]``, its time on PE ``p`` ``~ U[w (1 - beta/2), w (1 + beta/2)]``
  (unrelated PEs); with ``unavailable > 0`` each (task, PE) pair is dropped with that probability,
  keeping at least one PE per task;
* **communication**: edge data ``~ U[0, 2 * ccr * mean_cost]`` on links of bandwidth 1 and latency
  ``latency``, so the communication-to-computation ratio is about ``ccr``;
* ``integer=True`` rounds times and data to integers (times at least 1), which lets CP-SAT prove
  optima exactly.

:func:`known_optimum_instance` builds random instances around a schedule that keeps every PE busy
on ``[0, horizon)``; see its docstring for why ``horizon`` is optimal.

Same seed, same instance: all randomness comes from a numpy ``Generator`` the caller passes
(:func:`schedgym.core.seeding.make_rng`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from schedgym.hardware.platform import Platform, uniform_platform
from schedgym.socdag.instance import SoCDAGInstance

SizeRange = int | tuple[int, int]
ParamRange = float | tuple[float, float]
"""A generator setting: a value, or a ``(low, high)`` range drawn uniformly per instance."""


def _draw(rng: np.random.Generator, size: SizeRange) -> int:
    if isinstance(size, int):
        return size
    low, high = size
    return int(rng.integers(low, high + 1))


def _draw_param(rng: np.random.Generator, value: ParamRange) -> float:
    """``value`` itself, or a uniform draw from a ``(low, high)`` range (only ranges use the
    generator, so fixed settings draw exactly the instances they always drew)."""
    if isinstance(value, tuple | list):
        low, high = value
        return float(rng.uniform(low, high))
    return float(value)


def _content_name(prefix: str, *arrays: np.ndarray) -> str:
    digest = hashlib.blake2b(b"".join(a.tobytes() for a in arrays), digest_size=4).hexdigest()
    return f"{prefix}-{digest}"


def _layers(rng: np.random.Generator, tasks: int, shape: float, width: int | None) -> list[int]:
    height = max(1, round(np.sqrt(tasks) / shape))
    if width is not None:
        height = max(height, -(-tasks // width))
    height = min(height, tasks)
    sizes = np.ones(height, dtype=np.int64)
    for _ in range(tasks - height):
        open_layers = np.flatnonzero(sizes < (width or tasks))
        sizes[rng.choice(open_layers)] += 1
    return sizes.tolist()


def layered_dag(
    rng: np.random.Generator,
    num_tasks: int,
    shape: float = 1.0,
    out_degree: int = 3,
    width: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Edges ``(src, dst)`` of a random layered DAG on tasks ``0..num_tasks-1`` (ids follow the
    layers, so every edge goes from a smaller id to a larger one)."""
    if num_tasks < 1 or shape <= 0 or out_degree < 1:
        raise ValueError("need num_tasks >= 1, shape > 0 and out_degree >= 1")
    sizes = _layers(rng, num_tasks, shape, width)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    edges: set[tuple[int, int]] = set()
    for layer in range(1, len(sizes)):
        above = np.arange(starts[layer - 1], starts[layer])
        for task in range(starts[layer], starts[layer + 1]):
            edges.add((int(rng.choice(above)), task))
    for layer in range(len(sizes) - 1):
        later_start, later_end = int(starts[layer + 1]), num_tasks
        for task in range(starts[layer], starts[layer + 1]):
            children = {d for s, d in edges if s == task}
            if not children:
                next_end = int(starts[layer + 2])
                children.add(int(rng.integers(later_start, next_end)))
            extra = int(rng.integers(0, out_degree))  # 0..out_degree-1 more
            for _ in range(extra):
                children.add(int(rng.integers(later_start, later_end)))
            edges.update((task, c) for c in children)
    pairs = sorted(edges)
    src = np.array([s for s, _ in pairs], dtype=np.int64)
    dst = np.array([d for _, d in pairs], dtype=np.int64)
    return src, dst


def layered_instance(
    rng: np.random.Generator,
    num_tasks: int = 20,
    num_pes: int = 3,
    *,
    shape: float = 1.0,
    out_degree: int = 3,
    width: int | None = None,
    ccr: float = 1.0,
    heterogeneity: float = 0.5,
    mean_cost: float = 20.0,
    unavailable: float = 0.0,
    latency: float = 0.0,
    integer: bool = True,
    platform: Platform | None = None,
    name: str | None = None,
) -> SoCDAGInstance:
    """A random layered instance (see the module docstring for every control)."""
    if not 0 <= heterogeneity < 2:
        raise ValueError(f"heterogeneity (beta) must be in [0, 2), got {heterogeneity}")
    if ccr < 0 or mean_cost < 1 or not 0 <= unavailable < 1:
        raise ValueError("need ccr >= 0, mean_cost >= 1 and 0 <= unavailable < 1")
    platform = platform or uniform_platform(num_pes, latency=latency)
    pes = platform.num_pes
    src, dst = layered_dag(rng, num_tasks, shape, out_degree, width)
    mean = rng.uniform(1.0, 2.0 * mean_cost - 1.0, size=num_tasks)
    spread = heterogeneity / 2.0
    table = rng.uniform(1.0 - spread, 1.0 + spread, size=(num_tasks, pes)) * mean[:, None]
    data = rng.uniform(0.0, 2.0 * ccr * mean_cost, size=len(src))
    if integer:
        table = np.maximum(np.rint(table), 1.0)
        data = np.rint(data)
    if unavailable > 0 and pes > 1:
        drop = rng.random((num_tasks, pes)) < unavailable
        keep = rng.integers(0, pes, size=num_tasks)
        drop[np.arange(num_tasks), keep] = False
        table = np.where(drop, np.nan, table)
    label = name or _content_name(f"layered-{num_tasks}x{pes}", src, dst, table, data)
    names = tuple(f"t{i}" for i in range(num_tasks))
    return SoCDAGInstance(label, names, src, dst, data, table, platform)


@dataclass(frozen=True)
class SoCDAGGenerator:
    """Draws :func:`layered_instance` s with sizes from ranges (``int`` or ``(low, high)``);
    ``shape``, ``ccr``, ``heterogeneity`` and ``unavailable`` also take a ``(low, high)`` range,
    drawn uniformly per instance (after the sizes), so one generator can mix easy and hard
    instances (e.g. a training distribution around the ``rand-*`` suites' settings)."""

    num_tasks: SizeRange = (8, 20)
    num_pes: SizeRange = (2, 5)
    shape: ParamRange = 1.0
    out_degree: int = 3
    width: int | None = None
    ccr: ParamRange = 1.0
    heterogeneity: ParamRange = 0.5
    mean_cost: float = 20.0
    unavailable: ParamRange = 0.0
    latency: float = 0.0
    integer: bool = True

    @property
    def max_tasks(self) -> int:
        """Largest number of tasks drawn."""
        return self.num_tasks if isinstance(self.num_tasks, int) else int(self.num_tasks[1])

    @property
    def max_pes(self) -> int:
        """Largest number of PEs drawn."""
        return self.num_pes if isinstance(self.num_pes, int) else int(self.num_pes[1])

    def sample(self, rng: np.random.Generator) -> SoCDAGInstance:
        """One random instance."""
        tasks, pes = _draw(rng, self.num_tasks), _draw(rng, self.num_pes)
        return layered_instance(
            rng,
            tasks,
            pes,
            shape=_draw_param(rng, self.shape),
            out_degree=self.out_degree,
            width=self.width,
            ccr=_draw_param(rng, self.ccr),
            heterogeneity=_draw_param(rng, self.heterogeneity),
            mean_cost=self.mean_cost,
            unavailable=_draw_param(rng, self.unavailable),
            latency=self.latency,
            integer=self.integer,
        )


def known_optimum_instance(
    rng: np.random.Generator,
    num_pes: int = 3,
    tasks_per_pe: int = 4,
    horizon: int = 60,
    *,
    edge_prob: float = 0.3,
    data_high: int = 10,
    slowdown: tuple[float, float] = (1.0, 3.0),
    name: str | None = None,
) -> tuple[SoCDAGInstance, int]:
    """A random instance with a proven optimal makespan ``horizon``.

    Each PE's ``[0, horizon)`` is cut into ``tasks_per_pe`` back-to-back tasks (integer cut
    points), so a schedule with makespan ``horizon`` and no idle time exists. A task's time on its
    own PE is its slot length; on other PEs it is at least that (times ``U[slowdown]``, rounded
    up). Edges go only from a task ending at ``e`` on ``p`` to one starting at ``s`` on ``q`` with
    ``e + comm <= s`` (``comm`` = data on links of bandwidth 1, free on one PE), so the planted
    schedule is feasible. Optimality: every task needs at least its slot length on any PE, so any
    schedule does at least ``num_pes * horizon`` units of work on ``num_pes`` PEs, hence takes at
    least ``horizon``. Returns ``(instance, horizon)``.
    """
    if tasks_per_pe < 1 or horizon < tasks_per_pe:
        raise ValueError("need 1 <= tasks_per_pe <= horizon")
    home, start, end = [], [], []
    for p in range(num_pes):
        cuts = np.sort(rng.choice(np.arange(1, horizon), size=tasks_per_pe - 1, replace=False))
        bounds = np.concatenate([[0], cuts, [horizon]])
        for k in range(tasks_per_pe):
            home.append(p)
            start.append(int(bounds[k]))
            end.append(int(bounds[k + 1]))
    order = np.lexsort((np.array(home), np.array(start)))  # ids by start time
    home_a, start_a, end_a = (np.array(x)[order] for x in (home, start, end))
    tasks = len(order)
    length = (end_a - start_a).astype(np.float64)
    factor = rng.uniform(*slowdown, size=(tasks, num_pes))
    table = np.ceil(length[:, None] * np.maximum(factor, 1.0))
    table[np.arange(tasks), home_a] = length
    src, dst, data = [], [], []
    for a in range(tasks):
        for b in range(tasks):
            if a == b or rng.random() >= edge_prob:
                continue
            same = home_a[a] == home_a[b]
            slack = start_a[b] - end_a[a]
            if slack < 0:
                continue
            volume = int(rng.integers(0, (data_high if same else min(data_high, slack)) + 1))
            src.append(a)
            dst.append(b)
            data.append(float(volume))
    platform = uniform_platform(num_pes)
    src_a, dst_a = np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)
    label = name or _content_name(f"knownopt-{tasks}x{num_pes}", src_a, dst_a, table)
    names = tuple(f"t{i}" for i in range(tasks))
    return SoCDAGInstance(label, names, src_a, dst_a, np.array(data), table, platform), horizon


def topcuoglu_instance() -> SoCDAGInstance:
    """The 10-task, 3-processor example of Topcuoglu, Hariri and Wu (2002), HEFT makespan 80."""
    from schedgym.datasets import socdag as shipped

    return shipped.load("topcuoglu")
