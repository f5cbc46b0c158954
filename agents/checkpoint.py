"""Checkpoints: plain state dicts plus JSON-ready metadata, written atomically, read safely.

One format serves training resumption and shipping. A checkpoint is a ``dict`` saved with
``torch.save`` holding only tensors, numbers, strings, lists and dicts::

    {"format": "schedgym-agent/1", "arch": {...}, "obs": {"node_dim": D, "global_dim": G},
     "policy": state_dict, "meta": {...},            # enough to run the agent
     "optimizer": state_dict, "trainer": {...}}      # only in resumable training states

A validated best checkpoint's ``meta`` holds ``method``, ``step``, ``metrics``, ``env_id`` and
``env_options``: the values of the problem's decision options the run trained under (e.g.
``{"construction": "active"}``), which the agent's solvers then play under
(:func:`schedgym.agents.solver.load_agent`).

It is always read with ``torch.load(..., weights_only=True)``: loading never executes code from
the file. Writes go to a temporary file in the same folder, then ``os.replace``: an interrupted
write leaves the previous checkpoint intact.

Everything is checked before use, and any fault raises one :class:`CheckpointError` naming the
file and the fault (the CLI prints it as one ``error:`` line, exit 2):

* the file: a regular, non-empty file of at most :data:`MAX_CHECKPOINT_BYTES`;
* the content: readable by the safe loader, a dict of this :data:`FORMAT`;
* ``arch``: only the keys of :data:`schedgym.agents.policy.ARCH_KEYS` (missing ones take
  :data:`~schedgym.agents.policy.DEFAULT_ARCH`), ``conv``/``pool`` one of the known kinds, integer
  sizes
  within :data:`ARCH_LIMITS` (``heads`` dividing ``hidden`` for GATv2); ``obs``: the two integer
  feature sizes within :data:`OBS_LIMITS`; ``meta``: a dict;
* ``policy``: a state dict of dense CPU tensors, all finite, with exactly the keys, shapes and
  dtypes of the network the architecture rebuilds (compared on the ``meta`` device before any
  weight memory is allocated).
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from schedgym.agents.encoders import CONV_KINDS, POOL_KINDS
from schedgym.agents.policy import ARCH_KEYS, DEFAULT_ARCH, GraphPointerPolicy, build_policy
from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import checked_input_file
from schedgym.core.graph_obs import graph_observation_space

FORMAT = "schedgym-agent/1"
_ALIASES = ("pi_features_extractor.", "vf_features_extractor.")
CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"
"""Where the shipped checkpoints live (``<problem>_gnn.pt``)."""


def default_checkpoint(problem: str) -> Path:
    """The shipped checkpoint of ``problem``'s graph agent."""
    return CHECKPOINT_DIR / f"{problem}_gnn.pt"


DEFAULT_CHECKPOINT = default_checkpoint("jobshop")
MAX_CHECKPOINT_BYTES = 1 << 30
"""Largest checkpoint file read (1 GiB; the shipped one is well under 1 MiB)."""
ARCH_LIMITS: dict[str, tuple[int, int]] = {
    "skip": (0, 1),
    "hidden": (1, 4096),
    "layers": (0, 64),
    "heads": (1, 64),
    "head_hidden": (1, 4096),
}
"""Inclusive ranges of the integer architecture keys."""
OBS_LIMITS: dict[str, tuple[int, int]] = {"node_dim": (1, 4096), "global_dim": (0, 4096)}
"""Inclusive ranges of the feature sizes a checkpoint records."""
_SHOWN = 3  # key names listed in a missing/unexpected message


class CheckpointError(InstanceFormatError, ValueError):
    """A checkpoint file that is missing, unreadable, or not in the expected layout.

    The message is one line, ``FILE: what is wrong``. An :class:`InstanceFormatError` (bad
    input: the CLI exits 2), and a ``ValueError`` for callers that catch those.
    """

    def __init__(self, source: str | Path, message: str) -> None:
        super().__init__(source, message)


