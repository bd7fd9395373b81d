"""Summary statistics of one group's runs, and their confidence intervals.

The statistics follow Agarwal et al. (2021), "Deep Reinforcement Learning at the Edge of the
Statistical Precipice" (NeurIPS), whose ``rliable`` package is the reference: the
interquartile mean (IQM), the mean, and the probability of improvement equal rliable's on
the same data (tests/unit/analysis/test_rliable.py). The intervals are the methods of
:data:`ddpg.analysis.intervals.CHOSEN`, picked by measured coverage at 3-20 runs
(:mod:`ddpg.analysis.coverage`): rliable's percentile bootstrap covers 63-76% at 3 runs.

rliable itself stays a test dependency: its bootstrap imports ``arch``, and arch 7.2 (the
newest rliable 1.2.0 allows) fails to import under pandas 3 (``TypeError: deprecate_kwarg()
missing 1 required positional argument: 'new_arg_name'``), while arch 8 rejects the
``random_state`` keyword rliable passes. Its metrics module needs neither, but the intervals
compare prints are not rliable's either way.

All functions ignore NaN entries; an input left with no values yields NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ddpg.analysis import intervals as iv


def _clean(samples: ArrayLike) -> np.ndarray:
    """Return ``samples`` as a flat float array with NaNs removed."""
    x = np.asarray(samples, dtype=float).ravel()
    return x[~np.isnan(x)]


def iqm(samples: ArrayLike) -> float:
    """Interquartile mean: the mean of the middle 50% of the values.

    Agarwal et al. (2021), Sec. 4.3: the IQM discards the bottom and top 25% of runs
    (floor(n / 4) from each end, as rliable), so it is robust to outlier seeds yet, unlike
    the median, still uses half of the data. ``iqm(range(1, 9)) == 4.5``; NaN when empty.
    """
    x = _clean(samples)
    return float(iv.iqm_stat(x)) if x.size else float("nan")


def probability_of_improvement(x: ArrayLike, y: ArrayLike) -> float:
    """Probability that a run of ``x`` scores higher than a run of ``y``.

    Agarwal et al. (2021), Sec. 4.4: ``P(X > Y) + 0.5 * P(X = Y)`` estimated over all
    pairs of runs, i.e. the normalised Mann-Whitney U statistic. With one task this is
    the paper's average probability of improvement.

    Returns:
        A value in [0, 1] (0.5 means no difference), or NaN if either side is empty.
    """
    a, b = _clean(x), _clean(y)
    if not a.size or not b.size:
        return float("nan")
    return float(iv.improvement_stat(a, b))


def improvement_ci(
    x: ArrayLike, y: ArrayLike, *, level: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """BCa bootstrap interval of :func:`probability_of_improvement`, each side's runs
    resampled independently (rliable's ``StratifiedIndependentBootstrap`` for one task).

    BCa rather than rliable's percentile interval: measured coverage 0.92-0.97 against
    0.86-0.94 at 5-20 normal runs. ``(nan, nan)`` when a side has fewer than two runs.
    """
    a, b = _clean(x), _clean(y)
    low, high = iv.bootstrap(
        (a, b), iv.improvement_stat, method="BCa", level=level, n_resamples=n_resamples, seed=seed
    )
    return float(low), float(high)


def summarize(samples: ArrayLike, *, level: float = 0.95) -> dict[str, float]:
    """The per-group numbers recommended by Agarwal et al. (2021) for one set of runs.

    The mean's interval is Student t, the IQM's the Tukey-McLaughlin trimmed t
    (:mod:`ddpg.analysis.intervals`); neither resamples, so neither needs a seed.

    Returns:
        ``n``, ``mean``, ``mean_ci_low``, ``mean_ci_high``, ``median``, ``iqm``,
        ``iqm_ci_low`` and ``iqm_ci_high`` (NaN where undefined: no CI from one run; a
        zero-width one when every run scores the same).
    """
    x = _clean(samples)
    nan = float("nan")
    mean_ci, iqm_ci = (nan, nan), (nan, nan)
    if x.size >= 2:
        if np.ptp(x) == 0:  # no spread: t would divide 0 by 0
            mean_ci = iqm_ci = (float(x[0]), float(x[0]))
        else:
            mean_ci = tuple(map(float, iv.student_t(x, level)))  # type: ignore[assignment]
            iqm_ci = tuple(map(float, iv.trimmed_t(x, level)))  # type: ignore[assignment]
    return {
        "n": float(x.size),
        "mean": float(x.mean()) if x.size else nan,
        "mean_ci_low": mean_ci[0],
        "mean_ci_high": mean_ci[1],
        "median": float(np.median(x)) if x.size else nan,
        "iqm": iqm(x),
        "iqm_ci_low": iqm_ci[0],
        "iqm_ci_high": iqm_ci[1],
    }


def mean_band(
    values: ArrayLike, *, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and Student t interval of the mean across rows (runs), per column (step).

    The learning-curve band: at every column it is the interval :func:`summarize` gives that
    column's values, so the band at the budget is the table's CI of the final score. Like any
    t interval it may reach past the returns an env can give (three Pendulum runs near 0 and
    one at -1500 reach +815); coverage is what it is chosen for (the percentile bootstrap,
    which stays inside the observed values, covers 76% at 3 normal runs).

    Args:
        values: Shape ``(runs, points)``; NaN marks a run without data at a point.
        level: Confidence level of the two-sided interval.

    Returns:
        ``(mean, low, high)``, each of shape ``(points,)``; the mean is NaN where no run
        has data, the interval NaN where fewer than two do.
    """
    y = np.atleast_2d(np.asarray(values, dtype=float))
    has = ~np.isnan(y)
    n = has.sum(axis=0)
    mean = np.where(n > 0, np.nansum(y, axis=0) / np.maximum(n, 1), np.nan)
    low, high = np.full(y.shape[1], np.nan), np.full(y.shape[1], np.nan)
    # One call per pattern of which runs have data (usually one: every run up to the budget).
    patterns, block_of = np.unique(has.T, axis=0, return_inverse=True)
    for b, rows in enumerate(patterns):
        cols = np.flatnonzero(block_of.ravel() == b)
        if rows.sum() < 2:
            continue
        block = y[np.ix_(rows, cols)].T  # [points, runs]
        spread = np.ptp(block, axis=1) > 0  # without spread the interval is the one value
        lo, hi = block[:, 0].copy(), block[:, 0].copy()
        if spread.any():
            lo[spread], hi[spread] = iv.student_t(block[spread], level)
        low[cols], high[cols] = lo, hi
    return mean, low, high
