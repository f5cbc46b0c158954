"""Training configuration: typed dataclasses read from (and written to) YAML.

Unknown or mistyped keys raise :class:`ConfigError` naming the file and the field. The
problem-specific parts (instance sizes, validation instances, the reference heuristic) come from
the problem's descriptor (:class:`schedgym.core.problem.Problem`); ``experiments/configs/``
has one commented config per problem and method.
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

import yaml

from schedgym.core.solver import available_solvers

if TYPE_CHECKING:
    from schedgym.core.problem import Problem

Method = Literal["self_label", "ppo"]
VecKind = Literal["dummy", "subproc"]
T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration file or value is invalid (the message names the field)."""


def resolve_env_id(name: str, source: str) -> str:
    """The env id of a registered problem, given its name (``"socdag"``) or its env id."""
    from schedgym.problems import all_problems

    by_name = {p.name: p.env_id for p in all_problems()}
    if name in by_name:
        return by_name[name]
    if name in by_name.values():
        return name
    known = ", ".join(f"{n} ({e})" for n, e in by_name.items())
    raise ConfigError(f"{source}: env {name!r} is not a registered problem (known: {known})")


def problem_of(env_id: str) -> Problem:
    """The registered problem whose env is ``env_id``."""
    from schedgym.problems import all_problems

    for problem in all_problems():
        if problem.env_id == env_id:
            return problem
    raise ConfigError(f"env {env_id!r} is not a registered problem")


@dataclass
class CurriculumConfig:
    """Instance sizes over the run: each entry of ``sizes`` (keyword arguments of the problem's
    generator, e.g. ``{num_jobs: [6, 10], num_machines: [5, 8]}``) takes an equal share of the
    steps, in order. Empty: the first size level of the problem's sampler. ``mix: true``
    (self-labelling only): no order; each training instance draws its entry uniformly, so a run
    can keep a distribution it was trained on while it learns another."""

    sizes: list[dict[str, Any]] = field(default_factory=list)
    mix: bool = False


