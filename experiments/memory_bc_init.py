"""Behaviour cloning for the memory ``assign`` agent: the best of XLA's greedy, CP-SAT and a
one-step lookahead, replayed through the env, as labels (how ``memory_gnn.pt`` is trained).

XLA's greedy (``xla-greedy``) places the buffers in the env's own order (benefit / sqrt(size)
descending), each at its best fit; on generated instances of 20-40 buffers it is nearly always
optimal, so PPO there learns little beyond it. On larger instances better mappings leave a few
costly buffers in slow memory so that more others fit. This script draws ``--instances``
instances of ``--buffers`` buffers with the problem's generator (instance ``k`` from seed
``--seed + k``; never a shipped suite) and plays the label sources of ``--sources`` through the
env (:class:`schedgym.memory.env.MemoryMappingEnv`, the training env options), each giving a full
decision sequence and the env's validated objective:

* ``greedy``: XLA's rule in the env: best fit when the buffer has a benefit, else slow;
* ``cpsat-exact``: CP-SAT's mapping (``--cpsat-time`` s, one worker, hinted by the greedy
  heuristics) projected on the env's decisions: slow where CP-SAT left the buffer slow (or it has
  no benefit), CP-SAT's offset when it is a candidate, else best fit (slow if none fits);
* ``cpsat-fast``: CP-SAT's fast set only: best fit for its buffers, slow for the rest;
* ``lookahead``: along its own trajectory, best fit or slow, whichever ends better when XLA's
  greedy finishes the episode (one step of policy improvement over the greedy);
* ``agent``: the best of the ``--agent`` checkpoint's greedy episode and ``--agent-samples``
  sampled ones (seeded per instance): labels one step of expert iteration beyond that agent.

The default sources leave out ``cpsat-exact``: its offsets follow no rule the policy can see,
and without it the labels lose almost nothing (measured mean label / greedy on 500 instances:
0.9771 with it, 0.9772 without). The source with the lowest objective is the instance's label
(the first listed on ties, so the greedy unless another is strictly better); every label is
then "best fit" or "slow" at each decision. A policy of the config's architecture (or the
``--init`` checkpoint) is fitted to the labels by masked cross-entropy (decisions with one legal
action skipped; the ones where the label is not XLA's rule weighted ``--weight``). After each
epoch it runs greedily on ``--val-instances`` generated instances of ``--val-buffers`` buffers
(seeds from ``--val-seed``, 3x the training sizes by default), and the epoch with the lowest mean
ratio to ``xla-greedy`` is saved (``--out``), loadable with ``torch.load(weights_only=True)``.
``--dagger N`` adds N rounds of DAgger (the policy's own states labelled by the lookahead rule).
Labels are cached in ``--labels`` (JSON), so a refit does not solve again. The shipped
``memory_gnn.pt`` (``agents/checkpoints/memory_gnn.md``)::

    OMP_NUM_THREADS=1 .venv/bin/python -m schedgym.experiments.memory_bc_init \\
        --config experiments/configs/memory_bc.yaml --out runs/memory_bc/bc.pt \\
        --labels runs/memory_bc/labels.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from schedgym.agents.checkpoint import atomic_save, load_checkpoint, load_policy_state, make_payload
from schedgym.agents.config import TrainConfig
from schedgym.agents.envs import make_env
from schedgym.agents.graph_batch import stack_observations
from schedgym.agents.policy import GraphPointerPolicy, build_policy
from schedgym.agents.rollout import policy_chooser, run_episodes
from schedgym.agents.self_label import cross_entropy_step
from schedgym.baselines.memory.cpsat import MemoryCPSAT
from schedgym.baselines.memory.heuristics import XlaGreedy
from schedgym.core.seeding import make_rng
from schedgym.core.solver import Budget
from schedgym.memory.cost import CostModel
from schedgym.memory.env import MemoryMappingEnv
from schedgym.memory.generator import AssignGenerator
from schedgym.memory.instance import MemoryInstance
from schedgym.memory.schedule import SLOW
from schedgym.memory.simulator import PlacementState, visiting_order

Decide = Callable[[MemoryMappingEnv, int], int | None]
"""A label source's rule: the offset for buffer ``i`` now (``None``: slow memory)."""
SOURCES = ("greedy", "cpsat-exact", "cpsat-fast", "lookahead", "agent")


