"""Problem-independent building blocks: errors, the solver protocol and registry, seeding,
and padded-graph observation helpers."""
