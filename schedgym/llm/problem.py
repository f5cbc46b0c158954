"""The LLM-serving problem's descriptor (:data:`PROBLEM`) and its instance loader.

An instance is a request workload served by a GPU pool (:class:`ServingInstance`). Shipped
instances are the two Azure 2023 traces in full on :data:`DEFAULT_CLUSTER`; a trace CSV path is
loaded on the same pool. The generated suites draw smaller seeded workloads at two load levels
(:data:`LIGHT`, :data:`HEAVY`). The objective is the validator's SLO attainment (share of
requests with TTFT <= 2 s and mean time per output token <= 0.1 s), maximised.
"""

from __future__ import annotations

from pathlib import Path

from schedgym.core.errors import UnknownNameError
from schedgym.core.generated import GeneratedSuite, dataclass_fingerprint
from schedgym.core.problem import Demo, Problem, Sampler, Score, TrainingHooks
from schedgym.datasets import llm as shipped
from schedgym.llm.formats import read_trace
from schedgym.llm.generator import ServingGenerator
from schedgym.llm.instance import Cluster, ServingInstance
from schedgym.llm.schedule import ServingSchedule, read_schedule, write_schedule

#: The pool shipped traces and trace files are served by: 4 x Llama-2-7B, one A100 each.
DEFAULT_CLUSTER = Cluster.uniform("llama-2-7b", "a100", 4)
#: The shipped suite of both full traces.
SHIPPED_SUITE = "azure2023"


def read_file(path: str | Path) -> ServingInstance:
    """A trace CSV served by :data:`DEFAULT_CLUSTER`."""
    workload = read_trace(path)
    return ServingInstance(workload, DEFAULT_CLUSTER)


class ShippedTraces:
    """The shipped data as a :class:`~schedgym.core.problem.Dataset`: each Azure 2023 trace
    (``azure2023_conv``: 19,366 requests; ``azure2023_code``: 8,819) in full on
    :data:`DEFAULT_CLUSTER`; no reference values (no optimum is known)."""

    def load(self, name: str) -> ServingInstance:
        """The shipped trace ``name`` on the default pool."""
        if name not in shipped.TRACES:
            raise UnknownNameError(f"unknown llm instance {name!r}")
        return ServingInstance(read_trace(shipped.trace_path(name)), DEFAULT_CLUSTER)

    def has_instance(self, name: str) -> bool:
        """Whether ``name`` is a shipped trace."""
        return name in shipped.TRACES

    def suite(self, name: str) -> list[str]:
        """The shipped suite ``azure2023`` (both traces)."""
        if name != SHIPPED_SUITE:
            raise UnknownNameError(f"unknown llm suite {name!r} (shipped: {SHIPPED_SUITE})")
        return list(shipped.TRACES)

    def suite_names(self) -> list[str]:
        """Every shipped suite name."""
        return [SHIPPED_SUITE]

    def reference(self, name: str) -> float | None:
        """None: no reference is known for the shipped traces."""
        return None


def load_instance(name_or_path: str | Path) -> ServingInstance:
    """A shipped trace or generated instance by name, or a trace CSV by path."""
    instance: ServingInstance = PROBLEM.load(name_or_path)
    return instance


def _slo_attainment(instance: ServingInstance, schedule: ServingSchedule) -> float:
    from schedgym.llm.validate import validate_schedule

    return validate_schedule(instance, schedule).slo_attainment


def _write(schedule: ServingSchedule, objective: float, path: Path) -> None:
    write_schedule(schedule, path, slo_attainment=objective)


def _render(instance: ServingInstance, schedule: ServingSchedule, path: Path, fmt: str) -> None:
    from schedgym.llm.render import save_serving_plot

    save_serving_plot(instance, schedule, path, fmt=fmt)


def size_group(instance: ServingInstance) -> str:
    """``"R replicas"``: the size of the pool."""
    return f"{instance.num_replicas} replicas"


#: Generated load levels: 300-400 conversation-like requests on 2-4 Llama-2-7B A100 replicas,
#: at 6 (light) and 12 (heavy) requests/s per replica.
LIGHT = ServingGenerator(num_requests=(300, 400), num_replicas=(2, 4), rate_per_replica=6.0)
HEAVY = ServingGenerator(num_requests=(300, 400), num_replicas=(2, 4), rate_per_replica=12.0)
GEN_LIGHT = GeneratedSuite("llm-light", 1, 0, 10, LIGHT.sample)
GEN_HEAVY = GeneratedSuite("llm-heavy", 1, 0, 10, HEAVY.sample)

#: Metric: SLO attainment from the validator's replay (maximised). Score: its mean. Suites: the
#: shipped ``azure2023`` (both full traces) and the generated ``llm-light-gen1-s0-n10`` and
#: ``llm-heavy-gen1-s0-n10``.
PROBLEM = Problem(
    name="llm",
    title="LLM-inference serving",
    env_id="schedgym/LLMServing-v0",
    env_entry_point="schedgym.llm.env:LLMServingEnv",
    objective_name="slo_attainment",
    direction="max",
    schedule_type=ServingSchedule,
    dataset=ShippedTraces(),
    load_file=read_file,
    validate=_slo_attainment,
    write_schedule=_write,
    read_schedule=lambda path, instance: read_schedule(path),
    render=_render,
    size_group=size_group,
    fingerprint=dataclass_fingerprint,
    scores=(Score.objective("SLO attainment", lower_is_better=False),),
    demo=Demo(GEN_HEAVY.name, ("round-robin", "least-loaded", "shortest-queue", "sarathi"), (1.0,)),
    generated=(GEN_LIGHT, GEN_HEAVY),
    sampler=Sampler(
        sizes=(
            {"num_requests": (40, 80), "num_replicas": (2, 3), "rate_per_replica": (4.0, 8.0)},
            {"num_requests": (80, 160), "num_replicas": (2, 4), "rate_per_replica": (6.0, 12.0)},
            {
                "num_requests": (160, 320),
                "num_replicas": (3, 6),
                "rate_per_replica": (6.0, 14.0),
                "gpus": ("a100", "h100", "a40"),
            },
        ),
        generator=ServingGenerator,
    ),
    training=TrainingHooks(
        objective_key="slo_attainment",
        reference_solver="least-loaded",
        # wait=False: the agent routes each request on arrival, like the baseline routers; with
        # waiting legal, PPO from scratch collapsed to holding requests (SLO attainment ~0.1).
        env_kwargs={"reward_scale": "auto", "wait": False},
    ),
)
