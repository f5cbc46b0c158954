"""Compiled (numba) inner loops of the job-shop tabu search
(:mod:`schedgym.baselines.jobshop.tabu`).

Operations are numbered ``op = job * num_ops + index``. A solution is the order of the
operations on each machine, held as linked lists ``mnext`` / ``mprev`` (-1 at the ends); the
routes are the fixed ``job_next`` / ``job_prev``. Heads (earliest starts) come from one pass of
Kahn's algorithm over the disjunctive graph, tails (longest path after an operation ends) from
the same topological order reversed. The search state (current and best orders, tabu matrix,
counters, random state) lives in arrays, so that :func:`tabu_run` can be called in chunks of
iterations and continue exactly where it stopped: a run of N iterations is the same whatever the
chunking.
"""

from __future__ import annotations

import numba
import numpy as np

#: indices into the ``state`` array of :func:`tabu_run`
ITER, BEST, CURRENT, LAST_IMPROVE, RESTARTS, BEST_ITER = range(6)
_MULT = np.uint64(6364136223846793005)
_INC = np.uint64(1442695040888963407)


@numba.njit(cache=True)
def _rand(rng: np.ndarray, k: int) -> int:
    """Uniform integer in ``[0, k)`` from the 64-bit LCG whose state is ``rng[0]``."""
    rng[0] = rng[0] * _MULT + _INC
    return int(np.int64((rng[0] >> np.uint64(33)) % np.uint64(k)))


@numba.njit(cache=True)
def heads_tails(
    p: np.ndarray,
    job_next: np.ndarray,
    job_prev: np.ndarray,
    mnext: np.ndarray,
    mprev: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    order: np.ndarray,
    indeg: np.ndarray,
) -> int:
    """Fill ``head`` and ``tail``; return the makespan, or -1 if the orders contain a cycle."""
    n = p.shape[0]
    cnt = 0
    for i in range(n):
        d = 0
        if job_prev[i] >= 0:
            d += 1
        if mprev[i] >= 0:
            d += 1
        indeg[i] = d
        head[i] = 0
        if d == 0:
            order[cnt] = i
            cnt += 1
    k = 0
    while k < cnt:
        u = order[k]
        k += 1
        end = head[u] + p[u]
        for v in (job_next[u], mnext[u]):
            if v >= 0:
                if head[v] < end:
                    head[v] = end
                indeg[v] -= 1
                if indeg[v] == 0:
                    order[cnt] = v
                    cnt += 1
    if cnt < n:
        return -1
    makespan = 0
    for idx in range(n - 1, -1, -1):
        u = order[idx]
        t = 0
        for v in (job_next[u], mnext[u]):
            if v >= 0 and tail[v] + p[v] > t:
                t = tail[v] + p[v]
        tail[u] = t
        if head[u] + p[u] + t > makespan:
            makespan = head[u] + p[u] + t
    return makespan


