"""An event-driven, iteration-level LLM-serving simulator (continuous batching, paged KV cache).

Each replica runs iterations back to back while it has work. Before every iteration it makes
sure each decoding request can append one token to its paged KV cache (blocks of
:data:`~schedgym.llm.instance.BLOCK_TOKENS` tokens; capacity from HBM minus weights) and, when it
cannot, preempts the most recently admitted request (its cache is dropped and recomputed later,
vLLM's recompute preemption); then a batch **policy** picks the batch (which prompt chunks, which
decodes) and the iteration lasts what :class:`~schedgym.llm.cost.ReplicaCost` says. A global
**router** sends each arriving request to a replica (:meth:`Simulator.run`), or the caller does
(the env: :meth:`~Simulator.advance_to`, :meth:`~Simulator.assign`, :meth:`~Simulator.drain`).
Policies (:mod:`schedgym.llm.policies`) and routers (``baselines/llm``) follow the protocols below.

Speed: a decode-only batch stays the same until a request finishes, a block runs out or a new
request is routed to the replica, and its iteration times grow linearly with the context, so such
runs of iterations are simulated in one step (closed-form sum of their times) and recorded as
one step with a repeat count; a request routed to a replica in the middle of a run cuts the run
at the end of the iteration in flight. Request state lives in numpy arrays.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from schedgym.llm.cost import ReplicaCost
from schedgym.llm.instance import BLOCK_TOKENS, ServingInstance
from schedgym.llm.schedule import ServingSchedule
from schedgym.llm.validate import ServingMetrics, TokenTimes, summarize


@dataclass(frozen=True)
class Batch:
    """One iteration's work: ``prefill`` (request, prompt tokens) chunks and ``decode`` ids."""

    prefill: list[tuple[int, int]] = field(default_factory=list)
    decode: list[int] = field(default_factory=list)


class BatchPolicy(Protocol):
    """Chooses the next iteration's batch of a replica. ``Simulator.admit`` admits the first
    waiting request (reserving the KV blocks of its whole prompt); every request a policy admits
    must get a prompt chunk in the batch it returns. ``replica.prefilling`` and
    ``replica.decoding`` are the admitted requests, in admission order."""

    name: str

    def form_batch(self, sim: Simulator, replica: ReplicaState) -> Batch:
        """The batch of the iteration starting now."""
        ...


class Router(Protocol):
    """Sends an arriving request to a replica."""

    name: str

    def route(self, sim: Simulator, request: int) -> int:
        """The index of the replica that serves ``request``."""
        ...


class ReplicaState:
    """One replica's queues, KV blocks and pending step (see :class:`Simulator`)."""

    def __init__(self, index: int, cost: ReplicaCost) -> None:
        self.index = index
        self.cost = cost
        self.total_blocks = cost.replica.kv_capacity_tokens // BLOCK_TOKENS
        self.free_blocks = self.total_blocks
        self.waiting: deque[int] = deque()  # not admitted, FCFS (preempted ones in front)
        self.prefilling: list[int] = []  # admitted, prompt not fully processed
        self.decoding: list[int] = []  # admitted, generating
        self.decode_need = 0  # blocks the decodes need for their next token (kept back)
        self.outstanding_requests = 0
        self.outstanding_tokens = 0
        self.pending: _Step | None = None


@dataclass
class _Step:
    start: float
    repeat: int
    prefill: np.ndarray  # (k,) request ids
    chunks: np.ndarray  # (k,) tokens
    decode: np.ndarray  # (b,) request ids
    duration: float  # when repeat == 1
    alpha: float = 0.0
    beta: float = 0.0
    context: int = 0
    end: float = 0.0  # start + elapsed(repeat), kept up to date by :meth:`set_repeat`

    def __post_init__(self) -> None:
        self.set_repeat(self.repeat)

    def set_repeat(self, repeat: int) -> None:
        """Run ``repeat`` iterations (cut a decode run short)."""
        self.repeat = repeat
        self.end = self.start + self.elapsed(repeat)

    def elapsed(self, k: int) -> float:
        """Seconds of the first ``k`` iterations."""
        if not len(self.decode) or len(self.prefill):
            return self.duration * k
        b = len(self.decode)
        return k * self.alpha + self.beta * (k * self.context + b * k * (k - 1) / 2.0)


