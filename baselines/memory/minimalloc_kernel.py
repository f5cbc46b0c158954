"""Compiled (numba) decision search of ``memory.minimalloc``: do all buffers fit below a target?

The rules and why they keep a packing whenever there is one are in
:mod:`schedgym.baselines.memory.minimalloc`. Time is cut into *sections* at every start and end;
buffer
``b`` lives on sections ``lo[b] .. hi[b] - 1``. :func:`search` is an iterative depth-first search
(an explicit stack of frames: ``_SEQ`` solves the time components of a range one after another,
``_COMP`` tries the children of one component) over canonical placements: each step puts one
buffer at its minimum offset, in non-decreasing ``(offset, tie)`` order; before each child but
the first, the node is checked again under that child's (raised) floor.

``st`` holds the static arrays ``(sizes, lo, hi, nptr, nidx, rank, tie, tptr, tidx, by_lo,
first_at, sptr, sidx)``: neighbour lists (CSR, each by size ascending), twin lists (same live
range), buffers by ``lo``, the index in that order of the first buffer starting at each section,
and each section's buffers (CSR). The dynamic ``state`` rows: ``OFF`` (offset, -1: unplaced),
``MIN`` (minimum offset), ``HASH`` (of the buffer and its minimum offset), ``TOTAL`` (unplaced
size per section), ``CROSS`` (unplaced buffers crossing the boundary before each section),
``WITNESS`` (a buffer that last showed the section fits), ``NEXT`` / ``PREV`` (a doubly linked
list of the unplaced buffers in ``by_lo`` order: node ``k + 1`` is ``by_lo[k]``, head 0, tail
``n + 1``; an unlinked node keeps pointing past itself) and ``NODE`` (each buffer's node).
"""

from __future__ import annotations

import time

import numba
import numpy as np

Arr = np.ndarray
FOUND = 1
FAILED = 0
ABORT = -1
OFF, MIN, HASH, TOTAL, CROSS, WITNESS, NEXT, PREV, NODE = range(9)  # rows of the state
_NONE = 2
_SEQ = 0
_COMP = 1
_INF = np.int64(1) << np.int64(62)


@numba.njit(cache=True)
def _now() -> float:
    """``time.perf_counter()`` from compiled code."""
    with numba.objmode(t="float64"):
        t = time.perf_counter()
    return t


@numba.njit(cache=True)
def _mix(j: int, offset: int) -> np.int64:
    """A 64-bit hash of ``(buffer, minimum offset)`` (the splitmix64 finaliser)."""
    x = np.uint64(offset) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(j + 1)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return np.int64(x ^ (x >> np.uint64(31)))


@numba.njit(cache=True)
def _place(b: int, sizes: Arr, lo: Arr, hi: Arr, nptr: Arr, nidx: Arr, state: Arr, trail: Arr,
           ptr: Arr) -> bool:  # fmt: skip
    """Put ``b`` at its minimum offset, unlink it, lift its unplaced neighbours (trail rows:
    0 the buffer, 1 its mark, 2-3 neighbour and old minimum offset; ``ptr``: the two lengths)
    and count it off its sections. Whether a boundary is no longer crossed (a split may follow)."""
    top = state[MIN, b] + sizes[b]
    state[OFF, b] = state[MIN, b]
    v = state[NODE, b]
    state[NEXT, state[PREV, v]] = state[NEXT, v]
    state[PREV, state[NEXT, v]] = state[PREV, v]
    p, t = ptr[0], ptr[1]
    trail[0, p], trail[1, p] = b, t
    for k in range(nptr[b], nptr[b + 1]):
        j = nidx[k]
        if state[OFF, j] < 0 and state[MIN, j] < top:
            trail[2, t], trail[3, t] = j, state[MIN, j]
            state[MIN, j], state[HASH, j] = top, _mix(j, top)
            t += 1
    split = False
    for s in range(lo[b], hi[b]):
        state[TOTAL, s] -= sizes[b]
        if s > lo[b]:
            state[CROSS, s] -= 1
            split |= state[CROSS, s] == 0
    ptr[0], ptr[1] = p + 1, t
    return split


