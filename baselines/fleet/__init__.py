"""Fleet baselines: ``random``, ``greedy``, ``ga`` and ``clairvoyant`` (the upper bound).

They are published through the ``schedgym.solvers`` entry points (``fleet.random`` ...), the one
solver registry; load them with :func:`schedgym.core.solver.load_solver`.
"""
