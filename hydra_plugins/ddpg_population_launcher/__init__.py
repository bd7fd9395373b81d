"""Hydra launcher `hydra/launcher=population`: a sweep's jobs trained as populations.

Hydra instantiates launchers only from the `hydra_plugins` namespace package, so the launcher
lives here (population_launcher.py) rather than in ddpg/. Its options are population.yaml here,
which config.py registers in Hydra's ConfigStore (as every launcher plugin registers its config),
so any Hydra app finds it. Modules whose names start with "_" are not imported by Hydra's plugin
scan, which imports every other module here at each start-up: they stay light.
"""
