"""Confidence intervals over runs: every interval method compare uses or was measured against.

Every function works on the last axis (the runs) and treats leading axes as a batch, so the
coverage simulation (:mod:`ddpg.analysis.coverage`) puts thousands of simulated experiments
through the same code that compare runs on one. Which method each statistic uses is
:data:`CHOSEN`, picked by the coverage measured there (README, "Sweeps and comparison"):

- mean: Student t (exact for normal scores; of the candidates the nearest to 95% at 3 runs
  on every score distribution; the bootstrap-t is nearer on lognormal scores at 5-20 runs,
  0.90 against 0.83-0.85 with intervals 1.2-1.7 times as wide, and below it at 3 runs).
- IQM: the Tukey-McLaughlin trimmed t, the t interval of a trimmed mean with a winsorized
  standard error (Tukey and McLaughlin 1963; Yuen 1974). At 3 runs the IQM trims nothing and
  this is the Student t interval of the mean. The bootstraps cover 0.70-0.76 at 3 runs; the
  trimmed t's weak spot is bimodal scores at 10-20 runs (0.86-0.89, the bootstraps 0.93-0.94).
- P(improvement) and the peak of the mean curve: bootstrap over runs (scipy, BCa or percentile).

Returned bounds are arrays of the batch shape; NaN where fewer than two runs give no spread.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as sps

Interval = tuple[np.ndarray, np.ndarray]
BootMethod = Literal["percentile", "BCa", "basic"]
VectorStat = Callable[..., ArrayLike]
# scipy >= 1.15 renamed ``random_state`` to ``rng``; support both (pyproject allows 1.11).
_BATCH_ELEMENTS = 2 * 10**7  # resamples at once x batch x runs: bounds the memory scipy takes
_RNG_KWARG = "rng" if "rng" in inspect.signature(sps.bootstrap).parameters else "random_state"

LEVEL = 0.95  # the level of every interval compare prints
#: The method behind each interval compare prints (written into compare.md and compare.csv).
CHOSEN = {
    "mean": "Student t",
    "iqm": "Tukey-McLaughlin trimmed t",
    "p_improve": "BCa bootstrap",
    "peak_of_mean_curve": "percentile bootstrap",
}
#: compare.csv's columns that say how its intervals were made.
DESCRIPTION = ("ci_level", "ci_method", "resamples", "bootstrap_seed")


def description(n_resamples: int, seed: int) -> dict[str, object]:
    """The :data:`DESCRIPTION` columns' values: level, each statistic's method, resamples, seed."""
    methods = "; ".join(f"{k}: {v}" for k, v in CHOSEN.items())
    return dict(zip(DESCRIPTION, (LEVEL, methods, n_resamples, seed), strict=True))


def student_t(x: ArrayLike, level: float = 0.95) -> Interval:
    """Student t interval of the mean: mean +- t_{n-1, (1+level)/2} * s / sqrt(n).

    scipy's one-sample t test; exact coverage for normal scores at any n.
    """
    a = np.asarray(x, dtype=float)
    if a.shape[-1] < 2:
        nan = np.full(a.shape[:-1], np.nan)
        return nan, nan.copy()
    ci = sps.ttest_1samp(a, 0.0, axis=-1).confidence_interval(level)
    return np.asarray(ci.low, dtype=float), np.asarray(ci.high, dtype=float)


def trimmed_t(x: ArrayLike, level: float = 0.95, cut: float = 0.25) -> Interval:
    """Tukey-McLaughlin interval of the trimmed mean (the IQM at ``cut = 0.25``).

    With g = floor(cut * n) values trimmed from each end and h = n - 2g kept, the interval is
    trimmed_mean +- t_{h-1, (1+level)/2} * sqrt((n - 1) * s_w^2 / (h * (h - 1))), s_w^2 the
    variance (ddof 1) of the sample winsorized at the same g (Yuen 1974, Eq. 2.3). Written
    here because scipy's ``mstats.trimmed_mean_ci`` rounds g (it trims 1 of 3 runs where the
    IQM of rliable and :func:`scipy.stats.trim_mean` trims none) and loops in Python.
    """
    a = np.sort(np.asarray(x, dtype=float), axis=-1)
    n = a.shape[-1]
    g = int(np.floor(cut * n))
    h = n - 2 * g
    if h < 2:
        nan = np.full(a.shape[:-1], np.nan)
        return nan, nan.copy()
    centre = a[..., g : n - g].mean(axis=-1)
    winsorized = np.clip(a, a[..., g : g + 1], a[..., n - g - 1 : n - g])
    se = np.sqrt((n - 1) * winsorized.var(axis=-1, ddof=1) / (h * (h - 1)))
    half = sps.t.ppf((1 + level) / 2, h - 1) * se
    return centre - half, centre + half


def bootstrap(
    samples: tuple[ArrayLike, ...],
    statistic: VectorStat,
    *,
    method: BootMethod = "BCa",
    level: float = 0.95,
    n_resamples: int = 2000,
    seed: int | None = 0,
) -> Interval:
    """scipy's bootstrap interval of ``statistic(*samples, axis=-1)``, runs on the last axis.

    Several samples are resampled independently (rliable's ``StratifiedIndependentBootstrap``
    for one task). An interval whose resamples all give one value is that value (scipy
    returns NaN or warns there); BCa's leftover NaNs (its acceleration is 0/0 when the
    jackknife values tie) fall back to the percentile interval of the same resamples.
    """
    data = tuple(np.asarray(s, dtype=float) for s in samples)
    batch = np.broadcast_shapes(*(d.shape[:-1] for d in data))
    if min(d.shape[-1] for d in data) < 2:
        nan = np.full(batch, np.nan)
        return nan, nan.copy()
    pairs = int(np.prod([d.shape[-1] for d in data]))  # the widest statistic's work per resample
    with warnings.catch_warnings():  # degenerate BCa: handled below
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", sps.DegenerateDataWarning)
        res = sps.bootstrap(
            data,
            statistic,
            n_resamples=n_resamples,
            confidence_level=level,
            method=method,
            vectorized=True,
            axis=-1,
            batch=max(1, _BATCH_ELEMENTS // (int(np.prod(batch)) * pairs)),
            rng=np.random.default_rng(seed),
        )
    low = np.asarray(res.confidence_interval.low, dtype=float).reshape(batch)
    high = np.asarray(res.confidence_interval.high, dtype=float).reshape(batch)
    dist = np.asarray(res.bootstrap_distribution).reshape(*batch, -1)
    alpha = (1 - level) / 2
    bad = np.isnan(low) | np.isnan(high)
    if bad.any():
        low[bad] = np.quantile(dist[bad], alpha, axis=-1)
        high[bad] = np.quantile(dist[bad], 1 - alpha, axis=-1)
    flat = np.ptp(dist, axis=-1) == 0
    low[flat], high[flat] = dist[flat, 0], dist[flat, 0]
    return low, high


def mean_stat(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """The mean along ``axis``, in the vectorised form scipy's bootstrap calls."""
    return np.mean(x, axis=axis)


def iqm_stat(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """The IQM along ``axis``: the mean after trimming floor(n / 4) values from each end.

    Equal to :func:`scipy.stats.trim_mean` at 25% and to rliable's ``aggregate_iqm`` (tests
    check both); a full sort is twice as fast as trim_mean's partitions on resample batches.
    """
    a = np.sort(np.moveaxis(np.asarray(x, dtype=float), axis, -1), axis=-1)
    g = a.shape[-1] // 4
    return a[..., g : a.shape[-1] - g].mean(axis=-1)


def improvement_stat(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """P(X > Y) + P(X = Y) / 2 over all pairs of runs (Agarwal et al. 2021, Sec. 4.4)."""
    a = np.moveaxis(np.asarray(x), axis, -1)[..., :, None]
    b = np.moveaxis(np.asarray(y), axis, -1)[..., None, :]
    wins = np.count_nonzero(a > b, axis=(-2, -1)) + 0.5 * np.count_nonzero(a == b, axis=(-2, -1))
    return wins / (a.shape[-2] * b.shape[-1])
