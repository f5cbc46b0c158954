"""Disaggregated prefill and decode pools with KV-cache transfer (Splitwise, DistServe), and
the KV-cache move that live migration (Llumnix) uses.

:class:`DisaggregatedSimulator` splits the cluster's replicas into a **prefill pool** and a
**decode pool**. An arriving request goes to a prefill replica (the least loaded of the pool);
its prompt runs there and produces the first token. The request is then handed to the least
loaded decode replica: its KV cache (the prompt's tokens) moves over the interconnect, lasting
:meth:`~schedgym.llm.cost.ReplicaCost.kv_transfer` (KV bytes over the link bandwidth, default
:data:`~schedgym.llm.instance.INTERCONNECT_BYTES_PER_S`), and the request decodes there from the
transfer's end. Transfers do not contend for the link (one NIC per GPU, as in the papers'
DGX setups).

KV blocks: the destination allocates the blocks of the transferred tokens when the transfer
starts, which is at one of its step boundaries (a decode run in flight is cut after its current
iteration, as for an arrival) and only when they fit (FIFO; otherwise the transfer waits in the
destination's queue); the source keeps its blocks until the transfer ends and frees them at its
next step boundary. A prefill replica whose blocks are all held by outgoing transfers idles
until one ends. A decode replica that runs out of blocks preempts as usual; the preempted
request recomputes its prompt there. :meth:`DisaggregatedSimulator.move` moves a running
request's cache between any two replicas (migration), with the same rules.

The recorded schedule carries every transfer; :func:`~schedgym.llm.validate.validate_schedule`
checks them.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from schedgym.llm.instance import BLOCK_TOKENS, INTERCONNECT_BYTES_PER_S, ServingInstance
from schedgym.llm.policies import VLLM
from schedgym.llm.schedule import ServingSchedule
from schedgym.llm.simulator import Batch, BatchPolicy, ReplicaState, Simulator
from schedgym.llm.validate import ServingMetrics


@dataclass
class PoolLeastLoaded:
    """Router over a subset of replicas: fewest outstanding tokens per unit of compute (ties:
    lowest index)."""

    pool: tuple[int, ...]
    name: str = "pool-least-loaded"

    def route(self, sim: Simulator, request: int) -> int:
        """The least loaded replica of the pool."""

        def load(r: int) -> float:
            rep = sim.replicas[r]
            return rep.outstanding_tokens / (rep.cost.replica.gpu.peak_flops * rep.cost.replica.tp)

        return min(self.pool, key=load)


class RolePolicy:
    """One batch policy for prefill replicas, another for the rest."""

    def __init__(self, prefill: BatchPolicy, decode: BatchPolicy, prefill_pool: set[int]) -> None:
        self.prefill, self.decode, self.prefill_pool = prefill, decode, prefill_pool
        self.name = f"{prefill.name}/{decode.name}"

    def form_batch(self, sim: Simulator, replica: ReplicaState) -> Batch:
        """The batch of the replica's role's policy."""
        policy = self.prefill if replica.index in self.prefill_pool else self.decode
        return policy.form_batch(sim, replica)


@dataclass
class Transfer:
    """One KV-cache move (times and positions filled in as it happens)."""

    request: int
    src: int
    dst: int
    tokens: int
    start: float = float("nan")
    end: float = float("nan")
    begin_pos: int = -1
    release_pos: int = -1


def _blocks(tokens: int) -> int:
    return -(-tokens // BLOCK_TOKENS)


class DisaggregatedSimulator(Simulator):
    """Serve ``instance`` with the replicas ``prefill_pool`` running prompts (``prefill_policy``,
    vLLM's by default) and the others decoding (``decode_policy``); see the module docstring.
    An empty ``prefill_pool`` serves without disaggregation (every replica does both, with
    ``decode_policy``) but keeps :meth:`move`."""

    def __init__(
        self,
        instance: ServingInstance,
        prefill_pool: Sequence[int],
        prefill_policy: BatchPolicy | None = None,
        decode_policy: BatchPolicy | None = None,
        interconnect_bytes_per_s: float = INTERCONNECT_BYTES_PER_S,
    ) -> None:
        n = instance.num_replicas
        pre = sorted(set(prefill_pool))
        dec = [r for r in range(n) if r not in pre]
        if not dec or any(not 0 <= r < n for r in pre):
            raise ValueError(f"prefill pool {pre} must leave a decode replica out of {n}")
        self.prefill_set = set(pre)
        policy = RolePolicy(prefill_policy or VLLM(), decode_policy or VLLM(), self.prefill_set)
        super().__init__(instance, policy, PoolLeastLoaded(tuple(pre or dec)))
        self.decode_router = PoolLeastLoaded(tuple(dec))
        self.link = interconnect_bytes_per_s
        self.transfers: list[Transfer] = []
        self._incoming: dict[int, deque[int]] = {r: deque() for r in range(n)}
        self._releases: dict[int, list[int]] = {r: [] for r in range(n)}
        self._in_flight: list[tuple[float, int]] = []
        self._src_hold = np.zeros(instance.num_requests, dtype=np.int64)
        self._held_out = [0] * n  # blocks a source holds for transfers not yet released
        self._location = np.full(instance.num_requests, -1, dtype=np.int64)

    # -- moving a cache ----------------------------------------------------------------------

    def move(self, i: int, dst: int) -> None:
        """Hand request ``i`` (fully prefilled, removed from its replica's lists) to replica
        ``dst``: its cache is transferred as soon as ``dst`` has room."""
        src = int(self._location[i])
        p, d = self.replicas[src], self.replicas[dst]
        tokens = int(self.prompt[i] + self.output[i])
        p.outstanding_requests -= 1
        p.outstanding_tokens -= tokens
        d.outstanding_requests += 1
        d.outstanding_tokens += tokens
        self._src_hold[i] = self.reserved[i]
        self._held_out[src] += int(self.reserved[i])
        self.transfers.append(Transfer(i, src, dst, int(self.cache[i])))
        self._incoming[dst].append(len(self.transfers) - 1)
        self._location[i] = dst
        if d.pending is None:
            self._form(d)
        else:
            self._cut_run(d)

    def assign(self, i: int, r: int) -> None:
        """Send request ``i`` (arrived) to replica ``r`` at the current time."""
        self._location[i] = r
        super().assign(i, r)

    # -- the event loop ----------------------------------------------------------------------

    def next_step_end(self) -> tuple[ReplicaState | None, float]:
        """The next event: a step's end or (replica ``None``) a transfer's end."""
        rep, te = super().next_step_end()
        if self._in_flight and self._in_flight[0][0] <= te:
            return None, self._in_flight[0][0]
        return rep, te

    def process_next_step(self) -> bool:
        """Handle the next event (transfers ending first on ties); ``False`` if none."""
        rep, te = Simulator.next_step_end(self)
        if self._in_flight and self._in_flight[0][0] <= te:
            t, k = heapq.heappop(self._in_flight)
            self.now = max(self.now, t)
            self._arrived(k)
            return True
        if rep is None:
            return False
        self.now = te
        self._commit(rep)
        self._form(rep)
        return True

    def _commit(self, rep: ReplicaState) -> None:
        super()._commit(rep)
        if rep.index in self.prefill_set and rep.decoding:
            done, rep.decoding = rep.decoding, []
            for i in done:
                self.move(i, self.decode_router.route(self, i))

    def _form(self, rep: ReplicaState) -> None:
        r = rep.index
        for k in self._releases[r]:
            self._release(k)
        self._releases[r] = []
        self._start_incoming(rep)
        if rep.waiting and not (rep.prefilling or rep.decoding) and self._held_out[r]:
            head = rep.waiting[0]
            if _blocks(int(self.prompt[head] + self.generated[head])) > rep.free_blocks:
                rep.pending = None  # idle until an outgoing transfer frees blocks
                return
        super()._form(rep)

    def _start_incoming(self, rep: ReplicaState) -> None:
        queue = self._incoming[rep.index]
        while queue:
            k = queue[0]
            t = self.transfers[k]
            need = _blocks(t.tokens)
            spare = rep.free_blocks - len(rep.decoding) - int(0.01 * rep.total_blocks)
            idle = not (rep.waiting or rep.prefilling or rep.decoding)
            if need > spare and not (idle and need <= rep.free_blocks):
                in_transit = any(x.dst == rep.index and x.end > self.now for x in self.transfers)
                if idle and not in_transit:
                    raise RuntimeError(f"request {t.request} never fits in replica {rep.index}")
                return
            queue.popleft()
            rep.free_blocks -= need
            self.reserved[t.request] = need
            t.start = self.now
            t.end = self.now + self.replicas[t.src].cost.kv_transfer(t.tokens, self.link)
            t.begin_pos = len(self._steps)
            heapq.heappush(self._in_flight, (t.end, k))

    def _arrived(self, k: int) -> None:
        t = self.transfers[k]
        d, p = self.replicas[t.dst], self.replicas[t.src]
        self._seq += 1
        self.admitted_seq[t.request] = self._seq
        d.decoding.append(t.request)
        if d.pending is None:
            self._form(d)
        else:
            self._cut_run(d)
        self._releases[t.src].append(k)
        if p.pending is None:
            self._form(p)

    def _release(self, k: int) -> None:
        t = self.transfers[k]
        blocks = int(self._src_hold[t.request])
        self.replicas[t.src].free_blocks += blocks
        self._held_out[t.src] -= blocks
        self._src_hold[t.request] = 0
        t.release_pos = len(self._steps)

    # -- results -----------------------------------------------------------------------------

    def recorded_schedule(self) -> ServingSchedule:
        """The steps and transfers so far as a schedule."""
        done = [t for t in self.transfers if t.release_pos >= 0]

        def ints(name: str) -> np.ndarray:
            return np.asarray([getattr(t, name) for t in done], dtype=np.int64)

        return dataclasses.replace(
            super().recorded_schedule(),
            transfer_request=ints("request"),
            transfer_src=ints("src"),
            transfer_dst=ints("dst"),
            transfer_tokens=ints("tokens"),
            transfer_start=np.asarray([t.start for t in done], dtype=np.float64),
            transfer_end=np.asarray([t.end for t in done], dtype=np.float64),
            transfer_begin_pos=ints("begin_pos"),
            transfer_release_pos=ints("release_pos"),
        )


def simulate_disaggregated(
    instance: ServingInstance,
    prefill_pool: Sequence[int],
    prefill_policy: BatchPolicy | None = None,
    decode_policy: BatchPolicy | None = None,
    interconnect_bytes_per_s: float = INTERCONNECT_BYTES_PER_S,
) -> tuple[ServingMetrics, ServingSchedule]:
    """Serve ``instance`` with disaggregated pools (see :class:`DisaggregatedSimulator`)."""
    sim = DisaggregatedSimulator(
        instance, prefill_pool, prefill_policy, decode_policy, interconnect_bytes_per_s
    )
    return sim.run()
