"""Behaviour-cloning start for the route-mode LLM agent: the routers' labels, competing.

For ``--instances`` workloads drawn from the config's first curriculum size (seeds ``--seed +
k``, apart from validation's), each router of ``--routers`` routes the whole workload through the
env (``least-loaded``, ``least-loaded-kv``, ``shortest-queue``: the smallest ``load``,
``load_kv``, ``outstanding`` feature, which reproduces that solver exactly, tested in
``tests/llm/test_route_features.py``; ``round-robin``: replicas in turn); the one with the best
SLO attainment (the first listed on ties) is the instance's label. A policy of the config's
architecture is fitted to the labels by masked cross-entropy (decisions with one legal action
skipped) and saved as a checkpoint for ``init_from:``. The llm solvers do not report env
actions, so they cannot be ``self_label.label_solvers``; this is that, once, before training.

``--labels rollout`` labels one step of policy improvement over least-loaded instead: along
least-loaded's own trajectory, wherever shortest-queue would pick another replica, that replica
is tried and least-loaded finishes the episode from there (a copy of the env); the label is
shortest-queue's replica when that ends with more requests within the SLOs than least-loaded's
own run, else least-loaded's.

    python experiments/llm_bc_init.py --config experiments/configs/llm_self_label.yaml \
        --out /work/runs2/llm_bc/bc.pt
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

import numpy as np
import torch

from schedgym.agents.checkpoint import atomic_save, make_payload
from schedgym.agents.config import TrainConfig
from schedgym.agents.envs import make_env
from schedgym.agents.graph_batch import pad_observations
from schedgym.agents.policy import build_policy
from schedgym.agents.self_label import cross_entropy_step
from schedgym.llm.observation import NODE_FEATURES

ROUTERS = ("least-loaded", "least-loaded-kv", "shortest-queue", "round-robin")
#: The feature each router takes the smallest of (round-robin: none).
MEASURES = {"least-loaded": "load", "least-loaded-kv": "load_kv", "shortest-queue": "outstanding"}


def trimmed(obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A copy of ``obs`` cut after its last real node and edge (a window's graph is mostly
    padding; :func:`~schedgym.agents.graph_batch.pad_observations` pads a batch back)."""
    nodes = int(np.flatnonzero(obs["node_mask"])[-1]) + 1 if obs["node_mask"].any() else 1
    edges = int(np.flatnonzero(obs["edge_mask"])[-1]) + 1 if obs["edge_mask"].any() else 1
    cut = dict(obs)
    cut["node_features"] = obs["node_features"][:nodes]
    cut["node_mask"] = obs["node_mask"][:nodes]
    cut["edge_index"] = obs["edge_index"][:, :edges]
    cut["edge_mask"] = obs["edge_mask"][:edges]
    return {k: np.array(v, copy=True) for k, v in cut.items()}


def route(
    env: Any, instance: Any, router: str
) -> tuple[list[dict[str, np.ndarray]], list[int], float]:
    """Observations (decisions with a choice), actions and SLO attainment of ``router``."""
    obs, _ = env.reset(seed=0, options={"instance": instance})
    nrep = instance.num_replicas
    column = MEASURES.get(router)
    observations: list[dict[str, np.ndarray]] = []
    actions: list[int] = []
    done, step, info = False, 0, {}
    while not done:
        legal = obs["action_mask"][:nrep].astype(bool)
        if column is None:
            order = [(step + k) % nrep for k in range(nrep)]
            action = next(r for r in order if legal[r])
        else:
            feature = obs["node_features"][:nrep, NODE_FEATURES.index(column)]
            action = int(np.argmin(np.where(legal, feature, np.inf)))
        if obs["action_mask"].sum() > 1:
            observations.append(trimmed(obs))
            actions.append(action)
        obs, _, done, _, info = env.step(action)
        step += 1
    return observations, actions, float(info["slo_attainment"])