@numba.njit(cache=True)
def _undo(mark: int, sizes: Arr, lo: Arr, hi: Arr, state: Arr, trail: Arr, ptr: Arr) -> None:
    """Take back every placement since the placed count was ``mark`` (last out, first in)."""
    p, t = ptr[0], ptr[1]
    while p > mark:
        p -= 1
        b = trail[0, p]
        while t > trail[1, p]:
            t -= 1
            j = trail[2, t]
            state[MIN, j], state[HASH, j] = trail[3, t], _mix(j, trail[3, t])
        state[OFF, b] = -1
        v = state[NODE, b]
        state[NEXT, state[PREV, v]] = v
        state[PREV, state[NEXT, v]] = v
        for s in range(lo[b], hi[b]):
            state[TOTAL, s] += sizes[b]
            if s > lo[b]:
                state[CROSS, s] += 1
    ptr[0], ptr[1] = p, t


@numba.njit(cache=True)
def _first(s_lo: int, by_lo: Arr, first_at: Arr, state: Arr, tail: int) -> int:
    """The list node of the first unplaced buffer starting at or after section ``s_lo``."""
    v = first_at[s_lo] + 1
    while v < tail and state[OFF, by_lo[v - 1]] >= 0:
        v = state[NEXT, v]
    return v


@numba.njit(cache=True)
def _components(a: int, z: int, lo: Arr, hi: Arr, by_lo: Arr, first_at: Arr, state: Arr,
                lst: Arr, at: int) -> int:  # fmt: skip
    """Write the time components of the unplaced buffers in sections ``[a, z)`` to ``lst[at:]``
    as ``(start, end, count)`` triples, fewest buffers first; return how many."""
    tail = len(by_lo) + 1
    c = start = count = 0
    reach = -1
    v = _first(a, by_lo, first_at, state, tail)
    while True:
        b = by_lo[v - 1] if v < tail and lo[by_lo[v - 1]] < z else -1
        if b < 0 or lo[b] >= reach:
            if count > 0:  # close the component: insertion by count (stable)
                y = c - 1
                while y >= 0 and lst[at + 3 * y + 2] > count:
                    lst[at + 3 * y + 3 : at + 3 * y + 6] = lst[at + 3 * y : at + 3 * y + 3]
                    y -= 1
                lst[at + 3 * y + 3], lst[at + 3 * y + 4], lst[at + 3 * y + 5] = start, reach, count
                c += 1
            if b < 0:
                return c
            start, reach, count = lo[b], hi[b], 0
        reach = max(reach, hi[b])
        count += 1
        v = state[NEXT, v]


