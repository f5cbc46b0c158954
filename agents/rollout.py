"""Batched episodes: many envs stepped in lockstep, one network call per step for all of them.

A *chooser* maps a batched observation (and the envs' own ``action_masks()``, always passed) to
one action per env. :func:`policy_chooser` gives greedy or sampled choices from a
:class:`~schedgym.agents.policy.GraphPointerPolicy`; :func:`mwkr_chooser` is the "most work
remaining"
rule read from the observation, used as a reference and as an optional extra label candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor

from schedgym.agents.graph_batch import obs_to_tensors, pad_observations, stack_observations
from schedgym.agents.policy import GraphPointerPolicy

Obs = dict[str, np.ndarray]
Chooser = Callable[[Obs, np.ndarray], np.ndarray]


@dataclass
class Episodes:
    """Outcome of a batch of episodes: the objective of each (``nan`` when the episode ended
    without one, e.g. a deadlock) and its actions."""

    objectives: np.ndarray  # (n,) float64
    actions: list[list[int]]
    steps: int  # env steps taken in total

    def worst_is(self, direction: str) -> np.ndarray:
        """The objectives with missing ones replaced by the worst value (``inf`` when
        minimising, ``-inf`` when maximising), ready for argmin/argmax and ratios."""
        worst = np.inf if direction == "min" else -np.inf
        return np.where(np.isnan(self.objectives), worst, self.objectives)


def batch_observations(observations: Sequence[Mapping[str, np.ndarray]]) -> Obs:
    """Stack equal-shape observations; zero-pad (inert) when their padded sizes differ."""
    first = observations[0]
    if all(o[k].shape == first[k].shape for o in observations for k in first):
        return stack_observations(observations)
    return pad_observations(observations)


def _pick(logits: Tensor, sample: bool, generator: torch.Generator | None) -> np.ndarray:
    if sample:
        probs = torch.softmax(logits, dim=-1)
        return torch.multinomial(probs, 1, generator=generator).squeeze(-1).numpy()
    return logits.argmax(dim=-1).numpy()


def policy_chooser(
    policy: GraphPointerPolicy, sample: bool = False, generator: torch.Generator | None = None
) -> Chooser:
    """Greedy (``sample=False``) or sampled actions of ``policy`` under the legal masks."""

    def choose(obs: Obs, masks: np.ndarray) -> np.ndarray:
        tensors = obs_to_tensors(obs)
        with torch.no_grad():
            logits = policy.action_logits(tensors)
            legal = policy.legal_mask(tensors, logits, masks)
            return _pick(logits.masked_fill(~legal, float("-inf")), sample, generator)

    return choose


class CachedEncodingChooser:
    """Greedy or sampled actions like :func:`policy_chooser`, but the GNN runs for an episode only
    at every ``refresh_every``-th of its decisions (and whenever its number of nodes changes);
    in between, the episode's last node and graph embeddings are combined with its current
    action nodes, raw features and global features
    (:meth:`GraphPointerPolicy.logits_from_encoding`). The GNN pass is most of a rollout's cost
    on large graphs, so ``refresh_every = k`` makes sampling up to ``k`` times cheaper there;
    ``refresh_every = 1`` chooses as :func:`policy_chooser`. :func:`run_episodes` passes the
    episode ids and calls :meth:`begin` at the start of each batch of episodes."""

    def __init__(
        self,
        policy: GraphPointerPolicy,
        refresh_every: int,
        sample: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        if refresh_every < 1:
            raise ValueError(f"refresh_every must be >= 1, got {refresh_every}")
        self.policy, self.refresh_every = policy, refresh_every
        self.sample, self.generator = sample, generator
        self.cache: dict[int, tuple[Tensor, Tensor, int, int]] = {}  # emb, graph emb, nodes, age

    def begin(self) -> None:
        """Forget every episode's encoding (a new batch of episodes starts)."""
        self.cache.clear()

    def __call__(self, obs: Obs, masks: np.ndarray, ids: Sequence[int]) -> np.ndarray:
        """One action per row of ``obs``; row ``r`` belongs to episode ``ids[r]``."""
        tensors = obs_to_tensors(obs)
        slots = int(tensors["node_mask"].shape[1])
        counts = (tensors["node_mask"].reshape(len(ids), -1) > 0.5).sum(dim=1).tolist()
        stale = [
            r
            for r, i in enumerate(ids)
            if i not in self.cache
            or self.cache[i][3] >= self.refresh_every
            or self.cache[i][2] != counts[r]
            or self.cache[i][0].shape[0] != slots
        ]
        with torch.no_grad():
            if stale:
                index = torch.as_tensor(stale)
                node_emb, graph_emb = self.policy.node_encoding(
                    {k: v[index] for k, v in tensors.items()}
                )
                for j, r in enumerate(stale):
                    self.cache[ids[r]] = (node_emb[j], graph_emb[j], counts[r], 0)
            rows = [self.cache[i] for i in ids]
            logits = self.policy.logits_from_encoding(
                tensors, torch.stack([c[0] for c in rows]), torch.stack([c[1] for c in rows])
            )
            legal = self.policy.legal_mask(tensors, logits, masks)
            actions = _pick(logits.masked_fill(~legal, float("-inf")), self.sample, self.generator)
        for i in ids:
            emb, graph, nodes, age = self.cache[i]
            self.cache[i] = (emb, graph, nodes, age + 1)
        return actions


