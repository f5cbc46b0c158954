"""``schedgym/LLMServing-v0``: route arriving LLM requests to the replicas of a GPU pool.

Episode
    Requests arrive over time (:class:`~schedgym.llm.instance.ServingInstance`); every replica
    batches what it is sent with a fixed batch policy (``policy``: ``"vllm"`` by default,
    ``"orca"`` or ``"sarathi"``; :mod:`schedgym.llm.policies`) in the iteration-level simulator
    (:mod:`schedgym.llm.simulator`). Decision mode ``route``: each step decides one request,
    when it arrives: send it to a replica, or wait. A waited request is asked about again at the
    next event (the next arrival or the end of any replica's step), before any newer arrival;
    requests that arrive together are asked about one by one, oldest first. After the last
    request is routed the replicas run until idle and the episode ends (``terminated``); never
    truncated.
Decision mode ``batch`` (``mode="batch"``)
    Arrivals are routed by the least-loaded rule (outstanding tokens per unit of compute) and
    each step decides one replica's next iteration, whenever that replica has prompt work
    (waiting or partly prefilled requests) at a step boundary: the iteration's token budget
    ``PREFILL_BUDGETS[action]`` (every running decode joins; then prompt chunks, partly
    prefilled prompts first, then FCFS admissions, up to the budget; Sarathi-Serve's rule, so
    the action says which waiting requests join and how many prompt tokens each gets). Budget
    0 decodes only (legal while some request decodes) and lasts one iteration. Decode-only
    iterations without prompt work are not asked about. Replicas deciding at the same time are
    asked one by one, lowest index first; ``action_node`` points every action at the replica's
    node. Same reward, end and ``info``; always choosing 512 gives exactly the ``sarathi``
    solver's schedule (tested).
Action
    ``Discrete(max_replicas + 1)`` (batch mode: ``Discrete(len(PREFILL_BUDGETS))``, above):
    ``r < max_replicas`` routes the current request to replica ``r``; ``max_replicas`` waits.
    Legal (``action_masks()``, ``obs["action_mask"]``): the pool's replicas whose KV cache can
    hold the request's prompt and output; waiting while some arrival or some replica's step is
    still to come, and never with ``wait=False`` (the problem's training option: every request
    is routed when it arrives, as the routers do).
Observation
    Dict of fixed-shape arrays in the padded-graph convention (``schedgym.core.graph_obs``): the
    replica-and-request graph of :mod:`schedgym.llm.observation` (29 node features, 9 global
    ones, one edge per routed request), padded to ``max_replicas + max_requests`` nodes
    (``max_replicas + window`` with a ``window``);
    ``action_node`` points each routing action at its replica's node, "wait" at -1.
Reward
    ``scale`` for every request that finishes within both service-level objectives (TTFT <= 2 s,
    mean time per output token <= 0.1 s), when it finishes: the episode return is ``good x
    scale``. ``reward_scale="auto"`` (default) is ``1 / num_requests``, so the return is the SLO
    attainment (in [0, 1]); a number sets ``scale``. At the end ``info`` holds ``objective`` and
    ``slo_attainment`` (the validator's value on ``env.unwrapped.schedule()``), ``goodput_rps``,
    ``ttft_p99``, ``tbt_p99`` and ``preemptions``.
Invalid actions
    A masked or out-of-range action is refused: nothing changes, the reward is
    ``-invalid_penalty`` and ``info["invalid_action"] = True``; ``strict=True`` raises
    ``ValueError`` instead.
Options
    ``instance``: shipped or generated name, trace CSV path or :class:`ServingInstance`; without
    it each reset draws one from ``generator`` (default :class:`ServingGenerator` with
    ``num_requests`` and ``num_replicas``); ``reset(options={"instance": ...})`` switches
    instance for one episode. ``wait`` (default ``True``): whether the "wait" action is ever
    legal. ``max_replicas`` and ``max_requests`` set the padding (default:
    the instance's or the generator's largest). ``window`` (default ``None``): show only the
    requests in the system, in at most ``window`` recycled node slots, so that the padding no
    longer grows with the episode (an hour of traffic); ``max_requests`` then plays no part.
    Renders ``ansi`` (a text summary per replica) and ``rgb_array`` (the batch-size and
    KV-cache plot of the steps so far).

Version history: v0 — first release (``batch`` mode added later, ``route`` unchanged).
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from schedgym.core.actions import as_action
from schedgym.core.render import render_at_end, rendered
from schedgym.core.rewards import RewardScale, episode_scale
from schedgym.llm.generator import IntRange, ServingGenerator
from schedgym.llm.instance import BLOCK_TOKENS, ServingInstance
from schedgym.llm.observation import ServingObserver, observation_space
from schedgym.llm.policies import POLICIES, Sarathi
from schedgym.llm.problem import load_instance
from schedgym.llm.schedule import ServingSchedule
from schedgym.llm.simulator import ReplicaState, Simulator
from schedgym.llm.validate import ServingMetrics

#: Batch mode's actions: an iteration's token budget (decodes + prompt chunks; 0: decode only).
PREFILL_BUDGETS = (0, 128, 256, 512, 1024, 2048, 4096)


class BatchDecisionSimulator(Simulator):
    """The simulator of batch mode: a replica with prompt work at a step boundary waits in
    :attr:`asking` (idle) until :meth:`decide` forms its batch with a given token budget."""

    def __init__(self, instance: ServingInstance) -> None:
        super().__init__(instance, Sarathi())
        self.budget_policy: Sarathi = self.policy  # type: ignore[assignment]
        self.asking: deque[int] = deque()
        self._deciding = False

    def _form(self, rep: ReplicaState) -> None:
        if self._deciding or not (rep.waiting or rep.prefilling):
            super()._form(rep)
            return
        rep.pending = None
        if rep.index not in self.asking:
            self.asking.append(rep.index)

    def decide(self, budget: int) -> None:
        """Form the first asking replica's batch with ``budget`` tokens (0: decode only, one
        iteration)."""
        rep = self.replicas[self.asking.popleft()]
        self.budget_policy.token_budget = budget
        self._deciding = True
        try:
            self._form(rep)
        finally:
            self._deciding = False
        step = rep.pending
        if budget == 0 and step is not None and step.repeat > 1:
            step.set_repeat(1)

    def least_loaded(self) -> int:
        """The replica with the fewest outstanding tokens per unit of compute."""

        def load(r: int) -> float:
            rep = self.replicas[r]
            return rep.outstanding_tokens / (rep.cost.replica.gpu.peak_flops * rep.cost.replica.tp)

        return min(range(len(self.replicas)), key=load)


class LLMServingEnv(gym.Env):
    """LLM-serving routing environment (see the module docstring for the full contract)."""

    metadata = {"render_modes": ["ansi", "rgb_array", "human"], "render_fps": 4}  # noqa: RUF012

    def __init__(
        self,
        instance: str | Path | ServingInstance | None = None,
        *,
        num_requests: IntRange = (60, 120),
        num_replicas: IntRange = (2, 4),
        generator: ServingGenerator | None = None,
        policy: Literal["vllm", "orca", "sarathi"] = "vllm",
        mode: Literal["route", "batch"] = "route",
        wait: bool = True,
        max_replicas: int | None = None,
        max_requests: int | None = None,
        window: int | None = None,
        reward_scale: RewardScale = "auto",
        invalid_penalty: float = 1.0,
        strict: bool = False,
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}")
        if mode not in ("route", "batch"):
            raise ValueError(f"mode must be 'route' or 'batch', got {mode!r}")
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}, got {policy!r}")
        self.fixed_instance = (
            instance
            if isinstance(instance, ServingInstance) or instance is None
            else load_instance(instance)
        )
        self.generator = generator or ServingGenerator(num_requests, num_replicas)
        fixed = self.fixed_instance
        self.max_replicas = max_replicas or (
            fixed.num_replicas if fixed is not None else self.generator.max_num_replicas
        )
        self.max_requests = max_requests or (
            fixed.num_requests if fixed is not None else self.generator.max_num_requests
        )
        self.policy = policy
        self.reward_scale = reward_scale
        self.invalid_penalty = invalid_penalty
        self.strict = strict
        self.render_mode = render_mode
        self.mode = mode
        self.wait = wait
        actions = len(PREFILL_BUDGETS) if mode == "batch" else 0
        self.window = window
        slots = self.max_requests if window is None else window
        self.observation_space = observation_space(self.max_replicas, slots, actions)
        self.action_space = spaces.Discrete(actions or self.max_replicas + 1)
        self._observer = ServingObserver(self.max_replicas, self.max_requests, actions, window)
        self._sim: Simulator | None = None

    # ------------------------------------------------------------------ gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode on the fixed instance, ``options["instance"]`` or a generated one."""
        super().reset(seed=seed)
        chosen = (options or {}).get("instance")
        if chosen is not None:
            instance = chosen if isinstance(chosen, ServingInstance) else load_instance(chosen)
        elif self.fixed_instance is not None:
            instance = self.fixed_instance
        else:
            instance = self.generator.sample(self.np_random)
        self.instance = instance
        sim = (
            BatchDecisionSimulator(instance)
            if self.mode == "batch"
            else Simulator(instance, POLICIES[self.policy]())
        )
        self._sim = sim
        blocks = np.array([rep.total_blocks for rep in sim.replicas])
        need = -(-(sim.prompt + sim.output) // BLOCK_TOKENS)
        self._fits = need[:, None] <= blocks[None, :]  # (n, R): replicas that can hold it
        if not self._fits.any(axis=1).all():
            j = int(np.flatnonzero(~self._fits.any(axis=1))[0])
            raise ValueError(f"request {j} of {instance.name} fits in no replica's KV cache")
        n = instance.num_requests
        self._scale = episode_scale(self.reward_scale, n)
        self._next = 0  # next request to arrive
        self._ask: deque[int] = deque()  # requests to decide at the current time
        self._held: list[int] = []  # waited requests, asked again at the next event
        self._seen = 0  # finished requests already rewarded
        self._result: tuple[ServingMetrics, ServingSchedule] | None = None
        self._observer.reset(sim)
        self._advance()
        return self._observer.buffer.observation(), {"instance": instance.name}

    def _advance(self) -> int:
        """Run the simulation to the next decision (or the end); returns the requests that
        finished within both targets meanwhile, and refreshes the observation."""
        if isinstance(self._sim, BatchDecisionSimulator):
            return self._advance_batch(self._sim)
        sim, n = self.sim, self.instance.num_requests
        while not self._ask:
            if self._next >= n and not self._held:
                self._result = sim.drain()
                break
            ta = float(sim.arrival[self._next]) if self._next < n else np.inf
            te = sim.next_step_end()[1]
            if ta == te == np.inf:  # the wait mask rules this out
                raise RuntimeError("requests wait, but no arrival or step is to come")
            if not self._held:
                sim.advance_to(ta)
            elif te < ta:
                sim.process_next_step()
                self._ask.extend(self._held)
                self._held = []
                continue
            else:
                sim.advance_to(ta)
                self._ask.extend(self._held)
                self._held = []
            self._observer.on_arrival(self._next)
            self._ask.append(self._next)
            self._next += 1
        done = np.array(sim.finished_log[self._seen :], dtype=np.int64)
        self._seen = len(sim.finished_log)
        good = self._observer.on_finish(done) if len(done) else 0
        current = self._ask[0] if self._ask else None
        legal = self._fits[current] if current is not None else np.zeros(0, bool)
        self._observer.refresh(current, [*self._ask, *self._held], legal, self._wait_legal())
        return good

    def _advance_batch(self, sim: BatchDecisionSimulator) -> int:
        n = self.instance.num_requests
        while not sim.asking:
            ta = float(sim.arrival[self._next]) if self._next < n else np.inf
            te = sim.next_step_end()[1]
            if ta == te == np.inf:
                self._result = sim.drain()
                break
            if te < ta:
                sim.process_next_step()
                continue
            sim.advance_to(ta)
            self._observer.on_arrival(self._next)
            r = sim.least_loaded()
            sim.assign(self._next, r)
            self._observer.on_route(self._next, r)
            self._next += 1
        good = self._finished()
        self._observer.refresh_batch(sim.asking[0] if sim.asking else None, self._budget_mask())
        return good

    def _finished(self) -> int:
        sim = self.sim
        done = np.array(sim.finished_log[self._seen :], dtype=np.int64)
        self._seen = len(sim.finished_log)
        return self._observer.on_finish(done) if len(done) else 0

    def _budget_mask(self) -> np.ndarray:
        mask = np.ones(len(PREFILL_BUDGETS), dtype=bool)
        sim = self.sim
        if isinstance(sim, BatchDecisionSimulator) and sim.asking:
            mask[0] = bool(sim.replicas[sim.asking[0]].decoding)
        return mask

    @property
    def current_request(self) -> int | None:
        """The request the next action routes (route mode; ``None`` in batch mode or at the
        end): a router can be asked about it on :attr:`sim`."""
        if isinstance(self._sim, BatchDecisionSimulator) or not self._ask:
            return None
        return self._ask[0]

    def _wait_legal(self) -> bool:
        if not self.wait:
            return False
        return self._next < self.instance.num_requests or self.sim.next_step_end()[0] is not None

    def step(
        self, action: int | np.integer
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Route the current request to replica ``action``, or wait (see the docstring)."""
        a = as_action(action, self.max_replicas + 1)
        mask = self.action_masks()
        if not (0 <= a < len(mask) and mask[a]):
            if self.strict:
                raise ValueError(f"invalid action {a}: not a legal routing now")
            obs = self._observer.buffer.observation()
            return obs, -float(self.invalid_penalty), False, False, {"invalid_action": True}
        if isinstance(self._sim, BatchDecisionSimulator):
            self._sim.decide(PREFILL_BUDGETS[a])
        else:
            i = self._ask.popleft()
            if a == self.max_replicas:
                self._held.append(i)
            else:
                self.sim.assign(i, a)
                self._observer.on_route(i, a)
        good = self._advance()
        info: dict[str, Any] = {"invalid_action": False}
        terminated = self._result is not None
        if self._result is not None:
            m = self._result[0]
            info.update(
                objective=m.slo_attainment,
                slo_attainment=m.slo_attainment,
                goodput_rps=m.goodput_rps,
                ttft_p99=m.ttft[2],
                tbt_p99=m.tbt[2],
                preemptions=m.preemptions,
            )
        obs = self._observer.buffer.observation()
        render_at_end(self, terminated)
        return obs, float(good * self._scale), terminated, False, info

    def action_masks(self) -> np.ndarray:
        """Legal actions as a bool array of length ``max_replicas + 1`` (for MaskablePPO)."""
        return self._observer.buffer.action_mask.astype(bool)

    def render(self) -> str | np.ndarray | None:
        """``ansi``: a text summary; ``rgb_array``: the plot of the steps so far.

        ``human``: the ``ansi`` text printed to stdout (also when an episode ends); ``None``.
        """
        if self.render_mode is None or self._sim is None:
            return None
        from schedgym.llm.render import serving_ansi, serving_rgb

        instance, schedule, now = self.instance, self.sim.recorded_schedule(), self.sim.now
        return rendered(
            self.render_mode,
            lambda: serving_ansi(instance, schedule, now),
            lambda: serving_rgb(instance, schedule),
        )

    # ------------------------------------------------------------------ extras
    @property
    def sim(self) -> Simulator:
        """The episode's simulator (after ``reset``)."""
        if self._sim is None:
            raise RuntimeError("call reset() first")
        return self._sim

    def schedule(self, solver: str = "", status: str = "feasible") -> ServingSchedule:
        """The recorded schedule of the finished episode."""
        if self._result is None:
            raise RuntimeError("the episode is not over: no complete schedule yet")
        import dataclasses

        return dataclasses.replace(self._result[1], solver=solver, status=status)
