"""Learned schedulers: graph-neural encoders, MaskablePPO policies, training and checkpoints.

* :mod:`agents.encoders` — ``GraphFeaturesExtractor`` (SB3 features extractor; GIN or GATv2 over
  the padded-graph observation, both edge directions).
* :mod:`agents.policy` — ``GraphPointerPolicy`` (MaskablePPO policy, pointer-style action logits).
* :mod:`agents.train` — ``train(config)``, ``python -m agents.train CONFIG``;
  :mod:`agents.command` — ``train_command(env, config, sweep)`` (what ``schedgym train``
  calls); methods in :mod:`agents.self_label` and :mod:`agents.ppo`.
* :mod:`agents.checkpoint` — safe (``weights_only``) checkpoints; :mod:`agents.solver` — the
  ``jobshop.ppo-gnn`` and ``jobshop.ppo-gnn-sample`` solvers.
* :mod:`agents.fleet` -- the ``fleet.agent`` solver: a compiled scoring network over candidate
  actions of FleetScheduling-v0, trained by evolution strategies (:mod:`agents.fleet.es`, also
  reached through ``python -m agents.train`` for a ``method: es`` config).

Importing this package is cheap: submodules load torch and friends only when imported.
"""