@dataclass
class PPOConfig:
    """MaskablePPO hyperparameters (SB3 names; ``n_steps`` per env, so a rollout holds
    ``n_steps * n_envs`` decisions)."""

    learning_rate: float = 1e-3
    n_steps: int = 128
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

    ``label_solvers`` (e.g. ``["mwkr"]`` for the job shop) adds the solutions of solvers that
    report their env actions (``info["actions"]``) to the candidates, so that the labels start at
    least as good as those solvers; ``label_options`` gives a label solver keyword options by
    name (e.g. ``{"tabu": {"iterations": 2000, "construction": "active"}}``). With
    ``include_greedy`` the policy's own greedy solution of each instance is a candidate too, and
    the one kept on ties: a sample (or a label solver's solution) becomes the label only when it
    is strictly better, so a nearly deterministic policy (e.g. a behaviour clone) is not trained
    on samples that merely tie its greedy choice. ``batch_size`` counts decisions per gradient
    step.
    """

    learning_rate: float = 2e-4
    instances_per_iter: int = 8
    samples: int = 32
    batch_size: int = 512
    epochs: int = 1
    max_grad_norm: float = 1.0
    label_solvers: list[str] = field(default_factory=list)
    label_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    include_greedy: bool = False


@dataclass
class ValidationConfig:
    """Greedy evaluation on ``num_instances`` fixed seeded instances of each of ``sizes``
    (generator arguments; empty: the curriculum's first size), every ``every`` env steps.
    ``val_score`` is the mean ratio of the agent's objective to the problem's reference
    heuristic's, oriented so that lower is better and 1.0 ties the heuristic; the checkpoint with
    the lowest ``val_score`` is kept. ``reference`` names another registered solver of the
    problem to compare with (default: the problem's ``training.reference_solver``)."""

    sizes: list[dict[str, Any]] = field(default_factory=list)
    num_instances: int = 16
    seed: int = 10_000
    every: int = 20_000
    reference: str | None = None


@dataclass
class TrainConfig:
    """Everything one training run needs; ``train(config)`` reproduces it exactly.

    ``env_id`` takes a problem name (``jobshop``, ``socdag``, ``memory``, ``fleet``) or an env id;
    ``env_kwargs`` go to every env (over the problem's training defaults); ``objective_key``
    names the ``info`` entry holding an episode's objective when it is not the problem's (which
    may depend on the env options: the SoC stream's is ``avg_latency``).
    """

    name: str = "agent"
    method: Method = "ppo"
    seed: int = 0
    env_id: str = "schedgym/JobShop-v0"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    total_steps: int = 200_000
    n_envs: int = 16
    vec_env: VecKind = "dummy"
    arch: dict[str, Any] = field(default_factory=dict)
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)
    ppo: PPOConfig = field(default_factory=PPOConfig)
    self_label: SelfLabelConfig = field(default_factory=SelfLabelConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)
    checkpoint_every: int = 10_000
    run_dir: str = "runs/{name}"
    init_from: str | None = None
    objective_key: str | None = None

    @property
    def run_path(self) -> Path:
        """The run folder (``run_dir`` with ``{name}`` filled in)."""
        return Path(self.run_dir.format(name=self.name))

    @property
    def problem(self) -> Problem:
        """The problem this run trains on."""
        return problem_of(self.env_id)

    def train_sizes(self) -> list[dict[str, Any]]:
        """The curriculum's size settings (the problem's first level when none are given)."""
        sampler = self.problem.sampler
        assert sampler is not None
        return [dict(s) for s in self.curriculum.sizes] or [dict(sampler.sizes[0])]

    def validation_sizes(self) -> list[dict[str, Any]]:
        """The validation size settings (the curriculum's first size when none are given)."""
        return [dict(s) for s in self.validation.sizes] or self.train_sizes()[:1]

    def size_at(self, step: int) -> dict[str, Any]:
        """The curriculum size in force at env step ``step``."""
        sizes = self.train_sizes()
        share = step / max(self.total_steps, 1)
        return sizes[min(len(sizes) - 1, max(0, int(share * len(sizes))))]

    def env_options(self) -> dict[str, Any]:
        """Keyword arguments of every env: the problem's training defaults, then ``env_kwargs``."""
        hooks = self.problem.training
        return {**(dict(hooks.env_kwargs) if hooks else {}), **self.env_kwargs}

    def episode_objective_key(self) -> str:
        """The ``info`` key of an episode's objective: ``objective_key``, else the problem's
        under this run's env options (the SoC stream's ``avg_latency``)."""
        hooks = self.problem.training
        assert hooks is not None
        return self.objective_key or hooks.under(self.env_options())[0]

    def reference_solver(self) -> str:
        """The solver ``val_score`` compares with: ``validation.reference``, else the problem's
        under this run's env options (HEFT, or HEFT-RT in the SoC stream mode)."""
        hooks = self.problem.training
        assert hooks is not None
        return self.validation.reference or hooks.under(self.env_options())[1]

    def decision_options(self) -> dict[str, Any]:
        """The env options of this run that change what an action means (the problem's
        ``decision_options``), as recorded in its checkpoints' ``meta["env_options"]``."""
        hooks = self.problem.training
        return hooks.decisions(self.env_options()) if hooks else {}

    def to_dict(self) -> dict[str, Any]:
        """Plain data (tuples as lists), ready for YAML or a checkpoint."""
        return plain_config(self)

    @staticmethod
    def from_dict(data: dict[str, Any], source: str = "<config>") -> TrainConfig:
        """Build and check a config from plain data; errors name ``source`` and the field."""
        config = _build(TrainConfig, data, source, "")
        config.env_id = resolve_env_id(config.env_id, f"{source}: env_id")
        problem = config.problem
        if problem.sampler is None or problem.training is None:
            raise ConfigError(f"{source}: problem {problem.name!r} has no training hooks")
        for key in ("total_steps", "n_envs", "checkpoint_every"):
            if getattr(config, key) < 1:
                raise ConfigError(f"{source}: {key} must be >= 1")
        if config.validation.every < 1 or config.validation.num_instances < 1:
            raise ConfigError(f"{source}: validation.every and num_instances must be >= 1")
        if config.curriculum.mix and config.method != "self_label":
            raise ConfigError(f"{source}: curriculum.mix is supported by method self_label only")
        reference = config.validation.reference
        if reference is not None and reference not in available_solvers(problem.name):
            raise ConfigError(f"{source}: validation.reference {reference!r} is not a solver")
        for where, sizes in (
            ("curriculum", config.curriculum.sizes),
            ("validation", config.validation.sizes),
        ):
            for size in sizes:
                try:
                    problem.sampler.generator(**size)
                except (TypeError, ValueError) as exc:
                    raise ConfigError(f"{source}: {where}.sizes entry {size}: {exc}") from None
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
