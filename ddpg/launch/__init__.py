"""Launching training: one job, sweep children, job names, the sweep's HParams, the terminal,
the memory check before a run, and Hydra's own errors as one line."""