def mwkr_chooser(remaining_work_feature: int) -> Chooser:
    """Most work remaining: the legal action whose node has the largest ``remaining_work``.

    Ties go to the lowest action index, like ``schedgym.baselines.jobshop.rules.MWKR``.
    """

    def choose(obs: Obs, masks: np.ndarray) -> np.ndarray:
        nodes = obs["action_node"].astype(np.int64)  # (B, A)
        work = obs["node_features"][:, :, remaining_work_feature]  # (B, N)
        score = np.take_along_axis(work, np.maximum(nodes, 0), axis=1).astype(np.float64)
        legal = masks.astype(bool) & (obs["action_mask"] > 0) & (nodes >= 0)
        score[~legal] = -np.inf
        return score.argmax(axis=1)

    return choose


def run_episodes(
    envs: Sequence[gym.Env[Any, Any]],
    chooser: Chooser | CachedEncodingChooser,
    resets: Sequence[Mapping[str, Any]] | None = None,
    key: str = "makespan",
) -> Episodes:
    """Run one episode in each env, all in lockstep, until every one ends.

    Forced decisions (a single legal action) are taken without calling ``chooser``.

    ``resets[i]`` are keyword arguments for ``envs[i].reset`` (``seed``, ``options``). The
    objective of an episode is ``info[key]`` when it ends (the problem's ``objective_key``);
    one that ends without it (a deadlock) is ``nan``.
    """
    count = len(envs)
    resets = resets or [{} for _ in range(count)]
    if isinstance(chooser, CachedEncodingChooser):
        chooser.begin()
    observations: list[Mapping[str, np.ndarray]] = [
        env.reset(**dict(kw))[0] for env, kw in zip(envs, resets, strict=True)
    ]
    objectives = np.full(count, np.nan)
    actions: list[list[int]] = [[] for _ in range(count)]
    active = list(range(count))
    steps = 0
    while active:
        masks = batch_observations(
            [{"m": np.asarray(envs[i].unwrapped.action_masks())} for i in active]  # type: ignore[attr-defined]
        )["m"].astype(bool)
        # a decision with at most one legal action needs no network call
        chosen = masks.argmax(axis=1)
        free = np.flatnonzero(masks.sum(axis=1) > 1)
        if len(free):
            batch = batch_observations([observations[active[f]] for f in free])
            if isinstance(chooser, CachedEncodingChooser):
                chosen[free] = chooser(batch, masks[free], [active[f] for f in free])
            else:
                chosen[free] = chooser(batch, masks[free])
        still = []
        for i, action in zip(active, chosen.tolist(), strict=True):
            obs, _, terminated, truncated, info = envs[i].step(int(action))
            observations[i] = obs
            actions[i].append(int(action))
            steps += 1
            if terminated or truncated:
                if key in info:
                    objectives[i] = float(info[key])
            else:
                still.append(i)
        active = still
    return Episodes(objectives, actions, steps)


def replay(
    env: gym.Env[Any, Any], actions: Sequence[int], reset: Mapping[str, Any] | None = None
) -> list[Obs]:
    """The observations seen before each of ``actions`` (a deterministic episode replayed)."""
    obs, _ = env.reset(**dict(reset or {}))
    seen: list[Obs] = []
    for action in actions:
        seen.append(obs)
        obs, *_ = env.step(int(action))
    return seen
