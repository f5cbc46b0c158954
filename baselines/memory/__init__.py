"""Classical memory-mapping solvers: greedy heuristics, a MiniMalloc-style search, CP-SAT.

Published through the ``schedgym.solvers`` entry points (``memory.best-fit`` ...), the one
solver registry; load them with :func:`schedgym.core.solver.load_solver`.
"""
