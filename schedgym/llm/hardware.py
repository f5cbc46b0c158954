"""GPU types and transformer model shapes as data, and a serving replica (model x GPU x TP).

Every figure of a :class:`GpuType` is a public data-sheet value (peak dense BF16 tensor FLOP/s,
memory capacity and bandwidth, SM count and boost clock, interconnect bandwidth), except the
price per GPU-hour, which is an on-demand cloud list price with its source (prices move: treat
them as defaults to override, not as facts of the chip). Bandwidths are bytes per second in one
direction; ``nvlink_bytes_per_s`` is 0 for a GPU without an NVLink switch fabric (PCIe only, or
a 2-GPU bridge at most), in which case tensor parallelism uses ``pcie_bytes_per_s``.

Model shapes are the published ``config.json`` values of the Hugging Face checkpoints.
``ffn`` is the width of one MLP branch (for gated MLPs the up projection writes ``2 * ffn``).
"""

from __future__ import annotations

from dataclasses import dataclass

from schedgym.core.errors import UnknownNameError

GIB = 1 << 30
MIB = 1 << 20
BF16_BYTES = 2


@dataclass(frozen=True)
class GpuType:
    """One GPU model's data-sheet figures (see the module docstring)."""

    name: str
    title: str
    peak_flops: float  # dense BF16 tensor-core FLOP/s (no sparsity)
    memory_bytes: int
    memory_bytes_per_s: float
    num_sms: int
    boost_clock_hz: float
    l2_bytes: int
    nvlink_bytes_per_s: float  # per direction, per GPU; 0 when there is no NVLink fabric
    pcie_bytes_per_s: float  # per direction
    price_per_hour: float  # USD per GPU-hour, on demand
    price_source: str

    @property
    def ridge_flops_per_byte(self) -> float:
        """Arithmetic intensity (FLOP/byte) above which a kernel is compute bound."""
        return self.peak_flops / self.memory_bytes_per_s

    @property
    def tp_link_bytes_per_s(self) -> float:
        """The per-direction bandwidth tensor-parallel collectives run over."""
        return self.nvlink_bytes_per_s or self.pcie_bytes_per_s


GPUS: dict[str, GpuType] = {
    gpu.name: gpu
    for gpu in (
        GpuType(
            "a100",
            "NVIDIA A100 80GB SXM4",
            peak_flops=312e12,
            memory_bytes=80 * GIB,
            memory_bytes_per_s=2.039e12,
            num_sms=108,
            l2_bytes=40 * MIB,
            boost_clock_hz=1.41e9,
            nvlink_bytes_per_s=300e9,  # NVLink 3: 600 GB/s bidirectional
            pcie_bytes_per_s=32e9,  # PCIe Gen4 x16
            price_per_hour=40.96 / 8,
            price_source="AWS EC2 p4de.24xlarge (8x A100 80GB) on-demand us-east-1, 2024: $40.96/h",
        ),
        GpuType(
            "h100",
            "NVIDIA H100 80GB SXM5",
            peak_flops=989.4e12,
            memory_bytes=80 * GIB,
            memory_bytes_per_s=3.35e12,
            num_sms=132,
            l2_bytes=50 * MIB,
            boost_clock_hz=1.98e9,
            nvlink_bytes_per_s=450e9,  # NVLink 4: 900 GB/s bidirectional
            pcie_bytes_per_s=64e9,  # PCIe Gen5 x16
            price_per_hour=98.32 / 8,
            price_source="AWS EC2 p5.48xlarge (8x H100 80GB) on-demand us-east-1, 2024: $98.32/h",
        ),
        GpuType(
            "h200",
            "NVIDIA H200 141GB SXM",
            peak_flops=989.4e12,
            memory_bytes=141 * 10**9,
            memory_bytes_per_s=4.8e12,
            num_sms=132,
            l2_bytes=50 * MIB,
            boost_clock_hz=1.98e9,
            nvlink_bytes_per_s=450e9,
            pcie_bytes_per_s=64e9,
            price_per_hour=84.8 / 8,
            price_source="AWS EC2 p5e.48xlarge (8x H200) capacity block, 2024: ~$84.8/h (approx.)",
        ),
        GpuType(
            "a40",
            "NVIDIA A40 48GB",
            peak_flops=149.7e12,
            memory_bytes=48 * GIB,
            memory_bytes_per_s=696e9,
            num_sms=84,
            l2_bytes=6 * MIB,
            boost_clock_hz=1.74e9,
            nvlink_bytes_per_s=0.0,  # a 2-GPU NVLink bridge only; TP across 4-8 GPUs is PCIe
            pcie_bytes_per_s=32e9,
            price_per_hour=1.28,
            price_source="CoreWeave on-demand list price per A40 GPU-hour, 2023-2024: $1.28/h",
        ),
        GpuType(
            "l40s",
            "NVIDIA L40S 48GB",
            peak_flops=362.05e12,
            memory_bytes=48 * GIB,
            memory_bytes_per_s=864e9,
            num_sms=142,
            l2_bytes=96 * MIB,
            boost_clock_hz=2.52e9,
            nvlink_bytes_per_s=0.0,
            pcie_bytes_per_s=32e9,
            price_per_hour=1.861,
            price_source="AWS EC2 g6e.xlarge (1x L40S) on-demand us-east-1, 2024: $1.861/h",
        ),
        GpuType(
            "l4",
            "NVIDIA L4 24GB",
            peak_flops=121e12,
            memory_bytes=24 * GIB,
            memory_bytes_per_s=300e9,
            num_sms=58,
            l2_bytes=48 * MIB,
            boost_clock_hz=2.04e9,
            nvlink_bytes_per_s=0.0,
            pcie_bytes_per_s=32e9,
            price_per_hour=0.8048,
            price_source="AWS EC2 g6.xlarge (1x L4) on-demand us-east-1, 2024: $0.8048/h",
        ),
        GpuType(
            "a10",
            "NVIDIA A10 24GB",
            peak_flops=125e12,
            memory_bytes=24 * GIB,
            memory_bytes_per_s=600e9,
            num_sms=72,
            l2_bytes=6 * MIB,
            boost_clock_hz=1.695e9,
            nvlink_bytes_per_s=0.0,
            pcie_bytes_per_s=32e9,
            price_per_hour=0.75,
            price_source="Lambda Cloud on-demand 1x A10 (24 GB PCIe), 2024: $0.75/h",
        ),
    )
}


