"""Launching training: one job, sweep children, job names, the sweep's HParams, the terminal."""
