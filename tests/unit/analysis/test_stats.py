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


def hand_bootstrap(x: list[float], trim: int, n_resamples: int, seed: int) -> np.ndarray:
    """The percentile interval written out: resample runs, trimmed mean, 2.5/97.5 percentiles."""
    data = np.asarray(x)
    rows = np.random.default_rng(seed).integers(0, len(data), (n_resamples, len(data)))
    resamples = np.sort(data[rows], axis=1)
    means = resamples[:, trim : len(data) - trim].mean(axis=1)
    return np.percentile(means, [2.5, 97.5])


@pytest.mark.parametrize(("statistic", "trim"), [("mean", 0), ("iqm", 1)])
def test_bootstrap_ci_equals_the_interval_computed_by_hand(statistic: str, trim: int) -> None:
    # Same generator and seed as the hand version: the numbers must agree to rounding.
    # (Five values: the IQM trims floor(5 / 4) = 1 from each end.)
    x = [1.0, 4.0, 2.0, 8.0, 5.0]
    got = stats.bootstrap_ci(x, statistic, n_resamples=1000, seed=3)
    assert got == pytest.approx(hand_bootstrap(x, trim, 1000, 3), rel=1e-12)
    assert got == pytest.approx((1.995, 6.0) if statistic == "mean" else (4 / 3, 20 / 3))


def test_bootstrap_ci_of_the_mean_matches_the_exact_bootstrap_distribution() -> None:
    # Resampling [1, 2, 3, 4]: the sum of 4 draws is <= 5 in 5 of 256 cases (1.95%) and <= 6
    # in 15 (5.9%), so the 2.5% quantile of the mean is 6 / 4 = 1.5, and 3.5 by symmetry.
    for seed in range(3):
        assert stats.bootstrap_ci([1, 2, 3, 4], n_resamples=20_000, seed=seed) == (1.5, 3.5)


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
    # Max of 4 draws from [1, 2, 3, 10]: P(max <= 1) = 0.4%, P(max <= 2) = 6.25%, P(max = 10)
    # = 68%: the 2.5% quantile is 2 and the 97.5% quantile 10.
    maximum = lambda x, axis: np.max(x, axis=axis)  # noqa: E731
    assert stats.bootstrap_ci([1.0, 2.0, 3.0, 10.0], maximum) == (2.0, 10.0)


def test_summarize_fields() -> None:
    s = stats.summarize([1, 2, 3, 4, 5, 6, 7, 8], n_resamples=200)
    assert s["n"] == 8
    assert s["mean"] == pytest.approx(4.5)
    assert s["median"] == pytest.approx(4.5)
    assert s["iqm"] == pytest.approx(4.5)
    expected = hand_bootstrap(list(range(1, 9)), 0, 200, 0)
    assert (s["mean_ci_low"], s["mean_ci_high"]) == pytest.approx(expected, rel=1e-12)
    one = stats.summarize([5.0])
    assert one["mean"] == 5.0 and math.isnan(one["mean_ci_low"]) and math.isnan(one["iqm_ci_high"])
    none = stats.summarize([])
    assert none["n"] == 0 and math.isnan(none["mean"]) and math.isnan(none["iqm"])


def test_bootstrap_mean_band_is_the_bootstrap_ci_of_each_column() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(-500.0, 300.0, size=(6, 40))
    y[5, 25:] = np.nan  # one run stops contributing: a second block of columns
    y[1:, 35:] = np.nan  # a single run left: no interval
    mean, low, high = stats.bootstrap_mean_band(y, n_resamples=400, seed=2)
    for col in (0, 24, 25, 34):
        values = y[~np.isnan(y[:, col]), col]
        assert mean[col] == pytest.approx(values.mean())
        ci = stats.bootstrap_ci(values, n_resamples=400, seed=2)
        assert (low[col], high[col]) == pytest.approx(ci, rel=1e-12)
    assert mean[39] == y[0, 39] and np.isnan(low[35:]).all() and np.isnan(high[35:]).all()
    # Inside the observed values, unlike a t-interval over a few spread-out runs.
    assert np.all(high[:35] <= np.nanmax(y[:, :35], axis=0))
    assert np.all(low[:35] >= np.nanmin(y[:, :35], axis=0))


def test_bootstrap_mean_band_stays_below_the_best_observed_return() -> None:
    # Pendulum returns are <= 0; three runs near 0 and one far below. The t-interval the
    # plot used to draw reaches +815, above any return Pendulum can give.
    y = np.array([[-1.0], [-2.0], [-3.0], [-1500.0]])
    t_high = y.mean() + sps.t.ppf(0.975, 3) * y.std(ddof=1) / 2
    assert t_high == pytest.approx(815.33, abs=0.01)
    mean, low, high = stats.bootstrap_mean_band(y, n_resamples=500)
    assert mean[0] == pytest.approx(-376.5) and -1500.0 <= low[0] < mean[0] < high[0] <= -1.0
