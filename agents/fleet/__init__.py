"""The fleet agent (``fleet.agent``): an online scoring policy for FleetScheduling-v0.

* :mod:`schedgym.agents.fleet.kernel` -- compiled candidate features, scoring network and day
  rollout.
* :mod:`schedgym.agents.fleet.policy` -- :class:`~schedgym.agents.fleet.policy.FleetPolicy`:
  weights, ``.npz``
  checkpoint (no pickle), playing a day or one decision.
* :mod:`schedgym.agents.fleet.es` -- resumable evolution-strategies training from a YAML config.
* :mod:`schedgym.agents.fleet.solver` -- the registered solver.

No torch at inference: a decision is a few thousand multiply-adds inside the compiled simulator
loop, which is what lets the agent decide a whole day in milliseconds.
"""
