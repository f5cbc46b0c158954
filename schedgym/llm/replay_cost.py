"""The cost model of :class:`~schedgym.llm.cost.ReplicaCost` as the compiled replay evaluates it.

The replay of :mod:`schedgym.llm.validate_kernel` checks every step's duration against the cost
model. It reads the per-token tables (:attr:`ReplicaCost.linear`, :attr:`ReplicaCost.head`) and
folded constant factors of every replica type from a :class:`Pool` (:func:`cost_pool` builds
it), and evaluates prefill attention (:func:`prefill_attention`) in the cost model's own order of
floating-point operations: its constant factors are folded left to right
(:func:`cost_constants`) and every ``ndarray.sum`` of floats is numpy's pairwise summation
(:func:`pairwise_sum`), so the times are equal bit for bit.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from schedgym.llm.cost import ReplicaCost
from schedgym.llm.hardware import BF16_BYTES, ReplicaType
from schedgym.llm.instance import BLOCK_TOKENS, ServingInstance

# Columns of Pool.consts (float64, one row per replica type).
LAYERS, DECODE_FIXED, DECODE_PER_TOKEN, PAIR_FLOPS, KV_BYTES, Q_BYTES, ATTENTION_RATE = range(7)
BANDWIDTH, LAUNCH = 7, 8
NUM_CONSTS = 9


class Pool(NamedTuple):
    """The replicas and the cost model of each replica type."""

    cost: np.ndarray  # (R,) int64: the row of the replica's type in the tables below
    capacity: np.ndarray  # (R,) int64 KV blocks
    same_model: np.ndarray  # (R, R) bool
    linear: np.ndarray  # (C, L) float64: ReplicaCost.linear
    head: np.ndarray  # (C, L) float64: ReplicaCost.head
    consts: np.ndarray  # (C, NUM_CONSTS) float64, columns LAYERS ... LAUNCH
    block: int  # tokens per KV-cache block


# -- numerics ---------------------------------------------------------------------------------


@numba.njit(cache=True)
def _block_sum(a: np.ndarray, lo: int, n: int) -> float:
    """numpy's sum of a block of ``n <= 128`` floats: under 8 in order, else in 8 interleaved
    lanes added pairwise, then the remainder in order."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - n % 8:
        j = lo + i
        r0, r1, r2, r3 = r0 + a[j], r1 + a[j + 1], r2 + a[j + 2], r3 + a[j + 3]
        r4, r5, r6, r7 = r4 + a[j + 4], r5 + a[j + 5], r6 + a[j + 6], r7 + a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@numba.njit(cache=True)
def pairwise_sum(a: np.ndarray, lo: int, n: int) -> float:
    """``a[lo:lo + n].sum()`` bit for bit as numpy computes it: a range of more than 128 is
    split after ``n // 2`` rounded down to a multiple of 8, both halves summed so, then added.

    numpy recurses; this walks the same tree with an explicit stack (numba cannot cache a
    recursive function: numba issue #6061). Frame ``f`` sums ``size[f]`` values from
    ``start[f]``; ``phase[f]`` is 0 before its halves, 1 while its left half is summed and 2
    (its left sum in ``left[f]``) while its right half is."""
    if n <= 128:
        return _block_sum(a, lo, n)
    start, size = np.empty(64, np.int64), np.empty(64, np.int64)
    phase, left = np.zeros(64, np.int64), np.empty(64)
    top, value = 0, 0.0
    start[0], size[0] = lo, n
    while True:
        half = size[top] // 2
        half -= half % 8
        if phase[top] == 0 and size[top] <= 128:
            value = _block_sum(a, start[top], size[top])
        elif phase[top] == 2:
            value = left[top] + value
        else:  # start the left half (phase 0) or, its sum in value, the right half (phase 1)
            child = top + 1
            if phase[top] == 0:
                start[child], size[child] = start[top], half
            else:
                left[top] = value
                start[child], size[child] = start[top] + half, size[top] - half
            phase[top] += 1
            phase[child] = 0
            top = child
            continue
        top -= 1  # the frame's sum is in value: return it to its parent
        if top < 0:
            return value


@numba.njit(cache=True)
def prefill_attention(consts: np.ndarray, new: np.ndarray, past: np.ndarray) -> float:
    """:meth:`~schedgym.llm.cost.CostModel.prefill_attention` of one layer (``new`` all > 0),
    with the constants of one replica type (a row of :attr:`Pool.consts`)."""
    pairs = new * past + new * (new + 1.0) / 2.0
    flops = consts[PAIR_FLOPS] * pairwise_sum(pairs, 0, len(pairs))
    kv_bytes = consts[KV_BYTES] * pairwise_sum(past + new, 0, len(new))
    q_bytes = consts[Q_BYTES] * pairwise_sum(new, 0, len(new))
    compute = flops / consts[ATTENTION_RATE]
    memory = (kv_bytes + q_bytes) / consts[BANDWIDTH]
    return consts[LAUNCH] + (memory if memory > compute else compute)


# -- the Python side --------------------------------------------------------------------------


def cost_constants(cost: ReplicaCost) -> np.ndarray:
    """One row of :attr:`Pool.consts`: the factors of :meth:`ReplicaCost.iteration` and of
    :meth:`~schedgym.llm.cost.CostModel.prefill_attention`, each folded in the cost model's
    left-to-right order."""
    model, tp, eff = cost.replica.model, cost.replica.tp, cost.cost.eff
    heads = model.num_heads // tp
    kv_heads = max(model.num_kv_heads // tp, 1)
    d = model.dim_per_head
    row = np.zeros(NUM_CONSTS)
    row[LAYERS] = model.num_layers
    row[DECODE_FIXED] = cost.decode_fixed
    row[DECODE_PER_TOKEN] = cost.decode_per_token
    row[PAIR_FLOPS] = 4.0 * heads * d
    row[KV_BYTES] = 2.0 * kv_heads * d * BF16_BYTES
    row[Q_BYTES] = 2.0 * heads * d * BF16_BYTES
    row[ATTENTION_RATE] = cost.replica.gpu.peak_flops * eff.attention_compute
    row[BANDWIDTH] = cost.cost._bw
    row[LAUNCH] = eff.launch_s
    return row


def cost_pool(
    instance: ServingInstance, costs: dict[ReplicaType, ReplicaCost], tokens: int
) -> Pool:
    """The pool's arrays, every replica type's cost tables covering ``tokens`` tokens (grown
    as the cost model grows them; the entries do not depend on the tables' length)."""
    replicas = instance.cluster.replicas
    types = list(costs)
    for cost in costs.values():
        cost._cover(tokens)
    top = max(cost.max_tokens for cost in costs.values())
    for cost in costs.values():
        cost._cover(top)
    return Pool(
        cost=np.array([types.index(r) for r in replicas], np.int64),
        capacity=np.array([r.kv_capacity_tokens // BLOCK_TOKENS for r in replicas], np.int64),
        same_model=np.array([[a.model == b.model for b in replicas] for a in replicas], bool),
        linear=np.stack([costs[t].linear[: top + 1] for t in types]),
        head=np.stack([costs[t].head[: top + 1] for t in types]),
        consts=np.stack([cost_constants(costs[t]) for t in types]),
        block=BLOCK_TOKENS,
    )