def _blocks(tokens: np.ndarray | int) -> np.ndarray:
    return -(-np.asarray(tokens) // BLOCK_TOKENS)


class Simulator:
    """Serve ``instance`` with ``policy`` and ``router``; :meth:`run` returns the metrics and
    the recorded :class:`ServingSchedule`."""

    def __init__(
        self, instance: ServingInstance, policy: BatchPolicy, router: Router | None = None
    ) -> None:
        self.instance, self.policy, self.router = instance, policy, router
        w = instance.workload
        n = w.num_requests
        self.arrival, self.prompt, self.output = w.arrivals, w.prompt_tokens, w.output_tokens
        costs: dict[object, ReplicaCost] = {}
        for r in instance.cluster.replicas:
            costs.setdefault(r, ReplicaCost(r))
        self.replicas = [ReplicaState(i, costs[r]) for i, r in enumerate(instance.cluster.replicas)]
        self.request_replica = np.full(n, -1, dtype=np.int64)
        self.target = np.zeros(n, dtype=np.int64)  # prompt tokens to (re)compute
        self.prefilled = np.zeros(n, dtype=np.int64)
        self.cache = np.zeros(n, dtype=np.int64)
        self.generated = np.zeros(n, dtype=np.int64)
        self.reserved = np.zeros(n, dtype=np.int64)  # KV blocks held
        self.admitted_seq = np.zeros(n, dtype=np.int64)
        self.first_token = np.full(n, np.nan)
        self.last_token = np.full(n, np.nan)
        self.finish = np.full(n, np.nan)
        self.preemptions = np.zeros(n, dtype=np.int64)
        self.now = 0.0
        self._seq = 0
        self._gaps: list[np.ndarray] = []
        self._gap_weights: list[np.ndarray] = []
        self._steps: list[tuple[int, float, float, int]] = []
        self._members: list[tuple[np.ndarray, np.ndarray]] = []
        self._preempted: list[list[int]] = []
        self._pending_preempts: dict[int, list[int]] = {}
        self.finished_log: list[int] = []  # requests in the order they finished

    # -- helpers for policies -----------------------------------------------------------------

    def admit(self, replica: ReplicaState, watermark: float = 0.01) -> int | None:
        """Admit the first waiting request if the blocks for its whole prompt (plus tokens
        already generated, when recomputing) are free, keeping back the blocks the decodes need
        for their next token and ``watermark`` of the cache (vLLM's admission rule, which
        avoids preempting what was just admitted); returns it, else ``None``."""
        if not replica.waiting:
            return None
        i = replica.waiting[0]
        target = int(self.prompt[i] + self.generated[i])
        need = int(_blocks(target))
        spare = replica.free_blocks - replica.decode_need - int(watermark * replica.total_blocks)
        if need > spare and (replica.prefilling or replica.decoding or need > replica.free_blocks):
            return None
        replica.waiting.popleft()
        replica.free_blocks -= need
        self.reserved[i] = need
        self.target[i] = target
        self.prefilled[i] = 0
        self.cache[i] = 0
        self._seq += 1
        self.admitted_seq[i] = self._seq
        replica.prefilling.append(i)
        return i

    def remaining_prefill(self, request: int) -> int:
        """Prompt tokens ``request`` still has to process."""
        return int(self.target[request] - self.prefilled[request])

    # -- the event loop -----------------------------------------------------------------------

    def run(self) -> tuple[ServingMetrics, ServingSchedule]:
        """Simulate every request to completion, routing each with the router."""
        if self.router is None:
            raise ValueError("run() needs a router (or step with advance_to, assign, drain)")
        for i, ta in enumerate(self.arrival.tolist()):
            self.advance_to(ta)
            self.assign(i, int(self.router.route(self, i)))
        return self.drain()

    # -- stepping from outside (the env): advance_to, assign, drain ---------------------------

    def next_step_end(self) -> tuple[ReplicaState | None, float]:
        """The replica whose pending step ends first and when (ties: lowest index)."""
        rep, te = None, math.inf
        for candidate in self.replicas:
            step = candidate.pending
            if step is not None and step.end < te:
                rep, te = candidate, step.end
        return rep, te

    def process_next_step(self) -> bool:
        """End the earliest pending step and form that replica's next; ``False`` if none."""
        rep, te = self.next_step_end()
        if rep is None:
            return False
        self.now = te
        self._commit(rep)
        self._form(rep)
        return True

    def advance_to(self, t: float) -> None:
        """End every step that ends before ``t`` (an arrival at ``t`` goes first), then set the
        clock to ``t``."""
        while self.next_step_end()[1] < t:
            self.process_next_step()
        self.now = max(self.now, t)

    def drain(self) -> tuple[ServingMetrics, ServingSchedule]:
        """Run every replica until idle; returns the metrics and the schedule."""
        while self.process_next_step():
            pass
        if np.isnan(self.finish).any():
            raise RuntimeError("some requests never finished (unassigned, or too large a prompt?)")
        return self._results()

    def assign(self, i: int, r: int) -> None:
        """Send request ``i`` (arrived) to replica ``r`` at the current time."""
        rep = self.replicas[r]
        self.request_replica[i] = r
        rep.waiting.append(i)
        rep.outstanding_requests += 1
        rep.outstanding_tokens += int(self.prompt[i] + self.output[i])
        if rep.pending is None:
            self._form(rep)
        else:
            self._cut_run(rep)

    def _cut_run(self, rep: ReplicaState) -> None:
        """End ``rep``'s decode run with the iteration in flight (new work joins after it)."""
        step = rep.pending
        if step is not None and step.repeat > 1 and step.end > self.now:
            k = step.repeat
            lo = 1  # smallest k whose end is at or after now
            while lo < k:
                mid = (lo + k) // 2
                if step.start + step.elapsed(mid) >= self.now:
                    k = mid
                else:
                    lo = mid + 1
            step.set_repeat(k)

    def _make_room(self, rep: ReplicaState) -> list[int]:
        """Preempt (latest admitted first) until every decode can append one token."""
        preempted: list[int] = []
        rep.decode_need = 0
        while rep.decoding:
            dec = np.asarray(rep.decoding)
            need = int(np.maximum(_blocks(self.cache[dec] + 1) - self.reserved[dec], 0).sum())
            if need <= rep.free_blocks:
                rep.decode_need = need
                break
            last_pre = rep.prefilling[-1] if rep.prefilling else -1
            victim_list = rep.decoding
            seq_pre = self.admitted_seq[last_pre] if last_pre >= 0 else -1
            if seq_pre > self.admitted_seq[rep.decoding[-1]]:
                victim_list = rep.prefilling
            i = victim_list.pop()
            rep.free_blocks += int(self.reserved[i])
            self.reserved[i] = self.prefilled[i] = self.cache[i] = 0
            self.preemptions[i] += 1
            rep.waiting.appendleft(i)
            preempted.append(i)
        return preempted

    def _form(self, rep: ReplicaState) -> None:
        rep.pending = None
        if not (rep.waiting or rep.prefilling or rep.decoding):
            return
        preempted = self._make_room(rep)
        batch = self.policy.form_batch(self, rep)
        if not batch.prefill and not batch.decode:
            if rep.prefilling or rep.decoding:
                raise RuntimeError(f"policy {self.policy.name} formed an empty batch with work")
            i = rep.waiting[0]
            raise RuntimeError(f"request {i} never fits in replica {rep.index}'s KV cache")
        pre = np.array([i for i, _ in batch.prefill], dtype=np.int64)
        chunks = np.array([c for _, c in batch.prefill], dtype=np.int64)
        dec = np.array(batch.decode, dtype=np.int64)
        context = int((self.cache[dec] + 1).sum())
        cost = rep.cost
        if len(pre):
            completes = int((self.prefilled[pre] + chunks == self.target[pre]).sum())
            seconds = cost.iteration(
                chunks, self.prefilled[pre], completes + len(dec), len(dec), context
            )
            step = _Step(self.now, 1, pre, chunks, dec, seconds)
        else:
            repeat = int((self.output[dec] - self.generated[dec]).min())
            repeat = self._memory_limit(rep, dec, repeat)
            alpha, beta = cost.decode_run(len(dec), context)
            step = _Step(self.now, repeat, pre, chunks, dec, 0.0, alpha, beta, context)
        rep.pending = step
        self._pending_preempts[rep.index] = preempted

    def _memory_limit(self, rep: ReplicaState, dec: np.ndarray, repeat: int) -> int:
        cache, reserved = self.cache[dec], self.reserved[dec]

        def demand(k: int) -> int:
            return int(np.maximum(_blocks(cache + k) - reserved, 0).sum())

        if demand(repeat) <= rep.free_blocks:
            return repeat
        lo, hi = 1, repeat  # demand(1) fits (made room); find the largest k that fits
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if demand(mid) <= rep.free_blocks:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def _commit(self, rep: ReplicaState) -> None:
        step = rep.pending
        assert step is not None
        k, end = step.repeat, step.end
        dec, pre, chunks = step.decode, step.prefill, step.chunks
        self._steps.append((rep.index, step.start, end, k))
        members = np.concatenate([pre, dec])
        self._members.append((members, np.concatenate([chunks, np.zeros(len(dec), np.int64)])))
        self._preempted.append(self._pending_preempts.pop(rep.index, []))
        if len(dec):
            first_end = step.start + step.elapsed(1)
            self._gaps.append(first_end - self.last_token[dec])
            self._gap_weights.append(np.ones(len(dec)))
            if k > 1:
                b = len(dec)
                times = step.alpha + step.beta * (step.context + b * np.arange(1, k))
                self._gaps.append(times)
                self._gap_weights.append(np.full(k - 1, float(b)))
            self.cache[dec] += k
            self.generated[dec] += k
            self.last_token[dec] = end
            grow = np.maximum(_blocks(self.cache[dec]) - self.reserved[dec], 0)
            self.reserved[dec] += grow
            rep.free_blocks -= int(grow.sum())
        if len(pre):
            self.prefilled[pre] += chunks
            self.cache[pre] += chunks
            done = pre[self.prefilled[pre] == self.target[pre]]
            again = done[~np.isnan(self.last_token[done])]
            if len(again):
                self._gaps.append(end - self.last_token[again])
                self._gap_weights.append(np.ones(len(again)))
            self.generated[done] += 1
            self.first_token[done] = np.where(
                np.isnan(self.first_token[done]), end, self.first_token[done]
            )
            self.last_token[done] = end
            done_set = set(done.tolist())
            rep.prefilling = [i for i in rep.prefilling if i not in done_set]
            rep.decoding.extend(sorted(done_set, key=lambda i: self.admitted_seq[i]))
        finished = members[self.generated[members] >= self.output[members]]
        if len(finished):
            self.finish[finished] = end
            self.finished_log.extend(finished.tolist())
            rep.free_blocks += int(self.reserved[finished].sum())
            self.reserved[finished] = 0
            gone = set(finished.tolist())
            rep.decoding = [i for i in rep.decoding if i not in gone]
            rep.outstanding_requests -= len(finished)
            rep.outstanding_tokens -= int((self.prompt[finished] + self.output[finished]).sum())
        rep.pending = None

    def _results(self) -> tuple[ServingMetrics, ServingSchedule]:
        times = TokenTimes(
            first_token=self.first_token,
            finish=self.finish,
            gaps=np.concatenate(self._gaps) if self._gaps else np.zeros(0),
            gap_weights=np.concatenate(self._gap_weights) if self._gaps else np.zeros(0),
            preemptions=int(self.preemptions.sum()),
        )
        return summarize(self.instance, times), self.recorded_schedule()

    def recorded_schedule(self) -> ServingSchedule:
        """The steps ended so far as a schedule (complete once every request finished)."""
        steps = np.array(self._steps, dtype=np.float64).reshape(-1, 4)
        sizes = [len(m) for m, _ in self._members]
        pre_sizes = [len(p) for p in self._preempted]
        return ServingSchedule(
            request_replica=self.request_replica.copy(),
            step_replica=steps[:, 0].astype(np.int64),
            step_start=steps[:, 1].copy(),
            step_end=steps[:, 2].copy(),
            step_repeat=steps[:, 3].astype(np.int64),
            member_ptr=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
            member_request=np.concatenate([m for m, _ in self._members] or [np.zeros(0)]).astype(
                np.int64
            ),
            member_prefill=np.concatenate([c for _, c in self._members] or [np.zeros(0)]).astype(
                np.int64
            ),
            preempt_ptr=np.concatenate([[0], np.cumsum(pre_sizes)]).astype(np.int64),
            preempt_request=np.array([i for p in self._preempted for i in p], dtype=np.int64),
            policy=self.policy.name,
            router=self.router.name if self.router is not None else "",
            instance=self.instance.name,
        )


def simulate(
    instance: ServingInstance, policy: BatchPolicy, router: Router
) -> tuple[ServingMetrics, ServingSchedule]:
    """Serve ``instance`` with ``policy`` and ``router`` (see :class:`Simulator`)."""
    return Simulator(instance, policy, router).run()
