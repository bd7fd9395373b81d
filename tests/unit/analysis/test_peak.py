"""Known answers for the TD3 paper's "max average return" (ddpg.analysis.peak)."""

from __future__ import annotations

import math

import numpy as np

from ddpg.analysis import peak

STEPS = np.array([1000.0, 2000.0, 3000.0])
A = np.array([0.0, 10.0, 4.0])
B = np.array([0.0, 2.0, 6.0])


def test_peak_of_the_mean_curve_is_not_the_mean_of_each_runs_best() -> None:
    # Mean curve [0, 6, 5]: its peak is 6 at the 2nd eval; each run's own best averages
    # (10 + 6) / 2 = 8, the upward bias of best_eval_return on noisy curves.
    value, low, high, column = peak.peak_of_mean_curve(np.stack([A, B]), n_resamples=4000)
    assert (value, column) == (6.0, 1)
    # Two runs resampled: AA peaks at 10, BB at 6, AB and BA at 6; P(AA) = P(BB) = 1/4, so
    # the 2.5% and 97.5% quantiles of the bootstrap peaks are 6 and 10.
    assert (low, high) == (6.0, 10.0)


def test_peak_of_one_run_is_its_best_without_an_interval() -> None:
    value, low, high, column = peak.peak_of_mean_curve(A[None, :])
    assert (value, column) == (10.0, 1) and math.isnan(low) and math.isnan(high)


def test_group_peak_uses_eval_steps_up_to_the_smallest_budget() -> None:
    # C evaluates off the others' steps (1500): the curves are joined linearly there. Its budget
    # stops at 2000, so the 3000 point (where only A and B trained) is not averaged.
    c_steps, c_values = np.array([1500.0, 2000.0]), np.array([3.0, 9.0])
    curves = [(STEPS, A), (STEPS, B), (c_steps, c_values)]
    budgets = np.array([3000.0, 3000.0, 2000.0])
    value, low, high, step = peak.group_peak(curves, budgets, floor=-50.0, n_resamples=200)
    # At 2000: (10 + 2 + 9) / 3 = 7; at 1500: (5 + 1 + 3) / 3 = 3; at 1000: (0 + 0 + 3) / 3 = 1.
    assert (value, step) == (7.0, 2000.0) and low <= value <= high


def test_group_peak_holds_a_run_without_evals_at_the_floor() -> None:
    curves = [(STEPS, A), (np.array([]), np.array([]))]
    value, _, _, step = peak.group_peak(curves, np.array([3000.0, 3000.0]), floor=-10.0)
    assert (value, step) == (0.0, 2000.0)  # (10 - 10) / 2 at 2000 beats (4 - 10) / 2
    nothing = peak.group_peak([(np.array([]), np.array([]))], np.array([1.0]), floor=-1.0)
    assert all(math.isnan(v) for v in nothing)
