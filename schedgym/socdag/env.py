"""``schedgym/SoCDAG-v0``: place DAG tasks on the PEs of a heterogeneous SoC, one task per step.

Modes
    ``static``: one DAG (``instance``: shipped name, file or :class:`SoCDAGInstance`; without it
    each reset draws one from the seeded :class:`SoCDAGGenerator`); minimise the makespan. List
    scheduling: a task is ready once its predecessors are placed; its start is the earliest time
    its input data is on the chosen PE and the PE is free (``insertion=True``, the default: the
    first idle gap that fits, as in HEFT; else after the PE's last task).
    ``stream``: jobs (copies of applications drawn from ``apps``, default the DS3 mix on the
    ``ds3-soc`` platform) arrive with exponential inter-arrival times of mean ``arrival_mean``,
    at most ``max_in_flight`` in the system; ``num_jobs`` jobs per episode; optional Gaussian
    execution-time noise (``exec_noise``: standard deviation / mean). With
    ``generator=StreamGenerator(...)`` each reset draws the rate and length too (training), and
    ``reset(options={"instance": StreamConfig(..., seed=k)})`` plays one fixed episode. A task
    is ready once its job is injected and its predecessors have completed; it joins the chosen
    PE's FIFO queue.
    Minimise the average job latency (completion of the job's tail task minus its injection).
Decision order
    Each step places the *current* task: the ready task with the highest upward rank (paper
    convention; ties: older job, then topological position). The action chooses its PE. In a
    stream, every task ready at the clock's time is placed before the clock moves on.
Observation
    Padded graph (``schedgym.core.graph_obs``): PE nodes first (node ``p`` = PE ``p``), then live
    task nodes; DAG edges and ``task -> PE`` assignment edges; 21 node and 6 global features
    (``schedgym.socdag.observation``). ``action_node[p] = p``, for pointer-style policies.
Action
    ``Discrete(max_pes)``: the PE for the current task; masked to PEs that can run it.
Reward
    Static: ``-(M_t - M_{t-1}) * reward_scale`` with ``M`` the latest end among placed tasks, so
    the episode return is ``-makespan * reward_scale``. Stream: ``-(L_t - L_{t-1}) *
    reward_scale`` with ``L`` the time accrued so far by jobs in the system (each job accrues
    while injected and unfinished), so the episode return is ``-(sum of job latencies) *
    reward_scale``. ``reward_scale="auto"`` divides by the episode's time scale instead (the
    static instance's min-cost critical path, the stream's mean application critical path: the
    unit of the observation's times), so returns are comparable across instance sizes.
Invalid actions
    A masked or out-of-range action is refused: the state does not change, the reward is
    ``-invalid_penalty`` and ``info["invalid_action"] = True``; with ``strict=True`` it raises
    ``ValueError``.
Episode end
    ``terminated`` when every task is placed (static) or every job has completed (stream).
    ``info`` then holds the validated ``makespan``, ``slr``, ``energy`` (static), or
    ``avg_latency``, ``total_latency``, ``energy``, ``edp`` (stream);
    ``env.unwrapped.schedule()`` returns the schedule (with its stream conditions).

Version history: v0 — first release.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from schedgym.core.actions import as_action
from schedgym.core.render import render_at_end, rendered
from schedgym.core.rewards import RewardScale, checked_reward_scale, episode_scale
from schedgym.hardware.platform import Platform
from schedgym.socdag.generator import SoCDAGGenerator
from schedgym.socdag.instance import SoCDAGInstance
from schedgym.socdag.observation import SoCObserver, observation_space
from schedgym.socdag.problem import load_instance
from schedgym.socdag.schedule import SoCDAGSchedule
from schedgym.socdag.simulator import SoCSimulator
from schedgym.socdag.workload import (
    AppMix,
    StreamConfig,
    StreamGenerator,
    Workload,
    static_workload,
    stream_config,
)

__all__ = ["SoCDAGEnv", "stream_config"]  # stream_config: also importable from here, as before

SizeRange = int | tuple[int, int]
Mode = Literal["static", "stream"]


class SoCDAGEnv(gym.Env):
    """SoC DAG scheduling environment (see the module docstring for the full contract)."""

    metadata = {"render_modes": ["ansi", "rgb_array", "human"], "render_fps": 4}  # noqa: RUF012

    def __init__(
        self,
        instance: str | Path | SoCDAGInstance | None = None,
        *,
        mode: Mode = "static",
        num_tasks: SizeRange = (8, 20),
        num_pes: SizeRange = (2, 5),
        generator: SoCDAGGenerator | StreamGenerator | None = None,
        insertion: bool = True,
        platform: str | Platform = "ds3-soc",
        apps: AppMix | None = None,
        arrival_mean: float = 100.0,
        max_in_flight: int = 8,
        num_jobs: int = 20,
        exec_noise: float = 0.0,
        stream: StreamConfig | None = None,
        max_tasks: int | None = None,
        max_pes: int | None = None,
        max_edges: int | None = None,
        reward_scale: RewardScale = 1.0,
        invalid_penalty: float = 1.0,
        strict: bool = False,
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}")
        if mode not in ("static", "stream"):
            raise ValueError(f"mode must be 'static' or 'stream', got {mode!r}")
        self.mode = mode
        self.insertion = insertion
        self.reward_scale = checked_reward_scale(reward_scale)
        self._scale = 1.0  # set per episode at reset
        self.invalid_penalty = invalid_penalty
        self.strict = strict
        self.render_mode = render_mode
        self.fixed_instance: SoCDAGInstance | None = None
        self.stream: StreamConfig | None = None
        drawn_by = generator or SoCDAGGenerator(num_tasks, num_pes)
        self.generator: SoCDAGGenerator | StreamGenerator = drawn_by
        if mode == "static":
            if isinstance(drawn_by, StreamGenerator):
                raise ValueError("a StreamGenerator draws stream episodes: pass mode='stream'")
            if exec_noise:
                raise ValueError("exec_noise applies to the stream mode only")
            if instance is not None:
                self.fixed_instance = load_instance(instance)
                tasks, pes = self.fixed_instance.num_tasks, self.fixed_instance.num_pes
            else:
                tasks, pes = drawn_by.max_tasks, drawn_by.max_pes
            self.max_pes = max_pes or pes
            self.max_tasks = max_tasks or tasks
            t = self.max_tasks
            dag_edges = min(t * (t - 1) // 2, t * (drawn_by.out_degree + 1))
            if self.fixed_instance is not None:
                fixed = self.fixed_instance.num_edges
                dag_edges = fixed if max_tasks is None else max(dag_edges, fixed)
            nodes = self.max_pes + t
            edge_room = (max_edges or dag_edges) + t
            self.cap = 1
        else:
            if instance is not None:
                raise ValueError("the stream mode draws its jobs: pass apps/platform, not instance")
            if isinstance(generator, StreamGenerator):  # padded for the generator's platform
                stream = stream or generator.config()
            self.stream = stream or stream_config(
                platform, apps, arrival_mean=arrival_mean, max_in_flight=max_in_flight,
                num_jobs=num_jobs, exec_noise=exec_noise,
            )  # fmt: skip
            cfg = self.stream
            self.cap = cfg.max_in_flight
            self.max_pes = max_pes or cfg.platform.num_pes
            self.max_tasks = self.cap * cfg.max_app_tasks
            nodes = self.max_pes + self.max_tasks
            edge_room = max_edges or self.cap * (cfg.max_app_edges + cfg.max_app_tasks)
            self._stream_scale = float(np.mean([i.critical_path_min() for i in cfg.app_instances]))
        self.observation_space = observation_space(nodes, edge_room, self.max_pes)
        self.action_space = spaces.Discrete(self.max_pes)
        self._observer = SoCObserver(nodes, edge_room, self.max_pes)
        self._sim: SoCSimulator | None = None
        self._progress = 0.0

    # ------------------------------------------------------------------ gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode (static: fixed, ``options["instance"]`` or generated instance)."""
        super().reset(seed=seed)
        workload = self._workload(options or {})
        online = self.mode == "stream"
        self._sim = SoCSimulator(
            workload, online=online, insertion=self.insertion, max_in_flight=self.cap
        )
        if online:
            scale = self._stream_scale
        else:
            cp = workload.instance.critical_path_min()
            scale = cp if cp > 0 else max(float(workload.instance.mean_exec.mean()), 1.0)
        if self._sim.num_tasks > self.max_tasks and not online:
            raise ValueError(
                f"instance {workload.instance.name} ({self._sim.num_tasks} tasks) exceeds the "
                f"env's padding ({self.max_tasks} tasks)"
            )
        self._observer.reset(self._sim, scale, self.cap)
        self._observer.refresh()
        self._scale = episode_scale(self.reward_scale, max(scale, 1e-9))
        self._progress = self._measure()
        return self._observer.buffer.observation(), {"instance": workload.instance.name}

    def _workload(self, options: dict[str, Any]) -> Workload:
        chosen = options.get("instance")
        if self.stream is not None:
            if isinstance(chosen, StreamConfig):  # e.g. a seeded validation episode
                self._check_stream(chosen)
                return chosen.sample(self.np_random)
            if isinstance(self.generator, StreamGenerator):
                drawn = self.generator.sample(self.np_random)
                self._check_stream(drawn)
                return drawn.sample(self.np_random)
            return self.stream.sample(self.np_random)
        if chosen is not None:
            return static_workload(load_instance(chosen))
        if self.fixed_instance is not None:
            return static_workload(self.fixed_instance)
        assert not isinstance(self.generator, StreamGenerator)  # refused in static mode
        return static_workload(self.generator.sample(self.np_random))

    def _check_stream(self, config: StreamConfig) -> None:
        """A stream episode other than the env's own must fit its padding."""
        assert self.stream is not None
        if (
            config.platform.num_pes > self.max_pes
            or config.max_in_flight > self.cap
            or config.max_app_tasks > self.stream.max_app_tasks
            or config.max_app_edges > self.stream.max_app_edges
        ):
            raise ValueError(f"{config.name} does not fit the env's stream padding")

    def _measure(self) -> float:
        sim = self.simulator
        return sim.accrued if sim.online else sim.makespan()

    def step(
        self, action: int | np.integer
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Place the current task on PE ``action`` (see the module docstring)."""
        sim = self.simulator
        pe = as_action(action, self.max_pes)
        task = sim.current()
        if task < 0 or not (0 <= pe < sim.num_pes and sim.allowed[task, pe]):
            if self.strict:
                raise ValueError(f"invalid action {pe}: PE cannot run task {task} now")
            obs = self._observer.buffer.observation()
            return obs, -float(self.invalid_penalty), False, False, {"invalid_action": True}
        sim.assign(task, pe)
        sim.advance()
        self._observer.refresh()
        measure = self._measure()
        reward = -(measure - self._progress) * self._scale
        self._progress = measure
        terminated = sim.finished
        info: dict[str, Any] = {"invalid_action": False, "task": task, "time": sim.now}
        if terminated:
            info.update(self._final_metrics())
        render_at_end(self, terminated)
        return self._observer.buffer.observation(), reward, terminated, False, info

    def _final_metrics(self) -> dict[str, Any]:
        from schedgym.socdag.validate import static_metrics, stream_metrics

        sim = self.simulator
        schedule = self.schedule()
        if sim.online:
            m = stream_metrics(sim.instance, schedule)
            return {
                "avg_latency": m.avg_latency,
                "total_latency": float(sum(m.latencies)),
                "energy": m.energy,
                "edp": m.edp,
                "makespan": m.makespan,
            }
        s = static_metrics(sim.instance, schedule)
        return {"makespan": s.makespan, "slr": s.slr, "energy": s.energy}

    def action_masks(self) -> np.ndarray:
        """Legal actions as a bool array of length ``max_pes`` (for sb3-contrib MaskablePPO)."""
        mask = np.zeros(self.max_pes, dtype=bool)
        if self._sim is not None:
            task = self._sim.current()
            if task >= 0:
                mask[: self._sim.num_pes] = self._sim.allowed[task]
        return mask

    def render(self) -> str | np.ndarray | None:
        """``ansi``: a text Gantt chart per PE; ``rgb_array``: a Gantt image ``(H, W, 3)`` uint8.

        ``human``: the ``ansi`` text printed to stdout (also when an episode ends); ``None``.
        """
        if self.render_mode is None or self._sim is None:
            return None
        from schedgym.socdag.render import gantt_ansi, gantt_rgb

        instance, schedule = self._sim.instance, self.schedule()
        return rendered(
            self.render_mode,
            lambda: gantt_ansi(instance, schedule),
            lambda: gantt_rgb(instance, schedule),
        )

    # ------------------------------------------------------------------ extras
    @property
    def simulator(self) -> SoCSimulator:
        """The episode's simulator (after ``reset``)."""
        if self._sim is None:
            raise RuntimeError("call reset() first")
        return self._sim

    @property
    def instance(self) -> SoCDAGInstance:
        """The current episode's instance (a stream's: every job's tasks)."""
        return self.simulator.instance

    def schedule(self, solver: str = "", status: str = "feasible") -> SoCDAGSchedule:
        """The schedule so far (with the stream conditions needed to validate it)."""
        return self.simulator.schedule(solver, status)