class AgentSource:
    """The ``agent`` label source: a trained policy's greedy episode and ``samples`` sampled
    ones of an instance, all in lockstep (one batched network call per step)."""

    def __init__(self, config: TrainConfig, checkpoint: Path, samples: int) -> None:
        probe = make_env(config)
        self.policy = build_policy(probe.observation_space, probe.action_space, config.arch, 1e-4)
        load_policy_state(self.policy, load_checkpoint(checkpoint)["policy"])
        self.policy.set_training_mode(False)
        self.envs = [probe] + [make_env(config) for _ in range(samples)]
        self.samples = samples

    def best(self, instance: MemoryInstance, seed: int) -> tuple[list[int], float]:
        """Actions and objective of the best of the greedy and the sampled episodes."""
        resets = [{"seed": 0, "options": {"instance": instance}}] * len(self.envs)
        greedy = run_episodes(self.envs[:1], policy_chooser(self.policy), resets[:1], "objective")
        generator = torch.Generator().manual_seed(seed)
        sampled = run_episodes(
            self.envs[1:],
            policy_chooser(self.policy, sample=True, generator=generator),
            resets[1:],
            "objective",
        )
        values = np.concatenate([greedy.worst_is("min"), sampled.worst_is("min")])
        actions = [*greedy.actions, *sampled.actions]
        k = int(np.argmin(values))
        return [int(a) for a in actions[k]], float(values[k])


def action_of(env: MemoryMappingEnv, offset: int | None) -> int:
    """The env action that puts the current buffer at ``offset`` (``None``, or an offset that
    is not a candidate: slow memory)."""
    if offset is None:
        return env.max_candidates
    found = np.flatnonzero(env.candidate_offsets == offset)
    return int(found[0]) if len(found) else env.max_candidates


def play(
    env: MemoryMappingEnv, instance: MemoryInstance, decide: Decide
) -> tuple[list[int], float]:
    """Actions and objective of the episode in which ``decide`` picks every offset."""
    env.reset(seed=0, options={"instance": instance})
    actions: list[int] = []
    done, info = False, dict[str, Any]()
    while not done:
        i = env.current_buffer
        assert i is not None
        action = action_of(env, decide(env, i))
        actions.append(action)
        _, _, done, _, info = env.step(action)
    return actions, float(info["objective"])


def greedy_rule(benefit: np.ndarray) -> Decide:
    """XLA's rule: best fit when buffer ``i`` has a benefit, else slow."""
    return lambda env, i: env.state.best_fit(i) if benefit[i] > 0 else None


def target_rule(benefit: np.ndarray, target: np.ndarray, exact: bool) -> Decide:
    """Follow a mapping's ``target`` offsets (``SLOW`` = -1): its offset when ``exact`` and it
    is a candidate, else best fit; slow where the target is slow or the buffer has no benefit."""

    def decide(env: MemoryMappingEnv, i: int) -> int | None:
        if target[i] == SLOW or benefit[i] <= 0:
            return None
        if exact and target[i] in env.candidate_offsets:
            return int(target[i])
        return env.state.best_fit(i)

    return decide


def _clone(state: PlacementState) -> PlacementState:
    copy = PlacementState(state.instance, state.limit)
    copy.offsets, copy.placed = state.offsets.copy(), state.placed.copy()
    copy.decided, copy.peak, copy.count = state.decided.copy(), state.peak, state.count
    return copy


