"""A first-principles GPU cost model of transformer inference: FLOPs and bytes per kernel.

Every kernel of a decoder layer is one of three kinds, and its time is a roofline plus a fixed
kernel-launch overhead, computed from the GPU's data sheet (:class:`GpuType`: peak FLOP/s, DRAM
bandwidth, L2 size, SM count, clock) alone:

- **GEMM** (``attn_pre_proj``, ``attn_post_proj``, ``mlp_up_proj``, ``mlp_down_proj``, the LM
  head): tensor cores compute whole output tiles, so the FLOPs are those of the padded problem
  (token rows padded to the tile height, the smallest power of two >= tokens between 16 and
  128; columns padded to 128); the library's choice of tile shapes and split-K spreads the tiles
  evenly over the SMs, so there is no wave quantisation::

      t_compute = padded_flops / (peak * gemm_compute)
      t_memory  = (weights + activations in + out) bytes / (bandwidth * memory)
      t = gemm_fixed + (t_compute**P + t_memory**P) ** (1/P)

  the last line a smoothed roofline (near the ridge point a skinny GEMM neither streams at full
  bandwidth nor computes at full rate; P = 2).
- **Row kernels** (RMSNorm, SiLU-and-multiply, rotary embedding): one thread block per token
  row, each SM processing about ``rate`` elements per cycle, so with fewer rows than SMs most of
  the GPU idles::

      t = launch + max(dram_bytes / (bandwidth * memory),
                       rows * row_elements / (min(rows, num_sms) * rate * clock))

  RMSNorm reads its input twice (variance, then normalise) and writes it once.
- **Streaming element-wise** (the residual ``add``): the same with every SM busy.

An element-wise kernel whose working set fits in the L2 cache (the previous kernel just wrote
its input there) moves no DRAM bytes (``dram_bytes = 0``); a larger one streams all of them.

Attention is FLOPs over the tensor cores at FlashAttention's efficiency for prefill (causal
mask: half of the new tokens' square), and KV-cache bytes over bandwidth for decode. Tensor
parallelism splits heads and FFN columns over ``tp`` GPUs and adds two ring all-reduces of the
activations per layer over the GPU's NVLink (or PCIe) bandwidth.

The constants of :class:`Efficiency` are the same for every GPU, model and op shape: nothing is
fitted per profile file, per model or per GPU (how the few global constants were chosen, and how
sensitive the error is to each, is in ``docs/llm.md``). :mod:`schedgym.llm.calibration`
measures the model's error against the measured per-op kernel times of Vidur's profiles.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from schedgym.llm.hardware import BF16_BYTES, GpuType, ModelShape, ReplicaType

if TYPE_CHECKING:
    from schedgym.llm.instance import ServingInstance

#: The per-layer ops of the profile files, in execution order.
LAYER_OPS = (
    "input_layernorm",
    "attn_pre_proj",
    "attn_rope",
    "attn_post_proj",
    "post_attention_layernorm",
    "mlp_up_proj",
    "mlp_act",
    "mlp_down_proj",
    "add",
)


@dataclass(frozen=True)
class Efficiency:
    """Global efficiency constants, the same for every GPU and model (see the module docstring
    and ``docs/llm.md`` for how each was chosen)."""

    gemm_compute: float = 0.75  # share of peak tensor FLOP/s a large cuBLAS GEMM sustains
    memory: float = 0.82  # share of data-sheet DRAM bandwidth a streaming kernel sustains
    roofline_smoothing: float = 2.0  # P of the smoothed roofline of GEMMs
    tile: int = 128  # GEMM output tile edge (elements)
    launch_s: float = 1.5e-6  # per-kernel launch and tail overhead
    gemm_fixed_s: float = 4.0e-6  # a GEMM's launch plus its pipeline prologue and epilogue
    norm_rate: float = 1.2  # RMSNorm elements per SM per cycle
    act_rate: float = 1.2  # SiLU-and-multiply elements per SM per cycle
    rope_rate: float = 1.5  # rotary-embedding elements per SM per cycle
    add_rate: float = 2.5  # residual-add elements per SM per cycle
    attention_compute: float = 0.6  # FlashAttention's share of peak (FA2 paper: 50-73 %)
    collective: float = 0.75  # NCCL bus bandwidth / link bandwidth (nccl-tests all_reduce)
    collective_latency_s: float = 8.0e-6  # one all-reduce's fixed latency


DEFAULT_EFFICIENCY = Efficiency()


def _as_array(x: np.ndarray | float | int) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


class CostModel:
    """Kernel times (seconds) on one GPU type; array arguments broadcast (numpy)."""

    def __init__(self, gpu: GpuType, efficiency: Efficiency = DEFAULT_EFFICIENCY) -> None:
        self.gpu = gpu
        self.eff = efficiency
        self._bw = gpu.memory_bytes_per_s * efficiency.memory

    # -- kernel kinds -----------------------------------------------------------------------

    def gemm(self, m: np.ndarray | float, n: int, k: int) -> np.ndarray:
        """Time of ``[m, k] x [k, n]`` in BF16 (``m`` the tokens; the weight is ``k x n``)."""
        e, gpu = self.eff, self.gpu
        m = _as_array(m)
        # Tensor cores compute whole tiles: the tile height is the smallest power of two >= m,
        # from one MMA (16 rows) to the full tile; the width pads n to the tile. The library
        # picks tile shapes and split-K so that the tiles spread evenly over the SMs.
        tile_m = np.clip(2.0 ** np.ceil(np.log2(np.maximum(m, 1.0))), 16.0, e.tile)
        padded_flops = 2.0 * (np.ceil(m / tile_m) * tile_m) * (np.ceil(n / e.tile) * e.tile) * k
        compute = padded_flops / (gpu.peak_flops * e.gemm_compute)
        memory = (k * n + m * k + m * n) * BF16_BYTES / self._bw
        p = e.roofline_smoothing
        return e.gemm_fixed_s + (compute**p + memory**p) ** (1.0 / p)

    def _dram_bytes(self, bytes_moved: np.ndarray) -> np.ndarray:
        """DRAM traffic of an element-wise kernel: none when its working set fits in L2 (the
        previous kernel just wrote its input there), else all of it."""
        return np.where(bytes_moved <= self.gpu.l2_bytes, 0.0, bytes_moved)

    def row_kernel(
        self, rows: np.ndarray | float, row_elements: float, bytes_moved: np.ndarray, rate: float
    ) -> np.ndarray:
        """Time of a kernel with one thread block per row (norm, activation, rotary)."""
        gpu = self.gpu
        rows = _as_array(rows)
        busy_sms = np.minimum(np.maximum(rows, 1.0), gpu.num_sms)
        issue = rows * row_elements / (busy_sms * rate * gpu.boost_clock_hz)
        dram = self._dram_bytes(_as_array(bytes_moved))
        return self.eff.launch_s + np.maximum(dram / self._bw, issue)

    def streaming(
        self, elements: np.ndarray | float, bytes_moved: np.ndarray | float
    ) -> np.ndarray:
        """Time of a grid-stride element-wise kernel (every SM busy)."""
        gpu = self.gpu
        issue = _as_array(elements) / (gpu.num_sms * self.eff.add_rate * gpu.boost_clock_hz)
        dram = self._dram_bytes(_as_array(bytes_moved))
        return self.eff.launch_s + np.maximum(dram / self._bw, issue)

    # -- the ops of one decoder layer ---------------------------------------------------------

    def layer_ops(
        self, model: ModelShape, tokens: np.ndarray | float, tp: int
    ) -> dict[str, np.ndarray]:
        """Time of each op of :data:`LAYER_OPS` for a batch of ``tokens`` on one of ``tp`` GPUs."""
        e = self.eff
        t = _as_array(tokens)
        h, d = model.hidden, model.dim_per_head
        q_heads = model.num_heads // tp
        kv_heads = max(model.num_kv_heads // tp, 1)
        ffn = model.ffn // tp
        up = ffn * (2 if model.gated_mlp else 1)
        act_in = up
        norm_bytes = (3 * t * h + h) * BF16_BYTES  # two passes over the input
        rope_elems = (q_heads + kv_heads) * d
        return {
            "input_layernorm": self.row_kernel(t, h, norm_bytes, e.norm_rate),
            "attn_pre_proj": self.gemm(t, (q_heads + 2 * kv_heads) * d, h),
            "attn_rope": self.row_kernel(
                t, rope_elems, (2 * t * rope_elems + t * d) * BF16_BYTES, e.rope_rate
            ),
            "attn_post_proj": self.gemm(t, h, q_heads * d),
            "post_attention_layernorm": self.row_kernel(t, h, norm_bytes, e.norm_rate),
            "mlp_up_proj": self.gemm(t, up, h),
            "mlp_act": self.row_kernel(t, ffn, t * (act_in + ffn) * BF16_BYTES, e.act_rate),
            "mlp_down_proj": self.gemm(t, h, ffn),
            "add": self.streaming(t * h, 3 * t * h * BF16_BYTES),
        }

    def layer_linear(self, model: ModelShape, tokens: np.ndarray | float, tp: int) -> np.ndarray:
        """Sum of :meth:`layer_ops`: one layer's time apart from attention and collectives."""
        return sum(self.layer_ops(model, tokens, tp).values(), np.zeros(np.shape(tokens)))

    # -- attention ---------------------------------------------------------------------------

    def prefill_attention(
        self, model: ModelShape, tp: int, new_tokens: np.ndarray, past_tokens: np.ndarray
    ) -> float:
        """One layer's attention for prompt chunks: chunk ``i`` has ``new_tokens[i]`` queries
        attending to ``past_tokens[i]`` cached tokens and causally to itself."""
        new = _as_array(new_tokens)
        if new.size == 0 or not new.any():
            return 0.0
        past = _as_array(past_tokens)
        heads = model.num_heads // tp
        kv_heads = max(model.num_kv_heads // tp, 1)
        d = model.dim_per_head
        pairs = new * past + new * (new + 1) / 2.0
        flops = 4.0 * heads * d * float(pairs.sum())  # QK^T and PV
        kv_bytes = 2.0 * kv_heads * d * BF16_BYTES * float((past + new).sum())
        q_bytes = 2.0 * heads * d * BF16_BYTES * float(new.sum())  # read Q, write O
        compute = flops / (self.gpu.peak_flops * self.eff.attention_compute)
        memory = (kv_bytes + q_bytes) / self._bw
        return self.eff.launch_s + max(compute, memory)

    def decode_attention(
        self, model: ModelShape, tp: int, context_tokens: float, requests: int
    ) -> float:
        """One layer's paged decode attention: ``requests`` queries over ``context_tokens``
        cached tokens in all. It is bandwidth bound: its arithmetic intensity is
        ``num_heads / num_kv_heads`` (at most 8) FLOP/byte, far below every GPU's ridge point."""
        if requests <= 0:
            return 0.0
        kv_heads = max(model.num_kv_heads // tp, 1)
        kv_bytes = 2.0 * kv_heads * model.dim_per_head * BF16_BYTES * context_tokens
        return self.eff.launch_s + kv_bytes / self._bw

    # -- communication -----------------------------------------------------------------------

    def allreduce(self, bytes_per_gpu: np.ndarray | float, tp: int) -> np.ndarray:
        """A ring all-reduce of ``bytes_per_gpu`` over ``tp`` GPUs (0 when ``tp == 1``)."""
        b = _as_array(bytes_per_gpu)
        if tp <= 1:
            return np.zeros_like(b)
        link = self.gpu.tp_link_bytes_per_s * self.eff.collective
        return self.eff.collective_latency_s + 2.0 * (tp - 1) / tp * b / link

    def kv_transfer(self, model: ModelShape, tokens: float, link_bytes_per_s: float) -> float:
        """Moving ``tokens`` tokens of KV cache (all layers) between two replicas over a link
        of ``link_bytes_per_s`` (e.g. disaggregated prefill, migration)."""
        return self.eff.collective_latency_s + tokens * model.kv_bytes_per_token / (
            link_bytes_per_s * self.eff.collective
        )

    def lm_head(self, model: ModelShape, sampled: np.ndarray | float, tp: int) -> np.ndarray:
        """The final norm, LM-head GEMM (vocabulary sharded over ``tp``) and its gather."""
        s = _as_array(sampled)
        e = self.eff
        norm = self.row_kernel(s, model.hidden, (2 * s * model.hidden) * BF16_BYTES, e.norm_rate)
        gather = self.allreduce(s * model.vocab * BF16_BYTES / tp, tp) if tp > 1 else 0.0
        return norm + self.gemm(s, -(-model.vocab // tp), model.hidden) + gather


class ReplicaCost:
    """Whole-model iteration times of one replica type, the one formula the simulator and the
    validator share. Per-token-count tables (``linear``: the embedding lookup, every layer's
    non-attention ops and its two all-reduces; ``head``: final norm and LM head for the sampled
    tokens) are precomputed and grow on demand; attention is computed per batch
    (:meth:`iteration`)."""

    def __init__(
        self,
        replica: ReplicaType,
        max_tokens: int = 16384,
        efficiency: Efficiency = DEFAULT_EFFICIENCY,
    ) -> None:
        self.replica = replica
        self.cost = CostModel(replica.gpu, efficiency)
        model, tp = replica.model, replica.tp
        kv_heads = max(model.num_kv_heads // tp, 1)
        bytes_per_token = 2.0 * kv_heads * model.dim_per_head * BF16_BYTES
        #: Decode attention of one iteration = ``decode_fixed + decode_per_token * context``.
        self.decode_fixed = model.num_layers * efficiency.launch_s
        self.decode_per_token = (
            model.num_layers
            * bytes_per_token
            / (replica.gpu.memory_bytes_per_s * efficiency.memory)
        )
        self.linear = np.zeros(0)
        self.head = np.zeros(0)
        self._build(max_tokens)

    def _build(self, max_tokens: int) -> None:
        model, tp = self.replica.model, self.replica.tp
        tokens = np.arange(max_tokens + 1, dtype=np.float64)
        per_layer = self.cost.layer_linear(model, tokens, tp)
        per_layer += 2 * self.cost.allreduce(tokens * model.hidden * BF16_BYTES, tp)
        embedding = self.cost.streaming(
            tokens * model.hidden, 2 * tokens * model.hidden * BF16_BYTES
        )
        self.linear = model.num_layers * per_layer + embedding
        self.linear[0] = 0.0
        self.head = np.asarray(self.cost.lm_head(model, tokens, tp), dtype=np.float64)
        self.head[0] = 0.0

    @property
    def max_tokens(self) -> int:
        """The largest token count the tables hold now."""
        return len(self.linear) - 1

    def _cover(self, tokens: int) -> None:
        if tokens > self.max_tokens:
            self._build(1 << int(tokens).bit_length())

    def iteration(
        self,
        prefill_new: np.ndarray,
        prefill_past: np.ndarray,
        sampled: int,
        decode_requests: int,
        decode_context: int,
    ) -> float:
        """Seconds of one iteration: prompt chunks (``prefill_new[i]`` tokens after
        ``prefill_past[i]`` cached ones), ``decode_requests`` decodes attending to
        ``decode_context`` cached tokens in all, and ``sampled`` tokens sampled."""
        tokens = int(prefill_new.sum()) + decode_requests
        self._cover(tokens)
        model, tp = self.replica.model, self.replica.tp
        seconds = float(self.linear[tokens] + self.head[sampled])
        if len(prefill_new):
            seconds += model.num_layers * self.cost.prefill_attention(
                model, tp, prefill_new, prefill_past
            )
        if decode_requests:
            seconds += self.decode_fixed + self.decode_per_token * decode_context
        return seconds

    def kv_transfer(self, tokens: int, link_bytes_per_s: float) -> float:
        """Seconds to move ``tokens`` tokens of this replica's KV cache to another replica over
        a link of ``link_bytes_per_s`` (the simulator's and the validator's one formula)."""
        return self.cost.kv_transfer(self.replica.model, tokens, link_bytes_per_s)

    def decode_run(self, requests: int, context: int) -> tuple[float, float]:
        """``(alpha, beta)`` of a run of decode-only iterations of ``requests`` requests:
        iteration ``k`` (from 0) lasts ``alpha + beta * (context + k * requests)``."""
        self._cover(requests)
        alpha = float(self.linear[requests] + self.head[requests]) + self.decode_fixed
        return alpha, self.decode_per_token


_ISOLATED: weakref.WeakKeyDictionary[ServingInstance, tuple[np.ndarray, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)


def isolated_latency(instance: ServingInstance) -> tuple[np.ndarray, np.ndarray]:
    """Per-request lower bounds ``(ttft, e2e)`` (s): the request served alone (its whole prompt
    in one iteration, then one decode per token, no queueing, no transfer) on the replica of
    the pool where that is fastest; no schedule can beat either. Cached per instance."""
    cached = _ISOLATED.get(instance)
    if cached is not None:
        return cached
    w = instance.workload
    prompts, inverse = np.unique(w.prompt_tokens, return_inverse=True)
    dec = (w.output_tokens - 1).astype(np.float64)
    ttft = np.full(w.num_requests, np.inf)
    e2e = np.full(w.num_requests, np.inf)
    for replica in set(instance.cluster.replicas):
        cost = ReplicaCost(replica)
        zero = np.zeros(1, np.int64)
        pre = np.array([cost.iteration(np.array([p]), zero, 1, 0, 0) for p in prompts.tolist()])
        alpha, beta = cost.decode_run(1, 0)
        first = pre[inverse]
        total = first + dec * alpha + beta * (dec * (w.prompt_tokens + 1) + dec * (dec - 1) / 2)
        ttft, e2e = np.minimum(ttft, first), np.minimum(e2e, total)
    _ISOLATED[instance] = (ttft, e2e)
    return ttft, e2e