def file_fingerprint(path: str | Path) -> str:
    """The first 16 hex digits of the SHA-256 of a checkpoint file's bytes: agent solvers expose
    it as ``fingerprint`` so that the leaderboard's config hash changes with the weights (a
    retrained checkpoint at the same path never reuses the old one's stored rows)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def checkpoint_file(source: str | Path, limit: int = MAX_CHECKPOINT_BYTES) -> os.stat_result:
    """``os.stat`` of ``source`` if it is a regular, non-empty file of at most ``limit`` bytes;
    otherwise :class:`CheckpointError` (never opens the file: a FIFO cannot block)."""
    return checked_input_file(source, limit, CheckpointError, "no such checkpoint file")


def _load_failure(exc: BaseException) -> str:
    """One short line for why ``torch.load`` refused a file."""
    text = str(exc)
    marker = "WeightsUnpickler error:"
    if marker in text:
        lines = [ln.strip() for ln in text.split(marker, 1)[1].splitlines() if ln.strip()]
        detail = f": {lines[0][:120]}" if lines else ""
        return f"refused by the safe loader{detail}"
    text = re.sub(r"^\[enforce fail at [^\]]*\]\s*\.?\s*", "", text.strip())
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    first = first.split(". ", 1)[0].rstrip(".")[:160]
    return first or type(exc).__name__


def _int_in(source: str | Path, where: str, value: Any, limits: tuple[int, int]) -> int:
    low, high = limits
    if isinstance(value, bool) or not isinstance(value, int):
        raise CheckpointError(source, f"{where} must be an integer, got {value!r:.60}")
    if not low <= value <= high:
        raise CheckpointError(source, f"{where} = {value} is outside [{low}, {high}]")
    return value


def check_arch(arch: Any, source: str | Path = "checkpoint") -> dict[str, Any]:
    """The complete architecture of a checkpoint's ``arch`` entry (defaults filled in), or
    :class:`CheckpointError` for unknown keys, wrong types or sizes outside :data:`ARCH_LIMITS`."""
    if not isinstance(arch, Mapping):
        raise CheckpointError(source, f"'arch' must be a dict, got {type(arch).__name__}")
    unknown = sorted(str(k) for k in arch if k not in ARCH_KEYS)
    if unknown:
        raise CheckpointError(
            source, f"unknown architecture keys {unknown} (known: {', '.join(ARCH_KEYS)})"
        )
    merged = {**DEFAULT_ARCH, **arch}
    for key, kinds in (("conv", CONV_KINDS), ("pool", POOL_KINDS)):
        if not isinstance(merged[key], str) or merged[key] not in kinds:
            raise CheckpointError(
                source, f"arch {key} must be one of {', '.join(kinds)}, got {merged[key]!r:.60}"
            )
    for key, limits in ARCH_LIMITS.items():
        _int_in(source, f"arch {key}", merged[key], limits)
    if merged["conv"] == "gatv2" and merged["hidden"] % merged["heads"]:
        raise CheckpointError(
            source,
            f"arch hidden ({merged['hidden']}) is not divisible by heads ({merged['heads']})",
        )
    return merged


def check_obs_dims(obs: Any, source: str | Path = "checkpoint") -> dict[str, int]:
    """A checkpoint's ``obs`` entry: exactly ``node_dim`` and ``global_dim``, within
    :data:`OBS_LIMITS`."""
    if not isinstance(obs, Mapping) or set(obs) != set(OBS_LIMITS):
        raise CheckpointError(source, "'obs' must be a dict of exactly node_dim and global_dim")
    return {key: _int_in(source, f"obs {key}", obs[key], OBS_LIMITS[key]) for key in OBS_LIMITS}


def _check_tensors(state: Any, source: str | Path) -> Mapping[str, torch.Tensor]:
    """``state`` is a mapping of names to dense, finite CPU tensors."""
    if not isinstance(state, Mapping):
        raise CheckpointError(source, f"'policy' must be a state dict, got {type(state).__name__}")
    for key, value in state.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise CheckpointError(source, f"policy entry {key!r:.80} is not a named tensor")
        if value.layout != torch.strided or value.device.type != "cpu":
            raise CheckpointError(source, f"policy tensor {key} is not a dense CPU tensor")
        if (value.is_floating_point() or value.is_complex()) and not bool(
            torch.isfinite(value).all()
        ):
            raise CheckpointError(source, f"policy tensor {key} holds NaN or infinite values")
    return state


def check_payload(payload: Any, source: str | Path = "checkpoint") -> dict[str, Any]:
    """``payload`` as read from a file: this :data:`FORMAT`, a valid ``arch`` and ``obs``, a
    ``policy`` of finite tensors and a ``meta`` dict (shapes are checked against the rebuilt
    network by :func:`policy_from_payload`)."""
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(source, f"not a {FORMAT} checkpoint")
    for key in ("arch", "obs", "policy"):
        if key not in payload:
            raise CheckpointError(source, f"no {key!r} entry")
    check_arch(payload["arch"], source)
    check_obs_dims(payload["obs"], source)
    _check_tensors(payload["policy"], source)
    if not isinstance(payload.get("meta", {}), dict):
        raise CheckpointError(source, "'meta' must be a dict")
    return payload


def _layout(policy: torch.nn.Module) -> dict[str, tuple[tuple[int, ...], torch.dtype]]:
    """Name -> (shape, dtype) of every entry :func:`policy_state` would save."""
    return {
        k: (tuple(v.shape), v.dtype)
        for k, v in policy.state_dict().items()
        if not k.startswith(_ALIASES)
    }


def _keys(keys: list[str]) -> str:
    more = f" and {len(keys) - _SHOWN} more" if len(keys) > _SHOWN else ""
    return ", ".join(keys[:_SHOWN]) + more


def check_state_dict(
    state: Any,
    layout: Mapping[str, tuple[tuple[int, ...], torch.dtype]],
    source: str | Path = "checkpoint",
) -> dict[str, torch.Tensor]:
    """``state`` without SB3's extractor aliases, if it has exactly the keys of ``layout``, each
    with its shape and dtype, all finite; otherwise :class:`CheckpointError`."""
    tensors = {k: v for k, v in _check_tensors(state, source).items() if not k.startswith(_ALIASES)}
    missing = sorted(set(layout) - set(tensors))
    unexpected = sorted(set(tensors) - set(layout))
    if missing or unexpected:
        parts = [f"missing {_keys(missing)}"] if missing else []
        parts += [f"unexpected {_keys(unexpected)}"] if unexpected else []
        raise CheckpointError(
            source, f"policy weights do not fit the architecture: {'; '.join(parts)}"
        )
    for key, (shape, dtype) in layout.items():
        value = tensors[key]
        if tuple(value.shape) != shape:
            raise CheckpointError(
                source,
                f"policy tensor {key} has shape {tuple(value.shape)}, the architecture needs "
                f"{shape}",
            )
        if value.dtype != dtype:
            raise CheckpointError(source, f"policy tensor {key} is {value.dtype}, expected {dtype}")
    return tensors


def policy_state(policy: GraphPointerPolicy) -> dict[str, torch.Tensor]:
    """The policy's state dict without the shared-extractor aliases SB3 adds."""
    return {
        k: v.detach().clone() for k, v in policy.state_dict().items() if not k.startswith(_ALIASES)
    }