def _finish(env: Any, obs: dict[str, np.ndarray], nrep: int) -> float:
    """SLO attainment when least-loaded routes the rest of the episode."""
    column = NODE_FEATURES.index("least_loaded")
    done, info = False, {}
    while not done:
        obs, _, done, _, info = env.step(int(np.argmax(obs["node_features"][:nrep, column])))
    return float(info["slo_attainment"])


def rollout_labels(env: Any, instance: Any) -> tuple[list[dict[str, np.ndarray]], list[int], int]:
    """Improvement labels along least-loaded's trajectory (see the module docstring); the
    number of decisions where shortest-queue's replica did better."""
    obs, _ = env.reset(seed=0, options={"instance": instance})
    nrep = instance.num_replicas
    base = _finish(copy.deepcopy(env), obs, nrep)
    ll, sq = NODE_FEATURES.index("least_loaded"), NODE_FEATURES.index("shortest_queue")
    observations: list[dict[str, np.ndarray]] = []
    actions: list[int] = []
    improved, done = 0, False
    while not done:
        features = obs["node_features"][:nrep]
        action = int(np.argmax(features[:, ll]))
        label = action
        other = int(np.argmax(features[:, sq]))
        if other != action:
            trial = copy.deepcopy(env)
            after, _, ended, _, info = trial.step(other)
            value = float(info["slo_attainment"]) if ended else _finish(trial, after, nrep)
            if value > base + 1e-9:
                label, improved = other, improved + 1
        if obs["action_mask"].sum() > 1:
            observations.append(trimmed(obs))
            actions.append(label)
        obs, _, done, _, _ = env.step(action)
    return observations, actions, improved


def main(argv: list[str] | None = None) -> None:
    """Collect the labels, fit, save."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--instances", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=555_000)
    parser.add_argument("--routers", default=",".join(ROUTERS))
    parser.add_argument("--labels", choices=("winner", "rollout"), default="winner")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    config = TrainConfig.from_yaml(args.config)
    env = make_env(config).unwrapped
    torch.manual_seed(config.seed)
    policy = build_policy(env.observation_space, env.action_space, config.arch, args.learning_rate)
    sampler = config.problem.sampler
    assert sampler is not None
    generator = sampler.level_generator(size=config.size_at(0))
    observations: list[dict[str, np.ndarray]] = []
    targets: list[int] = []
    wins = dict.fromkeys(args.routers.split(","), 0)
    for k in range(args.instances):
        instance = generator.sample(np.random.default_rng(args.seed + k))
        if args.labels == "rollout":
            found, chosen, improved = rollout_labels(env, instance)
            observations.extend(found)
            targets.extend(chosen)
            print(f"instance {k}: {len(chosen)} decisions, {improved} improved", flush=True)
            continue
        best: tuple[list[dict[str, np.ndarray]], list[int], float] | None = None
        winner = ""
        for router in wins:
            result = route(env, instance, router)
            if best is None or result[2] > best[2]:
                best, winner = result, router
        assert best is not None
        wins[winner] += 1
        observations.extend(best[0])
        targets.extend(best[1])
    won = f"; best router per instance: {wins}" if args.labels == "winner" else ""
    print(f"labels: {len(targets)} decisions{won}", flush=True)
    labels = np.array(targets, dtype=np.int64)
    rng = np.random.default_rng(args.seed)
    policy.set_training_mode(True)
    for epoch in range(args.epochs):
        order = rng.permutation(len(labels))
        losses, accuracies = [], []
        for start in range(0, len(order), args.batch_size):
            chunk = order[start : start + args.batch_size]
            batch = pad_observations([observations[i] for i in chunk])
            loss, accuracy = cross_entropy_step(policy, batch, labels[chunk], 1.0)
            losses.append(loss)
            accuracies.append(accuracy)
        print(f"epoch {epoch}: loss {np.mean(losses):.4f} accuracy {np.mean(accuracies):.4f}")
    policy.set_training_mode(False)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"method": "bc", "step": 0, "instances": args.instances, "labels": args.labels}
    atomic_save(make_payload(policy, meta), args.out)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
