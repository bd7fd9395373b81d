"""A population's training: build, the env loop, member envs, records, checkpoints, stop
rules, progress, signals."""