@dataclass(frozen=True)
class ModelShape:
    """A decoder-only transformer's shape (published ``config.json`` values)."""

    name: str
    num_layers: int
    num_heads: int
    num_kv_heads: int
    hidden: int
    ffn: int  # one MLP branch; a gated MLP's up projection writes 2 * ffn
    vocab: int
    gated_mlp: bool = True
    head_dim: int = 0  # 0: hidden // num_heads

    @property
    def dim_per_head(self) -> int:
        """The attention head dimension."""
        return self.head_dim or self.hidden // self.num_heads

    @property
    def params_per_layer(self) -> int:
        """Weights of one decoder layer (projections and the two norm vectors)."""
        d = self.dim_per_head
        qkv = self.hidden * (self.num_heads + 2 * self.num_kv_heads) * d
        out = self.num_heads * d * self.hidden
        mlp = self.hidden * self.ffn * (3 if self.gated_mlp else 2)
        return qkv + out + mlp + 2 * self.hidden

    @property
    def num_params(self) -> int:
        """All weights: layers, input embedding, LM head (untied) and the final norm."""
        return self.num_layers * self.params_per_layer + 2 * self.vocab * self.hidden + self.hidden

    @property
    def kv_bytes_per_token(self) -> int:
        """KV-cache bytes one token occupies over all layers (BF16 keys and values)."""
        return 2 * self.num_layers * self.num_kv_heads * self.dim_per_head * BF16_BYTES


MODELS: dict[str, ModelShape] = {
    m.name: m
    for m in (
        ModelShape("llama-2-7b", 32, 32, 32, 4096, 11008, 32000),
        ModelShape("llama-2-13b", 40, 40, 40, 5120, 13824, 32000),
        ModelShape("llama-2-70b", 80, 64, 8, 8192, 28672, 32000),
        ModelShape("llama-3-8b", 32, 32, 8, 4096, 14336, 128256),
        ModelShape("llama-3-70b", 80, 64, 8, 8192, 28672, 128256),
        ModelShape("codellama-34b", 48, 64, 8, 8192, 22016, 32000),
        # Qwen-72B (v1): intermediate_size 49152 is split into two 24576-wide branches.
        ModelShape("qwen-72b", 80, 64, 64, 8192, 24576, 152064),
    )
}


def gpu_type(name: str) -> GpuType:
    """The GPU type ``name`` (case-insensitive); raises :class:`UnknownNameError`."""
    try:
        return GPUS[name.lower()]
    except KeyError:
        raise UnknownNameError(f"unknown GPU {name!r} (known: {', '.join(GPUS)})") from None


def model_shape(name: str) -> ModelShape:
    """The model shape ``name`` (case-insensitive); raises :class:`UnknownNameError`."""
    try:
        return MODELS[name.lower()]
    except KeyError:
        raise UnknownNameError(f"unknown model {name!r} (known: {', '.join(MODELS)})") from None


@dataclass(frozen=True)
class ReplicaType:
    """One serving replica: a model sharded over ``tp`` GPUs of one type (tensor parallel)."""

    model: ModelShape
    gpu: GpuType
    tp: int = 1
    memory_utilisation: float = 0.9  # share of HBM the serving engine may use (vLLM default)

    def __post_init__(self) -> None:
        heads_ok = self.tp >= 1 and self.model.num_heads % self.tp == 0
        kv = self.model.num_kv_heads
        if not heads_ok or (kv % self.tp and self.tp % kv):
            raise ValueError(f"tp={self.tp} does not divide the heads of {self.model.name}")

    @property
    def name(self) -> str:
        """``model@gpu`` with ``xTP`` when sharded, e.g. ``llama-2-70b@a100x4``."""
        return f"{self.model.name}@{self.gpu.name}" + (f"x{self.tp}" if self.tp > 1 else "")

    @property
    def weight_bytes_per_gpu(self) -> int:
        """BF16 weight bytes each GPU holds (projections and embeddings sharded by ``tp``)."""
        return self.model.num_params * BF16_BYTES // self.tp

    @property
    def kv_capacity_tokens(self) -> int:
        """Tokens of KV cache the replica holds: usable HBM minus weights, over KV bytes/token
        (per GPU each holds ``1/tp`` of the KV heads; at least one head per GPU)."""
        usable = int(self.gpu.memory_bytes * self.memory_utilisation) - self.weight_bytes_per_gpu
        kv_heads_per_gpu = max(self.model.num_kv_heads // self.tp, 1)
        per_token = 2 * self.model.num_layers * kv_heads_per_gpu * self.model.dim_per_head * 2
        return max(usable, 0) // per_token

    @property
    def price_per_hour(self) -> float:
        """USD per hour of the replica's ``tp`` GPUs."""
        return self.tp * self.gpu.price_per_hour
