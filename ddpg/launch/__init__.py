"""Launching training: one job, what resume= does to one run, resume of a population's or a
sweep's folder, sweep children, job names, the sweep's HParams, the terminal, the memory check
before a run, Hydra's own errors as one line, a job's validation and failure record (shared by
ddpg.run and the population launcher), run folders, the mark of ddpg.run's task function, and the
SLURM settings checked before a sweep."""
