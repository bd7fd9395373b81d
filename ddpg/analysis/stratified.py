"""Aggregates over several tasks with the stratified bootstrap: IQM, mean, performance profiles.

Agarwal et al. (2021), "Deep Reinforcement Learning at the Edge of the Statistical Precipice"
(NeurIPS), Sec. 4: scores of M tasks, normalized to a common scale, are aggregated over every
run of every task, and the uncertainty comes from re-running: each bootstrap resample redraws,
within each task, as many runs as that task has, with replacement (the *stratified*
bootstrap: a task never lends runs to another, so the task mix is the same in every resample).
The interval is the percentile interval of the resampled statistic, as in their ``rliable``.

The point estimates are rliable's (``metrics.aggregate_iqm``, ``metrics.aggregate_mean``,
``library.create_performance_profile``) wherever rliable defines them, which is when every
task has the same number of runs; tests/unit/analysis/test_stratified.py holds the estimates
equal and the intervals within Monte Carlo error of rliable 1.2.0's. With unequal runs per
task, the mean and the profile weigh tasks equally (the mean of the per-task values) and the
IQM pools the runs, as rliable's definitions read on an array of runs per task.

Why not rliable itself (measured with rliable 1.2.0 here): ``rliable.library`` imports
``arch``, and arch 7.2 (the newest rliable allows) fails to import under pandas 3
(``deprecate_kwarg() missing 1 required positional argument``); its ``StratifiedBootstrap``
draws from the global ``np.random`` whatever ``random_state`` it is given (a seed cannot make
a table reproducible without touching global state); and it needs a ``[runs, tasks]`` array,
the same number of runs for every task. The resampling here is a few lines of numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats as sps

Tasks = Sequence[np.ndarray]  # one array of normalized scores per task, shape [runs] or [R, runs]
Statistic = Callable[[Tasks], np.ndarray]


def aggregate_iqm(tasks: Tasks) -> np.ndarray:
    """IQM of every run of every task pooled: the 25%-trimmed mean (rliable's aggregate_iqm).

    Works on the last axis, so ``[R, runs]`` arrays give R values at once.
    """
    return np.asarray(sps.trim_mean(np.concatenate(tasks, axis=-1), 0.25, axis=-1))


def aggregate_mean(tasks: Tasks) -> np.ndarray:
    """Mean over tasks of each task's mean score (rliable's aggregate_mean)."""
    return np.mean([np.mean(t, axis=-1) for t in tasks], axis=0)


def profile(tasks: Tasks, taus: np.ndarray) -> np.ndarray:
    """Run score distribution at each threshold: the fraction of runs scoring above tau,
    averaged over tasks (rliable's performance profile, ``use_score_distribution=True``).

    Returns shape ``[..., T]`` for ``T = len(taus)``.
    """
    above = [np.mean(np.asarray(t)[..., :, None] > taus, axis=-2) for t in tasks]
    return np.mean(above, axis=0)


def resample(tasks: Tasks, n_resamples: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The stratified bootstrap: per task, ``[n_resamples, runs]`` scores drawn with
    replacement from that task's own runs."""
    out = []
    for t in tasks:
        x = np.asarray(t, dtype=float)
        out.append(x[rng.integers(0, len(x), size=(n_resamples, len(x)))])
    return out


def interval(
    tasks: Tasks,
    statistic: Statistic,
    *,
    level: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`statistic` of `tasks` and its percentile stratified-bootstrap interval.

    Args:
        tasks: One array of scores per task (each with at least one run).
        statistic: Maps per-task arrays (last axis: runs) to a value, or to values along
            trailing axes (a profile); it must accept ``[R, runs]`` arrays.
        level: Two-sided coverage the interval aims at.
        n_resamples: Bootstrap resamples.
        seed: Seed of the resampling Generator.

    Returns:
        ``(point, low, high)``, arrays of the statistic's shape. A task with one run
        contributes the same run to every resample (no spread of its own).
    """
    tasks = [np.asarray(t, dtype=float) for t in tasks]
    point = np.asarray(statistic(tasks))
    draws = np.asarray(statistic(resample(tasks, n_resamples, np.random.default_rng(seed))))
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(draws, [alpha, 1.0 - alpha], axis=0)
    return point, low, high
