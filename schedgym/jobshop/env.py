"""``schedgym/JobShop-v0``: dispatch job-shop operations, one decision per step.

Observation
    Dict of fixed-shape arrays in the padded-graph convention (``schedgym.core.graph_obs``):
    the disjunctive graph of operations (see ``schedgym.jobshop.observation`` for the 11 node
    features and 5 global features), padded to ``max_jobs * max_ops`` nodes and twice as many
    edges, plus ``action_mask`` over jobs.
Action
    ``Discrete(max_jobs)``: job ``j`` starts its next operation. How it is placed is the
    ``construction`` option:

    * ``"non-delay"`` (default; ``schedgym.jobshop.simulator``): the clock advances to the next
      moment where some job can start, the legal jobs are those that can start at that time,
      and a dispatched operation starts at the current time, no insertion. Only non-delay
      schedules are reachable (the optimum may not be).
    * ``"active"`` (Giffler-Thompson, ``schedgym.jobshop.active``): with ``C*`` the earliest
      completion among the next operations and ``M*`` its machine, the legal jobs are those
      whose next operation is on ``M*`` and can start before ``C*``; the chosen one starts at
      its earliest feasible start, left-shifted into the earliest idle gap of its machine that
      fits. Every active schedule (hence an optimal one) is reachable. Supports the static job
      shop and ``arrival_mean`` (release dates known in advance: a job not yet released at the
      clock may be chosen, it starts at its release at the earliest); ``duration_noise``,
      ``mtbf`` and ``blocking`` raise ``ValueError`` (revealed online, or machine occupation
      tied to the job's next start: no idle gap is known in advance).

    Both give the same observation space. Their features differ only in the meaning of time:
    non-delay's clock ``time`` is the decision time (dispatched operations start there);
    active's is the earliest feasible start left over all next operations (non-decreasing, no
    operation is placed before it), so ``finished`` means "ends at or before that time".
    ``lb_end`` of an unstarted operation is its job's earliest start plus the nominal work up
    to it: non-delay uses ``max(job ready, clock)``, active the earliest idle-gap start on the
    machine (tighter: exact for the next operation given the partial schedule). Machine edges join
    consecutive operations of a machine in start order (active splices insertions in).
Reward
    Dense shaping: ``-(H_t - H_{t-1}) * reward_scale`` where ``H`` is the largest lower-bound
    estimate of an operation's completion (L2D-style) and ``H_{-1} = 0``; at the last step ``H``
    is the actual makespan, so the episode return is exactly ``-makespan * reward_scale``.
    ``reward_scale="auto"`` divides by the instance's lower bound instead (the unit of the
    observation's times), so the return is ``-makespan / lower bound`` on every size.
Invalid actions
    A masked (or out-of-range) action is refused: the state does not change, the reward is
    ``-invalid_penalty`` and ``info["invalid_action"] = True``. With ``strict=True`` it raises
    ``ValueError`` instead.
Episode end
    ``terminated`` when every operation is dispatched (``info["makespan"]`` holds the makespan,
    ``env.unwrapped.schedule()`` the schedule). Blocking without swaps can deadlock: then the
    episode is ``truncated`` with ``info["deadlock"] = True``.
Options
    ``instance``: shipped name (``"ta01"``), file path or ``JobShopInstance``; without it each
    reset draws a Taillard-style instance of ``num_jobs`` x ``num_machines`` (ints or
    ``(low, high)`` ranges) from the seeded generator; ``reset(options={"instance": ...})``
    switches instance for one episode. Dynamics: ``duration_noise`` (coefficient of variation),
    ``arrival_mean`` (mean inter-arrival time), ``mtbf``/``mttr`` (breakdowns with repairs,
    interrupted operations resume), ``blocking`` and ``swaps``. ``construction``:
    ``"non-delay"`` or ``"active"`` (above). Renders ``ansi`` and ``rgb_array`` Gantt charts.

Version history: v0 — first release; ``construction`` option added (default unchanged).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from schedgym.core.actions import as_action
from schedgym.core.render import render_at_end, rendered
from schedgym.core.rewards import RewardScale, checked_reward_scale, episode_scale
from schedgym.jobshop.active import ActiveSimulator, check_supported
from schedgym.jobshop.dynamics import DynamicsConfig
from schedgym.jobshop.generator import JobShopGenerator
from schedgym.jobshop.instance import JobShopInstance
from schedgym.jobshop.observation import JobShopObserver, observation_space
from schedgym.jobshop.problem import load_instance
from schedgym.jobshop.schedule import JobShopSchedule
from schedgym.jobshop.simulator import JobShopSimulator

SizeRange = int | tuple[int, int]


def _high(size: SizeRange) -> int:
    return size if isinstance(size, int) else int(size[1])


class JobShopEnv(gym.Env):
    """Job-shop dispatching environment (see the module docstring for the full contract)."""

    metadata = {"render_modes": ["ansi", "rgb_array", "human"], "render_fps": 4}  # noqa: RUF012

    def __init__(
        self,
        instance: str | Path | JobShopInstance | None = None,
        *,
        num_jobs: SizeRange = (6, 10),
        num_machines: SizeRange = (6, 10),
        max_jobs: int | None = None,
        max_machines: int | None = None,
        generator: JobShopGenerator | None = None,
        duration_noise: float = 0.0,
        arrival_mean: float = 0.0,
        mtbf: float | None = None,
        mttr: float = 20.0,
        blocking: bool = False,
        swaps: bool = True,
        reward_scale: RewardScale = 1.0,
        invalid_penalty: float = 1.0,
        strict: bool = False,
        render_mode: str | None = None,
        construction: str = "non-delay",
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}")
        self.fixed_instance = (
            instance
            if isinstance(instance, JobShopInstance) or instance is None
            else load_instance(instance)
        )
        self.generator = generator or JobShopGenerator(num_jobs, num_machines)
        if self.fixed_instance is not None:
            default_jobs = self.fixed_instance.num_jobs
            default_ops = self.fixed_instance.num_ops
        else:
            default_jobs = _high(self.generator.num_jobs)
            default_ops = _high(self.generator.num_machines)
        self.max_jobs = max_jobs or default_jobs
        self.max_ops = max_machines or default_ops
        self.dynamics = DynamicsConfig(duration_noise, arrival_mean, mtbf, mttr, blocking, swaps)
        check_supported(construction, self.dynamics)
        self.construction = construction
        self._simulator_type: type[JobShopSimulator] = (
            ActiveSimulator if construction == "active" else JobShopSimulator
        )
        self.reward_scale = checked_reward_scale(reward_scale)
        self._scale = 1.0  # set per episode at reset
        self.invalid_penalty = invalid_penalty
        self.strict = strict
        self.render_mode = render_mode
        self.observation_space = observation_space(self.max_jobs, self.max_ops)
        self.action_space = spaces.Discrete(self.max_jobs)
        self._observer = JobShopObserver(self.max_jobs, self.max_ops)
        self._sim: JobShopSimulator | None = None
        self._estimate = 0.0

    # ------------------------------------------------------------------ gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode on the fixed instance, ``options["instance"]`` or a generated one."""
        super().reset(seed=seed)
        chosen = (options or {}).get("instance")
        if chosen is not None:
            instance = chosen if isinstance(chosen, JobShopInstance) else load_instance(chosen)
        elif self.fixed_instance is not None:
            instance = self.fixed_instance
        else:
            instance = self.generator.sample(self.np_random)
        self._sim = self._simulator_type(instance, self.dynamics, self.np_random)
        self._observer.reset(self._sim)
        self._observer.refresh()
        self._scale = episode_scale(self.reward_scale, max(self._observer.time_scale, 1e-9))
        self._estimate = 0.0
        return self._observer.buffer.observation(), {"instance": instance.name}

    def step(
        self, action: int | np.integer
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Dispatch job ``action``'s next operation (see the module docstring)."""
        sim = self.simulator
        job = as_action(action, self.max_jobs)
        if not (0 <= job < sim.num_jobs and sim.mask[job]) or sim.done:
            if self.strict:
                raise ValueError(f"invalid action {job}: job cannot start now")
            obs = self._observer.buffer.observation()
            return obs, -float(self.invalid_penalty), False, False, {"invalid_action": True}
        started = sim.dispatch(job)
        self._observer.on_dispatch(started)
        sim.advance()
        self._observer.refresh()
        terminated = sim.dispatched == sim.total_ops
        estimate = float(sim.makespan()) if terminated else self._observer.estimated_makespan()
        reward = -(estimate - self._estimate) * self._scale
        self._estimate = estimate
        info: dict[str, Any] = {"invalid_action": False, "time": sim.now}
        if terminated:
            info["makespan"] = sim.makespan()
        truncated = sim.deadlock
        if truncated:
            info["deadlock"] = True
        render_at_end(self, terminated)
        return self._observer.buffer.observation(), reward, terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        """Legal actions as a bool array of length ``max_jobs`` (for sb3-contrib MaskablePPO)."""
        mask = np.zeros(self.max_jobs, dtype=bool)
        if self._sim is not None and not self._sim.done:
            mask[: self._sim.num_jobs] = self._sim.mask
        return mask

    def render(self) -> str | np.ndarray | None:
        """``ansi``: a text Gantt chart; ``rgb_array``: a Gantt image ``(H, W, 3)`` uint8.

        ``human``: the ``ansi`` text printed to stdout (also when an episode ends); ``None``.
        """
        if self.render_mode is None or self._sim is None:
            return None
        from schedgym.jobshop.render import gantt_ansi, gantt_rgb

        instance, schedule = self._sim.instance, self.schedule()
        return rendered(
            self.render_mode,
            lambda: gantt_ansi(instance, schedule),
            lambda: gantt_rgb(instance, schedule),
        )

    # ------------------------------------------------------------------ extras
    @property
    def simulator(self) -> JobShopSimulator:
        """The episode's simulator state (after ``reset``)."""
        if self._sim is None:
            raise RuntimeError("call reset() first")
        return self._sim

    @property
    def instance(self) -> JobShopInstance:
        """The current episode's instance."""
        return self.simulator.instance

    def schedule(self, solver: str = "", status: str = "feasible") -> JobShopSchedule:
        """The schedule built so far, with the episode's conditions for validation."""
        return self.simulator.schedule(solver, status)
