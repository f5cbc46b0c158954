"""Checkpoints: plain state dicts plus JSON-ready metadata, written atomically, read safely.

One format serves training resumption and shipping. A checkpoint is a ``dict`` saved with
``torch.save`` holding only tensors, numbers, strings, lists and dicts::

    {"format": "schedgym-agent/1", "arch": {...}, "obs": {"node_dim": D, "global_dim": G},
     "policy": state_dict, "meta": {...},            # enough to run the agent
     "optimizer": state_dict, "trainer": {...}}      # only in resumable training states

It is always read with ``torch.load(..., weights_only=True)``: loading never executes code from
the file. Writes go to a temporary file in the same folder, then ``os.replace``: an interrupted
write leaves the previous checkpoint intact.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from agents.policy import GraphPointerPolicy, build_policy
from schedgym.core.graph_obs import graph_observation_space

FORMAT = "schedgym-agent/1"
_ALIASES = ("pi_features_extractor.", "vf_features_extractor.")
DEFAULT_CHECKPOINT = Path(__file__).resolve().parent / "checkpoints" / "jobshop_gnn.pt"


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable or not in this format."""


def policy_state(policy: GraphPointerPolicy) -> dict[str, torch.Tensor]:
    """The policy's state dict without the shared-extractor aliases SB3 adds."""
    return {
        k: v.detach().clone() for k, v in policy.state_dict().items() if not k.startswith(_ALIASES)
    }


def load_policy_state(policy: GraphPointerPolicy, state: Mapping[str, torch.Tensor]) -> None:
    """Load :func:`policy_state` output; every real parameter must be present."""
    missing, unexpected = policy.load_state_dict(dict(state), strict=False)
    missing = [k for k in missing if not k.startswith(_ALIASES)]
    if missing or unexpected:
        raise CheckpointError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")


def obs_dims(observation_space: spaces.Dict) -> dict[str, int]:
    """The feature sizes a network depends on (the only size-like facts it needs)."""
    node_shape = observation_space["node_features"].shape
    global_shape = observation_space["global_features"].shape
    assert node_shape is not None and global_shape is not None
    return {"node_dim": int(node_shape[-1]), "global_dim": int(global_shape[-1])}


def atomic_save(payload: Mapping[str, Any], path: str | Path) -> Path:
    """``torch.save`` to ``path`` via a temporary file and ``os.replace``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        torch.save(dict(payload), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    return target


def make_payload(
    policy: GraphPointerPolicy, meta: Mapping[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """The shippable part of a checkpoint, plus any ``extra`` top-level entries."""
    return {
        "format": FORMAT,
        "arch": dict(policy.arch),
        "obs": obs_dims(policy.observation_space),  # type: ignore[arg-type]
        "policy": policy_state(policy),
        "meta": dict(meta or {}),
        **extra,
    }


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint safely (``weights_only=True``) and check its format."""
    source = Path(path)
    if not source.is_file():
        raise CheckpointError(f"{source}: no such checkpoint file")
    try:
        payload = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt or unsafe content: refuse, name the file
        raise CheckpointError(f"{source}: not a readable schedgym checkpoint ({exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{source}: not a {FORMAT} checkpoint")
    return payload


def policy_from_payload(
    payload: Mapping[str, Any],
    observation_space: spaces.Space[Any] | None = None,
    action_space: spaces.Space[Any] | None = None,
) -> GraphPointerPolicy:
    """Rebuild the policy of a checkpoint, for the given spaces (any instance size) or, without
    spaces, for a minimal placeholder (``action_logits`` still runs on any size)."""
    if observation_space is None:
        dims = payload["obs"]
        observation_space = graph_observation_space(1, dims["node_dim"], 1, 1, dims["global_dim"])
        action_space = spaces.Discrete(1)
    if not isinstance(observation_space, spaces.Dict) or not isinstance(
        action_space, spaces.Discrete
    ):
        raise CheckpointError("the graph policy needs a Dict observation and Discrete action space")
    if obs_dims(observation_space) != dict(payload["obs"]):
        raise CheckpointError(
            f"checkpoint expects features {payload['obs']}, env gives {obs_dims(observation_space)}"
        )
    policy = build_policy(observation_space, action_space, payload["arch"])
    load_policy_state(policy, payload["policy"])
    policy.set_training_mode(False)
    return policy


def numpy_rng_state(rng: np.random.Generator) -> dict[str, Any]:
    """A numpy Generator's state as plain data (safe for ``weights_only`` loading)."""
    return dict(rng.bit_generator.state)


def restore_numpy_rng(state: Mapping[str, Any]) -> np.random.Generator:
    """Inverse of :func:`numpy_rng_state`."""
    rng = np.random.default_rng()
    rng.bit_generator.state = dict(state)
    return rng
