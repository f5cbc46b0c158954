"""Job-shop baselines: dispatching rules run through the env, and OR-Tools CP-SAT."""