def load_policy_state(
    policy: GraphPointerPolicy, state: Mapping[str, torch.Tensor], source: str | Path = "checkpoint"
) -> None:
    """Load :func:`policy_state` output after :func:`check_state_dict` against ``policy``
    (every real parameter present, no other, same shapes and dtypes, all finite)."""
    tensors = check_state_dict(state, _layout(policy), source)
    policy.load_state_dict(tensors, strict=False)


def widened_node_inputs(payload: Mapping[str, Any], node_dim: int) -> dict[str, Any]:
    """``payload`` for observations with more node features, the new ones appended after the
    old: the columns of the raw node features in the encoder's input projection and (``skip=1``)
    at the end of the pointer head's first layer get zeros for the new features, so the widened
    network computes exactly what the old one did and training starts from it."""
    old = int(payload["obs"]["node_dim"])
    if node_dim < old:
        raise ValueError(f"cannot narrow node features from {old} to {node_dim}")
    extra = node_dim - old
    state = dict(payload["policy"])
    keys = ["features_extractor.node_encoder.input.weight"]
    if int(payload["arch"].get("skip", 0)):
        keys.append("pointer_head.0.weight")
    for key in keys:
        weight = state[key]
        state[key] = torch.cat([weight, weight.new_zeros(weight.shape[0], extra)], dim=1)
    obs = {**payload["obs"], "node_dim": node_dim}
    return {**payload, "obs": obs, "policy": state}


