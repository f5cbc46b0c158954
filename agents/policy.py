"""A MaskablePPO policy whose action logits come from a pointer head over node embeddings.

For every action ``a`` the head scores ``MLP([node_emb[action_node[a]], graph_emb, global_emb])``
(a learned "no node" embedding where ``action_node[a] == -1``); with ``skip=1`` the pointed
node's raw input features join that input (zeros for "no node"), a shortcut past the graph
network through which a greedy rule over the features (earliest finish, most work remaining, ...)
is one linear map away, so PPO starts from there rather than from deep features alone. The value
is an MLP of
``[graph_emb, global_emb]``. The GNN runs once per call, inside the policy's own ``forward``,
``evaluate_actions``, ``get_distribution`` and ``predict_values``, so per-node embeddings reach
the head while SB3 still sees a standard ``MaskableActorCriticPolicy`` (``MaskablePPO.learn`` and
``.predict(action_masks=...)`` work unchanged). No weight depends on the number of nodes, edges
or actions: a network built for one instance size loads and runs on any other size.

The observation's own ``action_mask`` is always applied (ANDed with ``action_masks`` when those
are passed), so even a ``predict`` call without masks never picks an illegal action.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from sb3_contrib.common.maskable.distributions import MaskableCategoricalDistribution
from sb3_contrib.common.maskable.policies import MaskableActorCriticPolicy
from stable_baselines3.common.type_aliases import PyTorchObs, Schedule
from torch import Tensor, nn

from schedgym.agents.encoders import ConvKind, GraphFeaturesExtractor, PoolKind
from schedgym.agents.graph_batch import ObsTensors, gather_action_features, gather_action_nodes

ARCH_KEYS = ("conv", "hidden", "layers", "heads", "pool", "head_hidden", "skip")
DEFAULT_ARCH: dict[str, Any] = {
    "skip": 0,
    "conv": "gin",
    "hidden": 64,
    "layers": 3,
    "heads": 2,
    "pool": "mean",
    "head_hidden": 64,
}


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class GraphPointerPolicy(MaskableActorCriticPolicy):
    """Pointer-style graph policy for ``MaskablePPO`` (and for self-labelling).

    Architecture keywords (also stored in checkpoints, see :attr:`arch`): ``conv`` (``"gin"`` or
    ``"gatv2"``), ``hidden``, ``layers``, ``heads`` (GATv2), ``pool`` (``"mean"`` or
    ``"meanmax"``), ``head_hidden``, ``skip`` (1: the pointed node's raw features also feed the
    pointer head). Other keywords go to ``MaskableActorCriticPolicy``.
    """

    features_extractor: GraphFeaturesExtractor

    def __init__(
        self,
        observation_space: spaces.Dict,
        action_space: spaces.Discrete,
        lr_schedule: Schedule,
        conv: ConvKind = "gin",
        hidden: int = 64,
        layers: int = 3,
        heads: int = 2,
        pool: PoolKind = "mean",
        head_hidden: int = 64,
        skip: int = 0,
        **kwargs: Any,
    ) -> None:
        self.head_hidden = head_hidden
        self.skip = int(skip)
        kwargs.pop("net_arch", None)
        kwargs["features_extractor_class"] = GraphFeaturesExtractor
        kwargs["features_extractor_kwargs"] = {
            "conv": conv,
            "hidden": hidden,
            "layers": layers,
            "heads": heads,
            "pool": pool,
        }
        kwargs.setdefault("ortho_init", False)
        super().__init__(observation_space, action_space, lr_schedule, net_arch=[], **kwargs)

    @property
    def arch(self) -> dict[str, Any]:
        """The architecture keywords (JSON-ready) that rebuild this network."""
        return {
            **self.features_extractor_kwargs,
            "head_hidden": self.head_hidden,
            "skip": self.skip,
        }

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.pop("features_extractor_kwargs", None)
        data.pop("features_extractor_class", None)
        data.update(self.arch)
        return data

    def _build(self, lr_schedule: Schedule) -> None:
        hidden = self.features_extractor.hidden
        self.none_emb = nn.Parameter(torch.zeros(hidden))
        node_space = self.observation_space["node_features"]  # type: ignore[index]
        raw_dim = int(node_space.shape[-1]) if self.skip else 0
        self.pointer_head = _mlp([3 * hidden + raw_dim, self.head_hidden, self.head_hidden, 1])
        self.value_head = _mlp([2 * hidden, self.head_hidden, 1])
        last = self.pointer_head[-1]
        assert isinstance(last, nn.Linear)
        with torch.no_grad():  # near-uniform initial policy
            last.weight.mul_(0.01)
            last.bias.zero_()
        self.optimizer = self.optimizer_class(
            self.parameters(),
            lr=lr_schedule(1),  # type: ignore[call-arg]
            **self.optimizer_kwargs,
        )

    # -- the network -------------------------------------------------------------------------

    def logits_and_values(
        self, obs: ObsTensors, want_logits: bool = True, want_values: bool = True
    ) -> tuple[Tensor | None, Tensor | None]:
        """Unmasked action logits ``(B, A)`` and values ``(B, 1)`` in one GNN pass."""
        enc = self.features_extractor.encode(obs)
        context = torch.cat([enc.graph_emb, enc.global_emb], dim=-1)  # (B, 2H)
        logits = values = None
        if want_logits:
            pointed = gather_action_nodes(
                enc.node_emb, enc.graph, obs["action_node"], self.none_emb
            )
            logits = self._pointer_logits(obs, pointed, context)
        if want_values:
            values = self.value_head(context)
        return logits, values

    def node_encoding(self, obs: ObsTensors) -> tuple[Tensor, Tensor]:
        """The GNN pass alone: node embeddings in the padded layout ``(B, N, H)`` (zeros in
        padding slots) and pooled graph embeddings ``(B, H)``. :meth:`logits_from_encoding` turns
        them into :meth:`action_logits`'s logits, so a rollout can keep an encoding for a few
        decisions (:class:`schedgym.agents.rollout.CachedEncodingChooser`)."""
        enc = self.features_extractor.encode(obs)
        mask = obs["node_mask"].reshape(enc.graph.num_graphs, -1) > 0.5
        padded = enc.node_emb.new_zeros(*mask.shape, enc.node_emb.shape[-1])
        padded[mask] = enc.node_emb
        return padded, enc.graph_emb

    def logits_from_encoding(self, obs: ObsTensors, node_emb: Tensor, graph_emb: Tensor) -> Tensor:
        """Unmasked action logits ``(B, A)`` from a :meth:`node_encoding` (possibly of an earlier
        state) and ``obs``'s current action nodes, raw features and global features."""
        batch, slots, hidden = node_emb.shape
        nodes = obs["action_node"].reshape(batch, -1).long()  # (B, A)
        has_node = (nodes >= 0).unsqueeze(-1)
        safe = nodes.clamp(0, max(slots - 1, 0)).unsqueeze(-1).expand(-1, -1, hidden)
        gathered = node_emb.gather(1, safe)
        pointed = torch.where(has_node, gathered, self.none_emb.expand_as(gathered))
        context = torch.cat([graph_emb, self.features_extractor.global_embedding(obs)], dim=-1)
        return self._pointer_logits(obs, pointed, context)

    def _pointer_logits(self, obs: ObsTensors, pointed: Tensor, context: Tensor) -> Tensor:
        """The pointer head on each action's node embedding ``(B, A, H)``, the context
        ``(B, 2H)`` and (``skip``) the pointed nodes' raw features: logits ``(B, A)``."""
        parts = [pointed, context.unsqueeze(1).expand(-1, pointed.shape[1], -1)]
        if self.skip:
            parts.append(gather_action_features(obs))
        return self.pointer_head(torch.cat(parts, dim=-1)).squeeze(-1)

    def action_logits(self, obs: ObsTensors) -> Tensor:
        """Unmasked action logits ``(B, A)``; ``A`` is whatever the observation carries."""
        logits, _ = self.logits_and_values(obs, want_values=False)
        assert logits is not None
        return logits

    @staticmethod
    def legal_mask(obs: ObsTensors, logits: Tensor, action_masks: Any = None) -> Tensor:
        """Boolean ``(B, A)``: the observation's ``action_mask`` AND ``action_masks`` if given."""
        mask = obs["action_mask"].reshape(logits.shape) > 0.5
        if action_masks is not None:
            extra = torch.as_tensor(
                np.asarray(action_masks) if not isinstance(action_masks, Tensor) else action_masks,
                device=logits.device,
            )
            mask = mask & (extra.reshape(logits.shape) > 0.5)
        return mask

    def _distribution(
        self, obs: ObsTensors, logits: Tensor, action_masks: Any
    ) -> MaskableCategoricalDistribution:
        dist = MaskableCategoricalDistribution(int(logits.shape[-1]))
        dist.proba_distribution(action_logits=logits)
        dist.apply_masking(self.legal_mask(obs, logits, action_masks))
        return dist

    # -- the SB3 entry points ----------------------------------------------------------------

    def forward(
        self, obs: Tensor, deterministic: bool = False, action_masks: np.ndarray | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Actions, values and log-probabilities (rollout collection)."""
        tensors: ObsTensors = obs
        logits, values = self.logits_and_values(tensors)
        assert logits is not None and values is not None
        dist = self._distribution(tensors, logits, action_masks)
        actions = dist.get_actions(deterministic=deterministic)
        return actions.reshape(-1), values, dist.log_prob(actions)

    def evaluate_actions(
        self, obs: Tensor, actions: Tensor, action_masks: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """Values, log-likelihood of ``actions`` and entropy (PPO update)."""
        tensors: ObsTensors = obs
        logits, values = self.logits_and_values(tensors)
        assert logits is not None and values is not None
        dist = self._distribution(tensors, logits, action_masks)
        return values, dist.log_prob(actions.reshape(-1)), dist.entropy()

    def get_distribution(
        self, obs: PyTorchObs, action_masks: np.ndarray | None = None
    ) -> MaskableCategoricalDistribution:
        """The masked action distribution (used by ``predict``)."""
        tensors: ObsTensors = obs
        return self._distribution(tensors, self.action_logits(tensors), action_masks)

    def predict_values(self, obs: PyTorchObs) -> Tensor:
        """State values ``(B, 1)``."""
        _, values = self.logits_and_values(obs, want_logits=False)
        assert values is not None
        return values


def build_policy(
    observation_space: spaces.Dict,
    action_space: spaces.Discrete,
    arch: dict[str, Any] | None = None,
    learning_rate: float = 3e-4,
) -> GraphPointerPolicy:
    """A fresh policy for the given spaces; unknown ``arch`` keys raise ``ValueError``."""
    merged = {**DEFAULT_ARCH, **(arch or {})}
    unknown = set(merged) - set(ARCH_KEYS)
    if unknown:
        raise ValueError(f"unknown architecture keys: {sorted(unknown)}")
    return GraphPointerPolicy(observation_space, action_space, lambda _: learning_rate, **merged)
