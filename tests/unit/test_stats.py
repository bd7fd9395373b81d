"""Known-answer tests for the robust statistics in ddpg.stats."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ddpg import stats


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


@pytest.mark.parametrize("statistic", ["mean", "median", "iqm"])
def test_bootstrap_ci_brackets_estimate(statistic: str) -> None:
    x = np.random.default_rng(1).normal(10.0, 2.0, size=20)
    lo, hi = stats.bootstrap_ci(x, statistic, n_resamples=500, seed=0)
    point = {"mean": np.mean(x), "median": np.median(x), "iqm": stats.iqm(x)}[statistic]
    assert lo < point < hi


def test_bootstrap_ci_shrinks_with_more_data() -> None:
    rng = np.random.default_rng(2)
    small = stats.bootstrap_ci(rng.normal(size=5), n_resamples=1000)
    large = stats.bootstrap_ci(rng.normal(size=500), n_resamples=1000)
    assert large[1] - large[0] < small[1] - small[0]


def test_bootstrap_ci_is_reproducible_with_seed() -> None:
    x = [1.0, 4.0, 2.0, 8.0, 5.0]
    assert stats.bootstrap_ci(x, seed=3) == stats.bootstrap_ci(x, seed=3)


def test_bootstrap_ci_degenerate_inputs() -> None:
    assert all(math.isnan(v) for v in stats.bootstrap_ci([1.0]))
    assert all(math.isnan(v) for v in stats.bootstrap_ci([]))
    assert stats.bootstrap_ci([2.0, 2.0, 2.0], "iqm") == (2.0, 2.0)


def test_bootstrap_ci_accepts_vectorised_callable() -> None:
    lo, hi = stats.bootstrap_ci([1.0, 2.0, 3.0, 10.0], lambda x, axis: np.max(x, axis=axis))
    assert 1.0 <= lo <= hi <= 10.0


def test_summarize_fields() -> None:
    s = stats.summarize([1, 2, 3, 4, 5, 6, 7, 8], n_resamples=200)
    assert s["n"] == 8
    assert s["mean"] == pytest.approx(4.5)
    assert s["median"] == pytest.approx(4.5)
    assert s["iqm"] == pytest.approx(4.5)
    assert s["mean_ci_low"] < 4.5 < s["mean_ci_high"]
    one = stats.summarize([5.0])
    assert one["mean"] == 5.0 and math.isnan(one["mean_ci_low"]) and math.isnan(one["iqm_ci_high"])
    none = stats.summarize([])
    assert none["n"] == 0 and math.isnan(none["mean"]) and math.isnan(none["iqm"])


def test_t_interval() -> None:
    y = np.array([[1.0, 2.0, np.nan], [3.0, 2.0, np.nan], [5.0, 2.0, 7.0]])
    mean, half = stats.t_interval(y)
    np.testing.assert_allclose(mean, [3.0, 2.0, 7.0])
    # sd = 2, n = 3, t(0.975, 2) = 4.3027
    assert half[0] == pytest.approx(4.302653 * 2 / np.sqrt(3), rel=1e-5)
    assert half[1] == 0.0
    assert math.isnan(half[2])
