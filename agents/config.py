"""Training configuration: typed dataclasses read from (and written to) YAML.

Unknown or mistyped keys raise :class:`ConfigError` naming the file and the field. See
``experiments/configs/jobshop_ppo.yaml`` for a commented example of every field.
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

import yaml

Method = Literal["self_label", "ppo"]
ENV_ALIASES = {"jobshop": "schedgym/JobShop-v0"}
T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration file or value is invalid (the message names the field)."""


def check_env_id(env_id: str, source: str) -> None:
    """The graph-neural trainers' curriculum and validation know job-shop sizes only."""
    if env_id != ENV_ALIASES["jobshop"]:
        raise ConfigError(
            f"{source}: env_id {env_id!r}: the self_label and ppo trainers have a job-shop size "
            "curriculum and validation only (schedgym/JobShop-v0); the fleet agent trains with "
            "method: es (experiments/configs/fleet_es.yaml)"
        )


@dataclass
class CurriculumConfig:
    """Random instance sizes growing linearly from ``*_start`` to ``*_end`` ranges in ``stages``
    equal parts of the run (stage ``i`` interpolates the range bounds by ``i / (stages - 1)``)."""

    num_jobs_start: tuple[int, int] = (6, 10)
    num_jobs_end: tuple[int, int] = (10, 15)
    num_machines_start: tuple[int, int] = (6, 8)
    num_machines_end: tuple[int, int] = (8, 15)
    stages: int = 4

    def stage(self, progress: float) -> int:
        """Stage index for a run fraction ``progress`` in ``[0, 1]``."""
        return min(self.stages - 1, max(0, int(progress * self.stages)))

    def ranges(self, stage: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """``(num_jobs, num_machines)`` ranges of ``stage``."""
        t = 0.0 if self.stages <= 1 else stage / (self.stages - 1)

        def lerp(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
            lo, hi = (round(a[i] + (b[i] - a[i]) * t) for i in range(2))
            return (int(lo), int(max(lo, hi)))

        return (
            lerp(self.num_jobs_start, self.num_jobs_end),
            lerp(self.num_machines_start, self.num_machines_end),
        )

    def max_sizes(self) -> tuple[int, int]:
        """Largest ``(jobs, machines)`` over the whole curriculum (the padding for PPO)."""
        jobs = max(self.num_jobs_start[1], self.num_jobs_end[1])
        machines = max(self.num_machines_start[1], self.num_machines_end[1])
        return jobs, machines


@dataclass
class PPOConfig:
    """MaskablePPO hyperparameters (SB3 names)."""

    learning_rate: float = 3e-4
    n_steps: int = 512
    batch_size: int = 256
    n_epochs: int = 4
    gamma: float = 1.0
    gae_lambda: float = 0.95
    clip_range: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5


@dataclass
class SelfLabelConfig:
    """Self-labelling (Corsini et al. 2024): sample ``samples`` solutions of each of
    ``instances_per_iter`` instances, keep the best, train by cross-entropy on its actions.

    ``rule_candidates`` (e.g. ``["mwkr"]``) adds rule-built solutions to the candidates, so the
    labels start at least as good as the rule. ``batch_size`` counts decisions per gradient step.
    """

    learning_rate: float = 2e-4
    instances_per_iter: int = 8
    samples: int = 32
    batch_size: int = 512
    epochs: int = 1
    max_grad_norm: float = 1.0
    rule_candidates: list[str] = field(default_factory=list)


@dataclass
class ValidationConfig:
    """Greedy evaluation on fixed seeded instances ``num_instances`` per size, every ``every``
    training steps; the checkpoint with the lowest mean makespan / lower-bound ratio is kept."""

    sizes: list[tuple[int, int]] = field(default_factory=lambda: [(10, 10), (15, 15)])
    num_instances: int = 8
    seed: int = 10_000
    every: int = 20_000


@dataclass
class TrainConfig:
    """Everything one training run needs; ``train(config)`` reproduces it exactly."""

    name: str = "jobshop_gnn"
    method: Method = "self_label"
    seed: int = 0
    env_id: str = "schedgym/JobShop-v0"
    env_kwargs: dict[str, Any] = field(default_factory=lambda: {"reward_scale": 0.01})
    total_steps: int = 200_000
    n_envs: int = 1
    arch: dict[str, Any] = field(default_factory=dict)
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)
    ppo: PPOConfig = field(default_factory=PPOConfig)
    self_label: SelfLabelConfig = field(default_factory=SelfLabelConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)
    checkpoint_every: int = 10_000
    run_dir: str = "runs/{name}"
    export: str | None = None
    init_from: str | None = None

    @property
    def run_path(self) -> Path:
        """The run folder (``run_dir`` with ``{name}`` filled in)."""
        return Path(self.run_dir.format(name=self.name))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (tuples as lists), ready for YAML or a checkpoint."""
        return plain_config(self)

    @staticmethod
    def from_dict(data: dict[str, Any], source: str = "<config>") -> TrainConfig:
        """Build and check a config from plain data; errors name ``source`` and the field."""
        config = _build(TrainConfig, data, source, "")
        config.env_id = ENV_ALIASES.get(config.env_id, config.env_id)
        if config.method not in ("self_label", "ppo"):
            raise ConfigError(
                f"{source}: method must be 'self_label' or 'ppo', not {config.method!r}"
            )
        check_env_id(config.env_id, source)
        return config

    @staticmethod
    def from_yaml(path: str | Path) -> TrainConfig:
        """Read a YAML config file."""
        return TrainConfig.from_dict(read_config_mapping(path), str(path))

    def write_yaml(self, path: str | Path) -> None:
        """Write this config as YAML."""
        Path(path).write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))


def plain_config(config: Any) -> dict[str, Any]:
    """A config dataclass as plain data (tuples as lists), ready for YAML or a checkpoint."""
    return _plain(dataclasses.asdict(config))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _scalar_ok(hint: Any, value: Any) -> bool:
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    return True


def _convert(hint: Any, value: Any, source: str, key: str) -> Any:
    where = f"{source}: {key}"
    origin = get_origin(hint)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping")
        return _build(hint, value, source, key + ".")  # type: ignore[arg-type]
    if origin in (Union, types.UnionType):
        if value is None and type(None) in get_args(hint):
            return None
        inner = [a for a in get_args(hint) if a is not type(None)]
        return _convert(inner[0], value, source, key)
    if origin is Literal:
        if value not in get_args(hint):
            raise ConfigError(f"{where}: must be one of {get_args(hint)}, got {value!r}")
        return value
    if origin is tuple:
        args = get_args(hint)
        if not isinstance(value, list | tuple) or len(value) != len(args):
            raise ConfigError(f"{where}: expected a list of {len(args)} values")
        return tuple(_convert(a, v, source, key) for a, v in zip(args, value, strict=True))
    if origin is list:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list")
        return [_convert(get_args(hint)[0], v, source, key) for v in value]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping")
        return dict(value)
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not _scalar_ok(hint, value):
        raise ConfigError(f"{where}: expected {getattr(hint, '__name__', hint)}, got {value!r}")
    return value


def read_config_mapping(path: str | Path) -> dict[str, Any]:
    """The top-level mapping of a YAML config file; ``ConfigError`` naming the file otherwise."""
    source = Path(path)
    try:
        data = yaml.safe_load(source.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such config file") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: invalid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: top level must be a mapping")
    return data


def build_config(cls: type[T], data: dict[str, Any], source: str) -> T:
    """The dataclass ``cls`` from plain data, nested dataclasses included; unknown fields and
    values of the wrong type raise ``ConfigError`` naming ``source`` and the dotted field."""
    return _build(cls, data, source, "")


def _build(cls: type, data: dict[str, Any], source: str, prefix: str) -> Any:
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{source}: unknown field {prefix}{unknown[0]} (known: {sorted(names)})")
    kwargs = {k: _convert(hints[k], v, source, f"{prefix}{k}") for k, v in data.items()}
    return cls(**kwargs)
