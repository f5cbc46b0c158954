"""Sanity of the cost model: monotone in work, roofline limits, TP, attention, collectives."""

from __future__ import annotations

import numpy as np
import pytest

from schedgym.llm.cost import LAYER_OPS, CostModel
from schedgym.llm.hardware import GPUS, MODELS, ReplicaType, gpu_type, model_shape


@pytest.mark.parametrize("gpu", sorted(GPUS))
def test_layer_time_grows_with_tokens_and_shrinks_with_tp(gpu: str) -> None:
    cost = CostModel(gpu_type(gpu))
    model = model_shape("llama-2-70b")
    tokens = np.arange(1, 8193)
    for tp in (1, 2, 4, 8):
        layer = cost.layer_linear(model, tokens, tp)
        assert np.all(np.diff(layer) >= -1e-12)
    assert cost.layer_linear(model, 2048, 8) < cost.layer_linear(model, 2048, 1)


def test_gemm_respects_the_roofline() -> None:
    gpu = gpu_type("a100")
    cost = CostModel(gpu)
    m, n, k = np.array([1.0, 8192.0]), 8192, 8192
    t = cost.gemm(m, n, k)
    assert t[0] >= n * k * 2 / gpu.memory_bytes_per_s  # weight read at most at peak bandwidth
    assert t[1] >= 2 * 8192 * n * k / gpu.peak_flops  # FLOPs at most at peak
    assert t[1] / t[0] > 10  # large batches are compute bound


def test_faster_gpu_is_faster() -> None:
    model = model_shape("llama-2-7b")
    a40, a100, h100 = (CostModel(gpu_type(g)) for g in ("a40", "a100", "h100"))
    for tokens in (1, 512, 4096):
        assert a40.layer_linear(model, tokens, 1) > a100.layer_linear(model, tokens, 1)
        assert a100.layer_linear(model, tokens, 1) > h100.layer_linear(model, tokens, 1)


def test_every_op_is_positive_for_every_model() -> None:
    cost = CostModel(gpu_type("h100"))
    for model in MODELS.values():
        ops = cost.layer_ops(model, np.array([1, 4096]), 8)
        assert set(ops) == set(LAYER_OPS)
        assert all(np.all(v > 0) for v in ops.values())


def test_attention_costs_grow_with_context() -> None:
    cost = CostModel(gpu_type("a100"))
    model = model_shape("llama-3-8b")
    short = cost.prefill_attention(model, 1, np.array([512]), np.array([0]))
    long = cost.prefill_attention(model, 1, np.array([512]), np.array([8192]))
    assert 0 < short < long
    assert cost.prefill_attention(model, 1, np.array([], dtype=int), np.array([], dtype=int)) == 0
    assert cost.decode_attention(model, 1, 0, 0) == 0
    assert (
        0 < cost.decode_attention(model, 1, 1000, 8) < cost.decode_attention(model, 1, 100_000, 8)
    )


def test_collectives() -> None:
    cost = CostModel(gpu_type("a100"))
    assert float(cost.allreduce(1e6, 1)) == 0.0
    assert 0 < float(cost.allreduce(1e6, 2)) < float(cost.allreduce(1e8, 8))
    # PCIe-only GPUs pay more for the same all-reduce.
    assert float(CostModel(gpu_type("l4")).allreduce(1e8, 4)) > float(cost.allreduce(1e8, 4))
    model = model_shape("llama-2-7b")
    assert cost.kv_transfer(model, 2000, 25e9) > cost.kv_transfer(model, 1000, 25e9) > 0


def test_replica_capacity_and_price() -> None:
    r = ReplicaType(model_shape("llama-2-7b"), gpu_type("a100"))
    # 7B weights ~13.5 GB; 0.9 * 80 GiB left for KV at 512 KiB per token.
    assert 100_000 < r.kv_capacity_tokens < 130_000
    big = ReplicaType(model_shape("llama-2-70b"), gpu_type("a100"), tp=4)
    assert big.price_per_hour == pytest.approx(4 * gpu_type("a100").price_per_hour)
    assert big.kv_capacity_tokens > 0
    assert ReplicaType(model_shape("llama-2-70b"), gpu_type("a40"), tp=1).kv_capacity_tokens == 0
    with pytest.raises(ValueError):
        ReplicaType(model_shape("llama-2-7b"), gpu_type("a100"), tp=3)
