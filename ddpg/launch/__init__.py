"""Launching training: one job, resume of a population's or a sweep's folder, sweep children,
job names, the sweep's HParams, the terminal, the memory check before a run, and Hydra's own
errors as one line."""
