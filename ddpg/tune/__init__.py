"""Hyperparameter search with Optuna: search space as data, trials, storage, the study loop,
population-based training, the report a study closes with.

`python -m ddpg.tune` is ddpg/tune/__main__.py.
"""
