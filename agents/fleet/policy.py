"""The fleet agent's parameters, its checkpoint file, and playing a day with it.

:class:`FleetPolicy` holds the scoring network of :mod:`schedgym.agents.fleet.kernel` (``w_in``,
``b_in``,
``w_out``, ``w_skip``) and the forecast horizon. It flattens to one vector (what evolution
strategies perturb, :mod:`schedgym.agents.fleet.es`) and is stored as a ``.npz`` file read with
``allow_pickle=False`` (no code runs on load), with a JSON string of metadata. Loading checks
every array's presence, shape, dtype and finiteness before the compiled kernel sees it
(:func:`read_checkpoint`); a bad file raises one :class:`FleetCheckpointError`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.npyio import NpzFile

from schedgym.agents.fleet.kernel import FEATURES, NUM_FEATURES, agent_action, agent_rollout
from schedgym.core.errors import InstanceFormatError
from schedgym.core.files import checked_input_file
from schedgym.fleet.dynamics import demand_rates
from schedgym.fleet.instance import FleetScenario
from schedgym.fleet.network import Network
from schedgym.fleet.simulator import FleetSimulator

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent.parent / "checkpoints" / "fleet_agent.npz"
MEMBERS = ("w_in", "b_in", "w_out", "w_skip", "meta")
"""The arrays of a checkpoint, no other."""
MAX_HIDDEN = 4096
"""Most hidden units a checkpoint may have (the shipped one has 16)."""
MAX_HORIZON = 100_000
"""Largest forecast horizon, in epochs (the kernel clips it to the day; the shipped one is 6)."""
MAX_FILE_BYTES = 64 << 20
"""Largest checkpoint file, and largest unpacked array, read (64 MiB)."""


def forecast_table(scenario: FleetScenario) -> np.ndarray:
    """``(T + 1, V)``: expected passengers leaving each vertiport before epoch ``t`` (the
    scenario's demand model, known in advance; not the realised day)."""
    rates = demand_rates(scenario).sum(axis=2)
    ports = scenario.num_vertiports
    return np.concatenate([np.zeros((1, ports)), np.cumsum(rates, axis=0)])


def money_scale(net: Network) -> float:
    """Money unit of the features: the largest margin times the largest cabin."""
    return max(float(net.margin.max()) * float(net.seats.max()), 1.0)


@dataclass
class FleetPolicy:
    """The scoring network (see :mod:`schedgym.agents.fleet.kernel`) and its feature horizon."""

    w_in: np.ndarray  # (F, H)
    b_in: np.ndarray  # (H,)
    w_out: np.ndarray  # (H,)
    w_skip: np.ndarray  # (F,)
    horizon: int = 6
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def initial(cls, hidden: int, horizon: int, rng: np.random.Generator) -> FleetPolicy:
        """Small random hidden weights; the skip weights start as "take the most valuable
        action" (``value`` = 1), a myopic dispatcher for the search to improve on."""
        w_skip = np.zeros(NUM_FEATURES)
        w_skip[FEATURES.index("value")] = 1.0
        return cls(
            w_in=rng.normal(0.0, 1.0 / np.sqrt(NUM_FEATURES), (NUM_FEATURES, hidden)),
            b_in=np.zeros(hidden),
            w_out=np.zeros(hidden),
            w_skip=w_skip,
            horizon=horizon,
        )

    @property
    def hidden(self) -> int:
        """Hidden units of the network."""
        return int(self.b_in.shape[0])

    def flat(self) -> np.ndarray:
        """All weights as one vector."""
        return np.concatenate([self.w_in.ravel(), self.b_in, self.w_out, self.w_skip])

    def with_flat(self, theta: np.ndarray) -> FleetPolicy:
        """A policy of the same shape with weights ``theta`` (see :meth:`flat`)."""
        f, h = NUM_FEATURES, self.hidden
        sizes = np.cumsum([f * h, h, h, f])
        if theta.shape != (int(sizes[-1]),):
            raise ValueError(f"expected {int(sizes[-1])} weights, got {theta.shape}")
        w_in, b_in, w_out, w_skip = np.split(np.asarray(theta, dtype=np.float64), sizes[:-1])
        return FleetPolicy(w_in.reshape(f, h), b_in, w_out, w_skip, self.horizon, dict(self.meta))

    # ------------------------------------------------------------------ playing
    def play(self, sim: FleetSimulator, forecast: np.ndarray | None = None) -> float:
        """Play ``sim``'s whole day from the start (compiled); return the running profit."""
        table = forecast_table(sim.scenario) if forecast is None else forecast
        return sim.play_compiled(
            agent_rollout,
            table,
            self.horizon,
            money_scale(sim.net),
            self.w_in,
            self.b_in,
            self.w_out,
            self.w_skip,
        )

    def action(self, sim: FleetSimulator, forecast: np.ndarray) -> int:
        """The action (kernel encoding) for ``sim``'s deciding aircraft, one step at a time."""
        x = np.zeros((sim.num_ports + 1, NUM_FEATURES))
        return int(
            agent_action(
                sim.net,
                sim.state,
                forecast,
                sim.aircraft,
                sim.mask,
                x,
                self.horizon,
                money_scale(sim.net),
                self.w_in,
                self.b_in,
                self.w_out,
                self.w_skip,
            )
        )

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path) -> None:
        """Write the ``.npz`` checkpoint (atomically)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**self.meta, "features": list(FEATURES), "horizon": self.horizon}
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(
            tmp,
            w_in=self.w_in,
            b_in=self.b_in,
            w_out=self.w_out,
            w_skip=self.w_skip,
            meta=np.array(json.dumps(meta, sort_keys=True)),
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path | None = None) -> FleetPolicy:
        """Read a checkpoint (default: the shipped one) after checking it (see
        :func:`read_checkpoint`); any fault raises :class:`FleetCheckpointError`."""
        path = Path(path) if path is not None else DEFAULT_CHECKPOINT
        arrays, meta = read_checkpoint(path)
        return cls(horizon=int(meta["horizon"]), meta=meta, **arrays)


class FleetCheckpointError(InstanceFormatError, ValueError):
    """A fleet agent checkpoint that is missing, unreadable or not in the expected layout; the
    message is one line, ``FILE: what is wrong`` (bad input: the CLI exits 2)."""

    def __init__(self, source: str | Path, message: str) -> None:
        super().__init__(source, message)


def checkpoint_file(path: str | Path) -> os.stat_result:
    """``os.stat`` of ``path`` if it is a regular, non-empty file of at most
    :data:`MAX_FILE_BYTES`; otherwise :class:`FleetCheckpointError` (the file is not opened)."""
    return checked_input_file(
        path, MAX_FILE_BYTES, FleetCheckpointError, "no fleet agent checkpoint"
    )


def checkpoint_key(
    checkpoint: str | os.PathLike[str] | None, default: Path
) -> tuple[str, str, tuple[int, int]]:
    """``(path, resolved path, (mtime_ns, size))`` of ``checkpoint`` (``default`` when ``None``),
    for caching a loaded policy per file version; a ``checkpoint`` that is not a path, or a file
    :func:`checkpoint_file` refuses, raises :class:`FleetCheckpointError` first."""
    if checkpoint is not None and not isinstance(checkpoint, str | os.PathLike):
        raise FleetCheckpointError(f"checkpoint={checkpoint!r:.60}", "not a file path")
    path = Path(checkpoint) if checkpoint is not None else default
    info = checkpoint_file(path)
    return str(path), str(path.resolve()), (info.st_mtime_ns, info.st_size)


def _reason(exc: BaseException) -> str:
    """The first sentence of an exception's message (at most 160 characters)."""
    first = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), "")
    return first.split(". ", 1)[0].rstrip(".")[:160] or type(exc).__name__


