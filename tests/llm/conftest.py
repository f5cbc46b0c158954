"""Fixtures shared by the llm tests: the shipped conversation trace and a small instance of it."""

from __future__ import annotations

import pytest

from schedgym.datasets import llm as shipped
from schedgym.llm.formats import read_trace
from schedgym.llm.instance import Cluster, ServingInstance, Workload


@pytest.fixture(scope="module")
def conv() -> Workload:
    """The shipped ``azure2023_conv`` trace (19,366 requests)."""
    return read_trace(shipped.trace_path("azure2023_conv"))


@pytest.fixture(scope="module")
def small(conv: Workload) -> ServingInstance:
    """Its first 400 requests, 6x faster, on 2 Llama-2-7B A100 replicas."""
    return ServingInstance(conv.head(400).scaled(6.0), Cluster.uniform("llama-2-7b", "a100", 2))