def lookahead_rule(cost: CostModel, benefit: np.ndarray, order: np.ndarray) -> Decide:
    """Best fit or slow for buffer ``i``, whichever ends with the lower modelled time when XLA's
    greedy places the buffers after it (in ``order``); best fit on ties."""
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))

    def finish(state: PlacementState, start: int) -> float:
        for j in order[start:]:
            k = int(j)
            state.place(k, state.best_fit(k) if benefit[k] > 0 else None)
        return cost.modelled_time(state.placed)

    def decide(env: MemoryMappingEnv, i: int) -> int | None:
        fit = env.state.best_fit(i)
        if fit is None or benefit[i] <= 0:
            return None
        values = []
        for offset in (fit, None):
            trial = _clone(env.state)
            trial.place(i, offset)
            values.append(finish(trial, int(rank[i]) + 1))
        return fit if values[0] <= values[1] else None

    return decide


def label_instance(
    env: MemoryMappingEnv,
    instance: MemoryInstance,
    sources: Sequence[str],
    cpsat_time: float,
    agent: AgentSource | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Every source's objective on ``instance`` and the best one's actions (see the docstring)."""
    cost = CostModel(instance)
    benefit = cost.isolated_benefit()
    rules: dict[str, Decide] = {"greedy": greedy_rule(benefit)}
    if any(s.startswith("cpsat") for s in sources):
        result = MemoryCPSAT(workers=1).solve(instance, Budget(time_limit_s=cpsat_time, seed=0))
        target = (
            result.schedule.offsets_array() if result.schedule else XlaGreedy().offsets(instance)
        )
        rules["cpsat-exact"] = target_rule(benefit, target, exact=True)
        rules["cpsat-fast"] = target_rule(benefit, target, exact=False)
    order = visiting_order(instance, env.order, benefit)
    rules["lookahead"] = lookahead_rule(cost, benefit, order)
    objectives: dict[str, float] = {}
    best: tuple[str, list[int], float] | None = None
    for name in ("greedy", *[s for s in sources if s != "greedy"]):
        if name == "agent":
            if agent is None:
                raise ValueError("the agent label source needs --agent")
            actions, value = agent.best(instance, seed)
        else:
            actions, value = play(env, instance, rules[name])
        objectives[name] = value
        if best is None or value < best[2]:
            best = (name, actions, value)
    assert best is not None
    return {"source": best[0], "actions": best[1], "objectives": objectives}


def decisions(
    env: MemoryMappingEnv, instance: MemoryInstance, actions: Sequence[int]
) -> tuple[list[dict[str, np.ndarray]], list[int], list[bool]]:
    """Observations, labels and "differs from the greedy's action" of the decisions with a
    choice along the labelled episode."""
    obs, _ = env.reset(seed=0, options={"instance": instance})
    benefit = CostModel(instance).isolated_benefit()
    seen, labels, differs = [], [], []
    for action in actions:
        if obs["action_mask"].sum() > 1:
            i = env.current_buffer
            assert i is not None
            rule = action_of(env, env.state.best_fit(i) if benefit[i] > 0 else None)
            seen.append(obs)
            labels.append(int(action))
            differs.append(rule != int(action))
        obs, *_ = env.step(int(action))
    return seen, labels, differs


def dagger_states(
    env: MemoryMappingEnv, instance: MemoryInstance, policy: GraphPointerPolicy
) -> tuple[list[dict[str, np.ndarray]], list[int], list[bool]]:
    """The decisions with a choice that the policy's greedy episode meets, each labelled by the
    lookahead rule, and whether that label differs from XLA's rule (DAgger)."""
    cost = CostModel(instance)
    benefit = cost.isolated_benefit()
    expert = lookahead_rule(cost, benefit, visiting_order(instance, env.order, benefit))
    choose = policy_chooser(policy)
    obs, _ = env.reset(seed=0, options={"instance": instance})
    seen, labels, differs = [], [], []
    done = False
    while not done:
        mask = obs["action_mask"]
        action = int(np.argmax(mask))
        if mask.sum() > 1:
            i = env.current_buffer
            assert i is not None
            label = action_of(env, expert(env, i))
            rule = action_of(env, env.state.best_fit(i) if benefit[i] > 0 else None)
            seen.append(obs)
            labels.append(label)
            differs.append(label != rule)
            action = int(choose(stack_observations([obs]), mask[None] > 0)[0])
        obs, _, done, _, _ = env.step(action)
    return seen, labels, differs


def fit_epoch(
    policy: GraphPointerPolicy,
    observations: Sequence[dict[str, np.ndarray]],
    labels: np.ndarray,
    weights: np.ndarray,
    rng: np.random.Generator,
    batch_size: int,
) -> tuple[float, float]:
    """One shuffled pass of weighted cross-entropy steps; mean (loss, accuracy)."""
    policy.set_training_mode(True)
    order = rng.permutation(len(labels))
    losses, accuracies = [], []
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        batch = stack_observations([observations[i] for i in chunk])
        loss, accuracy = cross_entropy_step(policy, batch, labels[chunk], 1.0, weights[chunk])
        losses.append(loss)
        accuracies.append(accuracy)
    policy.set_training_mode(False)
    return float(np.mean(losses)), float(np.mean(accuracies))


def evaluate(policy: GraphPointerPolicy, config: TrainConfig, instances: list[Any]) -> float:
    """Mean ratio of the policy's greedy objective to ``xla-greedy``'s on ``instances`` (each in
    an env of its own size, with the training env options, as the ``ppo-gnn`` solver runs it)."""
    envs = [
        gym.make(config.env_id, instance=inst, **config.env_options()).unwrapped
        for inst in instances
    ]
    episodes = run_episodes(envs, policy_chooser(policy), [{"seed": 0}] * len(envs), "objective")
    reference = [
        CostModel(inst).modelled_time(XlaGreedy().offsets(inst) >= 0) for inst in instances
    ]
    return float(np.mean(episodes.worst_is("min") / np.array(reference)))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, required=True, help="arch and env options")
    parser.add_argument("--out", type=Path, required=True, help="checkpoint to write")
    parser.add_argument("--labels", type=Path, default=None, help="label cache (JSON)")
    parser.add_argument("--init", type=Path, default=None, help="checkpoint to start from")
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--buffers", default="40-120", help="LOW-HIGH buffers per instance")
    parser.add_argument("--seed", type=int, default=777_000)
    parser.add_argument("--sources", default="greedy,cpsat-fast,lookahead")
    parser.add_argument("--cpsat-time", type=float, default=3.0)
    parser.add_argument("--agent", type=Path, default=None, help="checkpoint of source 'agent'")
    parser.add_argument("--agent-samples", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--weight", type=float, default=2.0, help="weight of non-greedy labels")
    parser.add_argument("--dagger", type=int, default=0, help="DAgger rounds after the fit")
    parser.add_argument("--dagger-instances", type=int, default=50)
    parser.add_argument("--dagger-epochs", type=int, default=3)
    parser.add_argument("--val-instances", type=int, default=48)
    parser.add_argument("--val-buffers", default="120-360", help="LOW-HIGH buffers")
    parser.add_argument("--val-seed", type=int, default=6000)
    parser.add_argument("--keep-epochs", action="store_true", help="save every epoch too")
    parser.add_argument("--label-only", action="store_true", help="label, do not fit")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Label (or read the cache), fit, keep the best epoch."""
    args = parse_args(argv)
    torch.set_num_threads(1)
    config = TrainConfig.from_yaml(args.config)
    lo, hi = (int(x) for x in args.buffers.split("-"))
    generator = AssignGenerator(num_buffers=(lo, hi))
    env = make_env(config).unwrapped
    sources = [s for s in args.sources.split(",") if s]
    unknown = sorted(set(sources) - set(SOURCES))
    if unknown:
        raise SystemExit(f"unknown label source {unknown[0]!r} (sources: {', '.join(SOURCES)})")
    agent = None
    if "agent" in sources:  # refused before any instance is labelled
        if args.agent is None:
            raise SystemExit("the agent label source needs --agent CHECKPOINT")
        agent = AgentSource(config, args.agent, args.agent_samples)
    cache: dict[str, Any] = {}
    if args.labels is not None and args.labels.exists():
        cache = json.loads(args.labels.read_text())
    instances = [generator.sample(make_rng(args.seed + k)) for k in range(args.instances)]
    started = time.perf_counter()
    for k, inst in enumerate(instances):
        if inst.name in cache:
            continue
        cache[inst.name] = label_instance(
            env, inst, sources, args.cpsat_time, agent, seed=args.seed + k
        )
        row = cache[inst.name]
        ratios = {
            s: round(v / row["objectives"]["greedy"], 4) for s, v in row["objectives"].items()
        }
        print(f"[{k + 1}/{len(instances)}] {inst.name}: {row['source']} {ratios}", flush=True)
        if args.labels is not None and (k % 10 == 9 or k == len(instances) - 1):
            args.labels.parent.mkdir(parents=True, exist_ok=True)
            args.labels.write_text(json.dumps(cache))
    mean = np.mean([min(r["objectives"].values()) / r["objectives"]["greedy"] for r in
                    (cache[i.name] for i in instances)])  # fmt: skip
    print(f"labels: mean best / greedy {mean:.4f} ({time.perf_counter() - started:.0f} s)")
    if args.label_only:
        return 0
    observations: list[dict[str, np.ndarray]] = []
    targets: list[int] = []
    other: list[bool] = []
    for inst in instances:
        seen, labels, differs = decisions(env, inst, cache[inst.name]["actions"])
        observations += seen
        targets += labels
        other += differs
    y, off_rule = np.array(targets, dtype=np.int64), np.array(other, dtype=bool)
    w = np.where(off_rule, args.weight, 1.0).astype(np.float32)
    print(f"decisions: {len(y)}, not the greedy's: {int(off_rule.sum())}", flush=True)
    torch.manual_seed(config.seed)
    policy = build_policy(env.observation_space, env.action_space, config.arch, args.learning_rate)
    if args.init is not None:
        load_policy_state(policy, load_checkpoint(args.init)["policy"])
    low, high = (int(x) for x in args.val_buffers.split("-"))
    sizes = AssignGenerator(num_buffers=(low, high))
    val = [sizes.sample(make_rng(args.val_seed + k)) for k in range(args.val_instances)]
    policy.set_training_mode(False)
    best = evaluate(policy, config, val)
    print(f"epoch -: val {best:.4f}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    rounds = [("bc", args.epochs)] + [("dagger", args.dagger_epochs)] * args.dagger
    for r, (kind, epochs) in enumerate(rounds):
        if kind == "dagger":
            count = args.dagger_instances
            for k in range(count):
                inst = generator.sample(make_rng(args.seed + 100_000 + r * count + k))
                seen, labels, differs = dagger_states(env, inst, policy)
                observations += seen
                y = np.concatenate([y, np.array(labels, dtype=np.int64)])
                w = np.concatenate([w, np.where(differs, args.weight, 1.0).astype(np.float32)])
            print(f"round {r}: {len(y)} decisions", flush=True)
        for epoch in range(epochs):
            loss, accuracy = fit_epoch(policy, observations, y, w, rng, args.batch_size)
            score = evaluate(policy, config, val)
            print(f"round {r} epoch {epoch}: loss {loss:.4f} accuracy {accuracy:.4f} "
                  f"val {score:.4f}", flush=True)  # fmt: skip
            meta = {"method": "bc", "round": r, "epoch": epoch + 1, "val": score}
            if args.keep_epochs:
                atomic_save(make_payload(policy, meta), args.out.with_suffix(f".r{r}e{epoch}.pt"))
            if score < best:
                best = score
                atomic_save(make_payload(policy, meta), args.out)
    print(f"best val {best:.4f}; saved {args.out}" if args.out.exists() else "no epoch improved")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
