"""Learned schedulers: graph-neural encoders, MaskablePPO policies, training and checkpoints."""
