"""Learned schedulers: graph-neural encoders, MaskablePPO policies, training and checkpoints.

* :mod:`schedgym.agents.encoders` — ``GraphFeaturesExtractor`` (SB3 features extractor; GIN or
  GATv2 over
  the padded-graph observation, both edge directions).
* :mod:`schedgym.agents.policy` — ``GraphPointerPolicy`` (MaskablePPO policy, pointer-style action
  logits).
* :mod:`schedgym.agents.train` — ``train(config)``, ``python -m schedgym.agents.train CONFIG``;
  :mod:`schedgym.agents.command` — ``train_command(env, config, sweep)`` (what ``schedgym train``
  calls); methods in :mod:`schedgym.agents.self_label` and :mod:`schedgym.agents.ppo`.
* :mod:`schedgym.agents.checkpoint` — safe (``weights_only``) checkpoints;
  :mod:`schedgym.agents.solver` — the
  ``jobshop.ppo-gnn`` and ``jobshop.ppo-gnn-sample`` solvers.
* :mod:`schedgym.agents.fleet` -- the ``fleet.agent`` solver: a compiled scoring network over
  candidate
  actions of FleetScheduling-v0, trained by evolution strategies (:mod:`schedgym.agents.fleet.es`,
  also
  reached through ``python -m schedgym.agents.train`` for a ``method: es`` config).

Importing this package is cheap: submodules load torch and friends only when imported.
"""
