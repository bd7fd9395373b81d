"""Known-answer tests for the robust statistics in ddpg.analysis.stats."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from ddpg.analysis import stats


def test_iqm_is_mean_of_middle_half() -> None:
    assert stats.iqm([1, 2, 3, 4, 5, 6, 7, 8]) == pytest.approx(4.5)
    assert stats.iqm([8, 1, 7, 2, 6, 3, 5, 4]) == pytest.approx(4.5)  # order does not matter
    # An outlier seed does not move the IQM, unlike the mean.
    assert stats.iqm([1, 2, 3, 4, 5, 6, 7, 1000]) == pytest.approx(4.5)


def test_iqm_edge_cases() -> None:
    assert stats.iqm([3.0]) == 3.0
    assert math.isnan(stats.iqm([]))
    assert stats.iqm([1, 2, np.nan, 3, 4]) == pytest.approx(2.5)  # NaN ignored


def test_probability_of_improvement_known_answers() -> None:
    assert stats.probability_of_improvement([3, 4], [1, 2]) == 1.0
    assert stats.probability_of_improvement([1, 2], [3, 4]) == 0.0
    assert stats.probability_of_improvement([5, 5], [5, 5]) == 0.5
    # Pairs: (1,2)<, (3,2)> -> 0.5; with a tie: (2,2)= (3,2)> -> 0.75.
    assert stats.probability_of_improvement([1, 3], [2]) == 0.5
    assert stats.probability_of_improvement([2, 3], [2]) == 0.75


def test_probability_of_improvement_against_itself_is_half() -> None:
    x = [0.3, 1.5, -2.0, 7.0]
    assert stats.probability_of_improvement(x, x) == 0.5


def test_probability_of_improvement_empty_is_nan() -> None:
    assert math.isnan(stats.probability_of_improvement([], [1.0]))


def test_summarize_fields_and_intervals() -> None:
    x = [1, 2, 3, 4, 5, 6, 7, 8]
    s = stats.summarize(x)
    assert s["n"] == 8
    assert s["mean"] == s["median"] == s["iqm"] == pytest.approx(4.5)
    # Student t: 4.5 +- t(0.975, 7) * sd / sqrt(8), sd = sqrt(6) (the variance of 1..8 is 6).
    half = sps.t.ppf(0.975, 7) * math.sqrt(6.0) / math.sqrt(8.0)
    assert (s["mean_ci_low"], s["mean_ci_high"]) == pytest.approx((4.5 - half, 4.5 + half))
    assert s["mean_ci_high"] - s["mean_ci_low"] == pytest.approx(4.0956, abs=1e-4)
    # IQM's trimmed t: g = 2, h = 4, winsorized [3, 3, 3, 4, 5, 6, 6, 6] with variance 14 / 7:
    # 4.5 +- t(0.975, 3) * sqrt(7 * 2 / (4 * 3)) = 4.5 +- 3.1824 * 1.0801 = 4.5 +- 3.4374.
    assert (s["iqm_ci_low"], s["iqm_ci_high"]) == pytest.approx((1.0626, 7.9374), abs=1e-4)


def test_summarize_degenerate_inputs() -> None:
    one = stats.summarize([5.0])
    assert one["mean"] == 5.0 and math.isnan(one["mean_ci_low"]) and math.isnan(one["iqm_ci_high"])
    none = stats.summarize([])
    assert none["n"] == 0 and math.isnan(none["mean"]) and math.isnan(none["iqm"])
    same = stats.summarize([2.0, 2.0, 2.0])
    assert (same["mean_ci_low"], same["mean_ci_high"], same["iqm_ci_low"]) == (2.0, 2.0, 2.0)


def test_summarize_ignores_nan() -> None:
    assert stats.summarize([1.0, np.nan, 3.0]) == stats.summarize([1.0, 3.0])


def test_improvement_ci_known_cases() -> None:
    # Every run of x beats every run of y, in every resample: P = 1 with a zero-width interval.
    assert stats.improvement_ci([5.0, 6.0, 7.0], [1.0, 2.0, 3.0]) == (1.0, 1.0)
    x, y = [1.0, 4.0, 2.0, 8.0, 5.0], [3.0, 0.0, 6.0, 2.5, 7.0]
    p = stats.probability_of_improvement(x, y)
    low, high = stats.improvement_ci(x, y, n_resamples=500, seed=1)
    assert 0.0 <= low < p < high <= 1.0
    assert stats.improvement_ci(x, y, n_resamples=500, seed=1) == (low, high)  # seeded
    assert all(math.isnan(v) for v in stats.improvement_ci([1.0], y))


def test_mean_band_is_the_interval_of_each_column() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(-500.0, 300.0, size=(6, 40))
    y[5, 25:] = np.nan  # one run stops contributing: a second block of columns
    y[1:, 35:] = np.nan  # a single run left: no interval
    y[:, 3] = -7.0  # no spread: the interval is the value
    mean, low, high = stats.mean_band(y)
    for col in (0, 24, 25, 34):
        values = y[~np.isnan(y[:, col]), col]
        s = stats.summarize(values)
        assert mean[col] == pytest.approx(values.mean())
        assert (low[col], high[col]) == pytest.approx((s["mean_ci_low"], s["mean_ci_high"]))
    assert low[3] == high[3] == -7.0
    assert mean[39] == y[0, 39] and np.isnan(low[35:]).all() and np.isnan(high[35:]).all()


def test_mean_band_may_leave_the_observed_range() -> None:
    # Chosen for coverage, not range: three Pendulum runs near 0 and one far below give a
    # t interval reaching +815, above any return Pendulum can give (stated in mean_band).
    y = np.array([[-1.0], [-2.0], [-3.0], [-1500.0]])
    mean, low, high = stats.mean_band(y)
    assert mean[0] == pytest.approx(-376.5) and high[0] == pytest.approx(815.33, abs=0.01)
