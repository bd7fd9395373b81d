"""The TD3 paper's "max average return": the peak of a group's mean eval curve, with its CI.

Fujimoto et al. (2018), Table 1, report "max average return over 10 trials": the maximum
over evaluation steps of the mean curve across seeds, as the author states in the TD3
repository (sfujim/TD3, issue 34). It is not the mean of each run's own maximum
(``best_eval_return``), which noisy curves bias upward: each run's max picks its luckiest
evaluation, the mean curve's max only the luckiest step of the average.

The interval resamples runs (whole curves), recomputes the mean curve and takes its max:
scipy's percentile bootstrap over run indices. Its coverage is below nominal (the max of
noisy means is biased upward; measured 0.64-0.92 at 3-20 runs on a plateau,
:mod:`ddpg.analysis.coverage`); BCa measured no better at 3-5 runs.
"""

from __future__ import annotations

import numpy as np

from ddpg.analysis import intervals as iv
from ddpg.analysis.scores import Curve, curve_matrix

Peak = tuple[float, float, float, float]  # (value, ci_low, ci_high, step)


def peak_statistic(curves: np.ndarray) -> iv.VectorStat:
    """The statistic of run indices ``idx``: max over steps of the mean of ``curves[idx]``.

    Args:
        curves: ``[runs, steps]``, or ``[R, runs, steps]`` for R experiments at once (the
            coverage simulation), where ``idx`` then carries R on its first axis.
    """

    def peak(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        idx = np.moveaxis(np.asarray(idx), axis, -1).astype(int)
        if curves.ndim == 2:
            picked = curves[idx]  # [..., k, steps]
        else:
            experiment = np.arange(len(curves)).reshape(-1, *[1] * (idx.ndim - 1))
            picked = curves[experiment, idx]
        return picked.mean(axis=-2).max(axis=-1)

    return peak


def peak_of_mean_curve(
    curves: np.ndarray, *, level: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float, int]:
    """Peak of the mean curve of ``curves`` (``[runs, steps]``, no NaN) and its interval.

    Returns:
        ``(peak, low, high, column of the peak)``; the interval is NaN with one run.
    """
    mean = curves.mean(axis=0)
    column = int(np.argmax(mean))
    low, high = iv.bootstrap(
        (np.arange(len(curves), dtype=float),),
        peak_statistic(curves),
        method="percentile",
        level=level,
        n_resamples=n_resamples,
        seed=seed,
    )
    return float(mean[column]), float(low), float(high), column


def group_peak(
    curves: list[Curve],
    budgets: np.ndarray,
    floor: float,
    *,
    level: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> Peak:
    """:func:`peak_of_mean_curve` of a group's eval curves, with the step of the peak.

    The mean curve is taken at every step some run evaluated, up to the smallest budget, so
    each point averages every run (the runs' curves are joined linearly between their evals,
    :mod:`ddpg.analysis.scores`, so with shared eval steps these are the paper's points). A
    run without an eval is the floor throughout. NaN without a run or a budget.
    """
    nan = float("nan")
    steps = [s for s, _ in curves if len(s)]
    if not steps or np.isnan(budgets).all():
        return nan, nan, nan, nan
    grid = np.unique(np.concatenate(steps))
    grid = grid[grid <= np.nanmin(budgets)]
    if not grid.size:
        return nan, nan, nan, nan
    matrix = curve_matrix(curves, list(np.where(np.isnan(budgets), np.inf, budgets)), floor, grid)
    value, low, high, column = peak_of_mean_curve(
        matrix, level=level, n_resamples=n_resamples, seed=seed
    )
    return value, low, high, float(grid[column])
