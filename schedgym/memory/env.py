"""``schedgym/MemoryMapping-v0``: place ML-compiler buffers in fast memory, one per step.

Episode
    The buffers are visited in a fixed order (``order="start"``: live-range order, by start, then
    longer, then larger, then index; ``order="size"``: size descending, then start, then index;
    ``order="benefit"``: XLA's assignment order, benefit / sqrt(size) descending; see
    :func:`schedgym.memory.simulator.visiting_order`). Each step decides the current buffer.
    The episode ends (``terminated``) when every buffer is decided; never truncated.
Action
    ``Discrete(max_candidates + 1)``. Action ``k < max_candidates`` puts the buffer at candidate
    offset ``k``: the candidates are the starts of the free address gaps over its live range that
    can hold it (MiniMalloc's canonical offsets 0 and tops of placed, time-overlapping buffers),
    lowest first, so action 0 is first fit; for ``assign`` only those that end below the capacity.
    When there are more than ``max_candidates``, the lowest ``max_candidates - 1`` are kept plus
    the tightest gap (best fit) if it is not among them. Action ``max_candidates`` leaves the
    buffer in slow memory (``assign`` only). The mask (``action_masks()``, ``obs["action_mask"]``)
    marks the legal ones; ``pack`` always has one (the unbounded top gap), ``assign`` always has
    "slow".
Observation
    Dict of fixed-shape arrays in the padded-graph convention (``schedgym.core.graph_obs``): the
    buffer graph of :mod:`schedgym.memory.observation` (22 node features, 12 global ones, overlap
    edges capped at ``max_degree`` per buffer), padded to ``max_buffers`` nodes. ``action_node``
    points each candidate at the placed buffer it rests on (offset 0: the current buffer), "slow"
    at -1.
Reward
    ``pack``: ``-(peak_t - peak_{t-1}) * scale``: the episode return is ``-peak * scale``.
    ``assign``: ``-(H_t - H_{t-1}) * scale`` with ``H_{-1} = 0`` and ``H_t`` the modelled time
    (:mod:`schedgym.memory.cost`) counting undecided buffers as fast (an optimistic estimate,
    exact at the end): the return is ``-modelled_time * scale``. ``reward_scale="auto"`` (default)
    is ``1 / capacity`` (``pack``: a return of -1 means peak = capacity) or ``1 / all-slow time``
    (``assign``: -1 means no gain over everything in slow memory); a number sets ``scale``.
    At the end ``info`` holds ``objective`` (peak or modelled time, the validator's value on
    ``env.unwrapped.mapping()``), ``peak``, ``fits``, ``modelled_time`` and ``relative_time``.
Invalid actions
    A masked or out-of-range action is refused: nothing changes, the reward is
    ``-invalid_penalty`` and ``info["invalid_action"] = True``; ``strict=True`` raises
    ``ValueError`` instead.
Options
    ``instance``: shipped name, ``.csv``/``.json`` path or :class:`MemoryInstance`; without it
    each reset draws one from ``generator`` (default :class:`PackGenerator` or
    :class:`AssignGenerator` of ``num_buffers``); ``reset(options={"instance": ...})`` switches
    instance for one episode. ``variant`` overrides the instance's; ``capacity`` is for instance
    files whose capacity is not in their name (MiniMalloc CSV). Renders ``ansi`` (a text
    summary and address map) and ``rgb_array`` (the mapping plot).

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
from schedgym.core.rewards import RewardScale, episode_scale
from schedgym.memory.cost import CostModel
from schedgym.memory.generator import AssignGenerator, PackGenerator, SizeRange, UniformGenerator
from schedgym.memory.instance import MemoryInstance, check_variant
from schedgym.memory.observation import MemoryObserver, observation_space
from schedgym.memory.problem import load_instance
from schedgym.memory.schedule import MemoryMapping
from schedgym.memory.simulator import UNBOUNDED, PlacementState, visiting_order

Generator = AssignGenerator | PackGenerator | UniformGenerator
_TRIES = 100  # generated instances larger than the padding are redrawn this many times


class MemoryMappingEnv(gym.Env):
    """Memory-mapping environment (see the module docstring for the full contract)."""

    metadata = {"render_modes": ["ansi", "rgb_array", "human"], "render_fps": 4}  # noqa: RUF012

    def __init__(
        self,
        instance: str | Path | MemoryInstance | None = None,
        *,
        variant: str | None = None,
        capacity: int | None = None,
        num_buffers: SizeRange = (20, 40),
        generator: Generator | None = None,
        order: Literal["start", "size", "benefit"] = "start",
        max_buffers: int | None = None,
        max_candidates: int = 16,
        max_degree: int = 8,
        reward_scale: RewardScale = "auto",
        invalid_penalty: float = 1.0,
        strict: bool = False,
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}")
        if max_candidates < 1 or max_degree < 1:
            raise ValueError("max_candidates and max_degree must be >= 1")
        if order not in ("start", "size", "benefit"):
            raise ValueError(f"order must be 'start', 'size' or 'benefit', got {order!r}")
        self.variant = None if variant is None else check_variant(variant)
        self.fixed_instance = (
            instance
            if isinstance(instance, MemoryInstance) or instance is None
            else load_instance(instance, capacity)
        )
        self.capacity = capacity
        if generator is None:
            generator = (
                AssignGenerator(num_buffers)
                if self.variant == "assign"
                else PackGenerator(num_buffers)
            )
        self.generator = generator
        default = (
            self.fixed_instance.num_buffers
            if self.fixed_instance is not None
            else generator.max_num_buffers
        )
        self.max_buffers = max_buffers or default
        self.max_candidates = max_candidates
        self.max_degree = max_degree
        self.order = order
        self.reward_scale = reward_scale
        self.invalid_penalty = invalid_penalty
        self.strict = strict
        self.render_mode = render_mode
        self.observation_space = observation_space(self.max_buffers, max_candidates, max_degree)
        self.action_space = spaces.Discrete(max_candidates + 1)
        self._observer = MemoryObserver(self.max_buffers, max_candidates, max_degree)
        self._state: PlacementState | None = None

    # ------------------------------------------------------------------ gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode on the fixed instance, ``options["instance"]`` or a generated one."""
        super().reset(seed=seed)
        chosen = (options or {}).get("instance")
        if chosen is not None:
            if not isinstance(chosen, MemoryInstance):
                chosen = load_instance(chosen, self.capacity)
            instance = chosen
        elif self.fixed_instance is not None:
            instance = self.fixed_instance
        else:
            instance = self._draw()
        if self.variant is not None:
            instance = instance.with_variant(self.variant)
        self.instance = instance
        assign = instance.variant == "assign"
        self._state = PlacementState(instance, instance.capacity if assign else None)
        self._pos = 0
        self._cost = CostModel(instance)
        benefit = self._cost.isolated_benefit()
        self._visit = visiting_order(instance, self.order, benefit)
        self._fast_read = self._cost.read_total.copy()
        self._fast_write = self._cost.write_total.copy()
        self._all_slow = self._cost.all_slow_time()
        self._estimate = 0.0
        unit = self._all_slow if assign else instance.capacity
        self._scale = episode_scale(self.reward_scale, unit)
        self._observer.reset(instance, self._visit, benefit, assign)
        self._prepare()
        return self._observer.buffer.observation(), {"instance": instance.name}

    def _draw(self) -> MemoryInstance:
        for _ in range(_TRIES):
            instance = self.generator.sample(self.np_random)
            if instance.num_buffers <= self.max_buffers:
                return instance
        raise ValueError(f"generator keeps drawing instances above max_buffers={self.max_buffers}")

    def _prepare(self) -> None:
        """Candidates of the current buffer, then the observation's dynamic features."""
        state = self.state
        n = self.instance.num_buffers
        assign = self.instance.variant == "assign"
        relative = self._estimate / self._all_slow if assign and self._all_slow > 0 else 0.0
        if self._pos >= n:
            self._offsets = np.zeros(0, dtype=np.int64)
            self._observer.refresh(
                None, self._offsets, self._offsets, self._offsets, state.peak, False, 1.0, relative
            )
            return
        i = int(self._visit[self._pos])
        gaps = state.candidates(i)
        k = self.max_candidates
        keep = np.arange(len(gaps.start))
        if len(keep) > k:
            best = int(np.argmin(state.slack(i, gaps)))
            keep = keep[:k] if best < k else np.append(keep[: k - 1], best)
        self._current = i
        self._offsets = gaps.start[keep]
        slack = state.slack(i, gaps)[keep]
        if state.limit is None:  # the unbounded gap: room up to the capacity
            slack = np.where(
                gaps.end[keep] == UNBOUNDED,
                self.instance.capacity - self._offsets - self.instance.sizes[i],
                slack,
            )
        nodes = np.where(gaps.owner[keep] < 0, i, gaps.owner[keep])
        self._observer.refresh(
            i, self._offsets, nodes, slack, state.peak, assign, self._pos / n, relative
        )

    def step(
        self, action: int | np.integer
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Decide the current buffer with candidate ``action`` (or slow; see the docstring)."""
        state = self.state
        a = as_action(action, self.max_candidates + 1)
        mask = self.action_masks()
        if not (0 <= a < len(mask) and mask[a]):
            if self.strict:
                raise ValueError(f"invalid action {a}: not a legal placement now")
            obs = self._observer.buffer.observation()
            return obs, -float(self.invalid_penalty), False, False, {"invalid_action": True}
        i = self._current
        offset = None if a == self.max_candidates else int(self._offsets[a])
        before_peak = state.peak
        state.place(i, offset)
        self._observer.on_place(i, offset)
        if offset is None:
            lo, hi = self.instance.use_ptr[i], self.instance.use_ptr[i + 1]
            steps = self._cost.use_step[lo:hi]
            writes = self._cost.use_write[lo:hi]
            size = self.instance.sizes[i]
            np.subtract.at(self._fast_read, steps[~writes], size)
            np.subtract.at(self._fast_write, steps[writes], size)
        self._pos += 1
        terminated = self._pos == self.instance.num_buffers
        info: dict[str, Any] = {"invalid_action": False}
        if self.instance.variant == "pack":
            reward = -(state.peak - before_peak) * self._scale
        else:
            estimate = self._cost.total(self._fast_read, self._fast_write)
            reward = -(estimate - self._estimate) * self._scale
            self._estimate = estimate
        self._prepare()
        if terminated:
            info.update(self._summary())
        render_at_end(self, terminated)
        return self._observer.buffer.observation(), float(reward), terminated, False, info

    def _summary(self) -> dict[str, Any]:
        state = self.state
        modelled = self._cost.total(self._fast_read, self._fast_write)
        pack = self.instance.variant == "pack"
        return {
            "objective": float(state.peak) if pack else modelled,
            "peak": state.peak,
            "fits": state.peak <= self.instance.capacity,
            "modelled_time": modelled,
            "relative_time": modelled / self._all_slow if self._all_slow > 0 else 1.0,
        }

    def action_masks(self) -> np.ndarray:
        """Legal actions as a bool array of length ``max_candidates + 1`` (for MaskablePPO)."""
        return self._observer.buffer.action_mask.astype(bool)

    def render(self) -> str | np.ndarray | None:
        """``ansi``: a text summary and address map; ``rgb_array``: the mapping plot.

        ``human``: the ``ansi`` text printed to stdout (also when an episode ends); ``None``.
        """
        if self.render_mode is None or self._state is None:
            return None
        from schedgym.memory.render import mapping_ansi, mapping_rgb

        instance, mapping = self.instance, self.mapping()
        return rendered(
            self.render_mode,
            lambda: mapping_ansi(instance, mapping),
            lambda: mapping_rgb(instance, mapping),
        )

    # ------------------------------------------------------------------ extras
    @property
    def state(self) -> PlacementState:
        """The episode's placement state (after ``reset``)."""
        if self._state is None:
            raise RuntimeError("call reset() first")
        return self._state

    @property
    def current_buffer(self) -> int | None:
        """The buffer the next step decides (``None`` once every buffer is decided)."""
        return int(self._current) if self._pos < self.instance.num_buffers else None

    @property
    def candidate_offsets(self) -> np.ndarray:
        """Offsets of the current buffer's candidates: action ``k`` puts it at
        ``candidate_offsets[k]`` (empty once every buffer is decided); a copy."""
        return self._offsets.copy()

    def mapping(self, solver: str = "", status: str = "feasible") -> MemoryMapping:
        """The mapping so far (undecided buffers count as slow memory)."""
        return MemoryMapping.build(self.instance, self.state.result(), solver, status)

    def schedule(self, solver: str = "", status: str = "feasible") -> MemoryMapping:
        """The mapping so far, under the name every env uses for its solution."""
        return self.mapping(solver, status)
