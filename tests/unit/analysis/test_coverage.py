"""Measured coverage of the intervals compare prints (ddpg.analysis.coverage).

Each cell simulates 1000 experiments of n runs (coverage standard error 0.7 points at 95%),
bootstraps with 400 resamples (the command and compare use more), seed 0. Bands: the chosen
method is asserted within 95 +- 2.5 points where the method can reach it (normal scores), and
above a stated floor where no candidate does (skewed, bimodal at 3-5 runs); the percentile
bootstrap compare used before is asserted measurably worse at 3 runs.
``python -m ddpg.analysis.coverage`` prints the full table.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ddpg.analysis import coverage
from ddpg.analysis.intervals import CHOSEN

FAST = {"reps": 1000, "n_resamples": 400, "seed": 0}
NOMINAL = pytest.approx(0.95, abs=0.025)


def measured(
    statistic: str,
    methods: list[str],
    runs: tuple[int, ...],
    dists: tuple[str, ...] = tuple(coverage.DISTRIBUTIONS),
) -> pd.Series:
    table = coverage.coverage(statistic, methods, dists, runs, **FAST)
    return table.set_index(["method", "distribution", "n"])["coverage"]


def test_mean_student_t_is_nominal_on_normal_scores_and_beats_the_percentile_bootstrap() -> None:
    chosen, old = CHOSEN["mean"], "percentile bootstrap"
    c = measured("mean", [chosen], coverage.RUNS)
    for n in coverage.RUNS:
        assert c[chosen, "normal", n] == NOMINAL
    for dist in coverage.DISTRIBUTIONS:  # measured 0.83-0.96 at 3 runs, 0.83-0.86 skewed
        assert c[chosen, dist, 3] >= 0.80
    p = measured("mean", [old], (3,))
    for dist in coverage.DISTRIBUTIONS:  # measured 0.62-0.73: [min, max] of 3 runs, roughly
        assert p[old, dist, 3] <= c[chosen, dist, 3] - 0.10
    assert p[old, "normal", 3] < 0.80


def test_iqm_trimmed_t_is_near_nominal_and_beats_the_percentile_bootstrap() -> None:
    chosen, old = CHOSEN["iqm"], "percentile bootstrap"
    c = measured("iqm", [chosen], coverage.RUNS)
    for n in coverage.RUNS:
        assert c[chosen, "normal", n] == NOMINAL
        assert c[chosen, "lognormal", n] >= 0.89  # measured 0.91-0.94
        assert c[chosen, "bimodal", n] >= 0.83  # measured 0.86-0.92: its weak spot
    p = measured("iqm", [old], (3,))
    for dist in coverage.DISTRIBUTIONS:
        assert p[old, dist, 3] <= c[chosen, dist, 3] - 0.15  # measured 0.69-0.73 vs 0.92-0.96


def test_p_improve_bca_covers_better_than_the_percentile_bootstrap() -> None:
    chosen, old = CHOSEN["p_improve"], "percentile bootstrap"
    c = measured("p_improve", [chosen, old], (5, 10), ("normal",))
    assert c[chosen, "normal", 10] == NOMINAL
    assert c[chosen, "normal", 5] >= 0.90  # measured 0.92; percentile 0.86
    assert c[chosen, "normal", 5] >= c[old, "normal", 5] + 0.03


def test_peak_interval_covers_below_nominal_as_the_report_says() -> None:
    # The max of noisy means is biased upward: no bootstrap interval reaches 95% here, and
    # compare.md says so. If this starts passing 0.93, the header's statement is out of date.
    chosen = CHOSEN["peak_of_mean_curve"]
    c = measured("peak_of_mean_curve", [chosen], (3, 10), ("normal",))
    assert 0.60 <= c[chosen, "normal", 3] < c[chosen, "normal", 10] < 0.93


def test_coverage_is_deterministic_and_the_command_prints_every_method() -> None:
    small = {"reps": 40, "n_resamples": 50, "seed": 3}
    first = coverage.coverage("mean", runs=(3,), **small)
    assert first.equals(coverage.coverage("mean", runs=(3,), **small))
    assert set(first["method"]) == set(coverage.CANDIDATES["mean"])


def test_main_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert coverage.main(["--reps", "20", "--resamples", "20"]) == 0
    out = capsys.readouterr().out
    assert "20 simulated experiments per cell, 20 bootstrap resamples, seed 0" in out
    assert "| statistic | method | distribution | n=3 | n=5 | n=10 | n=20 |" in out
    for methods in coverage.CANDIDATES.values():
        assert all(m in out for m in methods)
