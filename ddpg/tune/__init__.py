"""Hyperparameter search with Optuna: search space as data, trials, storage, the study loop.

`python -m ddpg.tune` is ddpg/tune/__main__.py.
"""
