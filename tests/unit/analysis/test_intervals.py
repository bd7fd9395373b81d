"""Known-answer tests for the interval methods in ddpg.analysis.intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from ddpg.analysis import intervals as iv


def test_student_t_is_the_textbook_interval_and_batches() -> None:
    x = np.array([[1.0, 2.0, 6.0], [0.0, 0.0, 3.0]])
    low, high = iv.student_t(x)
    for row, lo, hi in zip(x, low, high, strict=True):
        half = sps.t.ppf(0.975, 2) * row.std(ddof=1) / math.sqrt(3)
        assert (lo, hi) == pytest.approx((row.mean() - half, row.mean() + half))
    assert np.isnan(iv.student_t(np.array([1.0]))[0])


def test_trimmed_t_at_three_runs_is_the_student_t() -> None:
    # floor(3 / 4) = 0 runs are trimmed: the IQM of 3 runs is their mean, and so is its interval.
    x = np.array([4.0, -1.0, 10.0])
    assert np.allclose(iv.trimmed_t(x), iv.student_t(x))


def test_trimmed_t_known_answer_with_an_outlier() -> None:
    # Five runs: g = 1, h = 3. Trimmed mean of [2, 3, 4] = 3; winsorized [2, 2, 3, 4, 4] has
    # variance 1; SE = sqrt(4 * 1 / (3 * 2)); the outlier 1000 moves neither.
    low, high = iv.trimmed_t(np.array([1.0, 2.0, 3.0, 4.0, 1000.0]))
    half = sps.t.ppf(0.975, 2) * math.sqrt(4 / 6)
    assert (low, high) == pytest.approx((3.0 - half, 3.0 + half))


def test_iqm_stat_equals_scipy_trim_mean() -> None:
    x = np.random.default_rng(0).normal(size=(4, 7, 11))
    for axis in (-1, 1):
        want = sps.trim_mean(x, 0.25, axis=axis)
        assert iv.iqm_stat(x, axis=axis) == pytest.approx(want)


def test_improvement_stat_counts_pairs_and_half_ties() -> None:
    assert iv.improvement_stat(np.array([1.0, 3.0]), np.array([2.0])) == 0.5
    assert iv.improvement_stat(np.array([2.0, 3.0]), np.array([2.0])) == 0.75
    batch = iv.improvement_stat(np.array([[3.0, 4.0], [0.0, 1.0]]), np.array([[1.0, 2.0]]))
    assert batch.tolist() == [1.0, 0.125]  # 0 v 1, 0 v 2, 1 v 2 lose; 1 v 1 ties


def test_bootstrap_percentile_matches_the_exact_bootstrap_distribution() -> None:
    # Resampling [1, 2, 3, 4]: the sum of 4 draws is <= 5 in 5 of 256 cases (1.95%) and <= 6
    # in 15 (5.9%), so the 2.5% quantile of the mean is 6 / 4 = 1.5, and 3.5 by symmetry.
    for seed in range(3):
        got = iv.bootstrap(
            (np.array([1.0, 2.0, 3.0, 4.0]),),
            iv.mean_stat,
            method="percentile",
            n_resamples=20_000,
            seed=seed,
        )
        assert got == (1.5, 3.5)


def test_bootstrap_degenerate_inputs() -> None:
    one = iv.bootstrap((np.array([1.0]),), iv.mean_stat)
    assert np.isnan(one[0]) and np.isnan(one[1])
    # No spread in any resample: BCa's acceleration is 0/0; the interval is the value.
    assert iv.bootstrap((np.array([2.0, 2.0, 2.0]),), iv.iqm_stat) == (2.0, 2.0)


def test_description_names_level_methods_resamples_and_seed() -> None:
    d = iv.description(500, 7)
    assert d["ci_level"] == 0.95 and d["resamples"] == 500 and d["bootstrap_seed"] == 7
    assert "mean: Student t" in str(d["ci_method"]) and "p_improve: BCa" in str(d["ci_method"])