@numba.njit(cache=True)
def _expand(a: int, z: int, o_last: int, r_last: int, target: int, st: tuple, state: Arr,
            memo: Arr, stamp: int, lst: Arr, at: int, cache: Arr) -> tuple:  # fmt: skip
    """Dominance, section inference and children of the component in sections ``[a, z)``:
    ``(0, 0, h)`` when it fails, ``(2, b, h)`` when its single buffer ``b`` is to be placed, else
    ``(1, c, h)`` with the ``c`` children in ``lst[at:]`` in the order to try; ``h`` hashes it."""
    sizes, lo, rank, tie = st[0], st[1], st[5], st[6]
    tptr, tidx, by_lo, first_at = st[7], st[8], st[9], st[10]
    tail = len(by_lo) + 1
    first = _first(a, by_lo, first_at, state, tail)
    thr, m, single, h = _INF, 0, -1, np.uint64(0)
    v = first
    while v < tail and lo[by_lo[v - 1]] < z:
        j = by_lo[v - 1]
        v = state[NEXT, v]
        m += 1
        single = j
        if state[MIN, j] + sizes[j] <= o_last:
            return 0, 0, h  # it would fit below the floor: dominated
        thr = min(thr, state[MIN, j] + sizes[j])
        h += np.uint64(state[HASH, j])
    if m == 1:  # nothing overhead: its place is forced
        o = state[MIN, single]
        if o < o_last or (o == o_last and tie[single] < r_last) or o + sizes[single] > target:
            return 0, 0, h  # it cannot rest on anything here (so it could sit lower), or too high
        return 2, single, h
    if _failed_before(np.int64(h), o_last, r_last, cache):  # type: ignore[arg-type]  # numba int64
        return 0, 0, h  # this state failed before, with a floor no higher
    if not _infer(a, z, o_last, r_last, target, st, state, memo, stamp):
        return 0, 0, h
    c = 0
    v = first
    while v < tail and lo[by_lo[v - 1]] < z:
        j = by_lo[v - 1]
        v = state[NEXT, v]
        o = state[MIN, j]
        if o >= thr or o < o_last or (o == o_last and tie[j] < r_last):
            continue
        blocked = False  # twin symmetry
        for k in range(tptr[j], tptr[j + 1]):
            t = tidx[k]
            if state[OFF, t] < 0:
                blocked |= sizes[t] == sizes[j] and tie[t] < tie[j]
            else:
                blocked |= state[OFF, t] + sizes[t] == o and sizes[t] < sizes[j]
        y = c - 1  # insertion by (offset, rank)
        while not blocked and y >= 0:
            i = lst[at + y]
            if state[MIN, i] < o or (state[MIN, i] == o and rank[i] < rank[j]):
                break
            lst[at + y + 1] = i
            y -= 1
        if not blocked:
            lst[at + y + 1] = j
            c += 1
    return (1, c, h) if c > 0 else (0, 0, h)


@numba.njit(cache=True)
def _failed_before(h: int, o_last: int, r_last: int, cache: Arr) -> bool:
    """Whether the table holds state ``h`` as failed under a floor no higher than ``(o_last,
    r_last)`` (a higher floor only removes packings)."""
    slot = np.int64(np.uint64(h) & np.uint64(cache.shape[1] - 1))
    return cache[0, slot] == h and (
        o_last > cache[1, slot] or (o_last == cache[1, slot] and r_last >= cache[2, slot])
    )


@numba.njit(cache=True)
def _infer(a: int, z: int, o_last: int, r_last: int, target: int, st: tuple, state: Arr,
           memo: Arr, stamp: int) -> bool:  # fmt: skip
    """Section inference on sections ``[a, z)`` under the floor ``(o_last, r_last)``: in each,
    some unplaced buffer's effective offset plus the unplaced size fits below ``target``."""
    sizes, nptr, nidx, tie, sptr, sidx = st[0], st[3], st[4], st[6], st[11], st[12]
    for s in range(a, z):  # section inference: one buffer low enough, the witness tried first
        room = target - state[TOTAL, s]
        ok = state[TOTAL, s] == 0
        q = sptr[s] - 1
        while q < sptr[s + 1] and not ok:
            j = state[WITNESS, s] if q < sptr[s] else sidx[q]
            q += 1
            if state[OFF, j] < 0:
                if memo[0, j] != stamp:  # its effective offset (a lower bound on its final one)
                    e = state[MIN, j]
                    if e < o_last or (e == o_last and tie[j] < r_last):
                        lift = _INF  # it must rest on an unplaced neighbour (by size, ascending)
                        for k in range(nptr[j], nptr[j + 1]):
                            i = nidx[k]
                            if o_last + sizes[i] >= lift:
                                break
                            if state[OFF, i] < 0:
                                lift = min(lift, max(state[MIN, i], o_last) + sizes[i])
                        e = max(o_last, lift)
                    memo[0, j], memo[1, j] = stamp, e
                if memo[1, j] <= room:
                    state[WITNESS, s] = j
                    ok = True
        if not ok:
            return False
    return True