def load_initial_state(policy: GraphPointerPolicy, path: str | Path) -> None:
    """Start ``policy`` from the checkpoint at ``path`` (a config's ``init_from``); a checkpoint
    trained on fewer node features (an observation that gained features since) is widened with
    :func:`widened_node_inputs`, and a note says so."""
    payload = load_checkpoint(path)
    node_dim = obs_dims(policy.observation_space)["node_dim"]
    if int(payload["obs"]["node_dim"]) < node_dim:
        print(
            f"init_from {path}: node features {payload['obs']['node_dim']} -> {node_dim}, "
            "the new inputs start at zero weight",
            flush=True,
        )
        payload = widened_node_inputs(payload, node_dim)
    load_policy_state(policy, payload["policy"], path)


def obs_dims(observation_space: spaces.Dict) -> dict[str, int]:
    """The feature sizes a network depends on (the only size-like facts it needs)."""
    node_shape = observation_space["node_features"].shape
    global_shape = observation_space["global_features"].shape
    assert node_shape is not None and global_shape is not None
    return {"node_dim": int(node_shape[-1]), "global_dim": int(global_shape[-1])}


def atomic_save(payload: Mapping[str, Any], path: str | Path) -> Path:
    """``torch.save`` to ``path`` via a temporary file and ``os.replace`` (the temporary file is
    removed if the write fails)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            torch.save(dict(payload), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def make_payload(
    policy: GraphPointerPolicy, meta: Mapping[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """The shippable part of a checkpoint, plus any ``extra`` top-level entries."""
    return {
        "format": FORMAT,
        "arch": dict(policy.arch),
        "obs": obs_dims(policy.observation_space),
        "policy": policy_state(policy),
        "meta": dict(meta or {}),
        **extra,
    }


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint safely (``weights_only=True``) and check it (:func:`check_payload`)."""
    source = Path(path)
    checkpoint_file(source)
    try:
        with warnings.catch_warnings():  # e.g. "Detected pickle protocol 4": one error, no noise
            warnings.simplefilter("ignore")
            payload = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt or unsafe content: refuse, name the file
        reason = _load_failure(exc)
        raise CheckpointError(source, f"not a readable {FORMAT} checkpoint ({reason})") from None
    return check_payload(payload, source)


def _build(
    observation_space: spaces.Dict,
    action_space: spaces.Discrete,
    arch: dict[str, Any],
    source: str | Path,
) -> GraphPointerPolicy:
    try:
        return build_policy(observation_space, action_space, arch)
    except (ValueError, TypeError, RuntimeError) as exc:
        raise CheckpointError(source, f"architecture {arch} cannot be built ({exc})") from None


def policy_from_payload(
    payload: Mapping[str, Any],
    observation_space: spaces.Space[Any] | None = None,
    action_space: spaces.Space[Any] | None = None,
    source: str | Path = "checkpoint",
) -> GraphPointerPolicy:
    """Rebuild the policy of a checkpoint, for the given spaces (any instance size) or, without
    spaces, for a minimal placeholder (``action_logits`` still runs on any size).

    The weights are checked against the network the architecture builds (first on the ``meta``
    device, so a wrong architecture allocates nothing); faults raise :class:`CheckpointError`
    naming ``source``."""
    arch = check_arch(payload.get("arch"), source)
    dims = check_obs_dims(payload.get("obs"), source)
    if observation_space is None:
        observation_space = graph_observation_space(1, dims["node_dim"], 1, 1, dims["global_dim"])
        action_space = spaces.Discrete(1)
    if not isinstance(observation_space, spaces.Dict) or not isinstance(
        action_space, spaces.Discrete
    ):
        raise CheckpointError(
            source, "the graph policy needs a Dict observation and Discrete action space"
        )
    if obs_dims(observation_space) != dims:
        raise CheckpointError(
            source, f"checkpoint expects features {dims}, env gives {obs_dims(observation_space)}"
        )
    with torch.device("meta"):
        skeleton = _build(observation_space, action_space, arch, source)
    check_state_dict(payload.get("policy"), _layout(skeleton), source)
    policy = _build(observation_space, action_space, arch, source)
    load_policy_state(policy, payload["policy"], source)
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
