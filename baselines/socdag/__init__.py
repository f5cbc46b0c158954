"""Classical schedulers for the SoC-DAG problem: HEFT, CPOP, PEFT (static list scheduling), MET,
ETF, runtime HEFT and random (static and stream), and OR-Tools CP-SAT (static)."""