@numba.njit(cache=True)
def n5_moves(
    p: np.ndarray,
    job_next: np.ndarray,
    job_prev: np.ndarray,
    mnext: np.ndarray,
    mprev: np.ndarray,
    head: np.ndarray,
    makespan: int,
    path: np.ndarray,
    on_machine: np.ndarray,
    move_u: np.ndarray,
    move_v: np.ndarray,
) -> int:
    """The N5 moves of one critical path: pairs ``(move_u[i], move_v[i])``, adjacent on their
    machine (u first), to swap. Returns their number (0: the schedule is optimal)."""
    n = p.shape[0]
    u = -1
    for i in range(n):
        if head[i] + p[i] == makespan:
            u = i
            break
    # Trace the path backwards through tight arcs, preferring machine arcs (larger blocks).
    length = 0
    path[0] = u
    while head[u] > 0:
        mp = mprev[u]
        if mp >= 0 and head[mp] + p[mp] == head[u]:
            on_machine[length] = True
            u = mp
        else:
            on_machine[length] = False
            u = job_prev[u]
        length += 1
        path[length] = u
    # Reverse: path[0..length] forward, on_machine[i]: arc path[i-1] -> path[i] is a machine arc.
    for i in range((length + 1) // 2):
        path[i], path[length - i] = path[length - i], path[i]
    for i in range(length // 2):
        on_machine[i], on_machine[length - 1 - i] = on_machine[length - 1 - i], on_machine[i]
    for i in range(length, 0, -1):
        on_machine[i] = on_machine[i - 1]
    on_machine[0] = False
    # Blocks: maximal runs joined by machine arcs.
    num_blocks = 1
    for i in range(1, length + 1):
        if not on_machine[i]:
            num_blocks += 1
    count = 0
    block = 0
    start = 0
    for i in range(1, length + 2):
        if i <= length and on_machine[i]:
            continue
        end = i - 1  # block path[start..end]
        if end > start:
            if block > 0 and job_next[path[start]] != path[start + 1]:
                move_u[count] = path[start]
                move_v[count] = path[start + 1]
                count += 1
            if (
                block < num_blocks - 1
                and not (block > 0 and end == start + 1)
                and job_next[path[end - 1]] != path[end]
            ):
                move_u[count] = path[end - 1]
                move_v[count] = path[end]
                count += 1
        block += 1
        start = i
    return count


@numba.njit(cache=True)
def swap(mnext: np.ndarray, mprev: np.ndarray, u: int, v: int) -> None:
    """Swap ``u`` and its machine successor ``v``: ``a -> u -> v -> b`` becomes ``a v u b``."""
    a = mprev[u]
    b = mnext[v]
    if a >= 0:
        mnext[a] = v
    mprev[v] = a
    mnext[v] = u
    mprev[u] = v
    mnext[u] = b
    if b >= 0:
        mprev[b] = u


@numba.njit(cache=True)
def estimate(
    p: np.ndarray,
    job_next: np.ndarray,
    job_prev: np.ndarray,
    mnext: np.ndarray,
    mprev: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    u: int,
    v: int,
) -> int:
    """Length of the longest path through ``u`` or ``v`` after swapping them (Taillard 1994),
    from the heads and tails before the swap."""
    a = mprev[u]
    b = mnext[v]
    r_v = 0
    x = job_prev[v]
    if x >= 0:
        r_v = head[x] + p[x]
    if a >= 0 and head[a] + p[a] > r_v:
        r_v = head[a] + p[a]
    r_u = r_v + p[v]
    x = job_prev[u]
    if x >= 0 and head[x] + p[x] > r_u:
        r_u = head[x] + p[x]
    q_u = 0
    x = job_next[u]
    if x >= 0:
        q_u = tail[x] + p[x]
    if b >= 0 and tail[b] + p[b] > q_u:
        q_u = tail[b] + p[b]
    q_v = q_u + p[u]
    x = job_next[v]
    if x >= 0 and tail[x] + p[x] > q_v:
        q_v = tail[x] + p[x]
    return max(r_v + p[v] + q_v, r_u + p[u] + q_u)


@numba.njit(cache=True)
def tabu_run(
    p: np.ndarray,
    job_next: np.ndarray,
    job_prev: np.ndarray,
    mnext: np.ndarray,
    mprev: np.ndarray,
    best_next: np.ndarray,
    best_prev: np.ndarray,
    tabu: np.ndarray,
    state: np.ndarray,
    rng: np.ndarray,
    work: np.ndarray,
    on_machine: np.ndarray,
    max_iters: int,
    tenure_min: int,
    tenure_max: int,
    stall_limit: int,
    kick: int,
    lower_bound: int,
) -> int:
    """Run up to ``max_iters`` tabu iterations from ``state``; return 0 (budget spent),
    1 (best reached ``lower_bound`` or no move left: optimal) or -1 (a cycle: a bug).

    ``work`` is an int64 array ``(7, n)``: heads, tails, topological order, in-degrees, path,
    move firsts, move seconds; heads and tails must describe the current orders on entry.
    """
    head, tail, order, indeg, path, move_u, move_v = (
        work[0],
        work[1],
        work[2],
        work[3],
        work[4],
        work[5],
        work[6],
    )
    for _ in range(max_iters):
        it = state[ITER]
        if state[BEST] <= lower_bound:
            return 1
        if it - state[LAST_IMPROVE] > stall_limit:
            # Back to the best, tabu list cleared, a few random critical swaps to diversify.
            mnext[:] = best_next
            mprev[:] = best_prev
            tabu[:, :] = 0
            state[RESTARTS] += 1
            state[LAST_IMPROVE] = it
            ms = heads_tails(p, job_next, job_prev, mnext, mprev, head, tail, order, indeg)
            for _k in range(kick):
                nm = n5_moves(
                    p, job_next, job_prev, mnext, mprev, head, ms, path, on_machine, move_u,
                    move_v,
                )  # fmt: skip
                if nm == 0:
                    break
                sel = _rand(rng, nm)
                swap(mnext, mprev, move_u[sel], move_v[sel])
                ms = heads_tails(p, job_next, job_prev, mnext, mprev, head, tail, order, indeg)
                if ms < 0:  # possible only through zero-length operations: undo
                    swap(mnext, mprev, move_v[sel], move_u[sel])
                    ms = heads_tails(p, job_next, job_prev, mnext, mprev, head, tail, order, indeg)
                    break
            state[CURRENT] = ms
        nm = n5_moves(
            p, job_next, job_prev, mnext, mprev, head, state[CURRENT], path, on_machine,
            move_u, move_v,
        )  # fmt: skip
        if nm == 0:
            return 1
        sel = -1
        sel_value = np.iinfo(np.int64).max
        for i in range(nm):
            u = move_u[i]
            v = move_v[i]
            value = estimate(p, job_next, job_prev, mnext, mprev, head, tail, u, v)
            is_tabu = tabu[v, u] > it
            if (not is_tabu or value < state[BEST]) and value < sel_value:
                sel = i
                sel_value = value
        if sel < 0:  # every move tabu and none aspirates: a random one
            sel = _rand(rng, nm)
        u = move_u[sel]
        v = move_v[sel]
        swap(mnext, mprev, u, v)
        tabu[u, v] = it + tenure_min + _rand(rng, tenure_max - tenure_min + 1)
        ms = heads_tails(p, job_next, job_prev, mnext, mprev, head, tail, order, indeg)
        if ms < 0:  # possible only through zero-length operations: undo, forbid for a while
            swap(mnext, mprev, v, u)
            tabu[v, u] = it + tenure_max
            ms = heads_tails(p, job_next, job_prev, mnext, mprev, head, tail, order, indeg)
            if ms < 0:
                return -1
        state[CURRENT] = ms
        state[ITER] = it + 1
        if ms < state[BEST]:
            state[BEST] = ms
            state[LAST_IMPROVE] = it + 1
            state[BEST_ITER] = it + 1
            best_next[:] = mnext
            best_prev[:] = mprev
    return 0
