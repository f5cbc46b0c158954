"""Shared fixtures for the agent tests: one torch thread, small envs and policies."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gymnasium as gym
import pytest
import torch

import schedgym  # noqa: F401  (registers the envs)
from schedgym.agents.policy import GraphPointerPolicy, build_policy

torch.set_num_threads(1)


def make_jobshop(jobs: int, machines: int, **kwargs: Any) -> gym.Env[Any, Any]:
    """A generator-based JobShop env of fixed size."""
    return gym.make("schedgym/JobShop-v0", num_jobs=jobs, num_machines=machines, **kwargs)


def policy_for(env: gym.Env[Any, Any], **arch: Any) -> GraphPointerPolicy:
    """A fresh pointer policy for ``env``'s spaces."""
    torch.manual_seed(0)
    return build_policy(env.observation_space, env.action_space, dict(arch))  # type: ignore[arg-type]


@pytest.fixture
def jobshop() -> Callable[..., gym.Env[Any, Any]]:
    """Factory fixture: ``jobshop(jobs, machines, **env_kwargs)``."""
    return make_jobshop


@pytest.fixture
def new_policy() -> Callable[..., GraphPointerPolicy]:
    """Factory fixture: ``new_policy(env, **arch)``."""
    return policy_for
