"""Classical schedulers exposed as schedgym solvers (dispatching rules, CP-SAT, HEFT family...)."""
