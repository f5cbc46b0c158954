"""Training envs for any registered problem, built from the problem's descriptor.

Every env of a run is padded to the largest size the run will see (the curriculum's and the
validation's sizes merged: the observation space must not change during a run) by constructing
it with the generator of that merged size; :class:`CurriculumEnv` then swaps in the generator of
the size in force, so the env draws its own seeded instances. :func:`make_vec_env` steps
``n_envs`` of them in lockstep for one batched network call per step: in this process
(``DummyVecEnv``, the default: the network, not the env, is the cost) or in forkserver
subprocesses (``SubprocVecEnv``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecEnv

import schedgym  # noqa: F401  (registers the envs, also in subprocess workers)
from schedgym.agents.config import TrainConfig


def _high(value: Any) -> Any:
    """The upper end of a numeric ``(low, high)`` range; anything else (a list of names) as is."""
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) for v in value)
    ):
        return value[1]
    return value


def padding_size(sizes: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One size setting at least as large as every one of ``sizes``: for each size argument the
    largest upper end (``(6, 10)`` and ``(8, 12)`` give ``12``); other arguments from the last."""
    merged: dict[str, Any] = {}
    for size in sizes:
        for key, value in size.items():
            high = _high(value)
            old = merged.get(key)
            if isinstance(high, int | float) and isinstance(old, int | float):
                merged[key] = max(old, high)
            else:
                merged[key] = high
    return merged


def run_sizes(config: TrainConfig) -> list[dict[str, Any]]:
    """Every size setting a run uses (curriculum, then validation)."""
    return [*config.train_sizes(), *config.validation_sizes()]


def make_env(config: TrainConfig, **overrides: Any) -> gym.Env[Any, Any]:
    """An env of the run's problem, padded for every size the run uses."""
    sampler = config.problem.sampler
    assert sampler is not None
    padded = sampler.generator(**padding_size(run_sizes(config)))
    kwargs = {**config.env_options(), "generator": padded, **overrides}
    return gym.make(config.env_id, **kwargs)


class CurriculumEnv(gym.Wrapper[Any, Any, Any, Any]):
    """An env whose instance size a trainer can change (``set_size``) between episodes."""

    def __init__(self, env: gym.Env[Any, Any], generator: Callable[..., Any]) -> None:
        super().__init__(env)
        self._generator = generator  # the problem's generator class (sampler.generator)

    def set_size(self, size: Mapping[str, Any]) -> None:
        """Draw instances of ``size`` (generator arguments) from the next reset on."""
        self.env.unwrapped.generator = self._generator(**size)  # type: ignore[attr-defined]

    def action_masks(self) -> np.ndarray:
        """The wrapped env's legal-action mask (for MaskablePPO)."""
        return np.asarray(self.env.unwrapped.action_masks())  # type: ignore[attr-defined]


def _curriculum_env(config_data: dict[str, Any], size: dict[str, Any]) -> gym.Env[Any, Any]:
    """Module-level env factory (picklable for subprocess workers)."""
    torch.set_num_threads(1)
    config = TrainConfig.from_dict(config_data)
    sampler = config.problem.sampler
    assert sampler is not None
    env = CurriculumEnv(make_env(config), sampler.generator)
    env.set_size(size)
    return env


def make_vec_env(config: TrainConfig, size: Mapping[str, Any]) -> VecEnv:
    """``n_envs`` curriculum envs drawing instances of ``size``, stepped in lockstep."""
    factory = partial(_curriculum_env, config.to_dict(), dict(size))
    if config.vec_env == "dummy" or config.n_envs <= 1:
        return DummyVecEnv([factory] * config.n_envs)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    return SubprocVecEnv([factory] * config.n_envs, start_method="forkserver")


class EnvPool:
    """Reusable padded envs of one run, so that an iteration does not rebuild them."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self._envs: list[gym.Env[Any, Any]] = []

    def get(self, count: int) -> list[gym.Env[Any, Any]]:
        """``count`` envs (created on first use)."""
        while len(self._envs) < count:
            self._envs.append(make_env(self.config))
        return self._envs[:count]
