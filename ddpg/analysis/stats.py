"""Robust summary statistics for comparing RL runs across seeds.

The statistics follow Agarwal et al. (2021), "Deep Reinforcement Learning at the Edge of
the Statistical Precipice" (NeurIPS), which recommends reporting the interquartile mean
(IQM) with stratified-bootstrap confidence intervals and the probability of improvement
instead of a bare mean over a handful of seeds.

Everything here is pure numpy/scipy (the paper's ``rliable`` package does not import
under pandas 3). All functions ignore NaN entries, so callers may pass a column with
missing values; an input left with no values yields NaN rather than an exception.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as sps

StatName = Literal["mean", "median", "iqm"]
VectorStat = Callable[..., ArrayLike]


def _clean(samples: ArrayLike) -> np.ndarray:
    """Return ``samples`` as a flat float array with NaNs removed."""
    x = np.asarray(samples, dtype=float).ravel()
    return x[~np.isnan(x)]


def _iqm_axis(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # trim_mean with 25% cut is exactly rliable's IQM, including its handling of sample
    # sizes not divisible by four (it trims floor(0.25 * n) values from each end).
    return np.asarray(sps.trim_mean(x, proportiontocut=0.25, axis=axis))


# scipy >= 1.15 renamed ``random_state`` to ``rng``; support both (pyproject allows 1.11).
_RNG_KWARG = "rng" if "rng" in inspect.signature(sps.bootstrap).parameters else "random_state"

_STATISTICS: dict[str, VectorStat] = {
    "mean": lambda x, axis=-1: np.mean(x, axis=axis),
    "median": lambda x, axis=-1: np.median(x, axis=axis),
    "iqm": _iqm_axis,
}


def iqm(samples: ArrayLike) -> float:
    """Interquartile mean: the mean of the middle 50% of the values.

    Agarwal et al. (2021), Sec. 4.3: the IQM discards the bottom and top 25% of runs, so
    it is robust to outlier seeds yet, unlike the median, still uses half of the data.

    Args:
        samples: Scores, one per run. NaNs are ignored.

    Returns:
        The IQM, or NaN when there are no values. ``iqm(range(1, 9)) == 4.5``.
    """
    x = _clean(samples)
    return float(_iqm_axis(x)) if x.size else float("nan")


def bootstrap_ci(
    samples: ArrayLike,
    statistic: StatName | VectorStat = "mean",
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int | None = 0,
) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of a statistic over runs.

    Agarwal et al. (2021), Sec. 4.1, use a stratified bootstrap: runs are resampled with
    replacement within each task. Callers here compare one task per group, so the
    stratification has a single stratum and this is the ordinary bootstrap over runs.
    The percentile method is used (as in ``rliable``) because BCa breaks down on the
    tiny, often tied, samples typical of seed sweeps.

    Args:
        samples: Scores, one per run. NaNs are ignored.
        statistic: ``"mean"``, ``"median"``, ``"iqm"`` or a vectorised callable
            ``f(x, axis) -> array`` as required by :func:`scipy.stats.bootstrap`.
        confidence: Confidence level of the two-sided interval.
        n_resamples: Number of bootstrap resamples.
        seed: Seed of the resampling generator, for reproducible tables.

    Returns:
        ``(low, high)``; ``(nan, nan)`` with fewer than two values (no spread can be
        estimated) and ``(v, v)`` when every value equals ``v``.
    """
    x = _clean(samples)
    if x.size < 2:
        return float("nan"), float("nan")
    if np.ptp(x) == 0:
        # Zero variance: every resample gives the same value; scipy would warn or NaN.
        return float(x[0]), float(x[0])
    func = _STATISTICS[statistic] if isinstance(statistic, str) else statistic
    res = sps.bootstrap(
        (x,),
        func,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        **{_RNG_KWARG: np.random.default_rng(seed)},
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def probability_of_improvement(x: ArrayLike, y: ArrayLike) -> float:
    """Probability that a run of ``x`` scores higher than a run of ``y``.

    Agarwal et al. (2021), Sec. 4.4: ``P(X > Y) + 0.5 * P(X = Y)`` estimated over all
    pairs of runs, i.e. the normalised Mann-Whitney U statistic. With one task this is
    the paper's average probability of improvement.

    Args:
        x: Scores of the candidate, one per run. NaNs are ignored.
        y: Scores of the reference, one per run. NaNs are ignored.

    Returns:
        A value in [0, 1] (0.5 means no difference), or NaN if either side is empty.
    """
    a, b = _clean(x), _clean(y)
    if not a.size or not b.size:
        return float("nan")
    greater = (a[:, None] > b[None, :]).mean()
    ties = (a[:, None] == b[None, :]).mean()
    return float(greater + 0.5 * ties)


def summarize(
    samples: ArrayLike, *, confidence: float = 0.95, n_resamples: int = 2000, seed: int | None = 0
) -> dict[str, float]:
    """The per-group numbers recommended by Agarwal et al. (2021) for one set of runs.

    Args:
        samples: Scores, one per run. NaNs are ignored.
        confidence: Confidence level of the bootstrap intervals.
        n_resamples: Bootstrap resamples per interval.
        seed: Seed of the resampling generator.

    Returns:
        ``n``, ``mean``, ``mean_ci_low``, ``mean_ci_high``, ``median``, ``iqm``,
        ``iqm_ci_low`` and ``iqm_ci_high`` (NaN where undefined).
    """
    x = _clean(samples)
    mean_ci, iqm_ci = (
        bootstrap_ci(x, s, confidence=confidence, n_resamples=n_resamples, seed=seed)
        for s in ("mean", "iqm")
    )
    nan = float("nan")
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


def bootstrap_mean_band(
    values: ArrayLike, *, confidence: float = 0.95, n_resamples: int = 2000, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and percentile-bootstrap CI of the mean across rows (runs), per column (step).

    The learning-curve band: at every column it is exactly :func:`bootstrap_ci` of that
    column's values (same resampling generator, same runs in the same order), so the band at
    the budget equals the table's CI of the final score. Columns where the same runs have
    data share one vectorised :func:`scipy.stats.bootstrap` call, so a few hundred columns
    cost about as much as one interval. Being a CI of a mean of observed values, the band
    never leaves the range of the values.

    Args:
        values: Shape ``(runs, points)``; NaN marks a run without data at a point.
        confidence: Confidence level of the two-sided interval.
        n_resamples: Number of bootstrap resamples.
        seed: Seed of the resampling generator (a fresh one per block of columns).

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
        res = sps.bootstrap(
            (y[np.ix_(rows, cols)],),
            _STATISTICS["mean"],
            n_resamples=n_resamples,
            confidence_level=confidence,
            method="percentile",
            vectorized=True,
            axis=0,
            **{_RNG_KWARG: np.random.default_rng(seed)},
        )
        low[cols], high[cols] = res.confidence_interval.low, res.confidence_interval.high
    return mean, low, high