def _members(path: Path) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` archive (no pickle), exactly :data:`MEMBERS`."""
    try:
        with open(path, "rb") as handle:
            magic = handle.read(6)
        if magic == b"\x93NUMPY":
            raise FleetCheckpointError(
                path, "a single .npy array, not the .npz archive of an agent"
            )
        if not magic.startswith(b"PK"):
            raise FleetCheckpointError(path, "not an .npz archive (no zip signature)")
        data = np.load(path, allow_pickle=False)
    except FleetCheckpointError:
        raise
    except Exception as exc:  # truncated, corrupt...: name the file, one line
        raise FleetCheckpointError(path, f"not a readable .npz archive ({_reason(exc)})") from None
    if not isinstance(data, NpzFile):  # pragma: no cover (the signatures above decide)
        raise FleetCheckpointError(path, "not an .npz archive")
    with data:
        names = set(data.files)
        missing, unexpected = sorted(set(MEMBERS) - names), sorted(names - set(MEMBERS))
        if missing or unexpected:
            parts = [f"missing {', '.join(missing)}"] if missing else []
            more = f" and {len(unexpected) - 3} more" if len(unexpected) > 3 else ""
            parts += [f"unexpected {', '.join(unexpected[:3])}{more}"] if unexpected else []
            raise FleetCheckpointError(
                path, f"expected the arrays {', '.join(MEMBERS)}: {'; '.join(parts)}"
            )
        sizes = {info.filename: info.file_size for info in data.zip.infolist()} if data.zip else {}
        for name in MEMBERS:
            if sizes.get(f"{name}.npy", 0) > MAX_FILE_BYTES:
                raise FleetCheckpointError(path, f"array {name} unpacks to over {MAX_FILE_BYTES}")
        try:
            return {name: data[name] for name in MEMBERS}
        except Exception as exc:  # a corrupt member, an object array
            raise FleetCheckpointError(path, f"unreadable array ({_reason(exc)})") from None


def _meta(path: Path, value: np.ndarray) -> dict[str, Any]:
    if value.shape != () or value.dtype.kind != "U":
        raise FleetCheckpointError(path, "meta must be one JSON string")
    try:
        meta = json.loads(str(value))
    except (ValueError, RecursionError) as exc:
        raise FleetCheckpointError(path, f"meta is not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise FleetCheckpointError(path, "meta must be a JSON object")
    if meta.get("features") != list(FEATURES):
        raise FleetCheckpointError(path, f"written for other features ({meta.get('features')})")
    horizon = meta.get("horizon")
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= MAX_HORIZON:
        raise FleetCheckpointError(
            path, f"meta horizon must be an integer in [1, {MAX_HORIZON}], got {horizon!r:.40}"
        )
    return meta


def read_checkpoint(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The weights and metadata of a fleet checkpoint, checked before use: a regular file (at
    most :data:`MAX_FILE_BYTES`), an ``.npz`` archive read with ``allow_pickle=False`` holding
    exactly :data:`MEMBERS`; ``w_in`` ``(F, H)``, ``b_in`` and ``w_out`` ``(H,)``, ``w_skip``
    ``(F,)``, all float64 and finite, ``F`` the kernel's feature count and ``1 <= H <=``
    :data:`MAX_HIDDEN`; ``meta`` a JSON object with the kernel's feature list and an integer
    ``horizon`` in ``[1, MAX_HORIZON]``. Any fault raises :class:`FleetCheckpointError`."""
    path = Path(path)
    checkpoint_file(path)
    members = _members(path)
    hidden = members["b_in"].shape[0] if members["b_in"].ndim == 1 else -1
    if not 1 <= hidden <= MAX_HIDDEN:
        raise FleetCheckpointError(
            path,
            f"b_in has shape {members['b_in'].shape}, expected (H,) with 1 <= H <= {MAX_HIDDEN}",
        )
    expected = {
        "w_in": (NUM_FEATURES, hidden),
        "b_in": (hidden,),
        "w_out": (hidden,),
        "w_skip": (NUM_FEATURES,),
    }
    arrays: dict[str, np.ndarray] = {}
    for name, shape in expected.items():
        value = members[name]
        if value.shape != shape:
            raise FleetCheckpointError(
                path, f"{name} has shape {value.shape}, expected {shape} ({NUM_FEATURES} features)"
            )
        if value.dtype != np.float64:
            raise FleetCheckpointError(path, f"{name} has dtype {value.dtype}, expected float64")
        if not np.isfinite(value).all():
            raise FleetCheckpointError(path, f"{name} holds NaN or infinite values")
        arrays[name] = np.ascontiguousarray(value)
    return arrays, _meta(path, members["meta"])
