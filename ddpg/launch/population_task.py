"""The mark that tells the population launcher a task function is ddpg.run's: its jobs may
train as populations; any other app's jobs run as Hydra's basic launcher runs them."""

from __future__ import annotations

from typing import Any, TypeVar

_MARK = "ddpg_trains_populations"
F = TypeVar("F")


def mark_population_task(task_function: F) -> F:
    """Mark `task_function`. An attribute, not an identity check: `python -m ddpg.run` runs the
    module as __main__, a second copy of the function."""
    setattr(task_function, _MARK, True)
    return task_function


def is_population_task(task_function: Any) -> bool:
    """Whether `task_function` was marked by :func:`mark_population_task`."""
    return bool(getattr(task_function, _MARK, False))