@numba.njit(cache=True)
def search(st: tuple, offsets: Arr, min_off: Arr, total: Arr, target: int, node_limit: int,
           deadline: float, stats: Arr, cache: Arr, noise: int) -> int:  # fmt: skip
    """Complete the packing in ``offsets`` (``-1``: unplaced) below ``target``.

    ``min_off`` and ``total`` (unplaced size per section, length ``sections + 1``) must match
    ``offsets``. ``cache`` is a ``(3, 2**k)`` table of failed states, kept between calls with the
    same ``tie`` order (``st[6]``), start and ``target``. With ``noise > 0`` a node's first two
    children swap with probability ``noise / 1000`` (xorshift state in ``stats[1]``). Returns
    ``FOUND`` (``offsets`` completed), ``FAILED`` (no packing extends the given one) or
    ``ABORT`` (past ``node_limit`` nodes or ``deadline``). ``stats[0]`` counts nodes.
    """
    sizes, lo, hi, nptr, nidx, tie, by_lo, first_at = (
        st[0],
        st[1],
        st[2],
        st[3],
        st[4],
        st[6],
        st[9],
        st[10],
    )
    sptr, sidx = st[11], st[12]
    n, nsec = len(sizes), len(total) - 1
    state = np.zeros((9, max(n + 2, nsec + 1)), dtype=np.int64)
    state[NEXT, : n + 2] = np.minimum(np.arange(1, n + 3), n + 1)
    state[PREV, : n + 2] = np.maximum(np.arange(-1, n + 1), 0)
    state[TOTAL, : nsec + 1] = total
    for k in range(n):
        b = by_lo[k]
        state[OFF, b], state[MIN, b], state[HASH, b] = offsets[b], min_off[b], _mix(b, min_off[b])
        state[NODE, b] = k + 1
        if offsets[b] >= 0:
            state[NEXT, state[PREV, k + 1]] = state[NEXT, k + 1]
            state[PREV, state[NEXT, k + 1]] = state[PREV, k + 1]
        else:
            state[CROSS, lo[b] + 1 : hi[b]] += 1
    for s in range(nsec):
        state[WITNESS, s] = sidx[sptr[s]] if sptr[s + 1] > sptr[s] else 0
    trail = np.empty((4, max(len(nidx), n) + 1), dtype=np.int64)
    ptr = np.zeros(2, dtype=np.int64)
    memo = np.full((2, n), -1, dtype=np.int64)  # effective offsets, valid while row 0 == stamp
    # frames (rows): kind, lo, hi, o_last, r_last, mark, next position, list start, length, hash
    fr = np.empty((10, 2 * n + 4), dtype=np.int64)
    lst = np.empty(4 * (n + 2) * (n + 2), dtype=np.int64)  # components and children, a stack
    c = _components(0, nsec, lo, hi, by_lo, first_at, state, lst, 0)
    f, ltop, ret = 0, 3 * c, _NONE
    fr[:, f] = (_SEQ, 0, nsec, 0, -1, 0, 0, 0, c, 0)
    while f >= 0:
        kind, a, z, o_last, r_last = fr[0, f], fr[1, f], fr[2, f], fr[3, f], fr[4, f]
        mark, pos, start, length = fr[5, f], fr[6, f], fr[7, f], fr[8, f]
        if kind == _SEQ:
            if ret == FAILED or pos == length:  # a component failed, or all were solved
                if ret == FAILED:
                    _undo(mark, sizes, lo, hi, state, trail, ptr)
                ret = FAILED if ret == FAILED else FOUND
                ltop = start
                f -= 1
                continue
            k = start + 3 * pos
            fr[6, f] = pos + 1
            stats[2] += 1  # a fresh stamp for the memo of effective offsets
            status, c, h = _expand(
                lst[k],
                lst[k + 1],
                o_last,
                r_last,
                target,
                st,
                state,
                memo,
                stats[2],
                lst,
                ltop,
                cache,
            )
            if status == 0:
                ret = FAILED
            elif status == 2:
                stats[0] += 1
                _place(c, sizes, lo, hi, nptr, nidx, state, trail, ptr)
                ret = FOUND
            else:
                if noise > 0 and c >= 2:
                    x = np.uint64(stats[1]) | np.uint64(1)
                    x ^= x << np.uint64(13)
                    x ^= x >> np.uint64(7)
                    x ^= x << np.uint64(17)
                    stats[1] = np.int64(x >> np.uint64(1))
                    if (x >> np.uint64(11)) % np.uint64(1000) < np.uint64(noise):
                        lst[ltop], lst[ltop + 1] = lst[ltop + 1], lst[ltop]
                f += 1
                fr[:, f] = (
                    _COMP,
                    lst[k],
                    lst[k + 1],
                    o_last,
                    r_last,
                    ptr[0],
                    0,
                    ltop,
                    c,
                    np.int64(h),
                )
                ltop += c
                ret = _NONE
            continue
        if ret == FOUND:  # a component frame: its child succeeded, or try the next child
            ltop = start
            f -= 1
            continue
        if ret == FAILED:
            _undo(mark, sizes, lo, hi, state, trail, ptr)
        if pos == length:  # every child failed: remember the state
            slot = np.int64(np.uint64(fr[9, f]) & np.uint64(cache.shape[1] - 1))
            cache[0, slot], cache[1, slot], cache[2, slot] = fr[9, f], o_last, r_last
            ltop = start
            f -= 1
            ret = FAILED
            continue
        b = lst[start + pos]
        if pos > 0:  # the later children raise the floor: fail them all if the raised state fails
            stats[2] += 1
            if _failed_before(fr[9, f], state[MIN, b], tie[b], cache) or not _infer(
                a, z, state[MIN, b], tie[b], target, st, state, memo, stats[2]
            ):
                fr[6, f] = length
                ret = FAILED
                continue
        fr[6, f] = pos + 1
        stats[0] += 1
        if stats[0] > node_limit or ((stats[0] & 1023) == 0 and _now() > deadline):
            return ABORT
        off = state[MIN, b]
        if _place(b, sizes, lo, hi, nptr, nidx, state, trail, ptr):
            c = _components(a, z, lo, hi, by_lo, first_at, state, lst, ltop)
        else:  # no boundary freed: still one component (it had two buffers or more)
            lst[ltop], lst[ltop + 1], lst[ltop + 2], c = a, z, 1, 1
        f += 1
        fr[:, f] = (_SEQ, a, z, off, tie[b], ptr[0], 0, ltop, c, 0)
        ltop += 3 * c
        ret = _NONE
    if ret == FOUND:
        offsets[:] = state[OFF, :n]
    return ret


@numba.njit(cache=True)
def greedy(order: Arr, sizes: Arr, nptr: Arr, nidx: Arr, offsets: Arr, best: bool) -> None:
    """Place the unplaced buffers (``offsets == -1``) in ``order``, each in the lowest gap
    between its placed neighbours that holds it (``best``: the tightest such gap, the lowest on
    ties), or on top of them all."""
    starts = np.empty(len(sizes), dtype=np.int64)
    ends = np.empty(len(sizes), dtype=np.int64)
    for b in order:
        if offsets[b] >= 0:
            continue
        m = 0
        for k in range(nptr[b], nptr[b + 1]):
            if offsets[nidx[k]] >= 0:
                starts[m], ends[m] = offsets[nidx[k]], offsets[nidx[k]] + sizes[nidx[k]]
                m += 1
        perm = np.argsort(starts[:m])
        cur, pick, gap = 0, -1, _INF
        for k in range(m):
            s = starts[perm[k]]
            if s - cur >= sizes[b] and s - cur < gap:
                pick, gap = cur, s - cur
                if not best:
                    break
            cur = max(cur, ends[perm[k]])
        offsets[b] = cur if pick < 0 else pick
